"""List entries: create, assert by parent record, get, update (append or overwrite), delete,
query, the values of one attribute, and the entries of a record across lists.

Entries keep their values as records do (see `values`), under `_values`, stored per list.
"""

from __future__ import annotations

from typing import Any

from schemactl.emulator import errors, filters, notes, records, tasks, values
from schemactl.emulator.routing import Route
from schemactl.emulator.workspace import UUID_TEXT, Workspace, invalid, page, payload

KIND = "entry"
_FIELDS = {"parent_record_id", "parent_object", "entry_values"}


def create_entry(ws: Workspace, list_identifier: str, body: Any) -> dict[str, Any]:
    lst = ws.list(list_identifier)
    data = payload(body, allowed=_FIELDS, required=_FIELDS)
    record_id = _parent_record(ws, lst, data)
    return _insert(ws, lst, record_id, data["entry_values"])


def assert_entry(ws: Workspace, list_identifier: str, body: Any) -> dict[str, Any]:
    """PUT by parent record: overwrite its one entry's values, or create the entry."""
    lst = ws.list(list_identifier)
    data = payload(body, allowed=_FIELDS, required=_FIELDS)
    record_id = _parent_record(ws, lst, data)
    found = [e for e in ws.store.all(KIND, _list_id(lst)) if e["parent_record_id"] == record_id]
    if len(found) > 1:
        raise errors.ApiError(
            400,
            "multiple_match_results",
            "Multiple entries were found for the given parent record. Please remove duplicates "
            "or use the update or create entry endpoints instead.",
        )
    if not found:
        return _insert(ws, lst, record_id, data["entry_values"])
    return _write(ws, lst, found[0], data["entry_values"], "overwrite")


def get_entry(ws: Workspace, list_identifier: str, entry_id: str) -> dict[str, Any]:
    lst = ws.list(list_identifier)
    return present(ws, lst, _entry(ws, lst, entry_id))


def update_entry(
    ws: Workspace,
    list_identifier: str,
    entry_id: str,
    body: Any,
    mode: values.Mode,
) -> dict[str, Any]:
    """PATCH appends to multiselect values; PUT makes each given attribute hold exactly them."""
    lst = ws.list(list_identifier)
    entry = _entry(ws, lst, entry_id)
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and {"parent_record_id", "parent_object"} & set(data):
        raise errors.immutable("The parent record for a list entry cannot be updated once created.")
    data = payload(body, allowed={"entry_values"}, required={"entry_values"})
    return _write(ws, lst, entry, data["entry_values"], mode)


def delete_entry(ws: Workspace, list_identifier: str, entry_id: str) -> dict[str, Any]:
    lst = ws.list(list_identifier)
    entry = _entry(ws, lst, entry_id)
    ws.store.delete(KIND, entry_id)
    _emit(ws, "list-entry.deleted", entry, entry["id"])
    return {}


def query_entries(ws: Workspace, list_identifier: str, body: Any) -> list[dict[str, Any]]:
    lst = ws.list(list_identifier)
    query = filters.query_body(body)
    attributes = values.live_attributes(ws, _list_id(lst))
    presented = [present(ws, lst, e, attributes) for e in ws.store.all(KIND, _list_id(lst))]
    selected = filters.select(
        presented,
        query.filter,
        query.sorts,
        attributes=attributes,
        values_of=lambda entry: entry["entry_values"],
        fetch_record=lambda oid, rid: records.fetch_presented(ws, oid, rid),
        attributes_of=lambda key: values.live_attributes(ws, ws.object(key)["id"]["object_id"]),
        names=(lst["api_slug"], _list_id(lst)),
        entries=True,
    )
    return query.page(selected)


def list_values(
    ws: Workspace, list_identifier: str, entry_id: str, attribute: str, query: dict[str, str]
) -> list[dict[str, Any]]:
    """One attribute's active values; with `show_historic=true`, replaced ones too (oldest
    first by `active_from`)."""
    lst = ws.list(list_identifier)
    entry = _entry(ws, lst, entry_id)
    return values.value_history(ws, ws.attribute(lst, attribute), entry, query)


