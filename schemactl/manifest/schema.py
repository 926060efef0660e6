"""The manifests' JSON Schema: what `schemactl schema` prints and what `validate` enforces.

Rules that need the whole project (references, uniqueness across files) live in `rules.py`.
`errorMessage` and `patternErrorMessage` are the keywords VS Code's JSON service reads, so an
editor shows the same words as `schemactl validate`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from schemactl.attio.standard import STANDARD_OBJECTS
from schemactl.model import CREATABLE_ATTRIBUTE_TYPES, MULTISELECT_TYPES

SLUG_PATTERN = r"^[a-z][a-z0-9_-]*$"
SLUG_HELP = "use lowercase letters, digits, '_' and '-', starting with a letter"
# ISO 8601 duration, e.g. P14D, PT12H, P0Y0M1DT0H0M0S.
DURATION_PATTERN = r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
# Attio's ISO 4217 enum for default_currency_code (40 codes, in Attio's order).
CURRENCY_CODES: tuple[str, ...] = (
    "ARS",
    "AUD",
    "BRL",
    "BGN",
    "CAD",
    "CLP",
    "CNY",
    "COP",
    "CZK",
    "DKK",
    "EUR",
    "HKD",
    "HUF",
    "ISK",
    "INR",
    "ILS",
    "JPY",
    "KES",
    "KRW",
    "MYR",
    "MXN",
    "NTD",
    "NZD",
    "NGN",
    "NOK",
    "XPF",
    "PEN",
    "PHP",
    "PLN",
    "GBP",
    "RWF",
    "SAR",
    "SGD",
    "ZAR",
    "SEK",
    "CHF",
    "THB",
    "AED",
    "UYU",
    "USD",
)
CURRENCY_DISPLAY_TYPES: tuple[str, ...] = ("code", "name", "narrowSymbol", "symbol")
WORKSPACE_ACCESS_LEVELS: tuple[str, ...] = ("full-access", "read-and-write", "read-only")
WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    "call-recording.created",
    "comment.created",
    "comment.resolved",
    "comment.unresolved",
    "comment.deleted",
    "list.created",
    "list.updated",
    "list.deleted",
    "list-attribute.created",
    "list-attribute.updated",
    "list-entry.created",
    "list-entry.updated",
    "list-entry.deleted",
    "object-attribute.created",
    "object-attribute.updated",
    "note.created",
    "note-content.updated",
    "note.updated",
    "note.deleted",
    "record.created",
    "record.merged",
    "record.updated",
    "record.deleted",
    "task.created",
    "task.updated",
    "task.deleted",
    "workspace-member.created",
)


def _slug(title: str = "api_slug") -> dict[str, Any]:
    return {
        "type": "string",
        "title": title,
        "pattern": SLUG_PATTERN,
        "patternErrorMessage": SLUG_HELP,
    }


_TEXT = {"type": "string", "minLength": 1}


def _only_for(
    key: str, types: list[str], message: str, refused: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`key` is refused (or held to `refused`) on attributes whose known type is not in `types`."""
    others = [t for t in CREATABLE_ATTRIBUTE_TYPES if t not in types]
    return {
        "if": {"required": ["type"], "properties": {"type": {"enum": others}}},
        "then": {"properties": {key: {**(refused or {"not": {}}), "errorMessage": message}}},
    }


def _requires_when(type_: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"required": ["type"], "properties": {"type": {"const": type_}}}, "then": then}


def _titled_items(item_properties: dict[str, Any], what: str) -> dict[str, Any]:
    """A list of titles, each either a plain string or a map with a title and more."""
    return {
        "type": "array",
        "items": {
            "anyOf": [
                {**_TEXT, "title": f"{what} title"},
                {
                    "type": "object",
                    "required": ["title"],
                    "additionalProperties": False,
                    "properties": {
                        "title": _TEXT,
                        "renamed_from": {
                            **_TEXT,
                            "description": f"Rename the {what} with this title in place.",
                        },
                        **item_properties,
                    },
                },
            ],
            "errorMessage": f"a {what} is a title, or a map with at least 'title'",
        },
    }


