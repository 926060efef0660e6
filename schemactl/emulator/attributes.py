"""Attributes of objects and lists: list (paged), get, create, update, archive and restore."""

from __future__ import annotations

import re
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.workspace import (
    Workspace,
    flag,
    invalid,
    is_true,
    page,
    payload,
    public,
    slug,
    text,
)

TYPES = (
    "text number checkbox currency date timestamp rating status select record-reference "
    "actor-reference location domain email-address phone-number"
).split()
MULTISELECT_TYPES = {
    "select",
    "record-reference",
    "actor-reference",
    "email-address",
    "phone-number",
    "domain",
}
CURRENCY_CODES = (
    "ARS AUD BRL BGN CAD CLP CNY COP CZK DKK EUR HKD HUF ISK INR ILS JPY KES KRW MYR MXN NTD NZD "
    "NGN NOK XPF PEN PHP PLN GBP RWF SAR SGD ZAR SEK CHF THB AED UYU USD"
).split()
DISPLAY_TYPES = ("code", "name", "narrowSymbol", "symbol")
DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)

_CREATE_REQUIRED = {
    "title",
    "description",
    "api_slug",
    "type",
    "is_required",
    "is_unique",
    "is_multiselect",
    "config",
}
_CREATE_ALLOWED = _CREATE_REQUIRED | {"default_value", "relationship"}
_UPDATE_ALLOWED = {
    "title",
    "description",
    "api_slug",
    "is_required",
    "is_unique",
    "default_value",
    "config",
    "is_archived",
}
_IMMUTABLE = ("type", "is_multiselect", "relationship")


def present(ws: Workspace, attribute: dict[str, Any]) -> dict[str, Any]:
    """The read shape; the reverse side of a relationship is looked up fresh, so renames show."""
    shown = public(attribute)
    partner = (
        ws.store.get("attribute", attribute["_partner"]) if attribute.get("_partner") else None
    )
    if partner is not None:
        partner_parent = ws.store.get("object", partner["id"]["object_id"]) or {}
        shown["relationship"] = {
            "id": partner["id"],
            "object_slug": partner_parent.get("api_slug"),
            "title": partner["title"],
            "api_slug": partner["api_slug"],
            "is_multiselect": partner["is_multiselect"],
        }
    return shown


def list_attributes(ws: Workspace, target: str, identifier: str, query: dict[str, str]) -> list:
    parent = ws.parent(target, identifier)
    attributes = ws.store.all("attribute", ws.parent_id(parent))
    if not is_true(query.get("show_archived")):
        attributes = [a for a in attributes if not a["is_archived"]]
    chosen = page(attributes, query.get("limit"), query.get("offset"), default=None)
    return [present(ws, a) for a in chosen]


def get_attribute(ws: Workspace, target: str, identifier: str, attribute: str) -> dict[str, Any]:
    parent = ws.parent(target, identifier)
    return present(ws, ws.attribute(parent, attribute))


def create_attribute(ws: Workspace, target: str, identifier: str, body: Any) -> dict[str, Any]:
    parent = ws.parent(target, identifier)
    data = payload(body, allowed=_CREATE_ALLOWED, required=_CREATE_REQUIRED)
    attribute_type = data.get("type")
    if attribute_type not in TYPES:
        raise errors.validation(
            f"Body payload validation error: 'data.type' must be one of: {', '.join(TYPES)}."
        )
    values: dict[str, Any] = {
        "title": text(data, "title"),
        "description": text(data, "description", nullable=True, min_length=0),
        "api_slug": slug(data),
        "type": attribute_type,
        "is_required": flag(data, "is_required"),
        "is_unique": flag(data, "is_unique"),
        "is_multiselect": flag(data, "is_multiselect"),
    }
    if values["is_multiselect"] and attribute_type not in MULTISELECT_TYPES:
        raise errors.validation(f"Attributes of type {attribute_type} cannot be multiselect.")
    if values["is_unique"] and attribute_type == "select":
        raise errors.validation("Select attributes cannot be unique.")
    parent_id = ws.parent_id(parent)
    _refuse_taken_slug(ws, parent_id, values["api_slug"])
    relationship = data.get("relationship")
    config = _config(ws, attribute_type, data.get("config"), relationship)
    default_value = _default_value(attribute_type, data.get("default_value"), parent)
    attribute_id = ws.new_id()
    resource = _resource(ws, parent_id, attribute_id, values, config, default_value, target)
    partner = None
    if relationship is not None:
        partner = _relationship_partner(ws, target, parent, resource, relationship)
        resource["_partner"] = partner["id"]["attribute_id"]
    ws.store.insert("attribute", attribute_id, resource, parent_id)
    _emit(ws, "created", resource)
    if partner is not None:  # the reverse side is a new attribute of the other object
        _emit(ws, "created", partner)
    return present(ws, resource)


