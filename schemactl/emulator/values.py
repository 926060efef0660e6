"""Attribute values of records and list entries: writing with history, and presenting.

Stored values are Attio's value objects plus private `_`-keys: select options, statuses and the
objects of record references are kept by id (`_option_id`, `_status_id`, `_target_object_id`)
and looked up fresh when presented, so renames show. Records and entries keep their values as
`{attribute_id: [value, …]}` under `_values`; each list holds the replaced values
(`active_until` set), oldest first, then the active ones (`active_until` null). Only the values
listing with `show_historic` shows the replaced ones. Parsing per attribute type lives in
`value_types`; the names other modules use are re-exported here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from schemactl.emulator import errors
from schemactl.emulator.value_types import (
    COUNTRY_CALLING_CODES,
    READ_ONLY_TYPES,
    SUPPORTED_TYPES,
    active,
    comparable,
    find_attribute,
    holders,
    live_attributes,
    parse_items,
    parse_one,
    parse_values,
)
from schemactl.emulator.workspace import Workspace, is_true, page, public

__all__ = [
    "COUNTRY_CALLING_CODES",
    "READ_ONLY_TYPES",
    "SUPPORTED_TYPES",
    "Mode",
    "Values",
    "active",
    "comparable",
    "default_values",
    "find_attribute",
    "holders",
    "live_attributes",
    "own_id",
    "parse_items",
    "parse_value_map",
    "parse_values",
    "present",
    "present_items",
    "present_values",
    "refuse_unique_conflicts",
    "require",
    "stamp",
    "system_value",
    "value_history",
    "write_values",
]

_PARENT_KEYS = ("workspace_id", "object_id", "list_id")

Values = dict[str, list[dict[str, Any]]]  # attribute_id -> stored values
Mode = Literal["append", "overwrite"]


# --- writing -----------------------------------------------------------------------------------


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
    for attribute in attributes:
        attribute_id = attribute["id"]["attribute_id"]
        if not attribute["is_unique"] or not values.get(attribute_id):
            continue
        for other in holders(ws, kind, parent_id, attribute_id, values[attribute_id]):
            other_id = own_id(other)
            if other_id != exclude_id:
                raise errors.ApiError(
                    409,
                    "uniqueness_conflict",
                    f"A {kind} with the same value for the unique attribute "
                    f'"{attribute["api_slug"]}" already exists: {other_id}.',
                )


def own_id(resource: dict[str, Any]) -> str:
    """A record's record_id or an entry's entry_id: the id key that is not a parent's."""
    return next(v for k, v in resource["id"].items() if k not in _PARENT_KEYS)


def write_values(
    ws: Workspace,
    stored: Values,
    parsed: Values,
    *,
    mode: Mode,
    now: str,
    actor: dict[str, Any],
) -> tuple[Values, list[str]]:
    """`stored` with `parsed` written over it, and the ids of the attributes that changed.

    `overwrite` (PUT) makes each given attribute hold exactly the given values; `append`
    (PATCH) adds them before a multiselect attribute's current values (Attio prepends) and
    replaces a single value. An empty list clears in both modes. Values that stay keep their
    stamps; replaced ones stay as history with `active_until` set to `now`. `stored` itself is
    not modified.
    """
    result: Values = {k: list(v) for k, v in stored.items()}
    changed: list[str] = []
    for attribute_id, items in parsed.items():
        attribute = ws.store.get("attribute", attribute_id) or {}
        keep_others = mode == "append" and bool(attribute.get("is_multiselect")) and bool(items)
        old = result.get(attribute_id, [])
        current = {comparable(v): v for v in active(old)}
        wanted = {comparable(i) for i in items}
        ended = [
            {**v, "active_until": now}
            for key, v in current.items()
            if not keep_others and key not in wanted
        ]
        added = [stamp(i, now, actor) for i in items if comparable(i) not in current]
        if not ended and not added:
            continue
        if keep_others:
            now_active = added + list(current.values())
        else:  # the given order, with values that stay keeping their stamps
            now_active = [current.get(comparable(i)) or stamp(i, now, actor) for i in items]
        history = [v for v in old if v.get("active_until") is not None]
        result[attribute_id] = history + ended + now_active
        changed.append(attribute_id)
    return result, changed


def stamp(item: dict[str, Any], now: str, actor: dict[str, Any]) -> dict[str, Any]:
    """A parsed value as stored: with active_from, active_until and created_by_actor."""
    return {"active_from": now, "active_until": None, "created_by_actor": actor, **item}