def record_entries(
    ws: Workspace, object_identifier: str, record_id: str, query: dict[str, str]
) -> list[dict[str, Any]]:
    """Every entry, in any list, whose parent is this record."""
    object_id = ws.object(object_identifier)["id"]["object_id"]
    notes.record_of(ws, object_id, record_id)
    slugs = {lst["id"]["list_id"]: lst["api_slug"] for lst in ws.store.all("list")}
    found = [
        {
            "list_id": entry["id"]["list_id"],
            "list_api_slug": slugs[entry["id"]["list_id"]],
            "entry_id": entry["id"]["entry_id"],
            "created_at": entry["created_at"],
        }
        for entry in ws.store.all(KIND)
        if entry["parent_record_id"] == record_id
    ]
    return page(found, query.get("limit"), query.get("offset"), default=100, maximum=1000)


def forget_record(ws: Workspace, object_id: str, record_id: str) -> None:
    """What deleting a record takes with it: its entries and notes, and its task links."""
    for entry in ws.store.all(KIND):
        if entry["parent_record_id"] == record_id:
            ws.store.delete(KIND, entry["id"]["entry_id"])
            _emit(ws, "list-entry.deleted", entry, entry["id"])
    notes.delete_notes_of(ws, record_id)
    tasks.unlink_record(ws, object_id, record_id)