def _emit(ws: Workspace, change: str, attribute: dict[str, Any]) -> None:
    """`object-attribute.*` or `list-attribute.*`, with the id shape Attio's events use.

    Stored attributes of lists keep their parent under `object_id` (as the API shows it);
    list-attribute events name it `list_id`.
    """
    ids = attribute["id"]
    if attribute.get("_target") == "lists":
        parent = {"list_id": ids["object_id"]}
        event_type = f"list-attribute.{change}"
    else:
        parent = {"object_id": ids["object_id"]}
        event_type = f"object-attribute.{change}"
    ws.emit(
        event_type,
        {"workspace_id": ids["workspace_id"], **parent, "attribute_id": ids["attribute_id"]},
    )


def _resource(
    ws: Workspace,
    parent_id: str,
    attribute_id: str,
    values: dict[str, Any],
    config: dict[str, Any],
    default_value: Any,
    target: str,
) -> dict[str, Any]:
    return {
        "id": {"workspace_id": ws.id, "object_id": parent_id, "attribute_id": attribute_id},
        **values,
        "is_system_attribute": False,
        "is_writable": True,
        "is_default_value_enabled": default_value is not None,
        "is_archived": False,
        "default_value": default_value,
        "relationship": None,
        "created_at": ws.now(),
        "config": config,
        "_target": target,
    }


def _relationship_partner(
    ws: Workspace,
    target: str,
    parent: dict[str, Any],
    resource: dict[str, Any],
    relationship: Any,
) -> dict[str, Any]:
    """Create the reverse attribute a relationship implies, on the other object."""
    if target != "objects" or resource["type"] != "record-reference":
        raise errors.validation(
            "Relationships are only for record-reference attributes of objects."
        )
    if not isinstance(relationship, dict):
        raise invalid("relationship", "must be an object")
    expected = {"object", "title", "api_slug", "is_multiselect"}
    unknown = sorted(set(relationship) - expected)
    missing = sorted(expected - set(relationship))
    if unknown or missing:
        key = (unknown or missing)[0]
        problem = "unrecognised" if unknown else "required"
        raise errors.validation(
            f"Body payload validation error: 'data.relationship.{key}' {problem}."
        )
    other = ws.object(text(relationship, "object"))
    other_id = other["id"]["object_id"]
    allowed = resource["config"]["record_reference"]["allowed_object_ids"]
    if allowed and allowed != [other_id]:
        raise errors.validation(
            "With a relationship, allowed_objects must contain only its object."
        )
    resource["config"]["record_reference"]["allowed_object_ids"] = [other_id]
    reverse_slug = slug(relationship)
    _refuse_taken_slug(ws, other_id, reverse_slug)
    partner_id = ws.new_id()
    partner = _resource(
        ws,
        other_id,
        partner_id,
        {
            "title": text(relationship, "title"),
            "description": None,
            "api_slug": reverse_slug,
            "type": "record-reference",
            "is_required": False,
            "is_unique": False,
            "is_multiselect": flag(relationship, "is_multiselect"),
        },
        {**empty_config(), "record_reference": {"allowed_object_ids": [ws.parent_id(parent)]}},
        None,
        "objects",
    )
    partner["_partner"] = resource["id"]["attribute_id"]
    ws.store.insert("attribute", partner_id, partner, other_id)
    return partner


def update_attribute(
    ws: Workspace, target: str, identifier: str, attribute: str, body: Any
) -> dict[str, Any]:
    parent = ws.parent(target, identifier)
    current = ws.attribute(parent, attribute)
    # The body is validated before the attribute's own rules, as for objects and lists.
    payload(body, allowed=_UPDATE_ALLOWED | set(_IMMUTABLE))
    if current["is_system_attribute"]:
        raise errors.system_edit("Cannot update a System attribute.")
    for key in _IMMUTABLE:
        if key in body["data"]:
            raise errors.immutable(
                f"'{key}' cannot be changed after an attribute is created; "
                "create a new attribute and migrate the data."
            )
    data = payload(body, allowed=_UPDATE_ALLOWED)
    if not data:
        raise errors.validation("Body payload validation error: 'data' must change something.")
    updated = dict(current)
    for key in ("title",):
        if key in data:
            updated[key] = text(data, key)
    if "description" in data:
        updated["description"] = text(data, "description", nullable=True, min_length=0)
    for key in ("is_required", "is_unique", "is_archived"):
        if key in data:
            updated[key] = flag(data, key)
    if updated["is_unique"] and updated["type"] == "select":
        raise errors.validation("Select attributes cannot be unique.")
    if "api_slug" in data:
        new_slug = slug(data)
        if new_slug != current["api_slug"]:
            _refuse_taken_slug(ws, ws.parent_id(parent), new_slug)
        updated["api_slug"] = new_slug
    if "config" in data:
        updated["config"] = _config(
            ws, current["type"], data["config"], None, partial=True, current=current["config"]
        )
    if "default_value" in data:
        updated["default_value"] = _default_value(current["type"], data["default_value"], parent)
        updated["is_default_value_enabled"] = updated["default_value"] is not None
    ws.store.update("attribute", current["id"]["attribute_id"], updated)
    _emit(ws, "updated", updated)
    return present(ws, updated)


