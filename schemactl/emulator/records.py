"""Records of objects: create, get, delete and query (limit/offset paging, no filters yet).

Values are stored per attribute id, so renamed slugs show on the next read; select options and
statuses are stored by id and looked up fresh when presented.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.workspace import UUID_TEXT, Workspace, payload, public

KIND = "record"
SUPPORTED_TYPES = ("text", "number", "checkbox", "select", "status", "date", "currency")
DEFAULT_QUERY_LIMIT = 500
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_QUERY_FIELDS = {"limit", "offset", "filter", "sorts"}


def create_record(ws: Workspace, object_identifier: str, body: Any) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    object_id = obj["id"]["object_id"]
    data = payload(body, allowed={"values"}, required={"values"})
    raw_values = data["values"]
    if not isinstance(raw_values, dict):
        raise errors.validation("Body payload validation error: 'data.values' must be an object.")
    attributes = [a for a in ws.store.all("attribute", object_id) if not a["is_archived"]]
    parsed: dict[str, list[dict[str, Any]]] = {}
    for key, raw in raw_values.items():
        attribute = _find_attribute(attributes, key)
        parsed[attribute["id"]["attribute_id"]] = _parse_values(ws, attribute, raw)
    for attribute in attributes:
        if attribute["is_required"] and not parsed.get(attribute["id"]["attribute_id"]):
            raise errors.ApiError(
                400,
                "missing_value",
                f'Required value for attribute with slug "{attribute["api_slug"]}" '
                "was not provided.",
            )
    _refuse_unique_conflicts(ws, object_id, attributes, parsed)
    record_id = ws.new_id()
    now = ws.now()
    actor = {"type": "api-token", "id": ws.token_actor_id()}
    stored: dict[str, list[dict[str, Any]]] = {}
    for attribute_id, items in parsed.items():
        if items:
            stored[attribute_id] = [_stamp(item, now, actor) for item in items]
    for attribute in attributes:
        system = _system_value(attribute, record_id, now, ws.token_actor_id())
        if system is not None:
            stored[attribute["id"]["attribute_id"]] = [_stamp(system, now, actor)]
    record = {
        "id": {"workspace_id": ws.id, "object_id": object_id, "record_id": record_id},
        "created_at": now,
        "_values": stored,
    }
    ws.store.insert(KIND, record_id, record, object_id)
    return present(ws, obj, record)


def get_record(ws: Workspace, object_identifier: str, record_id: str) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    return present(ws, obj, _record(ws, obj, record_id))


def delete_record(ws: Workspace, object_identifier: str, record_id: str) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    _record(ws, obj, record_id)
    ws.store.delete(KIND, record_id)
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
    if query.get("filter") or query.get("sorts"):
        raise errors.ApiError(400, "filter_error", "filters are not supported by this emulator yet")
    limit = _int_field(query, "limit", DEFAULT_QUERY_LIMIT, minimum=1)
    offset = _int_field(query, "offset", 0, minimum=0)
    records = ws.store.all(KIND, obj["id"]["object_id"])
    return [present(ws, obj, r) for r in records[offset : offset + limit]]


def present(ws: Workspace, obj: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The read shape: every attribute of the object keyed by slug, unset ones as []."""
    shown = public(record)
    values: dict[str, list[dict[str, Any]]] = {}
    for attribute in ws.store.all("attribute", obj["id"]["object_id"]):
        if attribute["is_archived"]:
            continue
        stored = record["_values"].get(attribute["id"]["attribute_id"], [])
        values[attribute["api_slug"]] = [_resolve(ws, item) for item in stored]
    record_id = record["id"]["record_id"]
    shown["web_url"] = f"https://app.attio.com/{ws.info['slug']}/{obj['api_slug']}/{record_id}"
    shown["values"] = values
    return shown


# --- helpers ---------------------------------------------------------------------------------


def _record(ws: Workspace, obj: dict[str, Any], record_id: str) -> dict[str, Any]:
    found = ws.store.get(KIND, record_id) if UUID_TEXT.match(record_id) else None
    if found is None or found["id"]["object_id"] != obj["id"]["object_id"]:
        raise errors.not_found(f'Record with ID "{record_id}" not found.')
    return found


def _find_attribute(attributes: list[dict[str, Any]], key: str) -> dict[str, Any]:
    for attribute in attributes:
        if key in (attribute["api_slug"], attribute["id"]["attribute_id"]):
            return attribute
    raise errors.value_not_found(f'Cannot find attribute with slug/ID "{key}".')


