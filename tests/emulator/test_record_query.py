"""`POST /v2/objects/{object}/records/query` with filters and sorts, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from schemactl.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import make_client
from tests.emulator.helpers import assert_error, create_attribute, create_object, ok

TICKETS = "/v2/objects/tickets/records"
CURRENCY = {"currency": {"default_currency_code": "EUR", "display_type": "symbol"}}


def _post(client: httpx.Client, path: str, values: dict[str, Any]) -> dict[str, Any]:
    return ok(client.post(path, json={"data": {"values": values}}))


def _query(client: httpx.Client, object_slug: str = "tickets", **body: Any) -> list[dict]:
    return ok(client.post(f"/v2/objects/{object_slug}/records/query", json=body))


def _summaries(client: httpx.Client, **body: Any) -> list[str]:
    return [r["values"]["summary"][0]["value"] for r in _query(client, **body)]


@pytest.fixture
def desk(client: httpx.Client) -> httpx.Client:
    """A desk of one's own, for tests that change it."""
    return _furnish(client)


@pytest.fixture(scope="module")
def shared_desk() -> Iterator[httpx.Client]:
    """One desk for the tests that only query it (building one takes a few dozen requests)."""
    app = Emulator(EmulatorConfig(id_seed=7))
    with make_client(app) as client:
        yield _furnish(client)
    app.close()


def _furnish(client: httpx.Client) -> httpx.Client:
    """Tickets with one attribute of each writable type, and the people and companies they
    refer to: Ada (at Acme) and Grace (at Navy)."""
    create_object(client, "tickets")
    for slug, kind, extra in (
        ("summary", "text", {}),
        ("points", "number", {}),
        ("urgent", "checkbox", {}),
        ("priority", "select", {}),
        ("tags", "select", {"is_multiselect": True}),
        ("state", "status", {}),
        ("due", "date", {}),
        ("budget", "currency", {"config": CURRENCY}),
        ("stars", "rating", {}),
        ("site", "location", {}),
        (
            "contact",
            "record-reference",
            {"config": {"record_reference": {"allowed_objects": ["people"]}}},
        ),
    ):
        create_attribute(client, "objects", "tickets", slug, kind, **extra)
    for path, titles in (
        ("priority/options", ("Low", "High")),
        ("tags/options", ("red", "blue", "green")),
        ("state/statuses", ("Open", "Done")),
    ):
        for title in titles:
            url = f"/v2/objects/tickets/attributes/{path}"
            ok(client.post(url, json={"data": {"title": title}}))
    _post(client, "/v2/objects/companies/records", {"name": "Acme", "domains": ["acme.com"]})
    _post(client, "/v2/objects/companies/records", {"name": "Navy", "domains": ["navy.mil"]})
    for full, email, domain in (
        ("Lovelace, Ada", "ada@acme.com", "acme.com"),
        ("Hopper, Grace", "grace@navy.mil", "navy.mil"),
    ):
        person = {"name": full, "email_addresses": [email], "company": domain}
        _post(client, "/v2/objects/people/records", person)
    for values in (
        {
            "summary": "Printer on fire",
            "points": 8,
            "urgent": True,
            "priority": "High",
            "tags": ["red", "blue"],
            "state": "Open",
            "due": "2024-05-01",
            "budget": 120.5,
            "stars": 4,
            "site": "1 Infinite Loop, Cupertino, CA, 95014, US",
            "contact": "ada@acme.com",
        },
        {
            "summary": "Paper jam",
            "points": 2,
            "urgent": False,
            "priority": "Low",
            "tags": ["blue"],
            "state": "Done",
            "due": "2024-03-15",
            "budget": 10,
            "contact": "grace@navy.mil",
        },
        {"summary": "Toner low", "points": 5, "tags": ["green"], "state": "Open"},
        {"summary": "Unsorted"},
    ):
        _post(client, TICKETS, values)
    return client