def _refuse_taken_slug(ws: Workspace, parent_id: str, api_slug: str) -> None:
    if any(a["api_slug"] == api_slug for a in ws.store.all("attribute", parent_id)):
        raise errors.slug_conflict(
            f"An attribute with the same API slug already exists on this object ({api_slug})."
        )


def empty_config() -> dict[str, Any]:
    return {
        "currency": {"default_currency_code": None, "display_type": None},
        "record_reference": {"allowed_object_ids": None},
    }


def _config(
    ws: Workspace,
    attribute_type: str,
    raw: Any,
    relationship: Any,
    *,
    partial: bool = False,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate a write-shaped config and turn it into the read shape."""
    if not isinstance(raw, dict):
        raise invalid("config", "must be an object")
    unknown = sorted(set(raw) - {"currency", "record_reference"})
    if unknown:
        raise invalid(f"config.{unknown[0]}", "is not a recognised field")
    config = current if current is not None else empty_config()
    config = {k: dict(v) for k, v in config.items()}
    currency = raw.get("currency")
    if currency is not None:
        if attribute_type != "currency":
            raise errors.validation("'config.currency' is only for currency attributes.")
        if not isinstance(currency, dict):
            raise invalid("config.currency", "must be an object")
        code, display = currency.get("default_currency_code"), currency.get("display_type")
        if code not in CURRENCY_CODES:
            raise invalid(
                "config.currency.default_currency_code", "is not a supported currency code"
            )
        if display not in DISPLAY_TYPES:
            raise invalid(
                "config.currency.display_type", "must be one of: code, name, narrowSymbol, symbol"
            )
        config["currency"] = {"default_currency_code": code, "display_type": display}
    elif attribute_type == "currency" and not partial:
        raise invalid("config.currency", "is required for currency attributes")
    reference = raw.get("record_reference")
    if reference is not None:
        if attribute_type != "record-reference":
            raise errors.validation(
                "'config.record_reference' is only for record-reference attributes."
            )
        allowed = reference.get("allowed_objects") if isinstance(reference, dict) else None
        if (
            not isinstance(allowed, list)
            or not allowed
            or not all(isinstance(a, str) for a in allowed)
        ):
            raise invalid(
                "config.record_reference.allowed_objects", "must list at least one object"
            )
        config["record_reference"] = {
            "allowed_object_ids": [ws.object(a)["id"]["object_id"] for a in allowed]
        }
    elif attribute_type == "record-reference" and relationship is None and not partial:
        raise invalid(
            "config.record_reference.allowed_objects", "is required for record-reference attributes"
        )
    return config


def _default_value(attribute_type: str, raw: Any, parent: dict[str, Any]) -> Any:
    if raw is None:
        return None
    if parent.get("api_slug") in ("people", "companies") and "object_id" in parent["id"]:
        raise errors.validation(
            "Default values are not currently supported on people or company objects."
        )
    if (
        not isinstance(raw, dict)
        or raw.get("type") not in ("static", "dynamic")
        or "template" not in raw
    ):
        raise invalid("default_value", "must be {type: static|dynamic, template}")
    template = raw["template"]
    if raw["type"] == "dynamic":
        if attribute_type == "actor-reference" and template == "current-user":
            return {"type": "dynamic", "template": template}
        if (
            attribute_type in ("date", "timestamp")
            and isinstance(template, str)
            and DURATION.match(template)
        ):
            return {"type": "dynamic", "template": template}
        raise errors.validation(
            f"Dynamic default value '{template}' is not valid for {attribute_type} attributes."
        )
    if not isinstance(template, list) or not all(isinstance(item, dict) for item in template):
        raise invalid("default_value.template", "must be an array of value objects")
    # Written as input values ({"value": 5}); Attio reads them back as output values, which
    # carry their attribute_type. Values are not checked further.
    return {
        "type": "static",
        "template": [item | {"attribute_type": attribute_type} for item in template],
    }