def default_values(
    ws: Workspace, attributes: list[dict[str, Any]], given: Values, now: str
) -> Values:
    """Values of attributes with a default that `given` does not mention, for a create."""
    defaults: Values = {}
    for attribute in attributes:
        attribute_id = attribute["id"]["attribute_id"]
        default = attribute.get("default_value")
        if attribute_id in given or not attribute.get("is_default_value_enabled") or not default:
            continue
        if default["type"] == "static":
            defaults[attribute_id] = [
                parse_one(ws, attribute, item) for item in default["template"]
            ]
        elif attribute["type"] in ("date", "timestamp"):
            moment = _after(datetime.fromisoformat(now[:26]).replace(tzinfo=UTC), default)
            value = (
                moment.date().isoformat()
                if attribute["type"] == "date"
                else moment.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
            )
            defaults[attribute_id] = [{"attribute_type": attribute["type"], "value": value}]
        # A dynamic "current-user" names the workspace member writing; writes here are made
        # with an API token, which is no member, so such an attribute is left empty.
    return defaults


# --- reading -----------------------------------------------------------------------------------


def present_values(
    ws: Workspace, attributes: list[dict[str, Any]], stored: Values
) -> dict[str, list[dict[str, Any]]]:
    """The read shape: every attribute keyed by slug, unset ones as []."""
    return {
        attribute["api_slug"]: present_items(
            ws, active(stored.get(attribute["id"]["attribute_id"], []))
        )
        for attribute in attributes
    }


def present_items(ws: Workspace, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored values as Attio shows them, leaving out references to deleted records."""
    return [present(ws, item) for item in items if _target_exists(ws, item)]


def present(ws: Workspace, item: dict[str, Any]) -> dict[str, Any]:
    """A stored value as Attio shows it: options, statuses and objects looked up by id."""
    shown = {k: v for k, v in item.items() if not k.startswith("_")}
    if "_option_id" in item:
        shown["option"] = public(ws.store.get("option", item["_option_id"]) or {})
    if "_status_id" in item:
        shown["status"] = public(ws.store.get("status", item["_status_id"]) or {})
    if "_target_object_id" in item:
        target = ws.store.get("object", item["_target_object_id"]) or {}
        shown["target_object"] = target.get("api_slug") or item["target_object"]
    return shown


def _target_exists(ws: Workspace, item: dict[str, Any]) -> bool:
    if item.get("attribute_type") != "record-reference":
        return True
    return ws.store.get("record", item["target_record_id"]) is not None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([YMWDHS])")


def _after(moment: datetime, default: dict[str, Any]) -> datetime:
    """`moment` plus an ISO 8601 duration such as P1M or P0Y0M1DT2H (a dynamic default)."""
    date_part, _, time_part = default["template"][1:].partition("T")
    months = 0
    delta = timedelta()
    for amount, unit in _DURATION_PART.findall(date_part):
        if unit in "YM":
            months += int(float(amount)) * (12 if unit == "Y" else 1)
        else:
            delta += timedelta(days=float(amount) * (7 if unit == "W" else 1))
    for amount, unit in _DURATION_PART.findall(time_part):
        delta += timedelta(**{{"H": "hours", "M": "minutes", "S": "seconds"}[unit]: float(amount)})
    if months:
        year, month = divmod(moment.month - 1 + months, 12)
        day = min(moment.day, 28)  # keeps every month valid; defaults need no more precision
        moment = moment.replace(year=moment.year + year, month=month + 1, day=day)
    return moment + delta


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


def value_history(
    ws: Workspace, attribute: dict[str, Any], holder: dict[str, Any], query: dict[str, str]
) -> list[dict[str, Any]]:
    """`GET …/attributes/{attribute}/values` of a record or entry: the active values, or with
    `show_historic=true` every value ever held, oldest first; paged by `limit` and `offset`."""
    raw = query.get("show_historic")
    if raw is not None and raw.lower() not in ("true", "false"):
        raise errors.validation("Query parameter 'show_historic' must be true or false.")
    historic = is_true(raw)
    if historic and attribute["type"] in READ_ONLY_TYPES:
        raise errors.validation(
            "Cannot set show_historic param to true when querying a COMINT attribute."
        )
    stored = holder["_values"].get(attribute["id"]["attribute_id"], [])
    chosen = sorted(stored, key=lambda item: item["active_from"]) if historic else active(stored)
    return page(present_items(ws, chosen), query.get("limit"), query.get("offset"), default=None)
