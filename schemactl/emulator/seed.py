"""A new workspace as Attio makes it: standard objects, their system attributes, one member."""

from __future__ import annotations

from typing import Any

from schemactl.emulator.attributes import empty_config
from schemactl.emulator.choices import insert_choice
from schemactl.emulator.workspace import Workspace

# (slug, title, type, flags): flags are letters — m multiselect, u unique, r required,
# w writable. Source: the reference notes on the real API, section 7.
_Spec = tuple[str, str, str, str]
_COMMON: list[_Spec] = [
    ("record_id", "Record ID", "text", "u"),
    ("created_at", "Created at", "timestamp", ""),
    ("created_by", "Created by", "actor-reference", ""),
]
_SOCIAL: list[_Spec] = [
    (s, t, "text", "w")
    for s, t in (
        ("angellist", "AngelList"),
        ("facebook", "Facebook"),
        ("instagram", "Instagram"),
        ("linkedin", "LinkedIn"),
        ("twitter", "Twitter"),
    )
]
_INTERACTIONS: list[_Spec] = [
    (f"{when}_{kind}interaction", f"{when.title()} {label}interaction", "interaction", "")
    for when in ("first", "last", "next")
    for kind, label in (("calendar_", "calendar "), ("email_", "email "), ("", ""))
]
_CONNECTION: list[_Spec] = [
    ("strongest_connection_strength", "Connection strength", "select", ""),
    ("strongest_connection_strength_legacy", "Connection strength (legacy)", "number", ""),
    ("strongest_connection_user", "Strongest connection", "actor-reference", ""),
]
STANDARD: dict[str, tuple[str, str, list[_Spec]]] = {
    "people": (
        "Person",
        "People",
        [
            ("name", "Name", "personal-name", "w"),
            ("email_addresses", "Email addresses", "email-address", "muw"),
            ("description", "Description", "text", "w"),
            ("company", "Company", "record-reference", "w"),
            ("job_title", "Job title", "text", "w"),
            ("phone_numbers", "Phone numbers", "phone-number", "mw"),
            ("primary_location", "Primary location", "location", "w"),
            *_SOCIAL,
            ("associated_deals", "Associated deals", "record-reference", "mw"),
            ("associated_users", "Associated users", "record-reference", "mw"),
            ("avatar_url", "Avatar URL", "text", ""),
            ("twitter_follower_count", "Twitter follower count", "number", ""),
            *_INTERACTIONS,
            *_CONNECTION,
            *_COMMON,
        ],
    ),
    "companies": (
        "Company",
        "Companies",
        [
            ("domains", "Domains", "domain", "muw"),
            ("name", "Name", "text", "w"),
            ("description", "Description", "text", "w"),
            ("team", "Team", "record-reference", "mw"),
            ("categories", "Categories", "select", "mw"),
            ("primary_location", "Primary location", "location", "w"),
            *_SOCIAL,
            ("estimated_arr_usd", "Estimated ARR", "select", "w"),
            ("funding_raised_usd", "Funding raised", "currency", "w"),
            ("foundation_date", "Foundation date", "date", "w"),
            ("employee_range", "Employee range", "select", "w"),
            ("associated_deals", "Associated deals", "record-reference", "mw"),
            ("associated_workspaces", "Associated workspaces", "record-reference", "mw"),
            ("logo_url", "Logo URL", "text", ""),
            ("twitter_follower_count", "Twitter follower count", "number", ""),
            *_INTERACTIONS,
            *_CONNECTION,
            *_COMMON,
        ],
    ),
    "deals": (
        "Deal",
        "Deals",
        [
            ("name", "Deal name", "text", "rw"),
            ("stage", "Deal stage", "status", "rw"),
            ("owner", "Deal owner", "actor-reference", "rw"),
            ("value", "Deal value", "currency", "w"),
            ("associated_people", "Associated people", "record-reference", "mw"),
            ("associated_company", "Associated company", "record-reference", "w"),
            *_COMMON,
        ],
    ),
    "users": (
        "User",
        "Users",
        [
            ("person", "Person", "record-reference", "w"),
            ("primary_email_address", "Primary email address", "email-address", "ruw"),
            ("user_id", "ID", "text", "ruw"),
            ("workspace", "Workspace", "record-reference", "mw"),
            *_COMMON,
        ],
    ),
    "workspaces": (
        "Workspace",
        "Workspaces",
        [
            ("workspace_id", "Workspace ID", "text", "ruw"),
            ("name", "Name", "text", "w"),
            ("users", "Users", "record-reference", "mw"),
            ("company", "Company", "record-reference", "w"),
            ("avatar_url", "Avatar URL", "text", "w"),
            *_COMMON,
        ],
    ),
}
# Two-way references between standard objects: (object, attribute) pairs.
_RELATIONSHIPS = [
    (("people", "company"), ("companies", "team")),
    (("people", "associated_deals"), ("deals", "associated_people")),
    (("companies", "associated_deals"), ("deals", "associated_company")),
    (("people", "associated_users"), ("users", "person")),
    (("companies", "associated_workspaces"), ("workspaces", "company")),
    (("users", "workspace"), ("workspaces", "users")),
]
_OPTIONS = {
    ("companies", "categories"): ["B2B", "B2C", "SaaS", "E-commerce", "Fintech", "Health Care"],
    ("companies", "employee_range"): [
        "1-10",
        "11-50",
        "51-250",
        "251-1K",
        "1K-5K",
        "5K-10K",
        "10K-50K",
        "50K-100K",
        "100K+",
    ],
    ("companies", "estimated_arr_usd"): [
        "$0-$1M",
        "$1M-$10M",
        "$10M-$50M",
        "$50M-$100M",
        "$100M-$250M",
        "$250M-$500M",
        "$500M-$1B",
        "$1B-$10B",
        "$10B+",
    ],
}
_STATUSES = {("deals", "stage"): ["Lead", "In Progress", "Won 🎉", "Lost"]}
OPTIONAL_OBJECTS = ("deals", "users", "workspaces")


