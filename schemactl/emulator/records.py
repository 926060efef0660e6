"""Records of objects: create, get, delete and query (limit/offset paging).

Values are stored per attribute id (see `values`), so renamed slugs show on the next read.
"""

from __future__ import annotations

from typing import Any

from schemactl.emulator import errors, filters, values
from schemactl.emulator.routing import Route
from schemactl.emulator.workspace import UUID_TEXT, Workspace, payload, public

KIND = "record"
DEFAULT_QUERY_LIMIT = 500
_QUERY_FIELDS = {"limit", "offset", "filter", "sorts"}


def create_record(ws: Workspace, object_identifier: str, body: Any) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    object_id = obj["id"]["object_id"]
    data = payload(body, allowed={"values"}, required={"values"})
    attributes = values.live_attributes(ws, object_id)
    parsed = values.parse_value_map(ws, attributes, data["values"])
    values.require(attributes, parsed)
    values.refuse_unique_conflicts(ws, KIND, object_id, attributes, parsed)
    record_id = ws.new_id()
    now = ws.now()
    actor = {"type": "api-token", "id": ws.token_actor_id()}
    stored: values.Values = {}
    for attribute_id, items in parsed.items():
        if items:
            stored[attribute_id] = [values.stamp(item, now, actor) for item in items]
    for attribute in attributes:
        system = values.system_value(attribute, record_id, now, ws.token_actor_id())
        if system is not None:
            stored[attribute["id"]["attribute_id"]] = [values.stamp(system, now, actor)]
    record = {
        "id": {"workspace_id": ws.id, "object_id": object_id, "record_id": record_id},
        "created_at": now,
        "_values": stored,
    }
    ws.store.insert(KIND, record_id, record, object_id)
    ws.emit("record.created", record["id"])
    return present(ws, obj, record)


def get_record(ws: Workspace, object_identifier: str, record_id: str) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    return present(ws, obj, _record(ws, obj, record_id))


def delete_record(ws: Workspace, object_identifier: str, record_id: str) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    record = _record(ws, obj, record_id)
    ws.store.delete(KIND, record_id)
    ws.emit("record.deleted", record["id"])
    return {}


def query_records(ws: Workspace, object_identifier: str, body: Any) -> list[dict[str, Any]]:
    obj = ws.object(object_identifier)
    query = {} if body is None else body
    if not isinstance(query, dict):
        raise errors.validation("Body payload validation error: the body must be an object.")
    unknown = sorted(set(query) - _QUERY_FIELDS)
    if unknown:
        raise errors.validation(
            f"Body payload validation error: unrecognised field '{unknown[0]}'."
        )
    limit = _int_field(query, "limit", DEFAULT_QUERY_LIMIT, minimum=1)
    offset = _int_field(query, "offset", 0, minimum=0)
    object_id = obj["id"]["object_id"]
    presented = [present(ws, obj, r) for r in ws.store.all(KIND, object_id)]
    selected = filters.select(
        presented,
        query.get("filter"),
        query.get("sorts"),
        attributes=values.live_attributes(ws, object_id),
        values_of=lambda record: record["values"],
        fetch_record=lambda oid, rid: fetch_presented(ws, oid, rid),
    )
    return selected[offset : offset + limit]


def fetch_presented(ws: Workspace, object_id: str, record_id: str) -> dict[str, Any] | None:
    """A record by ids, presented, or None (for drill-down through record references)."""
    record = ws.store.get(KIND, record_id)
    if record is None or record["id"]["object_id"] != object_id:
        return None
    obj = ws.store.get("object", object_id)
    return None if obj is None else present(ws, obj, record)


def present(ws: Workspace, obj: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The read shape: every attribute of the object keyed by slug, unset ones as []."""
    shown = public(record)
    attributes = values.live_attributes(ws, obj["id"]["object_id"])
    record_id = record["id"]["record_id"]
    shown["web_url"] = f"https://app.attio.com/{ws.info['slug']}/{obj['api_slug']}/{record_id}"
    shown["values"] = values.present_values(ws, attributes, record["_values"])
    return shown


# --- helpers ---------------------------------------------------------------------------------


def _record(ws: Workspace, obj: dict[str, Any], record_id: str) -> dict[str, Any]:
    found = ws.store.get(KIND, record_id) if UUID_TEXT.match(record_id) else None
    if found is None or found["id"]["object_id"] != obj["id"]["object_id"]:
        raise errors.not_found(f'Record with ID "{record_id}" not found.')
    return found


def _int_field(query: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = query.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise errors.validation(
            f"Body payload validation error: '{key}' must be an integer of at least {minimum}."
        )
    return value


_READ = ("record_permission:read", "object_configuration:read")
_WRITE = ("record_permission:read-write", "object_configuration:read")

ROUTES: list[Route] = [
    Route(
        "POST",
        "/v2/objects/{object}/records",
        lambda ws, q, b, object: create_record(ws, object, b),
        _WRITE,
    ),
    Route(
        "POST",
        "/v2/objects/{object}/records/query",
        lambda ws, q, b, object: query_records(ws, object, b),
        _READ,
    ),
    Route(
        "GET",
        "/v2/objects/{object}/records/{record_id}",
        lambda ws, q, b, object, record_id: get_record(ws, object, record_id),
        _READ,
    ),
    Route(
        "DELETE",
        "/v2/objects/{object}/records/{record_id}",
        lambda ws, q, b, object, record_id: delete_record(ws, object, record_id),
        _WRITE,
        wrap=False,
    ),
]
