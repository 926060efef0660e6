"""Attribute values of records and list entries: parsing per attribute type, and presenting.

Stored values are Attio's value objects plus private `_`-keys: select options and statuses are
kept by id (`_option_id`, `_status_id`) and looked up fresh when presented, so renames show.
Records and entries keep their values as `{attribute_id: [value, …]}` under `_values`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.workspace import Workspace, public

SUPPORTED_TYPES = ("text", "number", "checkbox", "select", "status", "date", "currency")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STAMP_KEYS = ("active_from", "active_until", "created_by_actor")

Values = dict[str, list[dict[str, Any]]]  # attribute_id -> stored values


def live_attributes(ws: Workspace, parent_id: str) -> list[dict[str, Any]]:
    """The unarchived attributes of an object or list, in creation order."""
    return [a for a in ws.store.all("attribute", parent_id) if not a["is_archived"]]


def find_attribute(attributes: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """An attribute by slug or id among `attributes`; 400 value_not_found otherwise."""
    for attribute in attributes:
        if key in (attribute["api_slug"], attribute["id"]["attribute_id"]):
            return attribute
    raise errors.value_not_found(f'Cannot find attribute with slug/ID "{key}".')


def parse_value_map(
    ws: Workspace, attributes: list[dict[str, Any]], raw_values: Any, field: str = "values"
) -> Values:
    """`{"slug-or-id": value-or-values}` from a request, parsed and validated per type."""
    if not isinstance(raw_values, dict):
        raise errors.validation(f"Body payload validation error: 'data.{field}' must be an object.")
    parsed: Values = {}
    for key, raw in raw_values.items():
        attribute = find_attribute(attributes, key)
        parsed[attribute["id"]["attribute_id"]] = parse_values(ws, attribute, raw)
    return parsed


def require(attributes: list[dict[str, Any]], values: Values) -> None:
    """400 missing_value for the first required attribute without a value."""
    for attribute in attributes:
        if attribute["is_required"] and not values.get(attribute["id"]["attribute_id"]):
            raise errors.ApiError(
                400,
                "missing_value",
                f'Required value for attribute with slug "{attribute["api_slug"]}" '
                "was not provided.",
            )


def refuse_unique_conflicts(
    ws: Workspace,
    kind: str,
    parent_id: str,
    attributes: list[dict[str, Any]],
    values: Values,
    *,
    exclude_id: str | None = None,
) -> None:
    """409 uniqueness_conflict when another `kind` under `parent_id` holds a unique value."""
    unique = {a["id"]["attribute_id"]: a for a in attributes if a["is_unique"]}
    wanted = {aid: {comparable(i) for i in items} for aid, items in values.items() if aid in unique}
    if not any(wanted.values()):
        return
    for other in ws.store.all(kind, parent_id):
        other_id = next(iter(v for k, v in other["id"].items() if k not in _PARENT_KEYS))
        if other_id == exclude_id:
            continue
        for attribute_id, keys in wanted.items():
            existing = {comparable(i) for i in other["_values"].get(attribute_id, [])}
            if keys & existing:
                slug = unique[attribute_id]["api_slug"]
                raise errors.ApiError(
                    409,
                    "uniqueness_conflict",
                    f'A {kind} with the same value for the unique attribute "{slug}" '
                    f"already exists: {other_id}.",
                )


_PARENT_KEYS = ("workspace_id", "object_id", "list_id")


def comparable(item: dict[str, Any]) -> Any:
    """A value's identity, ignoring when and by whom it was written."""
    return tuple(sorted((k, repr(v)) for k, v in item.items() if k not in _STAMP_KEYS))


def stamp(item: dict[str, Any], now: str, actor: dict[str, Any]) -> dict[str, Any]:
    """A parsed value as stored: with active_from, active_until and created_by_actor."""
    return {"active_from": now, "active_until": None, "created_by_actor": actor, **item}


def present_values(
    ws: Workspace, attributes: list[dict[str, Any]], stored: Values
) -> dict[str, list[dict[str, Any]]]:
    """The read shape: every attribute keyed by slug, unset ones as []."""
    return {
        attribute["api_slug"]: [
            present(ws, item) for item in stored.get(attribute["id"]["attribute_id"], [])
        ]
        for attribute in attributes
    }


def present(ws: Workspace, item: dict[str, Any]) -> dict[str, Any]:
    """A stored value as Attio shows it: options and statuses looked up by id."""
    shown = {k: v for k, v in item.items() if not k.startswith("_")}
    if "_option_id" in item:
        shown["option"] = public(ws.store.get("option", item["_option_id"]) or {})
    if "_status_id" in item:
        shown["status"] = public(ws.store.get("status", item["_status_id"]) or {})
    return shown


def parse_values(ws: Workspace, attribute: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
    """One attribute's value(s) from a request: a single value, a list, or null (clear)."""
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
    seen: set[Any] = set()
    return [p for p in parsed if not (comparable(p) in seen or seen.add(comparable(p)))]


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


def system_value(
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
