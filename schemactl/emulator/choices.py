"""Select options and statuses: list, create and update, addressed by id or by title."""

from __future__ import annotations

from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.attributes import DURATION
from schemactl.emulator.workspace import Workspace, flag, invalid, is_true, payload, public, text

# kind -> (attribute type that has them, id key, noun used in messages, updatable fields)
_KINDS = {
    "option": ("select", "option_id", "select option", {"title", "is_archived"}),
    "status": (
        "status",
        "status_id",
        "status",
        {"title", "is_archived", "celebration_enabled", "target_time_in_status"},
    ),
}


def _attribute(ws: Workspace, kind: str, target: str, identifier: str, attribute: str) -> dict:
    parent = ws.parent(target, identifier)
    found = ws.attribute(parent, attribute)
    wanted_type = _KINDS[kind][0]
    if found["type"] != wanted_type:
        raise errors.validation(f"This attribute is not a {wanted_type} attribute.")
    return found


def list_choices(
    ws: Workspace, kind: str, target: str, identifier: str, attribute: str, query: dict
) -> list[dict[str, Any]]:
    owner = _attribute(ws, kind, target, identifier, attribute)
    choices = ws.store.all(kind, owner["id"]["attribute_id"])
    if not is_true(query.get("show_archived")):
        choices = [c for c in choices if not c["is_archived"]]
    return [public(c) for c in choices]


def create_choice(
    ws: Workspace, kind: str, target: str, identifier: str, attribute: str, body: Any
) -> dict[str, Any]:
    owner = _attribute(ws, kind, target, identifier, attribute)
    _, _, noun, fields = _KINDS[kind]
    data = payload(body, allowed=fields - {"is_archived"}, required={"title"})
    title = text(data, "title")
    _refuse_taken_title(ws, kind, owner["id"]["attribute_id"], title, noun)
    celebration = flag(data, "celebration_enabled") if "celebration_enabled" in data else False
    return public(insert_choice(ws, kind, owner, title, celebration, _duration(data)))


def insert_choice(
    ws: Workspace,
    kind: str,
    owner: dict[str, Any],
    title: str,
    celebration_enabled: bool = False,
    target_time_in_status: str | None = None,
) -> dict[str, Any]:
    """Store a new option or status of `owner`; the caller has checked the title is free."""
    id_key = _KINDS[kind][1]
    choice_id = ws.new_id()
    resource: dict[str, Any] = {
        "id": {**owner["id"], id_key: choice_id},
        "title": title,
        "is_archived": False,
    }
    if kind == "status":
        resource["celebration_enabled"] = celebration_enabled
        resource["target_time_in_status"] = target_time_in_status
    ws.store.insert(kind, choice_id, resource, owner["id"]["attribute_id"])
    return resource


def update_choice(
    ws: Workspace,
    kind: str,
    target: str,
    identifier: str,
    attribute: str,
    choice: str,
    body: Any,
) -> dict[str, Any]:
    owner = _attribute(ws, kind, target, identifier, attribute)
    _, id_key, noun, fields = _KINDS[kind]
    owner_id = owner["id"]["attribute_id"]
    siblings = ws.store.all(kind, owner_id)
    current = next((c for c in siblings if choice in (c["id"][id_key], c["title"])), None)
    if current is None:
        raise errors.value_not_found(f'No {noun} with ID or title "{choice}" on this attribute.')
    data = payload(body, allowed=fields)
    if not data:
        raise errors.validation("Body payload validation error: 'data' must change something.")
    updated = dict(current)
    if "title" in data:
        title = text(data, "title")
        if title != current["title"]:
            _refuse_taken_title(ws, kind, owner_id, title, noun)
        updated["title"] = title
    for key in ("is_archived", "celebration_enabled"):
        if key in data:
            updated[key] = flag(data, key)
    if "target_time_in_status" in data:
        updated["target_time_in_status"] = _duration(data)
    ws.store.update(kind, current["id"][id_key], updated)
    return public(updated)


def _refuse_taken_title(ws: Workspace, kind: str, owner_id: str, title: str, noun: str) -> None:
    # Archived titles still block reuse: the safe reading of Attio's undocumented behaviour.
    if any(c["title"] == title for c in ws.store.all(kind, owner_id)):
        raise errors.slug_conflict(f'There is already another {noun} with the title "{title}".')


def _duration(data: dict[str, Any]) -> str | None:
    value = data.get("target_time_in_status")
    if value is None:
        return None
    if not isinstance(value, str) or not DURATION.match(value):
        raise invalid("target_time_in_status", "must be an ISO 8601 duration such as P14D")
    return value
