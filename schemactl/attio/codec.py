"""Translate Attio's read shapes into the model (ids into slugs and addresses)."""

from __future__ import annotations

from typing import Any

from schemactl import model as m
from schemactl.address import Address
from schemactl.attio.standard import STANDARD_OBJECT_SLUGS


def decode_object(data: dict[str, Any], attributes: tuple[m.Attribute, ...] = ()) -> m.Object:
    return m.Object(
        api_slug=data["api_slug"],
        singular_noun=data.get("singular_noun"),
        plural_noun=data.get("plural_noun"),
        attributes=attributes,
        # Attio's read shape does not say which objects are standard; their slugs do.
        is_standard=data["api_slug"] in STANDARD_OBJECT_SLUGS,
        id=data["id"]["object_id"],
    )


def decode_attribute(
    data: dict[str, Any],
    object_slugs: dict[str, str],
    options: tuple[m.SelectOption, ...] = (),
    statuses: tuple[m.Status, ...] = (),
) -> m.Attribute:
    """One attribute; `object_slugs` maps object ids to slugs for `allowed_object_ids`."""
    config = data.get("config") or {}
    currency = config.get("currency") or {}
    allowed_ids = (config.get("record_reference") or {}).get("allowed_object_ids") or []
    relationship = data.get("relationship")
    return m.Attribute(
        api_slug=data["api_slug"],
        title=data["title"],
        type=data["type"],
        description=data.get("description"),
        is_required=bool(data.get("is_required")),
        is_unique=bool(data.get("is_unique")),
        is_multiselect=bool(data.get("is_multiselect")),
        default_value=data.get("default_value"),
        currency=m.CurrencyConfig(currency["default_currency_code"], currency["display_type"])
        if data["type"] == "currency" and currency.get("default_currency_code")
        else None,
        # An id we cannot name is kept as is, so the difference still shows.
        allowed_objects=tuple(object_slugs.get(i, i) for i in allowed_ids),
        relationship=m.Relationship(
            object=relationship["object_slug"],
            title=relationship["title"],
            api_slug=relationship["api_slug"],
            is_multiselect=relationship["is_multiselect"],
        )
        if relationship
        else None,
        options=options,
        statuses=statuses,
        is_archived=bool(data.get("is_archived")),
        is_system=bool(data.get("is_system_attribute")),
        id=data["id"]["attribute_id"],
    )


def decode_option(data: dict[str, Any]) -> m.SelectOption:
    return m.SelectOption(
        title=data["title"], is_archived=bool(data.get("is_archived")), id=data["id"]["option_id"]
    )


def decode_status(data: dict[str, Any]) -> m.Status:
    return m.Status(
        title=data["title"],
        celebration_enabled=bool(data.get("celebration_enabled")),
        target_time_in_status=data.get("target_time_in_status"),
        is_archived=bool(data.get("is_archived")),
        id=data["id"]["status_id"],
    )


def decode_list(data: dict[str, Any], attributes: tuple[m.Attribute, ...] = ()) -> m.List:
    parents = data.get("parent_object") or []
    parent = parents[0] if isinstance(parents, list) and parents else parents
    return m.List(
        api_slug=data["api_slug"],
        name=data["name"],
        parent_object=parent or "",
        workspace_access=data.get("workspace_access"),
        workspace_member_access=tuple(
            m.MemberAccess(a["workspace_member_id"], a["level"])
            for a in data.get("workspace_member_access") or ()
        ),
        attributes=attributes,
        id=data["id"]["list_id"],
    )


def decode_webhook(data: dict[str, Any], known_ids: dict[str, Address]) -> m.Webhook:
    """A webhook whose filter values that are ids of known items become Refs, as manifests say."""
    return m.Webhook(
        target_url=data["target_url"],
        subscriptions=tuple(
            m.Subscription(s["event_type"], _refs_from_ids(s.get("filter"), known_ids))
            for s in data.get("subscriptions") or ()
        ),
        status=data.get("status"),
        id=data["id"]["webhook_id"],
    )


def _refs_from_ids(value: Any, known_ids: dict[str, Address]) -> Any:
    if isinstance(value, dict):
        return {
            key: m.Ref(known_ids[item])
            if key == "value" and isinstance(item, str) and item in known_ids
            else _refs_from_ids(item, known_ids)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_refs_from_ids(item, known_ids) for item in value]
    return value