def _attribute_schema() -> dict[str, Any]:
    multiselect_types = [t for t in CREATABLE_ATTRIBUTE_TYPES if t in MULTISELECT_TYPES]
    return {
        "type": "object",
        "description": "An attribute; the key is its api_slug.",
        "required": ["type"],
        "additionalProperties": False,
        "properties": {
            "title": {**_TEXT, "description": "Shown in Attio's UI; defaults from the slug."},
            "description": {"type": ["string", "null"]},
            "type": {"title": "attribute type", "enum": list(CREATABLE_ATTRIBUTE_TYPES)},
            "is_required": {"type": "boolean"},
            "is_unique": {"type": "boolean"},
            "is_multiselect": {"type": "boolean"},
            "default_value": {"$ref": "#/$defs/default_value"},
            "currency": {
                "type": "object",
                "required": ["default_currency_code", "display_type"],
                "additionalProperties": False,
                "properties": {
                    "default_currency_code": {
                        "title": "currency code",
                        "enum": list(CURRENCY_CODES),
                    },
                    "display_type": {
                        "title": "currency display type",
                        "enum": list(CURRENCY_DISPLAY_TYPES),
                    },
                },
            },
            "allowed_objects": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": _slug("object slug"),
            },
            "relationship": {
                "type": "object",
                "description": "Two-way reference: Attio creates the reverse attribute too.",
                "required": ["object", "title", "api_slug", "is_multiselect"],
                "additionalProperties": False,
                "properties": {
                    "object": _slug("object slug"),
                    "title": _TEXT,
                    "api_slug": _slug(),
                    "is_multiselect": {"type": "boolean"},
                },
            },
            "options": _titled_items({}, "select option"),
            "statuses": _titled_items(
                {
                    "celebration_enabled": {"type": "boolean"},
                    "target_time_in_status": {
                        "type": ["string", "null"],
                        "title": "ISO 8601 duration",
                        "pattern": DURATION_PATTERN,
                        "patternErrorMessage": "use an ISO 8601 duration such as P14D or PT12H",
                    },
                },
                "status",
            ),
            "renamed_from": {
                **_slug(),
                "description": "Rename the attribute with this slug in place.",
            },
        },
        "allOf": [
            _only_for("currency", ["currency"], "'currency' is only for currency attributes"),
            _only_for("options", ["select"], "'options' are only for select attributes"),
            _only_for("statuses", ["status"], "'statuses' are only for status attributes"),
            _only_for(
                "allowed_objects",
                ["record-reference"],
                "'allowed_objects' is only for record-reference attributes",
            ),
            _only_for(
                "relationship",
                ["record-reference"],
                "'relationship' is only for record-reference attributes",
            ),
            _only_for(
                "is_multiselect",
                multiselect_types,
                "this attribute type cannot be multiselect; only "
                + ", ".join(multiselect_types)
                + " can",
                refused={"const": False},
            ),
            _requires_when(
                "currency",
                {
                    "required": ["currency"],
                    "errorMessage": "a currency attribute needs "
                    "'currency: {default_currency_code: …, display_type: …}'",
                },
            ),
            _requires_when(
                "record-reference",
                {
                    "anyOf": [{"required": ["allowed_objects"]}, {"required": ["relationship"]}],
                    "errorMessage": "a record-reference attribute needs 'allowed_objects' "
                    "or 'relationship'",
                },
            ),
            _requires_when(
                "select",
                {
                    "properties": {
                        "is_unique": {
                            "const": False,
                            "errorMessage": "select attributes cannot be unique",
                        }
                    }
                },
            ),
        ],
    }


