"""Notes on records: create (plaintext or markdown), list (by parent, paged), get, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.routing import Route
from schemactl.emulator.workspace import UUID_TEXT, Workspace, invalid, page, payload, public, text

KIND = "note"
FORMATS = ("plaintext", "markdown")
_REQUIRED = {"parent_object", "parent_record_id", "title", "format", "content"}
_FIELDS = _REQUIRED | {"created_at", "meeting_id"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Markdown Attio's notes support, each with what its plain text keeps (group 1).
_MARKUP = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"^#{1,3}[ \t]+", re.MULTILINE), ""),  # headings
    (re.compile(r"\*\*(.+?)\*\*|__(.+?)__"), r"\1\2"),  # bold
    (re.compile(r"~~(.+?)~~|==(.+?)=="), r"\1\2"),  # strikethrough, highlight
    # Italic: `*x*` or `_x_` not touching spaces inside, and `_` not inside a word.
    (re.compile(r"(?<!\*)\*(?=\S)(.+?)(?<=\S)\*|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1\2"),
]


def create_note(ws: Workspace, body: Any) -> dict[str, Any]:
    data = payload(body, allowed=_FIELDS, required=_REQUIRED)
    obj = ws.object(text(data, "parent_object"))
    object_id = obj["id"]["object_id"]
    record_id = record_of(ws, object_id, _parent_record_id(data))
    content_format = data["format"]
    if content_format not in FORMATS:
        raise invalid("format", "must be plaintext or markdown")
    content = text(data, "content", min_length=0)
    note_id = ws.new_id()
    note = {
        "id": {"workspace_id": ws.id, "note_id": note_id},
        "parent_record_id": record_id,
        "title": text(data, "title", min_length=0),
        "meeting_id": _meeting_id(data),
        "content_plaintext": content if content_format == "plaintext" else plaintext(content),
        # Plain text is stored as its own markdown, unescaped.
        "content_markdown": content,
        "tags": [],
        "created_by_actor": {"type": "api-token", "id": ws.token_actor_id()},
        "created_at": _created_at(ws, data),
        "_parent_object_id": object_id,
    }
    ws.store.insert(KIND, note_id, note, record_id)
    _emit(ws, "note.created", note)
    return present(ws, note)


def list_notes(ws: Workspace, query: dict[str, str]) -> list[dict[str, Any]]:
    object_id = None
    if query.get("parent_object"):
        object_id = ws.object(query["parent_object"])["id"]["object_id"]
    record_id = query.get("parent_record_id") or None
    if record_id is not None and not UUID_TEXT.match(record_id):
        raise errors.validation("Query parameter 'parent_record_id' must be a UUID.")
    found = [
        note
        for note in ws.store.all(KIND, record_id)
        if object_id in (None, note["_parent_object_id"])
    ]
    chosen = page(found, query.get("limit"), query.get("offset"), default=10, maximum=50)
    return [present(ws, note) for note in chosen]


def get_note(ws: Workspace, note_id: str) -> dict[str, Any]:
    return present(ws, _note(ws, note_id))


def delete_note(ws: Workspace, note_id: str) -> dict[str, Any]:
    note = _note(ws, note_id)
    ws.store.delete(KIND, note_id)
    _emit(ws, "note.deleted", note)
    return {}


def delete_notes_of(ws: Workspace, record_id: str) -> None:
    """A deleted record takes its notes with it (each announced as deleted)."""
    for note in ws.store.all(KIND, record_id):
        ws.store.delete(KIND, note["id"]["note_id"])
        _emit(ws, "note.deleted", note)


def present(ws: Workspace, note: dict[str, Any]) -> dict[str, Any]:
    """The read shape: `parent_object` is the parent object's current slug."""
    parent = ws.store.get("object", note["_parent_object_id"]) or {}
    shown = public(note)
    return {"id": shown.pop("id"), "parent_object": parent.get("api_slug"), **shown}


def plaintext(markdown: str) -> str:
    """Markdown content as plain text: formatting marks dropped, list markers kept."""
    for pattern, keep in _MARKUP:
        markdown = pattern.sub(keep, markdown)
    return markdown


def record_of(ws: Workspace, object_id: str, record_id: str) -> str:
    """`record_id`, once it is known to name a record of the object; 404 otherwise."""
    record = ws.store.get("record", record_id) if UUID_TEXT.match(record_id) else None
    if record is None or record["id"]["object_id"] != object_id:
        raise errors.not_found(f'Record with ID "{record_id}" not found.')
    return record_id


def parse_timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp from a request body (UTC when it names no zone); 400 otherwise."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise invalid(field, "must be an ISO 8601 timestamp")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def attio_time(moment: datetime) -> str:
    """A timestamp as Attio writes them: UTC, nanosecond precision, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


# --- helpers ---------------------------------------------------------------------------------


def _parent_record_id(data: dict[str, Any]) -> str:
    raw = data["parent_record_id"]
    if isinstance(raw, dict) and set(raw) == {"record_id"}:
        raw = raw["record_id"]  # the simplified reference's `{"record_id": …}`
    if not isinstance(raw, str) or not UUID_TEXT.match(raw):
        raise invalid("parent_record_id", "must be a UUID")
    return raw


def _meeting_id(data: dict[str, Any]) -> None:
    meeting_id = data.get("meeting_id")
    if meeting_id is None:
        return None
    if not isinstance(meeting_id, str) or not UUID_TEXT.match(meeting_id):
        raise invalid("meeting_id", "must be a UUID or null")
    # Meetings are not emulated, so no meeting id can name an existing meeting.
    raise errors.not_found(f'Meeting with ID "{meeting_id}" not found.')


def _created_at(ws: Workspace, data: dict[str, Any]) -> str:
    if data.get("created_at") is None:
        return ws.now()
    moment = parse_timestamp(data["created_at"], "created_at")
    if moment < _EPOCH or moment > datetime.now(UTC):
        raise invalid("created_at", "must not be before 1970 or in the future")
    return attio_time(moment)


def _note(ws: Workspace, note_id: str) -> dict[str, Any]:
    found = ws.store.get(KIND, note_id) if UUID_TEXT.match(note_id) else None
    if found is None:
        raise errors.not_found(f'Note with ID "{note_id}" was not found.')
    return found


def _emit(ws: Workspace, event_type: str, note: dict[str, Any]) -> None:
    ws.emit(
        event_type,
        note["id"],
        parent_object_id=note["_parent_object_id"],
        parent_record_id=note["parent_record_id"],
    )


_READ = ("note:read", "object_configuration:read", "record_permission:read")

ROUTES: list[Route] = [
    Route("GET", "/v2/notes", lambda ws, q, b: list_notes(ws, q), _READ),
    Route(
        "POST",
        "/v2/notes",
        lambda ws, q, b: create_note(ws, b),
        ("note:read-write", "object_configuration:read", "record_permission:read"),
    ),
    Route("GET", "/v2/notes/{note_id}", lambda ws, q, b, note_id: get_note(ws, note_id), _READ),
    Route(
        "DELETE",
        "/v2/notes/{note_id}",
        lambda ws, q, b, note_id: delete_note(ws, note_id),
        "note:read-write",
        wrap=False,
    ),
]