def _parse_values(ws: Workspace, attribute: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
    slug = attribute["api_slug"]
    if attribute["is_system_attribute"] and not attribute["is_writable"]:
        raise errors.immutable(f'Cannot write values of the system attribute "{slug}".')
    if not attribute["is_writable"]:
        raise errors.immutable(f'The attribute "{slug}" is not writable.')
    attribute_type = attribute["type"]
    if attribute_type not in SUPPORTED_TYPES:
        raise errors.validation(
            f"values of type {attribute_type} are not supported by this emulator yet"
        )
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > 1 and not attribute["is_multiselect"]:
        raise errors.validation(
            f'The attribute "{slug}" accepts a single value, but {len(items)} were given.'
        )
    parsed = [_parse_one(ws, attribute, item) for item in items]
    if attribute_type in ("select", "status"):
        key = "_option_id" if attribute_type == "select" else "_status_id"
        seen: set[str] = set()
        parsed = [p for p in parsed if not (p[key] in seen or seen.add(p[key]))]
    return parsed


def _parse_one(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    attribute_type = attribute["type"]
    slug = attribute["api_slug"]

    def bad(need: str) -> errors.ApiError:
        return errors.validation(f'Invalid value for attribute "{slug}": {need}.')

    if attribute_type == "text":
        item = _unwrap(item, "value")
        if not isinstance(item, str):
            raise bad("expected a string")
        return {"attribute_type": "text", "value": item}
    if attribute_type == "number":
        item = _unwrap(item, "value")
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise bad("expected a number")
        return {"attribute_type": "number", "value": item}
    if attribute_type == "checkbox":
        item = _unwrap(item, "value")
        if item in ("true", "false"):
            item = item == "true"
        if not isinstance(item, bool):
            raise bad("expected a boolean")
        return {"attribute_type": "checkbox", "value": item}
    if attribute_type == "date":
        item = _unwrap(item, "value")
        if not isinstance(item, str) or not _DATE.match(item):
            raise bad('expected a date as "YYYY-MM-DD"')
        try:
            date.fromisoformat(item)
        except ValueError:
            raise bad(f'"{item}" is not a calendar date') from None
        return {"attribute_type": "date", "value": item}
    if attribute_type == "currency":
        item = _unwrap(item, "currency_value")
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise bad("expected a number")
        code = (attribute["config"].get("currency") or {}).get("default_currency_code")
        return {"attribute_type": "currency", "currency_value": item, "currency_code": code}
    kind = "option" if attribute_type == "select" else "status"
    item = _unwrap(item, kind)
    if not isinstance(item, str):
        raise bad(f"expected a {kind} title or id")
    id_key = "option_id" if kind == "option" else "status_id"
    for choice in ws.store.all(kind, attribute["id"]["attribute_id"]):
        if item in (choice["title"], choice["id"][id_key]):
            if choice["is_archived"]:
                raise bad(f'the {kind} "{choice["title"]}" is archived')
            return {"attribute_type": attribute_type, f"_{id_key}": choice["id"][id_key]}
    raise bad(f'no {kind} with title or id "{item}"')


def _unwrap(item: Any, key: str) -> Any:
    """The object form (`{"value": …}`) as well as the shorthand."""
    if isinstance(item, dict) and key in item:
        return item[key]
    return item


def _comparable(item: dict[str, Any]) -> Any:
    return tuple(sorted((k, repr(v)) for k, v in item.items()))


def _refuse_unique_conflicts(
    ws: Workspace,
    object_id: str,
    attributes: list[dict[str, Any]],
    parsed: dict[str, list[dict[str, Any]]],
) -> None:
    unique = {a["id"]["attribute_id"]: a for a in attributes if a["is_unique"]}
    wanted = {
        aid: {_comparable(i) for i in items} for aid, items in parsed.items() if aid in unique
    }
    if not any(wanted.values()):
        return
    for other in ws.store.all(KIND, object_id):
        for attribute_id, keys in wanted.items():
            existing = {_comparable(_strip(i)) for i in other["_values"].get(attribute_id, [])}
            if keys & existing:
                slug = unique[attribute_id]["api_slug"]
                raise errors.ApiError(
                    409,
                    "uniqueness_conflict",
                    f'A record with the same value for the unique attribute "{slug}" '
                    f"already exists: {other['id']['record_id']}.",
                )


_STAMP_KEYS = ("active_from", "active_until", "created_by_actor")


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _STAMP_KEYS}


def _stamp(item: dict[str, Any], now: str, actor: dict[str, Any]) -> dict[str, Any]:
    return {"active_from": now, "active_until": None, "created_by_actor": actor, **item}


def _system_value(
    attribute: dict[str, Any], record_id: str, now: str, token_id: str
) -> dict[str, Any] | None:
    """The values Attio fills in itself: record_id, created_at and created_by."""
    if not attribute["is_system_attribute"]:
        return None
    match attribute["api_slug"], attribute["type"]:
        case "record_id", "text":
            return {"attribute_type": "text", "value": record_id}
        case "created_at", "timestamp":
            return {"attribute_type": "timestamp", "value": now}
        case "created_by", "actor-reference":
            return {
                "attribute_type": "actor-reference",
                "referenced_actor_type": "api-token",
                "referenced_actor_id": token_id,
            }
    return None


def _resolve(ws: Workspace, item: dict[str, Any]) -> dict[str, Any]:
    """A stored value as Attio shows it: options and statuses looked up by id."""
    shown = {k: v for k, v in item.items() if not k.startswith("_")}
    if "_option_id" in item:
        shown["option"] = public(ws.store.get("option", item["_option_id"]) or {})
    if "_status_id" in item:
        shown["status"] = public(ws.store.get("status", item["_status_id"]) or {})
    return shown


def _int_field(query: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = query.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise errors.validation(
            f"Body payload validation error: '{key}' must be an integer of at least {minimum}."
        )
    return value