FILTERS = [
    ({"summary": "Paper jam"}, ["Paper jam"]),
    ({"summary": {"$eq": "paper jam"}}, []),
    ({"summary": {"$contains": "PAPER"}}, ["Paper jam"]),
    ({"summary": {"$starts_with": "p", "$ends_with": "e"}}, ["Printer on fire"]),
    ({"summary": {"$in": ["Toner low", "Unsorted"]}}, ["Toner low", "Unsorted"]),
    ({"points": {"$gte": 5}}, ["Printer on fire", "Toner low"]),
    ({"points": {"$gt": 2, "$lt": 8}}, ["Toner low"]),
    ({"points": 2}, ["Paper jam"]),
    ({"urgent": True}, ["Printer on fire"]),
    ({"urgent": {"$eq": False}}, ["Paper jam"]),
    ({"priority": "High"}, ["Printer on fire"]),
    ({"priority": {"option": {"$in": ["Low", "High"]}}}, ["Printer on fire", "Paper jam"]),
    ({"tags": "blue"}, ["Printer on fire", "Paper jam"]),
    ({"tags": {"$eq": "green"}}, ["Toner low"]),
    ({"state": "Open"}, ["Printer on fire", "Toner low"]),
    ({"state": {"status": {"$eq": "Done"}}}, ["Paper jam"]),
    ({"due": {"$lt": "2024-04-01"}}, ["Paper jam"]),
    ({"budget": {"$gte": "100"}}, ["Printer on fire"]),
    ({"budget": {"currency_code": "EUR"}}, ["Printer on fire", "Paper jam"]),
    ({"stars": {"$gt": 3}}, ["Printer on fire"]),
    ({"site": {"locality": {"$contains": "cuper"}, "country_code": "US"}}, ["Printer on fire"]),
    ({"contact": {"target_object": "people"}}, ["Printer on fire", "Paper jam"]),
    ({"$or": [{"state": "Done"}, {"points": {"$gt": 6}}]}, ["Printer on fire", "Paper jam"]),
    ({"$not": {"tags": "blue"}}, ["Toner low", "Unsorted"]),
    ({"$and": [{"state": "Open"}, {"$not": {"urgent": True}}]}, ["Toner low"]),
    # The simplified reference's operators.
    ({"points": {"$ne": 8}}, ["Paper jam", "Toner low", "Unsorted"]),
    ({"tags": {"$nin": ["red", "green"]}}, ["Paper jam", "Unsorted"]),
    ({"due": {"$exists": True}}, ["Printer on fire", "Paper jam"]),
    ({"due": {"$not_exists": True}}, ["Toner low", "Unsorted"]),
    # Drill-down through the contact to the person, and on to their company.
    (
        {
            "path": [["tickets", "contact"], ["people", "name"]],
            "constraints": {"first_name": "Ada"},
        },
        ["Printer on fire"],
    ),
    (
        {
            "path": [["tickets", "contact"], ["people", "company"], ["companies", "domains"]],
            "constraints": {"domain": "navy.mil"},
        },
        ["Paper jam"],
    ),
    ({"contact.email_addresses": {"email_domain": "acme.com"}}, ["Printer on fire"]),
]


@pytest.mark.parametrize(("filter_spec", "expected"), FILTERS)
def test_filters_select_records(shared_desk, filter_spec, expected):
    assert _summaries(shared_desk, filter=filter_spec) == expected


@pytest.mark.parametrize(
    "slug",
    [
        "summary",
        "points",
        "urgent",
        "priority",
        "tags",
        "state",
        "due",
        "budget",
        "stars",
        "site",
        "contact",
    ],
)
def test_not_empty_finds_a_record_using_each_attribute(desk, slug):
    # What the archive guard asks before archiving an attribute.
    found = _query(desk, filter={slug: {"$not_empty": True}}, limit=1)
    assert [r["values"]["summary"][0]["value"] for r in found] == ["Printer on fire"]
    ok(desk.patch(f"/v2/objects/tickets/attributes/{slug}", json={"data": {"is_archived": True}}))
    # An archived attribute can no longer be filtered by.
    response = desk.post(f"{TICKETS}/query", json={"filter": {slug: {"$not_empty": True}}})
    assert_error(response, 400, "filter_error", mentions=f'unknown attribute "{slug}"')


