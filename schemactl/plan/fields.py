"""The managed fields of each kind of item, as plain JSON data that compares equal when equal.

Both sides of a comparison pass through here, so a model read back from Attio after apply
compares equal to the model built from the manifests: durations are canonical, member access
and subscriptions are order-free, and `{ref: …}` values are addresses on both sides.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from schemactl import model as m

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def canonical_duration(text: str | None) -> str | None:
    """`P14D`, `P2W` and `P0Y0M14DT0H0M0S` all become `P14D`; unparsable text is kept as is.

    Only exact equivalences are folded: weeks into days, months into years, and seconds and
    minutes into hours (`PT90M` is `PT1H30M`). Days and hours are never folded into each other:
    a calendar day is not always 24 hours.
    """
    if text is None:
        return None
    match = _DURATION.match(text)
    # A bare `P` or `PT` matches the pattern but names no duration at all.
    if not match or not any(match.groupdict().values()):
        return text
    parts = {k: int(v) for k, v in match.groupdict(0).items() if k != "seconds"}
    years, months = divmod(12 * parts["years"] + parts["months"], 12)
    days = parts["days"] + 7 * parts["weeks"]
    # Decimal, not float: `:g` on a float rounded large second counts (PT1234567S -> 1.23457e+06).
    total = Decimal(match["seconds"] or 0) + 60 * parts["minutes"] + 3600 * parts["hours"]
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    date = "".join(
        f"{value}{unit}" for value, unit in ((years, "Y"), (months, "M"), (days, "D")) if value
    )
    time = "".join(
        f"{value}{unit}" for value, unit in ((int(hours), "H"), (int(minutes), "M")) if value
    )
    if seconds:
        time += f"{seconds.normalize():f}S"
    if not date and not time:
        return "PT0S"
    return f"P{date}" + (f"T{time}" if time else "")


def plain(value: Any) -> Any:
    """JSON data for a value that may hold model Refs (they become `{"ref": "address"}`)."""
    if isinstance(value, m.Ref):
        return {"ref": str(value.address)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def object_fields(item: m.Object) -> dict[str, Any]:
    return {
        "api_slug": item.api_slug,
        "singular_noun": item.singular_noun,
        "plural_noun": item.plural_noun,
    }


def attribute_fields(item: m.Attribute) -> dict[str, Any]:
    currency = item.currency
    relationship = item.relationship
    return {
        "api_slug": item.api_slug,
        "title": item.title,
        "description": item.description,
        "type": item.type,
        "is_required": item.is_required,
        "is_unique": item.is_unique,
        "is_multiselect": item.is_multiselect,
        "default_value": plain(item.default_value),
        "currency": None if currency is None else asdict(currency),
        "allowed_objects": sorted(item.allowed_objects),
        "relationship": None if relationship is None else asdict(relationship),
    }


def option_fields(item: m.SelectOption) -> dict[str, Any]:
    return {"title": item.title}


def status_fields(item: m.Status) -> dict[str, Any]:
    return {
        "title": item.title,
        "celebration_enabled": item.celebration_enabled,
        "target_time_in_status": canonical_duration(item.target_time_in_status),
    }


def list_fields(item: m.List) -> dict[str, Any]:
    return {
        "api_slug": item.api_slug,
        "name": item.name,
        "parent_object": item.parent_object,
        "workspace_access": item.workspace_access,
        "workspace_member_access": sorted(
            (
                {"workspace_member_id": a.workspace_member_id, "level": a.level}
                for a in item.workspace_member_access
            ),
            key=lambda a: a["workspace_member_id"],
        ),
    }


def webhook_fields(item: m.Webhook) -> dict[str, Any]:
    subscriptions = [
        {"event_type": s.event_type, "filter": plain(s.filter)} for s in item.subscriptions
    ]
    # Attio keeps no meaningful order of subscriptions: compare them as a set.
    subscriptions.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return {"target_url": item.target_url, "subscriptions": subscriptions}


def fields_of(item: m.SchemaItem) -> dict[str, Any]:
    """The managed fields of any item."""
    if isinstance(item, m.Object):
        return object_fields(item)
    if isinstance(item, m.Attribute):
        return attribute_fields(item)
    if isinstance(item, m.SelectOption):
        return option_fields(item)
    if isinstance(item, m.Status):
        return status_fields(item)
    if isinstance(item, m.List):
        return list_fields(item)
    return webhook_fields(item)
