"""Build the desired model from validated declarations, filling Attio's defaults."""

from __future__ import annotations

from typing import Any

from schemactl import model as m
from schemactl.address import Address
from schemactl.attio.standard import STANDARD_OBJECTS, system_attribute_type
from schemactl.manifest.merge import Declarations, Declared


def title_from_slug(slug: str) -> str:
    """`deal_value` -> `Deal value`: Attio's own titles are in sentence case."""
    words = slug.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def build_workspace(declarations: Declarations) -> m.Workspace:
    """The desired workspace; call only after the declarations validated cleanly."""
    objects = tuple(_object(d) for d in declarations.objects.values())
    lists = tuple(_list(d) for d in declarations.lists.values())
    webhooks = tuple(_webhook(d) for d in declarations.webhooks.values())
    return m.Workspace(objects=objects, lists=lists, webhooks=webhooks)


def _object(declared: Declared) -> m.Object:
    slug = declared.address.name
    data = declared.data
    return m.Object(
        api_slug=slug,
        singular_noun=data.get("singular_noun"),
        plural_noun=data.get("plural_noun"),
        attributes=tuple(_attribute(a, slug) for a in declared.attributes()),
        is_standard=slug in STANDARD_OBJECTS,
        renamed_from=data.get("renamed_from"),
    )


def _list(declared: Declared) -> m.List:
    data = declared.data
    return m.List(
        api_slug=declared.address.name,
        name=data.get("name") or title_from_slug(declared.address.name),
        parent_object=data["parent_object"],
        workspace_access=data.get("workspace_access", "full-access"),
        workspace_member_access=tuple(
            m.MemberAccess(a["workspace_member_id"], a["level"])
            for a in data.get("workspace_member_access") or ()
        ),
        attributes=tuple(_attribute(a, None) for a in declared.attributes()),
        renamed_from=data.get("renamed_from"),
    )


def _attribute(declared: Declared, object_slug: str | None) -> m.Attribute:
    slug = declared.address.name
    data = declared.data
    system_type = system_attribute_type(object_slug, slug) if object_slug else None
    currency = data.get("currency")
    relationship = data.get("relationship")
    allowed = data.get("allowed_objects")
    if allowed is None and relationship:
        allowed = [relationship["object"]]
    return m.Attribute(
        api_slug=slug,
        title=data.get("title") or title_from_slug(slug),
        type=data.get("type") or system_type or "",
        description=data.get("description"),
        is_required=bool(data.get("is_required", False)),
        is_unique=bool(data.get("is_unique", False)),
        is_multiselect=bool(data.get("is_multiselect", False)),
        default_value=data.get("default_value"),
        currency=m.CurrencyConfig(**currency) if currency else None,
        allowed_objects=tuple(allowed or ()),
        relationship=m.Relationship(**relationship) if relationship else None,
        options=tuple(_option(o) for o in data.get("options") or ()),
        statuses=tuple(_status(s) for s in data.get("statuses") or ()),
        is_system=system_type is not None,
        renamed_from=data.get("renamed_from"),
    )


def _option(item: str | dict[str, Any]) -> m.SelectOption:
    if isinstance(item, str):
        return m.SelectOption(title=item)
    return m.SelectOption(title=item["title"], renamed_from=item.get("renamed_from"))


def _status(item: str | dict[str, Any]) -> m.Status:
    if isinstance(item, str):
        return m.Status(title=item)
    return m.Status(
        title=item["title"],
        celebration_enabled=bool(item.get("celebration_enabled", False)),
        target_time_in_status=item.get("target_time_in_status"),
        renamed_from=item.get("renamed_from"),
    )


def _webhook(declared: Declared) -> m.Webhook:
    return m.Webhook(
        target_url=declared.data["target_url"],
        subscriptions=tuple(
            m.Subscription(s["event_type"], _with_refs(s.get("filter")))
            for s in declared.data["subscriptions"]
        ),
    )


def _with_refs(value: Any) -> Any:
    """Replace each `{ref: ADDRESS}` in a filter with a model Ref."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return m.Ref(Address.parse(value["ref"]))
        return {k: _with_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_refs(v) for v in value]
    return value