@pytest.mark.parametrize(
    ("slug", "title", "in_use"),
    [
        ("priority", "Low", True),
        ("tags", "green", True),
        ("tags", "red", True),
        ("state", "Done", True),
        ("priority", "Unused", False),
    ],
)
def test_eq_on_a_title_finds_records_using_an_option_or_status(desk, slug, title, in_use):
    # What the archive guard asks before archiving a select option or a status.
    ok(
        desk.post(
            "/v2/objects/tickets/attributes/priority/options", json={"data": {"title": "Unused"}}
        )
    )
    found = _query(desk, filter={slug: {"$eq": title}}, limit=1)
    assert len(found) == (1 if in_use else 0)


def test_option_titles_follow_renames_and_archives(desk):
    options = "/v2/objects/tickets/attributes/tags/options"
    ok(desk.patch(f"{options}/red", json={"data": {"title": "crimson"}}))
    assert _summaries(desk, filter={"tags": "crimson"}) == ["Printer on fire"]
    assert _summaries(desk, filter={"tags": "red"}) == []
    ok(desk.patch(f"{options}/crimson", json={"data": {"is_archived": True}}))
    # Records keep an archived option, and still match its title.
    assert _summaries(desk, filter={"tags": "crimson"}) == ["Printer on fire"]
    option_id = next(
        o for o in ok(desk.get(f"{options}?show_archived=true")) if o["title"] == "crimson"
    )
    assert _summaries(desk, filter={"tags": option_id["id"]["option_id"]}) == ["Printer on fire"]


def test_filter_by_attribute_id_and_record_id(shared_desk):
    points = ok(shared_desk.get("/v2/objects/tickets/attributes/points"))
    assert _summaries(shared_desk, filter={points["id"]["attribute_id"]: 5}) == ["Toner low"]
    records = _query(shared_desk)
    wanted = [records[1]["id"]["record_id"], records[3]["id"]["record_id"]]
    assert _summaries(shared_desk, filter={"record_id": {"$in": wanted}}) == [
        "Paper jam",
        "Unsorted",
    ]


SORTS = [
    (
        [{"attribute": "points", "direction": "asc"}],
        ["Paper jam", "Toner low", "Printer on fire", "Unsorted"],
    ),
    (
        [{"attribute": "points", "direction": "desc"}],
        ["Printer on fire", "Toner low", "Paper jam", "Unsorted"],
    ),
    (
        [{"attribute": "summary", "direction": "asc"}],
        ["Paper jam", "Printer on fire", "Toner low", "Unsorted"],
    ),
    (
        [{"attribute": "due", "direction": "desc"}],
        ["Printer on fire", "Paper jam", "Toner low", "Unsorted"],
    ),
    (
        [{"attribute": "state", "direction": "desc"}, {"attribute": "points", "direction": "asc"}],
        ["Toner low", "Printer on fire", "Paper jam", "Unsorted"],
    ),
    (
        [
            {
                "path": [["tickets", "contact"], ["people", "name"]],
                "field": "first_name",
                "direction": "desc",
            }
        ],
        ["Paper jam", "Printer on fire", "Toner low", "Unsorted"],
    ),
    # Ties (records made within one clock tick) keep their order: the sort is stable.
    (
        [{"attribute": "created_at", "direction": "asc"}],
        ["Printer on fire", "Paper jam", "Toner low", "Unsorted"],
    ),
]


@pytest.mark.parametrize(("sorts", "expected"), SORTS)
def test_sorts_order_records_with_empty_values_last(shared_desk, sorts, expected):
    assert _summaries(shared_desk, sorts=sorts) == expected


def test_pages_come_after_filtering_and_sorting(shared_desk):
    body = {
        "filter": {"points": {"$not_empty": True}},
        "sorts": [{"attribute": "points", "direction": "desc"}],
    }
    assert _summaries(shared_desk, **body, limit=2) == ["Printer on fire", "Toner low"]
    assert _summaries(shared_desk, **body, limit=2, offset=2) == ["Paper jam"]


