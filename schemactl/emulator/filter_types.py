"""Filterable properties per Attio attribute type, and how their values are read and compared."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

Value = dict[str, Any]

TEXT_OPS = frozenset({"$eq", "$in", "$contains", "$starts_with", "$ends_with", "$not_empty"})
EXACT_OPS = frozenset({"$eq", "$in", "$not_empty"})
ORDER_OPS = frozenset({"$eq", "$in", "$gt", "$gte", "$lt", "$lte", "$not_empty"})
BOOL_OPS = frozenset({"$eq", "$not_empty"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?"
)
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Prop:
    """One filterable property of a value: its name, how to read it, what it holds, operators."""

    name: str
    read: Callable[[Value], Any]
    kind: str  # text | number | date | timestamp | bool | choice
    ops: frozenset[str]
    fold: bool = False  # normalised text (addresses, domains): equality ignores case


def _text(name: str, *, fold: bool = False, ops: frozenset[str] = TEXT_OPS) -> Prop:
    return Prop(name, lambda value: value.get(name), "text", ops, fold)


def _exact(name: str, ops: frozenset[str] = EXACT_OPS) -> Prop:
    return _text(name, ops=ops)


def _number(name: str) -> Prop:
    return Prop(name, lambda value: value.get(name), "number", ORDER_OPS)


def _timestamp(name: str) -> Prop:
    return Prop(name, lambda value: value.get(name), "timestamp", ORDER_OPS)


def _choice(name: str) -> Prop:
    """An option or status, matched by title or id; read as the pair (title, id)."""
    id_key = f"{name}_id"

    def read(value: Value) -> tuple[Any, Any]:
        chosen = value.get(name)
        if isinstance(chosen, dict):
            return chosen.get("title"), (chosen.get("id") or {}).get(id_key)
        return None, chosen  # the id-only form some responses use

    return Prop(name, read, "choice", EXACT_OPS)


def _owner_member(value: Value) -> Any:
    owner = value.get("owner_actor") or {}
    return owner.get("id") if owner.get("type") == "workspace-member" else None


_LOCATION_LINES = ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode")
_EMAIL = (
    "email_address",
    "original_email_address",
    "email_domain",
    "email_root_domain",
    "email_local_specifier",
)
# type -> (the property that shorthand values and bare operators address, {name: property})
TYPES: dict[str, tuple[str | None, dict[str, Prop]]] = {
    "text": ("value", {"value": _text("value")}),
    "number": ("value", {"value": _number("value")}),
    "rating": ("value", {"value": _number("value")}),
    "currency": (
        "currency_value",
        {"currency_value": _number("currency_value"), "currency_code": _exact("currency_code")},
    ),
    "date": ("value", {"value": Prop("value", lambda v: v.get("value"), "date", ORDER_OPS)}),
    "timestamp": ("value", {"value": _timestamp("value")}),
    "checkbox": ("value", {"value": Prop("value", lambda v: v.get("value"), "bool", BOOL_OPS)}),
    "select": ("option", {"option": _choice("option"), "active_from": _timestamp("active_from")}),
    "status": ("status", {"status": _choice("status"), "active_from": _timestamp("active_from")}),
    "personal-name": ("full_name", {p: _text(p) for p in ("full_name", "first_name", "last_name")}),
    "email-address": ("email_address", {p: _text(p, fold=True) for p in _EMAIL}),
    "domain": ("domain", {p: _text(p, fold=True) for p in ("domain", "root_domain")}),
    "phone-number": (
        "phone_number",
        {
            # Attio searches the normalised number under this name.
            "phone_number": Prop(
                "phone_number",
                lambda v: v.get("phone_number") or v.get("normalized_phone_number"),
                "text",
                TEXT_OPS,
            ),
            "original_phone_number": _text("original_phone_number"),
            "country_code": _exact("country_code"),
        },
    ),
    "location": (
        None,
        {
            **{p: _text(p) for p in _LOCATION_LINES},
            "country_code": _exact("country_code", EXACT_OPS | {"$starts_with"}),
        },
    ),
    "record-reference": (
        "target_record_id",
        {p: _exact(p) for p in ("target_object", "target_record_id")},
    ),
    "actor-reference": (
        "referenced_actor_id",
        {p: _exact(p) for p in ("referenced_actor_type", "referenced_actor_id")},
    ),
    "interaction": (
        None,
        {
            "interaction_type": _exact("interaction_type"),
            "interacted_at": _timestamp("interacted_at"),
            "owner_member_id": Prop("owner_member_id", _owner_member, "text", EXACT_OPS),
        },
    ),
}
# What a sort without `field` orders by, where no property is addressed by default.
SORT_DEFAULT = {"location": "locality", "interaction": "interacted_at"}


def stored(prop: Prop, raw: Any) -> Any:
    """A read property in comparable form, or None when it holds nothing of its kind."""
    kind = prop.kind
    if kind == "text":
        return (raw.casefold() if prop.fold else raw) if isinstance(raw, str) else None
    if kind == "choice":
        return raw
    if kind == "number":
        return _as_number(raw)
    if kind == "date":
        return raw if isinstance(raw, str) and _is_date(raw) else None
    if kind == "timestamp":
        return _instant(raw) if isinstance(raw, str) else None
    return raw if isinstance(raw, bool) else None


def equals(prop: Prop, raw: Any, want: Any) -> bool:
    if prop.kind == "choice":
        return want in raw  # its title or its id
    return stored(prop, raw) == want


def sort_value(prop: Prop, raw: Any) -> Any:
    """How a value orders: text without regard to case (ties by case), choices by title."""
    if prop.kind == "choice":
        label = raw[0] or raw[1]
        return label.casefold() if isinstance(label, str) else None
    found = stored(prop, raw)
    if prop.kind == "text" and found is not None:
        return found.casefold(), found
    return found


def _as_number(raw: Any) -> float | None:
    """Numbers, and numeric strings (Attio accepts `"399.00"` for currency); never booleans."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            number = float(raw)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _instant(text: str) -> int | None:
    """Nanoseconds since the epoch of an ISO 8601 date or timestamp (UTC unless offset)."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        return None
    day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{hour or '00'}:{minute or '00'}:{second or '00'}")
    except ValueError:
        return None
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment - offset if zone[0] == "+" else moment + offset
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    return seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))
