"""Filtering and sorting over presented subjects: a table of filters and the subjects they select.

The subjects are built directly in Attio's documented output shapes of every attribute type, so
every type is covered whether or not the emulator can write its values yet.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from schemactl.emulator import errors, filters

W = "00000000-0000-4000-8000-000000000000"
THINGS, PEOPLE, COMPANIES, DEALS, CANDIDATES = (
    "obj-things",
    "obj-people",
    "obj-co",
    "obj-deals",
    "list-c",
)
M1 = "0b8a1b2c-0000-4000-8000-00000000000a"  # a workspace member
T1 = "0b8a1b2c-0000-4000-8000-00000000000b"  # an API token
P1, P2, P3 = "person-1", "person-2", "person-3"
C1, C2 = "company-1", "company-2"
STAMP = "2024-01-01T00:00:00.000000000Z"


def attribute(
    slug: str, kind: str, parent: str = THINGS, *, multi: bool = False, refers: str | None = None
) -> dict[str, Any]:
    return {
        "id": {"workspace_id": W, "object_id": parent, "attribute_id": f"{parent}-{slug}"},
        "api_slug": slug,
        "title": slug.title(),
        "type": kind,
        "is_multiselect": multi,
        "config": {"record_reference": {"allowed_object_ids": [refers] if refers else None}},
    }


def value(kind: str, active_from: str = STAMP, **props: Any) -> dict[str, Any]:
    return {
        "active_from": active_from,
        "active_until": None,
        "created_by_actor": {"type": "api-token", "id": T1},
        "attribute_type": kind,
        **props,
    }


def text(v: str) -> dict[str, Any]:
    return value("text", value=v)


def option(title: str, option_id: str) -> dict[str, Any]:
    chosen = {"id": {"option_id": option_id}, "title": title, "is_archived": False}
    return value("select", option=chosen)


def status(title: str, status_id: str, active_from: str = STAMP) -> dict[str, Any]:
    chosen = {"id": {"status_id": status_id}, "title": title, "is_archived": False}
    return value("status", active_from, status=chosen)


def name(first: str, last: str) -> dict[str, Any]:
    full = f"{first} {last}"
    return value("personal-name", first_name=first, last_name=last, full_name=full)


def email(address: str, root: str) -> dict[str, Any]:
    local, _, domain = address.partition("@")
    return value(
        "email-address",
        email_address=address,
        original_email_address=address,
        email_domain=domain,
        email_root_domain=root,
        email_local_specifier=local,
    )


def phone(number: str, country: str) -> dict[str, Any]:
    return value(
        "phone-number", original_phone_number=number, phone_number=number, country_code=country
    )


def place(locality: str, region: str | None, country: str, line_1: str | None = None) -> Any:
    lines = {"line_1": line_1, "line_2": None, "line_3": None, "line_4": None}
    return value(
        "location",
        **lines,
        locality=locality,
        region=region,
        postcode=None,
        country_code=country,
        latitude=None,
        longitude=None,
    )


def ref(target_object: str, record_id: str) -> dict[str, Any]:
    return value("record-reference", target_object=target_object, target_record_id=record_id)


def actor(kind: str, actor_id: str) -> dict[str, Any]:
    return value("actor-reference", referenced_actor_type=kind, referenced_actor_id=actor_id)


def interaction(kind: str, at: str, owner: dict[str, Any]) -> dict[str, Any]:
    return value("interaction", interaction_type=kind, interacted_at=at, owner_actor=owner)


THING_ATTRIBUTES = [
    attribute("record_id", "text"),
    attribute("name", "text"),
    attribute("count", "number"),
    attribute("score", "rating"),
    attribute("price", "currency"),
    attribute("founded", "date"),
    attribute("seen_at", "timestamp"),
    attribute("active", "checkbox"),
    attribute("tier", "select"),
    attribute("tags", "select", multi=True),
    attribute("stage", "status"),
    attribute("person", "personal-name"),
    attribute("emails", "email-address", multi=True),
    attribute("domains", "domain", multi=True),
    attribute("phones", "phone-number", multi=True),
    attribute("place", "location"),
    attribute("owner", "actor-reference"),
    attribute("company", "record-reference", refers=COMPANIES),
    attribute("team", "record-reference", multi=True, refers=PEOPLE),
    attribute("last_email", "interaction"),
    attribute("vector", "embedding"),  # a type the filter table does not know
]
PEOPLE_ATTRIBUTES = [
    attribute("name", "personal-name", PEOPLE),
    attribute("manager", "record-reference", PEOPLE, refers=PEOPLE),
]
COMPANY_ATTRIBUTES = [attribute("name", "text", COMPANIES)]
DEAL_ATTRIBUTES = [attribute("name", "text", DEALS)]
SLUGS = {PEOPLE: "people", COMPANIES: "companies", DEALS: "deals"}
ATTRIBUTES_BY_OBJECT = {
    PEOPLE: PEOPLE_ATTRIBUTES,
    COMPANIES: COMPANY_ATTRIBUTES,
    DEALS: DEAL_ATTRIBUTES,
}


def record(object_id: str, record_id: str, attributes: list[dict[str, Any]], **values: Any) -> Any:
    """A presented record: every attribute keyed by slug, unset ones as []."""
    shown = {a["api_slug"]: values.get(a["api_slug"], []) for a in attributes}
    if "record_id" in shown:
        shown["record_id"] = [text(record_id)]
    return {
        "id": {"workspace_id": W, "object_id": object_id, "record_id": record_id},
        "created_at": STAMP,
        "values": shown,
    }


ALPHA = record(
    THINGS,
    "alpha",
    THING_ATTRIBUTES,
    name=[text("Acme Widgets")],
    count=[value("number", value=10)],
    score=[value("rating", value=4)],
    price=[value("currency", currency_value=499, currency_code="USD")],
    founded=[value("date", value="2019-05-01")],
    seen_at=[value("timestamp", value="2024-03-01T10:00:00.123456789Z")],
    active=[value("checkbox", value=True)],
    tier=[option("Gold", "opt-gold")],
    tags=[option("red", "opt-red"), option("blue", "opt-blue")],
    stage=[status("Won 🎉", "st-won", "2024-02-01T00:00:00.000000000Z")],
    person=[name("John", "Smith")],
    emails=[email("john@acme.com", "acme.com"), email("j.smith@mail.acme.co.uk", "acme.co.uk")],
    domains=[value("domain", domain="app.acme.com", root_domain="acme.com")],
    phones=[phone("+447700900123", "GB")],
    place=[place("Cupertino", "CA", "US", "1 Infinite Loop")],
    owner=[actor("workspace-member", M1)],
    company=[ref("companies", C1)],
    team=[ref("people", P1), ref("people", P2)],
    last_email=[
        interaction(
            "email", "2024-01-05T09:00:00.000000000Z", {"type": "workspace-member", "id": M1}
        )
    ],
    vector=[value("embedding", data=[0.1, 0.2])],
)
BETA = record(
    THINGS,
    "beta",
    THING_ATTRIBUTES,
    name=[text("Beta Labs LTD")],
    count=[value("number", value=2.5)],
    score=[value("rating", value=1)],
    # Attio's own example shows currency values as strings.
    price=[value("currency", currency_value="99.50", currency_code="USD")],
    founded=[value("date", value="2001-01-01")],
    seen_at=[value("timestamp", value="2024-03-01T09:30:00.000000000Z")],
    active=[value("checkbox", value=False)],
    tier=[value("select", option="opt-silver")],  # the id-only form of a select value
    tags=[option("green", "opt-green")],
    stage=[status("Lead", "st-lead", "2023-06-01T00:00:00.000000000Z")],
    person=[name("Jane", "Doe")],
    emails=[email("jane@beta.io", "beta.io")],
    domains=[value("domain", domain="beta.io", root_domain="beta.io")],
    phones=[phone("+15558675309", "US")],
    place=[place("New York", "NY", "US")],
    owner=[actor("api-token", T1)],
    company=[ref("companies", C2)],
    team=[ref("people", P3)],
    last_email=[
        interaction("calendar-event", "2023-12-24T18:00:00.000000000Z", {"type": "system"})
    ],
)
GAMMA = record(
    THINGS,
    "gamma",
    THING_ATTRIBUTES,
    name=[text("gamma")],
    count=[value("number", value=0)],
    score=[value("rating", value=5)],
    founded=[value("date", value="2019-12-31")],
    tags=[option("blue", "opt-blue")],
    stage=[status("Lost", "st-lost", "2022-03-03T00:00:00.000000000Z")],
    person=[name("Johnny", "Appleseed")],
    place=[place("Paris", None, "FR")],
    team=[ref("people", P2)],
)
EMPTY = record(THINGS, "empty", THING_ATTRIBUTES)
THINGS_RECORDS = [ALPHA, BETA, GAMMA, EMPTY]

RELATED = {
    (PEOPLE, P1): record(
        PEOPLE, P1, PEOPLE_ATTRIBUTES, name=[name("John", "Smith")], manager=[ref("people", P3)]
    ),
    (PEOPLE, P2): record(
        PEOPLE, P2, PEOPLE_ATTRIBUTES, name=[name("Ada", "Lovelace")], manager=[ref("people", P1)]
    ),
    (PEOPLE, P3): record(PEOPLE, P3, PEOPLE_ATTRIBUTES, name=[name("Grace", "Hopper")]),
    (COMPANIES, C1): record(COMPANIES, C1, COMPANY_ATTRIBUTES, name=[text("Acme Inc")]),
    (COMPANIES, C2): record(COMPANIES, C2, COMPANY_ATTRIBUTES, name=[text("Beta Corp")]),
}


def fetch_record(object_id: str, record_id: str) -> dict[str, Any] | None:
    return RELATED.get((object_id, record_id))


def attributes_of(key: str) -> list[dict[str, Any]] | None:
    for object_id, slug in SLUGS.items():
        if key in (object_id, slug):
            return ATTRIBUTES_BY_OBJECT[object_id]
    raise errors.ApiError(404, "not_found", f'Object with slug/ID "{key}" not found.')


def select(filter_spec: Any, sorts: Any = None, **kwargs: Any) -> list[str]:
    """The record ids `filters.select` returns for the things, in order."""
    options = {
        "attributes": THING_ATTRIBUTES,
        "values_of": lambda r: r["values"],
        "fetch_record": fetch_record,
        "attributes_of": attributes_of,
        "names": ("things", THINGS),
    }
    chosen = filters.select(THINGS_RECORDS, filter_spec, sorts, **(options | kwargs))
    return [r["id"]["record_id"] for r in chosen]


TEAM_NAME = [["things", "team"], ["people", "name"]]
ALL = ["alpha", "beta", "gamma", "empty"]
CASES: list[tuple[str, Any, list[str]]] = [
    # --- no filter, and the logical operators -------------------------------------------------
    ("none", None, ALL),
    ("empty-object", {}, ALL),
    ("and-empty", {"$and": []}, ALL),
    ("or-empty", {"$or": []}, []),
    ("keys-are-and", {"tags": "blue", "count": {"$gt": 1}}, ["alpha"]),
    ("and", {"$and": [{"tags": "blue"}, {"founded": {"$gte": "2019-06-01"}}]}, ["gamma"]),
    ("or", {"$or": [{"stage": "Lead"}, {"stage": "Lost"}]}, ["beta", "gamma"]),
    ("not", {"$not": {"tags": "blue"}}, ["beta", "empty"]),
    ("not-not", {"$not": {"$not": {"tags": "blue"}}}, ["alpha", "gamma"]),
    (
        "nested",
        {
            "$or": [
                {"$not": {"name": {"$not_empty": True}}},
                {"$and": [{"count": {"$gt": 1}}, {"$not": {"tier": "Gold"}}]},
            ]
        },
        ["beta", "empty"],
    ),
    # --- text ---------------------------------------------------------------------------------
    ("text-shorthand", {"name": "Acme Widgets"}, ["alpha"]),
    ("text-eq-is-exact", {"name": {"$eq": "acme widgets"}}, []),
    ("text-value-property", {"name": {"value": "gamma"}}, ["gamma"]),
    ("text-value-property-op", {"name": {"value": {"$contains": "AMM"}}}, ["gamma"]),
    ("text-contains-any-case", {"name": {"$contains": "ltd"}}, ["beta"]),
    ("text-starts-with", {"name": {"$starts_with": "ACME"}}, ["alpha"]),
    ("text-ends-with", {"name": {"$ends_with": "MA"}}, ["gamma"]),
    ("text-two-operators", {"name": {"$starts_with": "a", "$ends_with": "s"}}, ["alpha"]),
    ("text-in", {"name": {"$in": ["gamma", "Beta Labs LTD", "nope"]}}, ["beta", "gamma"]),
    ("text-in-empty", {"name": {"$in": []}}, []),
    ("record-id-in", {"record_id": {"$in": ["alpha", "gamma"]}}, ["alpha", "gamma"]),
    ("by-attribute-id", {f"{THINGS}-name": "gamma"}, ["gamma"]),
    # --- number, rating, currency -------------------------------------------------------------
    ("number-shorthand", {"count": 10}, ["alpha"]),
    ("number-zero-is-a-value", {"count": 0}, ["gamma"]),
    ("number-as-string", {"count": "2.5"}, ["beta"]),
    ("number-gt", {"count": {"$gt": 2}}, ["alpha", "beta"]),
    ("number-range", {"count": {"$gte": 2.5, "$lt": 10}}, ["beta"]),
    ("number-lte", {"count": {"$lte": 0}}, ["gamma"]),
    ("number-in", {"count": {"$in": [0, 10]}}, ["alpha", "gamma"]),
    ("rating", {"score": 4}, ["alpha"]),
    ("rating-gt", {"score": {"$gt": 3}}, ["alpha", "gamma"]),
    ("currency-string", {"price": "99.50"}, ["beta"]),
    ("currency-number", {"price": 499}, ["alpha"]),
    ("currency-gte", {"price": {"$gte": 100}}, ["alpha"]),
    ("currency-value-property", {"price": {"currency_value": {"$lt": 100}}}, ["beta"]),
    ("currency-code", {"price": {"currency_code": "USD"}}, ["alpha", "beta"]),
    # --- date and timestamp -------------------------------------------------------------------
    ("date-shorthand", {"founded": "2019-05-01"}, ["alpha"]),
    ("date-year", {"founded": {"$gte": "2019-01-01", "$lte": "2019-12-31"}}, ["alpha", "gamma"]),
    ("date-lt", {"founded": {"$lt": "2019-01-01"}}, ["beta"]),
    ("timestamp-exact", {"seen_at": "2024-03-01T10:00:00.123456789Z"}, ["alpha"]),
    ("timestamp-gte", {"seen_at": {"$gte": "2024-03-01T10:00:00Z"}}, ["alpha"]),
    ("timestamp-offset", {"seen_at": {"$lt": "2024-03-01T11:00:00+01:00"}}, ["beta"]),
    ("timestamp-date-only", {"seen_at": {"$gte": "2024-03-01"}}, ["alpha", "beta"]),
    ("timestamp-nanoseconds", {"seen_at": {"$gt": "2024-03-01T10:00:00.123456788Z"}}, ["alpha"]),
    # --- checkbox -----------------------------------------------------------------------------
    ("checkbox-true", {"active": True}, ["alpha"]),
    ("checkbox-string", {"active": "false"}, ["beta"]),
    ("checkbox-eq", {"active": {"$eq": False}}, ["beta"]),
    ("checkbox-unset", {"active": {"$not_empty": False}}, ["gamma", "empty"]),
    # --- select and status --------------------------------------------------------------------
    ("select-title", {"tier": "Gold"}, ["alpha"]),
    ("select-id-only-form", {"tier": "opt-silver"}, ["beta"]),
    ("select-id", {"tier": {"$eq": "opt-gold"}}, ["alpha"]),
    ("select-option-property", {"tier": {"option": "Gold"}}, ["alpha"]),
    ("select-in", {"tier": {"$in": ["Gold", "opt-silver"]}}, ["alpha", "beta"]),
    ("multiselect-any-value", {"tags": "blue"}, ["alpha", "gamma"]),
    ("multiselect-eq", {"tags": {"$eq": "red"}}, ["alpha"]),
    ("multiselect-in", {"tags": {"$in": ["green", "red"]}}, ["alpha", "beta"]),
    ("status-title", {"stage": "Won 🎉"}, ["alpha"]),
    ("status-property", {"stage": {"status": "Lead"}}, ["beta"]),
    ("status-id", {"stage": {"status": {"$eq": "st-won"}}}, ["alpha"]),
    ("status-active-from", {"stage": {"active_from": {"$gte": "2024-01-01"}}}, ["alpha"]),
    ("status-active-from-lt", {"stage": {"active_from": {"$lt": "2024-01-01"}}}, ["beta", "gamma"]),
    # --- personal name ------------------------------------------------------------------------
    ("name-shorthand-full-name", {"person": "John Smith"}, ["alpha"]),
    ("name-full-name", {"person": {"full_name": {"$eq": "Jane Doe"}}}, ["beta"]),
    ("name-first-starts", {"person": {"first_name": {"$starts_with": "jo"}}}, ["alpha", "gamma"]),
    ("name-last-set", {"person": {"last_name": {"$not_empty": True}}}, ["alpha", "beta", "gamma"]),
    ("name-same-value", {"person": {"first_name": "John", "last_name": "Appleseed"}}, []),
    ("name-not-john", {"$not": {"person": {"first_name": "John"}}}, ["beta", "gamma", "empty"]),
    # --- email address, domain, phone number --------------------------------------------------
    ("email-shorthand", {"emails": "john@acme.com"}, ["alpha"]),
    ("email-normalised-any-case", {"emails": "JOHN@Acme.com"}, ["alpha"]),
    ("email-second-value", {"emails": {"email_address": "j.smith@mail.acme.co.uk"}}, ["alpha"]),
    ("email-domain", {"emails": {"email_domain": "beta.io"}}, ["beta"]),
    ("email-local", {"emails": {"email_local_specifier": {"$contains": "smith"}}}, ["alpha"]),
    ("email-root", {"emails": {"email_root_domain": {"$ends_with": ".io"}}}, ["beta"]),
    ("domain-shorthand", {"domains": "app.acme.com"}, ["alpha"]),
    ("domain-root", {"domains": {"root_domain": "acme.com"}}, ["alpha"]),
    ("domain-contains", {"domains": {"domain": {"$contains": "beta"}}}, ["beta"]),
    ("domain-not-empty", {"domains": {"$not_empty": True}}, ["alpha", "beta"]),
    ("phone-shorthand", {"phones": "+15558675309"}, ["beta"]),
    ("phone-starts", {"phones": {"$starts_with": "+44"}}, ["alpha"]),
    ("phone-both-ends", {"phones": {"$starts_with": "+44", "$ends_with": "123"}}, ["alpha"]),
    ("phone-property", {"phones": {"phone_number": {"$ends_with": "309"}}}, ["beta"]),
    ("phone-original", {"phones": {"original_phone_number": {"$contains": "7700"}}}, ["alpha"]),
    ("phone-country", {"phones": {"country_code": "US"}}, ["beta"]),
    # --- location -----------------------------------------------------------------------------
    (
        "location-properties",
        {"place": {"locality": "Cupertino", "region": "CA", "country_code": "US"}},
        ["alpha"],
    ),
    ("location-contains", {"place": {"locality": {"$contains": "new york"}}}, ["beta"]),
    ("location-line", {"place": {"line_1": {"$starts_with": "1 inf"}}}, ["alpha"]),
    (
        "location-country-starts",
        {"place": {"country_code": {"$starts_with": "U"}}},
        ["alpha", "beta"],
    ),
    ("location-region-unset", {"place": {"region": {"$not_empty": False}}}, ["gamma", "empty"]),
    ("location-set", {"place": {"$not_empty": True}}, ["alpha", "beta", "gamma"]),
    # --- actor reference, record reference, interaction ---------------------------------------
    (
        "actor-both",
        {"owner": {"referenced_actor_type": "workspace-member", "referenced_actor_id": M1}},
        ["alpha"],
    ),
    ("actor-type", {"owner": {"referenced_actor_type": "api-token"}}, ["beta"]),
    ("actor-shorthand-id", {"owner": M1}, ["alpha"]),
    (
        "reference-both",
        {"company": {"target_object": "companies", "target_record_id": C1}},
        ["alpha"],
    ),
    ("reference-in", {"company": {"target_record_id": {"$in": [C1, C2]}}}, ["alpha", "beta"]),
    ("reference-multiselect", {"team": {"target_record_id": P2}}, ["alpha", "gamma"]),
    ("reference-shorthand-id", {"company": C2}, ["beta"]),
    ("reference-wrong-object", {"company": {"target_object": "people"}}, []),
    ("interaction-owner", {"last_email": {"owner_member_id": {"$not_empty": True}}}, ["alpha"]),
    ("interaction-owner-id", {"last_email": {"owner_member_id": M1}}, ["alpha"]),
    ("interaction-type", {"last_email": {"interaction_type": "calendar-event"}}, ["beta"]),
    (
        "interaction-at",
        {"last_email": {"interacted_at": {"$gte": "2024-01-01T00:00:00Z"}}},
        ["alpha"],
    ),
    ("interaction-set", {"last_email": {"$not_empty": True}}, ["alpha", "beta"]),
    ("unknown-type-not-empty", {"vector": {"$not_empty": True}}, ["alpha"]),
    # --- the simplified reference's aliases ---------------------------------------------------
    ("exists", {"name": {"$exists": True}}, ["alpha", "beta", "gamma"]),
    ("exists-false", {"name": {"$exists": False}}, ["empty"]),
    ("not-exists", {"name": {"$not_exists": True}}, ["empty"]),
    ("not-exists-false", {"name": {"$not_exists": False}}, ["alpha", "beta", "gamma"]),
    ("ne", {"count": {"$ne": 10}}, ["beta", "gamma", "empty"]),
    ("ne-multiselect", {"tags": {"$ne": "blue"}}, ["beta", "empty"]),
    ("nin", {"count": {"$nin": [10, 0]}}, ["beta", "empty"]),
    ("nin-multiselect", {"tags": {"$nin": ["red", "green"]}}, ["gamma", "empty"]),
    ("ne-property", {"person": {"first_name": {"$ne": "John"}}}, ["beta", "gamma", "empty"]),
    ("ne-with-positive", {"count": {"$gte": 0, "$ne": 10}}, ["beta", "gamma"]),
    # --- drill-down through references --------------------------------------------------------
    (
        "path-first-name",
        {"path": TEAM_NAME, "constraints": {"first_name": {"$eq": "Ada"}}},
        ["alpha", "gamma"],
    ),
    (
        "path-contains",
        {"path": TEAM_NAME, "constraints": {"full_name": {"$contains": "grace"}}},
        ["beta"],
    ),
    ("path-shorthand-constraint", {"path": TEAM_NAME, "constraints": "Grace Hopper"}, ["beta"]),
    (
        "path-by-ids",
        {
            "path": [[THINGS, f"{THINGS}-team"], [PEOPLE, f"{PEOPLE}-name"]],
            "constraints": {"last_name": "Lovelace"},
        },
        ["alpha", "gamma"],
    ),
    (
        "path-two-hops",
        {
            "path": [["things", "team"], ["people", "manager"], ["people", "name"]],
            "constraints": {"first_name": "Grace"},
        },
        ["alpha"],
    ),
    (
        "path-to-reference",
        {
            "path": [["things", "team"], ["people", "manager"]],
            "constraints": {"target_object": "people", "target_record_id": P1},
        },
        ["alpha", "gamma"],
    ),
    (
        "path-single-reference",
        {"path": [["things", "company"], ["companies", "name"]], "constraints": "Beta Corp"},
        ["beta"],
    ),
    (
        "path-under-not",
        {"$not": {"path": TEAM_NAME, "constraints": {"first_name": "Ada"}}},
        ["beta", "empty"],
    ),
    (
        "path-with-attribute",
        {"path": TEAM_NAME, "constraints": {"first_name": "Ada"}, "tags": "red"},
        ["alpha"],
    ),
    (
        "path-own-attribute",
        {"path": [["things", "name"]], "constraints": {"$contains": "acme"}},
        ["alpha"],
    ),
    ("dotted", {"company.name": "Acme Inc"}, ["alpha"]),
    ("dotted-operator", {"company.name": {"$contains": "corp"}}, ["beta"]),
]


@pytest.mark.parametrize(
    ("filter_spec", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_filter_selects(filter_spec, expected):
    assert select(filter_spec) == expected


@pytest.mark.parametrize("attribute", THING_ATTRIBUTES, ids=lambda a: a["type"])
def test_not_empty_works_for_every_type(attribute):
    slug = attribute["api_slug"]
    holding = [r["id"]["record_id"] for r in THINGS_RECORDS if r["values"][slug]]
    assert holding  # the table gives every type a value somewhere
    assert select({slug: {"$not_empty": True}}) == holding
    assert select({slug: {"$not_empty": False}}) == [r for r in ALL if r not in holding]


SORTS: list[tuple[str, Any, list[str]]] = [
    (
        "number-asc-nulls-last",
        [{"attribute": "count", "direction": "asc"}],
        ["gamma", "beta", "alpha", "empty"],
    ),
    (
        "number-desc-nulls-last",
        [{"attribute": "count", "direction": "desc"}],
        ["alpha", "beta", "gamma", "empty"],
    ),
    (
        "text-ignores-case",
        [{"attribute": "name", "direction": "asc"}],
        ["alpha", "beta", "gamma", "empty"],
    ),
    (
        "text-desc",
        [{"attribute": "name", "direction": "desc"}],
        ["gamma", "beta", "alpha", "empty"],
    ),
    (
        "name-field",
        [{"attribute": "person", "field": "last_name", "direction": "asc"}],
        ["gamma", "beta", "alpha", "empty"],
    ),
    (
        "name-default-full-name",
        [{"attribute": "person", "direction": "asc"}],
        ["beta", "alpha", "gamma", "empty"],
    ),
    ("date", [{"attribute": "founded", "direction": "desc"}], ["gamma", "alpha", "beta", "empty"]),
    (
        "timestamp",
        [{"attribute": "seen_at", "direction": "asc"}],
        ["beta", "alpha", "gamma", "empty"],
    ),
    (
        "status-title",
        [{"attribute": "stage", "direction": "asc"}],
        ["beta", "gamma", "alpha", "empty"],
    ),
    (
        "checkbox",
        [{"attribute": "active", "direction": "desc"}],
        ["alpha", "beta", "gamma", "empty"],
    ),
    (
        "currency-string-and-number",
        [{"attribute": "price", "direction": "asc"}],
        ["beta", "alpha", "gamma", "empty"],
    ),
    (
        "multiselect-first-value",
        [{"attribute": "tags", "direction": "asc"}],
        ["gamma", "beta", "alpha", "empty"],
    ),
    (
        "location-default-locality",
        [{"attribute": "place", "direction": "asc"}],
        ["alpha", "beta", "gamma", "empty"],
    ),
    (
        "by-attribute-id",
        [{"attribute": f"{THINGS}-count", "direction": "asc"}],
        ["gamma", "beta", "alpha", "empty"],
    ),
    (
        "stable-on-ties",
        [{"attribute": "price", "field": "currency_code", "direction": "desc"}],
        ["alpha", "beta", "gamma", "empty"],
    ),
    (
        "two-keys",
        [
            {"attribute": "place", "field": "country_code", "direction": "desc"},
            {"attribute": "count", "direction": "asc"},
        ],
        ["beta", "alpha", "gamma", "empty"],
    ),
    (
        "two-keys-second-desc",
        [
            {"attribute": "place", "field": "country_code", "direction": "desc"},
            {"attribute": "count", "direction": "desc"},
        ],
        ["alpha", "beta", "gamma", "empty"],
    ),
    (
        "path",
        [{"path": [["things", "company"], ["companies", "name"]], "direction": "desc"}],
        ["beta", "alpha", "gamma", "empty"],
    ),
    (
        "path-with-field",
        [{"path": TEAM_NAME, "field": "last_name", "direction": "asc"}],
        ["beta", "gamma", "alpha", "empty"],
    ),
    ("no-sorts", [], ALL),
]


@pytest.mark.parametrize(("sorts", "expected"), [c[1:] for c in SORTS], ids=[c[0] for c in SORTS])
def test_sorts_order(sorts, expected):
    assert select(None, sorts) == expected


def test_filter_and_sort_together():
    sorts = [{"attribute": "count", "direction": "desc"}]
    assert select({"tags": {"$not_empty": True}}, sorts) == ["alpha", "beta", "gamma"]


ERRORS: list[tuple[str, Any, Any, str]] = [
    ("filter-not-object", [{"name": "x"}], None, "the filter must be an object"),
    ("unknown-attribute", {"nope": 1}, None, 'unknown attribute "nope"'),
    ("unknown-operator", {"name": {"$like": "x"}}, None, 'unknown operator "$like"'),
    ("unknown-logical", {"$xor": []}, None, 'unknown operator "$xor"'),
    ("comparison-at-top", {"$eq": 1}, None, '"$eq" applies to an attribute'),
    ("not-inside-attribute", {"name": {"$not": {"$eq": "x"}}}, None, '"$not" combines whole'),
    (
        "contains-on-number",
        {"count": {"$contains": "1"}},
        None,
        '"$contains" cannot be used on the number attribute "count"',
    ),
    ("gt-on-checkbox", {"active": {"$gt": False}}, None, '"$gt" cannot be used'),
    (
        "starts-with-on-select",
        {"tier": {"$starts_with": "G"}},
        None,
        '"$starts_with" cannot be used',
    ),
    (
        "contains-on-reference",
        {"company": {"target_record_id": {"$contains": "c"}}},
        None,
        'the property "target_record_id"',
    ),
    ("alias-checked-too", {"active": {"$nin": [True]}}, None, '"$nin" cannot be used'),
    ("unknown-property", {"person": {"middle_name": "x"}}, None, 'has no property "middle_name"'),
    ("latitude", {"place": {"latitude": "37.3"}}, None, 'has no property "latitude"'),
    ("location-shorthand", {"place": "Cupertino"}, None, "by one of its properties: line_1"),
    ("interaction-shorthand", {"last_email": "email"}, None, "by one of its properties"),
    ("unknown-type-eq", {"vector": "x"}, None, "can only be filtered with $not_empty"),
    ("number-operand", {"count": "many"}, None, 'expected a number, not "many"'),
    ("bool-is-not-a-number", {"count": {"$eq": True}}, None, "expected a number, not a boolean"),
    ("date-operand", {"founded": "2019/01/01"}, None, 'expected a date as "YYYY-MM-DD"'),
    ("impossible-date", {"founded": "2019-02-30"}, None, "expected a date"),
    (
        "timestamp-operand",
        {"seen_at": {"$gt": "yesterday"}},
        None,
        "expected an ISO 8601 timestamp",
    ),
    ("text-operand", {"name": 5}, None, "expected a string, not a number"),
    ("null-operand", {"name": None}, None, "expected a string, not null"),
    ("list-shorthand", {"tags": ["red", "blue"]}, None, "expected a string, not an array"),
    ("checkbox-operand", {"active": "yes"}, None, "expected true or false"),
    ("in-needs-array", {"name": {"$in": "gamma"}}, None, '"$in" takes an array'),
    ("in-items-checked", {"count": {"$in": [1, "x"]}}, None, "(at filter.count.$in[1])"),
    (
        "not-empty-needs-bool",
        {"name": {"$not_empty": "yes"}},
        None,
        '"$not_empty" takes true or false',
    ),
    ("and-needs-array", {"$and": {"name": "x"}}, None, '"$and" takes an array'),
    (
        "or-items-are-objects",
        {"$or": ["x"]},
        None,
        "expected an object of conditions (at filter.$or[0])",
    ),
    ("not-needs-object", {"$not": [{"name": "x"}]}, None, "expected an object of conditions"),
    ("empty-condition", {"name": {}}, None, 'the condition on the text attribute "name" is empty'),
    ("empty-property-condition", {"person": {"first_name": {}}}, None, "is empty"),
    (
        "where-is-named",
        {"$and": [{"name": "x"}, {"count": {"$gt": "x"}}]},
        None,
        "(at filter.$and[1].count.$gt)",
    ),
    ("path-without-constraints", {"path": TEAM_NAME}, None, "needs both 'path' and 'constraints'"),
    ("constraints-without-path", {"constraints": {}}, None, "needs both 'path' and 'constraints'"),
    (
        "path-not-array",
        {"path": "team", "constraints": {}},
        None,
        "a path must be an array of [object or list, attribute] pairs",
    ),
    ("path-empty", {"path": [], "constraints": {}}, None, "a path must be an array"),
    (
        "path-step-shape",
        {"path": [["things", "team", "x"]], "constraints": {}},
        None,
        "(at filter.path[0])",
    ),
    (
        "path-wrong-start",
        {"path": [["people", "name"]], "constraints": "x"},
        None,
        'a path starts at the object or list being queried ("things"), not "people"',
    ),
    (
        "path-unknown-object",
        {"path": [["things", "team"], ["robots", "name"]], "constraints": "x"},
        None,
        'no object has the slug or ID "robots"',
    ),
    (
        "path-unknown-attribute",
        {"path": [["things", "team"], ["people", "age"]], "constraints": 1},
        None,
        'unknown attribute "age": no attribute here',
    ),
    (
        "path-through-text",
        {"path": [["things", "name"], ["people", "name"]], "constraints": "x"},
        None,
        'only record references can be followed, and the text attribute "name"',
    ),
    (
        "path-wrong-target",
        {"path": [["things", "team"], ["deals", "name"]], "constraints": "x"},
        None,
        '"team" does not refer to "deals" records',
    ),
    (
        "path-bad-constraint",
        {"path": TEAM_NAME, "constraints": {"nickname": "x"}},
        None,
        "(at filter.constraints.nickname)",
    ),
    (
        "dotted-through-text",
        {"name.first": "x"},
        None,
        '"name" is not a record reference to one object',
    ),
    ("dotted-unknown", {"nope.name": "x"}, None, 'unknown attribute "nope.name"'),
    ("sorts-not-array", None, {"attribute": "name", "direction": "asc"}, "sorts must be an array"),
    ("sort-not-object", None, ["name"], "a sort must be an object"),
    (
        "sort-direction",
        None,
        [{"attribute": "name", "direction": "up"}],
        '\'direction\' must be "asc" or "desc"',
    ),
    ("sort-no-direction", None, [{"attribute": "name"}], "'direction' must be"),
    (
        "sort-both",
        None,
        [{"attribute": "name", "path": TEAM_NAME, "direction": "asc"}],
        "either an 'attribute' or a 'path'",
    ),
    ("sort-neither", None, [{"direction": "asc"}], "either an 'attribute' or a 'path'"),
    (
        "sort-unknown-key",
        None,
        [{"attribute": "name", "direction": "asc", "order": 1}],
        'a sort has no field "order"',
    ),
    (
        "sort-unknown-attribute",
        None,
        [{"attribute": "nope", "direction": "asc"}],
        'unknown attribute "nope": no attribute here has this slug or ID (at sorts[0].attribute)',
    ),
    (
        "sort-unknown-field",
        None,
        [{"attribute": "person", "field": "middle_name", "direction": "asc"}],
        'has no field "middle_name" (full_name, first_name, last_name)',
    ),
    (
        "sort-unknown-type",
        None,
        [{"attribute": "vector", "direction": "asc"}],
        'the embedding attribute "vector" cannot be sorted',
    ),
    (
        "sort-bad-path",
        None,
        [{"path": [["people", "name"]], "direction": "asc"}],
        "(at sorts[0].path[0])",
    ),
]


@pytest.mark.parametrize(
    ("filter_spec", "sorts", "mentions"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS]
)
def test_bad_filters_and_sorts_are_filter_errors(filter_spec, sorts, mentions):
    with pytest.raises(errors.ApiError) as caught:
        select(filter_spec, sorts)
    assert (caught.value.status, caught.value.code) == (400, "filter_error")
    assert mentions in caught.value.message


def test_errors_are_raised_with_no_subjects():
    with pytest.raises(errors.ApiError, match='unknown attribute "nope"'):
        filters.select(
            [],
            {"nope": 1},
            None,
            attributes=THING_ATTRIBUTES,
            values_of=lambda r: r["values"],
            fetch_record=fetch_record,
        )


def test_drill_down_needs_attributes_of():
    with pytest.raises(errors.ApiError, match="drill-down through references is not available"):
        select({"path": TEAM_NAME, "constraints": "x"}, attributes_of=None)


def test_path_start_is_unchecked_without_names():
    spec = {"path": [["anything", "team"], ["people", "name"]], "constraints": "Ada Lovelace"}
    assert select(spec, names=()) == ["alpha", "gamma"]


def test_drill_down_fetches_each_referenced_record_once():
    fetched: list[tuple[str, str]] = []

    def counting_fetch(object_id: str, record_id: str) -> dict[str, Any] | None:
        fetched.append((object_id, record_id))
        return fetch_record(object_id, record_id)

    spec = {"path": TEAM_NAME, "constraints": {"first_name": "Ada"}}
    sorts = [{"path": TEAM_NAME, "field": "last_name", "direction": "asc"}]
    assert select(spec, sorts, fetch_record=counting_fetch) == ["gamma", "alpha"]
    assert sorted(fetched) == [(PEOPLE, P1), (PEOPLE, P2), (PEOPLE, P3)]


def test_missing_referenced_records_are_skipped():
    spec = {"path": TEAM_NAME, "constraints": {"$not_empty": True}}
    assert select(spec, fetch_record=lambda o, r: None) == []


# --- list entries ----------------------------------------------------------------------------

ENTRY_ATTRIBUTES = [attribute("rating", "rating", CANDIDATES)]


def entry(entry_id: str, parent: str, stars: int | None) -> dict[str, Any]:
    return {
        "id": {"workspace_id": W, "list_id": CANDIDATES, "entry_id": entry_id},
        "parent_record_id": parent,
        "parent_object": "people",
        "created_at": STAMP,
        "entry_values": {"rating": [value("rating", value=stars)] if stars is not None else []},
    }


ENTRIES = [entry("e1", P1, 3), entry("e2", P2, None), entry("e3", P3, 5)]
PARENT_NAME = [["candidates", "parent_record"], ["people", "name"]]


def select_entries(filter_spec: Any, sorts: Any = None, **kwargs: Any) -> list[str]:
    options = {
        "attributes": ENTRY_ATTRIBUTES,
        "values_of": lambda e: e["entry_values"],
        "fetch_record": fetch_record,
        "attributes_of": attributes_of,
        "names": ("candidates", CANDIDATES),
    }
    chosen = filters.select(ENTRIES, filter_spec, sorts, **(options | kwargs))
    return [e["id"]["entry_id"] for e in chosen]


@pytest.mark.parametrize(
    ("filter_spec", "expected"),
    [
        ({"rating": {"$gte": 3}}, ["e1", "e3"]),
        ({"parent_record": {"target_record_id": P2}}, ["e2"]),
        ({"parent_record": {"target_object": "people"}}, ["e1", "e2", "e3"]),
        ({"path": PARENT_NAME, "constraints": {"first_name": "Ada"}}, ["e2"]),
        (
            {
                "path": [
                    ["candidates", "parent_record"],
                    ["people", "manager"],
                    ["people", "name"],
                ],
                "constraints": {"last_name": "Smith"},
            },
            ["e2"],
        ),
        ({"$not": {"path": PARENT_NAME, "constraints": {"$contains": "SM"}}}, ["e2", "e3"]),
    ],
)
def test_entries_filter_by_values_and_parent_record(filter_spec, expected):
    assert select_entries(filter_spec) == expected


def test_entries_sort_by_parent_record_path():
    sorts = [{"path": PARENT_NAME, "field": "last_name", "direction": "asc"}]
    assert select_entries(None, sorts) == ["e3", "e2", "e1"]


def test_entries_are_detected_from_their_ids():
    assert select_entries({"parent_record": P3}, entries=None) == ["e3"]
    with pytest.raises(errors.ApiError, match='unknown attribute "parent_record"'):
        select_entries({"parent_record": P3}, entries=False)


def test_records_have_no_parent_record():
    with pytest.raises(errors.ApiError, match='unknown attribute "parent_record"'):
        select({"parent_record": P1})


# --- robustness ------------------------------------------------------------------------------

_STEPS = [["things", "team"], ["people", "name"], ["things", "name"], ["deals", "name"], ["x"], 1]
_OPERANDS = [None, True, "true", 0, 2.5, "99.50", "", "Ada", "blue", "2024-03-01", [], ["a", 1], {}]
_OPERATORS = ["$eq", "$in", "$contains", "$gt", "$lte", "$not_empty", "$ne", "$nin", "$exists"]
_PROPERTIES = [None, "first_name", "locality", "option", "active_from", "target_record_id", "zz"]


def _random_filter(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.3:
        logic = rng.choice(["$and", "$or", "$not"])
        if logic == "$not":
            return {logic: _random_filter(rng, depth + 1)}
        return {logic: [_random_filter(rng, depth + 1) for _ in range(rng.randint(0, 2))]}
    condition = rng.choice(_OPERANDS)
    if roll < 0.8:
        condition = {rng.choice(_OPERATORS): rng.choice(_OPERANDS)}
    prop = rng.choice(_PROPERTIES)
    if prop is not None:
        condition = {prop: condition}
    if roll < 0.45:
        path = [rng.choice(_STEPS) for _ in range(rng.randint(0, 3))]
        return {"path": path, "constraints": condition}
    slugs = [a["api_slug"] for a in THING_ATTRIBUTES] + ["company.name", "nope"]
    return {rng.choice(slugs): condition}


def test_any_filter_selects_or_is_a_filter_error():
    """Whatever the body holds, the answer is a selection or a 400, never a crash (a 500)."""
    rng = random.Random(7)
    answered = 0
    for _ in range(3000):
        try:
            select(_random_filter(rng))
            answered += 1
        except errors.ApiError as error:
            assert (error.status, error.code) == (400, "filter_error")
    assert answered > 100  # the generator makes valid filters as well as broken ones