def _full_names(records: list[dict[str, Any]]) -> list[str]:
    return [r["values"]["name"][0]["full_name"] for r in records]


def test_standard_objects_filter_by_name_email_and_domain(shared_desk):
    assert _full_names(_query(shared_desk, "people", filter={"name": "Ada Lovelace"})) == [
        "Ada Lovelace"
    ]
    assert _full_names(
        _query(shared_desk, "people", filter={"email_addresses": "GRACE@navy.mil"})
    ) == ["Grace Hopper"]
    by_first = {"name": {"first_name": {"$starts_with": "gr"}}}
    assert _full_names(_query(shared_desk, "people", filter=by_first)) == ["Grace Hopper"]
    by_last = [{"attribute": "name", "field": "last_name", "direction": "asc"}]
    assert _full_names(_query(shared_desk, "people", sorts=by_last)) == [
        "Grace Hopper",
        "Ada Lovelace",
    ]
    team_of_acme = {
        "path": [["companies", "team"], ["people", "email_addresses"]],
        "constraints": {"email_domain": "acme.com"},
    }
    companies = _query(shared_desk, "companies", filter=team_of_acme)
    assert [c["values"]["name"][0]["value"] for c in companies] == ["Acme"]
    assert len(_query(shared_desk, "companies", filter={"domains": {"$not_empty": True}})) == 2


def test_deals_filter_by_stage_title(client):
    for stage in ("Won 🎉", "Lost"):
        values = {"name": f"Deal {stage}", "stage": stage, "owner": "ada@example.com"}
        _post(client, "/v2/objects/deals/records", values)
    won = _query(client, "deals", filter={"stage": "Won 🎉"})
    assert [d["values"]["name"][0]["value"] for d in won] == ["Deal Won 🎉"]
    assert (
        len(_query(client, "deals", filter={"$not": {"stage": {"$in": ["Won 🎉", "Lost"]}}})) == 0
    )


ERRORS = [
    ({"filter": ["summary"]}, "the filter must be an object"),
    ({"filter": {"nope": 1}}, 'unknown attribute "nope"'),
    ({"filter": {"summary": {"$regex": "x"}}}, 'unknown operator "$regex"'),
    (
        {"filter": {"points": {"$contains": "1"}}},
        '"$contains" cannot be used on the number attribute',
    ),
    ({"filter": {"urgent": {"$gt": True}}}, '"$gt" cannot be used'),
    ({"filter": {"points": "many"}}, 'expected a number, not "many"'),
    ({"filter": {"site": "Cupertino"}}, "by one of its properties"),
    ({"filter": {"path": [["tickets", "contact"]]}}, "needs both 'path' and 'constraints'"),
    ({"filter": {"path": [["people", "name"]], "constraints": "x"}}, 'not "people"'),
    (
        {"filter": {"path": [["tickets", "contact"], ["robots", "name"]], "constraints": "x"}},
        'no object has the slug or ID "robots"',
    ),
    (
        {"filter": {"path": [["tickets", "contact"], ["companies", "name"]], "constraints": "x"}},
        '"contact" does not refer to "companies" records',
    ),
    (
        {"filter": {"path": [["tickets", "summary"], ["people", "name"]], "constraints": "x"}},
        "only record references can be followed",
    ),
    ({"sorts": {"attribute": "points"}}, "sorts must be an array"),
    ({"sorts": [{"attribute": "points", "direction": "up"}]}, "'direction' must be"),
    ({"sorts": [{"attribute": "nope", "direction": "asc"}]}, 'unknown attribute "nope"'),
    (
        {"sorts": [{"attribute": "site", "field": "latitude", "direction": "asc"}]},
        'no field "latitude"',
    ),
]


@pytest.mark.parametrize(("body", "mentions"), ERRORS)
def test_bad_filters_and_sorts_are_400_filter_error(shared_desk, body, mentions):
    response = shared_desk.post(f"{TICKETS}/query", json=body)
    assert_error(response, 400, "filter_error", mentions=mentions)