def _attributes_map() -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": _slug("attribute slug"),
        "additionalProperties": {"$ref": "#/$defs/attribute"},
    }


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one manifest file, after template rendering."""

    def standard_object(slug: str) -> dict[str, Any]:
        refused = {
            "not": {},
            "errorMessage": f"{slug} is a standard object: its slug and nouns are Attio's; "
            "declare only its custom attributes here",
        }
        return {
            "type": "object",
            "description": "A standard object: only the custom attributes listed here are managed.",
            "additionalProperties": False,
            "properties": {
                "attributes": _attributes_map(),
                **dict.fromkeys(("singular_noun", "plural_noun", "renamed_from"), refused),
            },
        }

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "schemactl manifest",
        "description": "Part of an Attio workspace's data model. All files of a project merge.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "objects": {
                "type": "object",
                "description": "Objects by api_slug.",
                "propertyNames": _slug("object slug"),
                "properties": {slug: standard_object(slug) for slug in sorted(STANDARD_OBJECTS)},
                "additionalProperties": {"$ref": "#/$defs/custom_object"},
            },
            "lists": {
                "type": "object",
                "description": "Lists by api_slug.",
                "propertyNames": _slug("list slug"),
                "additionalProperties": {"$ref": "#/$defs/list"},
            },
            "webhooks": {"type": "array", "items": {"$ref": "#/$defs/webhook"}},
        },
        "$defs": {
            "custom_object": {
                "type": "object",
                "required": ["singular_noun", "plural_noun"],
                "additionalProperties": False,
                "properties": {
                    "singular_noun": _TEXT,
                    "plural_noun": _TEXT,
                    "attributes": _attributes_map(),
                    "renamed_from": {
                        **_slug(),
                        "description": "Rename the object with this slug in place.",
                    },
                },
            },
            "attribute": _attribute_schema(),
            "default_value": {
                "anyOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["type", "template"],
                        "additionalProperties": False,
                        "properties": {"type": {"const": "dynamic"}, "template": _TEXT},
                    },
                    {
                        "type": "object",
                        "required": ["type", "template"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "static"},
                            "template": {"type": "array"},
                        },
                    },
                ],
                "errorMessage": "default_value is null, {type: dynamic, template: …} "
                "or {type: static, template: [ … ]}",
            },
            "list": {
                "type": "object",
                "required": ["parent_object"],
                "additionalProperties": False,
                "properties": {
                    "name": {**_TEXT, "description": "Defaults from the slug."},
                    "parent_object": _slug("object slug"),
                    "workspace_access": {
                        "title": "workspace access level",
                        "enum": [*WORKSPACE_ACCESS_LEVELS, None],
                    },
                    "workspace_member_access": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["workspace_member_id", "level"],
                            "additionalProperties": False,
                            "properties": {
                                "workspace_member_id": _TEXT,
                                "level": {
                                    "title": "access level",
                                    "enum": list(WORKSPACE_ACCESS_LEVELS),
                                },
                            },
                        },
                    },
                    "attributes": _attributes_map(),
                    "renamed_from": {
                        **_slug(),
                        "description": "Rename the list with this slug in place.",
                    },
                },
            },
            "webhook": {
                "type": "object",
                "required": ["target_url", "subscriptions"],
                "additionalProperties": False,
                "properties": {
                    "target_url": {
                        "type": "string",
                        "title": "webhook target_url",
                        "pattern": r"^https://[^\s/?#]+[^\s]*$",
                        "patternErrorMessage": "Attio delivers webhooks only to https:// URLs",
                    },
                    "subscriptions": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["event_type"],
                            "additionalProperties": False,
                            "properties": {
                                "event_type": {
                                    "title": "webhook event type",
                                    "enum": list(WEBHOOK_EVENT_TYPES),
                                },
                                "filter": {
                                    "anyOf": [{"type": "null"}, {"$ref": "#/$defs/filter"}],
                                    "errorMessage": "a filter is null or "
                                    "{$and|$or: [{field, operator, value}, …]}",
                                },
                            },
                        },
                    },
                },
            },
            "filter": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "errorMessage": "a filter has exactly one of $and or $or, holding a list of "
                "{field, operator, value} conditions",
                "additionalProperties": False,
                "properties": {
                    "$and": {"$ref": "#/$defs/filter_conditions"},
                    "$or": {"$ref": "#/$defs/filter_conditions"},
                },
            },
            "filter_conditions": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["field", "operator", "value"],
                    "additionalProperties": False,
                    "properties": {
                        "field": _TEXT,
                        "operator": {"title": "filter operator", "enum": ["equals", "not_equals"]},
                        "value": {
                            "anyOf": [{"type": "string"}, {"$ref": "#/$defs/ref"}],
                            "errorMessage": "a filter value is a string or {ref: ADDRESS}",
                        },
                    },
                },
            },
            "ref": {
                "type": "object",
                "description": "The live id of another item, resolved when the plan is applied.",
                "required": ["ref"],
                "additionalProperties": False,
                "properties": {"ref": {**_TEXT, "title": "address"}},
            },
        },
    }


@cache
def manifest_validator() -> Draft202012Validator:
    """A validator for manifest_schema(), built once per process."""
    schema = manifest_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)