def present(
    ws: Workspace,
    lst: dict[str, Any],
    entry: dict[str, Any],
    attributes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The read shape: every attribute of the list keyed by slug, unset ones as []."""
    if attributes is None:
        attributes = values.live_attributes(ws, _list_id(lst))
    parent = ws.store.get("object", entry["_parent_object_id"]) or {}
    return {
        "id": entry["id"],
        "parent_record_id": entry["parent_record_id"],
        "parent_object": parent.get("api_slug"),
        "created_at": entry["created_at"],
        "entry_values": values.present_values(ws, attributes, entry["_values"]),
    }


# --- helpers ---------------------------------------------------------------------------------


def _insert(ws: Workspace, lst: dict[str, Any], record_id: str, raw_values: Any) -> dict[str, Any]:
    """A new entry holding the values given (plus defaults and system values)."""
    list_id = _list_id(lst)
    attributes = values.live_attributes(ws, list_id)
    parsed = values.parse_value_map(ws, attributes, raw_values, field="entry_values")
    now = ws.now()
    given = {**values.default_values(ws, attributes, parsed, now), **parsed}
    values.require(attributes, given)
    values.refuse_unique_conflicts(ws, KIND, list_id, attributes, given)
    entry_id = ws.new_id()
    actor = _actor(ws)
    stored, _ = values.write_values(ws, {}, given, mode="overwrite", now=now, actor=actor)
    for attribute in attributes:
        system = values.system_value(attribute, entry_id, now, ws.token_actor_id())
        if system is not None:
            stored[attribute["id"]["attribute_id"]] = [values.stamp(system, now, actor)]
    entry = {
        "id": {"workspace_id": ws.id, "list_id": list_id, "entry_id": entry_id},
        "parent_record_id": record_id,
        "created_at": now,
        "_parent_object_id": lst["_parent_object_id"],
        "_values": stored,
    }
    ws.store.insert(KIND, entry_id, entry, list_id)
    _emit(ws, "list-entry.created", entry, entry["id"])
    return present(ws, lst, entry, attributes)


def _write(
    ws: Workspace,
    lst: dict[str, Any],
    entry: dict[str, Any],
    raw_values: Any,
    mode: values.Mode,
) -> dict[str, Any]:
    list_id = _list_id(lst)
    entry_id = entry["id"]["entry_id"]
    attributes = values.live_attributes(ws, list_id)
    parsed = values.parse_value_map(ws, attributes, raw_values, field="entry_values")
    values.refuse_unique_conflicts(ws, KIND, list_id, attributes, parsed, exclude_id=entry_id)
    written, changed = values.write_values(
        ws, entry["_values"], parsed, mode=mode, now=ws.now(), actor=_actor(ws)
    )
    # Required attributes written to must keep an active value (replaced ones are history).
    touched = [a for a in attributes if a["id"]["attribute_id"] in parsed]
    values.require(touched, {k: values.active(v) for k, v in written.items()})
    if changed:
        entry = {**entry, "_values": written}
        ws.store.update(KIND, entry_id, entry)
    for attribute_id in changed:  # one event per changed attribute, as Attio sends them
        _emit(ws, "list-entry.updated", entry, {**entry["id"], "attribute_id": attribute_id})
    return present(ws, lst, entry, attributes)


def _parent_record(ws: Workspace, lst: dict[str, Any], data: dict[str, Any]) -> str:
    """The parent record's id, once it names a record of the list's parent object."""
    obj = ws.object(_text(data, "parent_object"))
    if obj["id"]["object_id"] != lst["_parent_object_id"]:
        parent = ws.store.get("object", lst["_parent_object_id"]) or {}
        raise invalid(
            "parent_object",
            f'must be the list\'s parent object "{parent.get("api_slug")}", '
            f'not "{obj["api_slug"]}"',
        )
    record_id = _text(data, "parent_record_id")
    if not UUID_TEXT.match(record_id):
        raise invalid("parent_record_id", "must be a UUID")
    record = ws.store.get("record", record_id)
    if record is None or record["id"]["object_id"] != obj["id"]["object_id"]:
        raise errors.value_not_found(f'Parent record with slug/ID "{record_id}" not found.')
    return record_id


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise invalid(key, "must be a string")
    return value


def _entry(ws: Workspace, lst: dict[str, Any], entry_id: str) -> dict[str, Any]:
    found = ws.store.get(KIND, entry_id) if UUID_TEXT.match(entry_id) else None
    if found is None or found["id"]["list_id"] != _list_id(lst):
        raise errors.not_found(f'List entry with ID "{entry_id}" not found.')
    return found


def _actor(ws: Workspace) -> dict[str, Any]:
    return {"type": "api-token", "id": ws.token_actor_id()}


def _list_id(lst: dict[str, Any]) -> str:
    return lst["id"]["list_id"]


def _emit(ws: Workspace, event_type: str, entry: dict[str, Any], id_: dict[str, Any]) -> None:
    ws.emit(
        event_type,
        id_,
        parent_object_id=entry["_parent_object_id"],
        parent_record_id=entry["parent_record_id"],
    )


_READ = ("list_entry:read", "list_configuration:read")
_WRITE = ("list_entry:read-write", "list_configuration:read")
_ENTRIES = "/v2/lists/{list}/entries"
_ENTRY = "/v2/lists/{list}/entries/{entry_id}"

ROUTES: list[Route] = [
    Route("POST", _ENTRIES, lambda ws, q, b, list: create_entry(ws, list, b), _WRITE),
    Route("PUT", _ENTRIES, lambda ws, q, b, list: assert_entry(ws, list, b), _WRITE),
    Route("POST", f"{_ENTRIES}/query", lambda ws, q, b, list: query_entries(ws, list, b), _READ),
    Route(
        "GET",
        _ENTRY,
        lambda ws, q, b, list, entry_id: get_entry(ws, list, entry_id),
        _READ,
    ),
    Route(
        "PATCH",
        _ENTRY,
        lambda ws, q, b, list, entry_id: update_entry(ws, list, entry_id, b, "append"),
        _WRITE,
    ),
    Route(
        "PUT",
        _ENTRY,
        lambda ws, q, b, list, entry_id: update_entry(ws, list, entry_id, b, "overwrite"),
        _WRITE,
    ),
    Route(
        "DELETE",
        _ENTRY,
        lambda ws, q, b, list, entry_id: delete_entry(ws, list, entry_id),
        _WRITE,
        wrap=False,
    ),
    Route(
        "GET",
        f"{_ENTRY}/attributes/{{attribute}}/values",
        lambda ws, q, b, list, entry_id, attribute: list_values(ws, list, entry_id, attribute, q),
        _READ,
    ),
    Route(
        "GET",
        "/v2/objects/{object}/records/{record_id}/entries",
        lambda ws, q, b, object, record_id: record_entries(ws, object, record_id, q),
        ("record_permission:read", "object_configuration:read", "list_entry:read"),
    ),
]
