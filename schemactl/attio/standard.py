"""What every Attio workspace has before anyone edits it: standard objects and system attributes."""

from __future__ import annotations

# Every object carries these, read-only.
_COMMON_SYSTEM_ATTRIBUTES: dict[str, str] = {
    "record_id": "text",
    "created_at": "timestamp",
    "created_by": "actor-reference",
}

_SOCIAL = ("angellist", "facebook", "instagram", "linkedin", "twitter")
_INTERACTIONS = {
    f"{when}_{kind}interaction": "interaction"
    for when in ("first", "last", "next")
    for kind in ("calendar_", "email_", "")
}
_CONNECTION = {
    "strongest_connection_strength": "select",
    "strongest_connection_strength_legacy": "number",
    "strongest_connection_user": "actor-reference",
}

# Standard object slug -> {system attribute slug: type}. Source: Attio's standard-object docs and
# recorded API responses (see the project's reference notes on the real API, section 7).
STANDARD_OBJECTS: dict[str, dict[str, str]] = {
    "companies": {
        "domains": "domain",
        "name": "text",
        "description": "text",
        "team": "record-reference",
        "categories": "select",
        "primary_location": "location",
        **dict.fromkeys(_SOCIAL, "text"),
        "estimated_arr_usd": "select",
        "funding_raised_usd": "currency",
        "foundation_date": "date",
        "employee_range": "select",
        "associated_deals": "record-reference",
        "associated_workspaces": "record-reference",
        "logo_url": "text",
        "twitter_follower_count": "number",
        **_INTERACTIONS,
        **_CONNECTION,
        **_COMMON_SYSTEM_ATTRIBUTES,
    },
    "people": {
        "name": "personal-name",
        "email_addresses": "email-address",
        "description": "text",
        "company": "record-reference",
        "job_title": "text",
        "phone_numbers": "phone-number",
        "primary_location": "location",
        **dict.fromkeys(_SOCIAL, "text"),
        "associated_deals": "record-reference",
        "associated_users": "record-reference",
        "avatar_url": "text",
        "twitter_follower_count": "number",
        **_INTERACTIONS,
        **_CONNECTION,
        **_COMMON_SYSTEM_ATTRIBUTES,
    },
    "deals": {
        "name": "text",
        "stage": "status",
        "owner": "actor-reference",
        "value": "currency",
        "associated_people": "record-reference",
        "associated_company": "record-reference",
        **_COMMON_SYSTEM_ATTRIBUTES,
    },
    "users": {
        "person": "record-reference",
        "primary_email_address": "email-address",
        "user_id": "text",
        "workspace": "record-reference",
        **_COMMON_SYSTEM_ATTRIBUTES,
    },
    "workspaces": {
        "workspace_id": "text",
        "name": "text",
        "users": "record-reference",
        "company": "record-reference",
        "avatar_url": "text",
        **_COMMON_SYSTEM_ATTRIBUTES,
    },
}

STANDARD_OBJECT_SLUGS: frozenset[str] = frozenset(STANDARD_OBJECTS)


def system_attribute_type(object_slug: str, attribute_slug: str) -> str | None:
    """The type of a standard object's system attribute, or None if it is not one."""
    return STANDARD_OBJECTS.get(object_slug, {}).get(attribute_slug)