def seed(ws: Workspace, *, name: str, slug: str, enable_optional_objects: bool) -> None:
    """Fill an empty store with a new workspace's standard model."""
    ws.store.set_meta(
        "workspace",
        {
            "id": ws.new_id(),
            "name": name,
            "slug": slug,
            "client_id": ws.new_id(),
            "api_token_id": ws.new_id(),
        },
    )
    ws.store.insert(
        "member",
        member_id := ws.new_id(),
        {
            "id": {"workspace_id": ws.id, "workspace_member_id": member_id},
            "first_name": "Ada",
            "last_name": "Admin",
            "avatar_url": None,
            "email_address": "ada@example.com",
            "created_at": ws.now(),
            "access_level": "admin",
        },
    )
    attribute_ids: dict[tuple[str, str], str] = {}
    object_ids: dict[str, str] = {}
    for object_slug, (singular, plural, specs) in STANDARD.items():
        if object_slug in OPTIONAL_OBJECTS and not enable_optional_objects:
            continue
        object_id = ws.new_id()
        object_ids[object_slug] = object_id
        ws.store.insert(
            "object",
            object_id,
            {
                "id": {"workspace_id": ws.id, "object_id": object_id},
                "api_slug": object_slug,
                "singular_noun": singular,
                "plural_noun": plural,
                "created_at": ws.now(),
                "_standard": True,
            },
        )
        for spec in specs:
            attribute_ids[(object_slug, spec[0])] = _seed_attribute(ws, object_id, spec)
    for pair in _RELATIONSHIPS:
        _link(ws, pair, attribute_ids, object_ids)
    for kind, table in (("option", _OPTIONS), ("status", _STATUSES)):
        for key, titles in table.items():
            if key in attribute_ids:
                _seed_choices(ws, kind, attribute_ids[key], titles)


def add_common_attributes(ws: Workspace, object_id: str) -> None:
    """The system attributes every object has, standard or custom."""
    for spec in _COMMON:
        _seed_attribute(ws, object_id, spec)


def _seed_attribute(ws: Workspace, object_id: str, spec: _Spec) -> str:
    attribute_slug, title, attribute_type, flags = spec
    attribute_id = ws.new_id()
    config = empty_config()
    if attribute_type == "currency":
        config["currency"] = {"default_currency_code": "USD", "display_type": "symbol"}
    ws.store.insert(
        "attribute",
        attribute_id,
        {
            "id": {"workspace_id": ws.id, "object_id": object_id, "attribute_id": attribute_id},
            "title": title,
            "description": None,
            "api_slug": attribute_slug,
            "type": attribute_type,
            "is_system_attribute": True,
            "is_writable": "w" in flags,
            "is_required": "r" in flags,
            "is_unique": "u" in flags,
            "is_multiselect": "m" in flags,
            "is_default_value_enabled": False,
            "is_archived": False,
            "default_value": None,
            "relationship": None,
            "created_at": ws.now(),
            "config": config,
            "_target": "objects",
        },
        object_id,
    )
    return attribute_id


def _link(
    ws: Workspace,
    pair: tuple[tuple[str, str], tuple[str, str]],
    attribute_ids: dict[tuple[str, str], str],
    object_ids: dict[str, str],
) -> None:
    """Point two system record-reference attributes at each other's objects."""
    (a_object, _), (b_object, _) = pair
    if a_object not in object_ids or b_object not in object_ids:
        return
    a_id, b_id = attribute_ids[pair[0]], attribute_ids[pair[1]]
    for this, other, other_object in ((a_id, b_id, b_object), (b_id, a_id, a_object)):
        resource: dict[str, Any] = ws.store.get("attribute", this) or {}
        resource["config"]["record_reference"]["allowed_object_ids"] = [object_ids[other_object]]
        resource["_partner"] = other
        ws.store.update("attribute", this, resource)


def _seed_choices(ws: Workspace, kind: str, attribute_id: str, titles: list[str]) -> None:
    owner = ws.store.get("attribute", attribute_id) or {}
    for title in titles:
        insert_choice(ws, kind, owner, title, celebration_enabled=title.startswith("Won"))
