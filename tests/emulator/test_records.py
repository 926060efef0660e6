"""Records of objects: create, get, delete and query, with values in Attio's shapes.

Every value type is covered in test_record_values.py; updates, assert and history in
test_record_writes.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_attribute, create_object, ok

BASE = "/v2/objects/tickets/records"
CURRENCY = {"currency": {"default_currency_code": "EUR", "display_type": "symbol"}}


@pytest.fixture
def tickets(client: httpx.Client) -> httpx.Client:
    """A custom object with one attribute of every supported type, plus a few extras."""
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
        ("code", "text", {"is_unique": True}),
        ("rating", "rating", {}),
    ):
        create_attribute(client, "objects", "tickets", slug, kind, **extra)
    for title in ("Low", "High", "Old"):
        ok(client.post("/v2/objects/tickets/attributes/priority/options", json=_title(title)))
    ok(
        client.patch(
            "/v2/objects/tickets/attributes/priority/options/Old",
            json={"data": {"is_archived": True}},
        )
    )
    for title in ("red", "blue"):
        ok(client.post("/v2/objects/tickets/attributes/tags/options", json=_title(title)))
    for title in ("Open", "Done"):
        ok(client.post("/v2/objects/tickets/attributes/state/statuses", json=_title(title)))
    return client


def _title(title: str) -> dict[str, Any]:
    return {"data": {"title": title}}


def _create(client: httpx.Client, values: dict[str, Any]) -> httpx.Response:
    return client.post(BASE, json={"data": {"values": values}})


def _choice(client: httpx.Client, path: str, title: str) -> dict[str, Any]:
    choices = ok(client.get(f"/v2/objects/tickets/attributes/{path}"))
    return next(c for c in choices if c["title"] == title)


def _query(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    return ok(client.post(f"{BASE}/query", json=body))


def test_create_get_and_delete(tickets):
    record = ok(_create(tickets, {"summary": "Printer on fire"}))
    record_id = record["id"]["record_id"]
    assert set(record) == {"id", "created_at", "web_url", "values"}
    assert record["web_url"].endswith(f"/tickets/{record_id}")
    assert record["values"]["summary"][0]["value"] == "Printer on fire"
    assert record["values"]["summary"][0]["active_until"] is None
    assert record["values"]["summary"][0]["created_by_actor"]["type"] == "api-token"
    assert record["values"]["record_id"][0]["value"] == record_id
    assert record["values"]["created_at"][0]["attribute_type"] == "timestamp"
    # Every attribute of the object is present; unset ones are empty.
    attributes = ok(tickets.get("/v2/objects/tickets/attributes"))
    assert set(record["values"]) == {a["api_slug"] for a in attributes}
    assert record["values"]["points"] == []
    assert ok(tickets.get(f"{BASE}/{record_id}")) == record
    response = tickets.delete(f"{BASE}/{record_id}")
    assert response.status_code == 200
    assert response.json() == {}
    assert_error(tickets.get(f"{BASE}/{record_id}"), 404, "not_found")
    assert_error(tickets.delete(f"{BASE}/{record_id}"), 404, "not_found")


def test_unknown_record_and_object_are_404(tickets):
    assert_error(tickets.get(f"{BASE}/not-a-uuid"), 404, "not_found")
    other = ok(_create(tickets, {}))["id"]["record_id"]
    assert_error(tickets.get(f"/v2/objects/people/records/{other}"), 404, "not_found")
    assert_error(tickets.post("/v2/objects/nope/records/query", json={}), 404, "not_found")


def test_query_pages_in_creation_order(tickets):
    ids = [ok(_create(tickets, {"points": n}))["id"]["record_id"] for n in range(5)]
    assert [r["id"]["record_id"] for r in _query(tickets)] == ids
    assert [r["id"]["record_id"] for r in _query(tickets, limit=2)] == ids[:2]
    assert [r["id"]["record_id"] for r in _query(tickets, limit=2, offset=3)] == ids[3:]
    assert _query(tickets, offset=10) == []
    response = tickets.post(f"{BASE}/query")
    assert len(ok(response)) == 5
    assert_error(tickets.post(f"{BASE}/query", json={"limit": 0}), 400, "validation_type")
    assert_error(tickets.post(f"{BASE}/query", json={"offset": -1}), 400, "validation_type")
    assert_error(tickets.post(f"{BASE}/query", json={"data": {}}), 400, "validation_type")


def test_empty_filter_and_sorts_are_accepted(tickets):
    ok(_create(tickets, {}))
    assert len(_query(tickets, filter={}, sorts=[])) == 1


@pytest.mark.parametrize(
    ("slug", "given", "key", "expected"),
    [
        ("summary", "hello", "value", "hello"),
        ("summary", ["hello"], "value", "hello"),
        ("points", 4.5, "value", 4.5),
        ("urgent", True, "value", True),
        ("urgent", "false", "value", False),
        ("due", "2026-03-01", "value", "2026-03-01"),
    ],
)
def test_scalar_round_trip(tickets, slug, given, key, expected):
    record = ok(_create(tickets, {slug: given}))
    fetched = ok(tickets.get(f"{BASE}/{record['id']['record_id']}"))
    for shown in (record, fetched):
        [value] = shown["values"][slug]
        assert value[key] == expected
        assert (
            value["attribute_type"]
            == ok(tickets.get(f"/v2/objects/tickets/attributes/{slug}"))["type"]
        )


def test_currency_round_trip(tickets):
    [value] = ok(_create(tickets, {"budget": 1250}))["values"]["budget"]
    assert value["currency_value"] == 1250
    assert value["currency_code"] == "EUR"
    assert value["attribute_type"] == "currency"


def test_select_by_title_or_id(tickets):
    high = _choice(tickets, "priority/options", "High")
    by_title = ok(_create(tickets, {"priority": "High"}))["values"]["priority"]
    by_id = ok(_create(tickets, {"priority": high["id"]["option_id"]}))["values"]["priority"]
    assert by_title[0]["option"] == by_id[0]["option"] == high
    assert by_title[0]["attribute_type"] == "select"


def test_multiselect_takes_arrays(tickets):
    values = ok(_create(tickets, {"tags": ["red", "blue"]}))["values"]["tags"]
    assert [v["option"]["title"] for v in values] == ["red", "blue"]


def test_status_by_title_or_id(tickets):
    done = _choice(tickets, "state/statuses", "Done")
    by_title = ok(_create(tickets, {"state": "Done"}))["values"]["state"]
    by_id = ok(_create(tickets, {"state": done["id"]["status_id"]}))["values"]["state"]
    assert by_title[0]["status"] == by_id[0]["status"] == done
    assert by_title[0]["attribute_type"] == "status"


def test_values_by_attribute_id(tickets):
    points = ok(tickets.get("/v2/objects/tickets/attributes/points"))
    record = ok(_create(tickets, {points["id"]["attribute_id"]: 3}))
    assert record["values"]["points"][0]["value"] == 3


@pytest.mark.parametrize(
    ("values", "mentions"),
    [
        ({"summary": 5}, "string"),
        ({"points": "5"}, "number"),
        ({"points": True}, "number"),
        ({"urgent": "yes"}, "boolean"),
        ({"due": "01/03/2026"}, "ISO 8601"),
        ({"due": "2026-02-30"}, "calendar date"),
        ({"budget": "ten"}, "ten"),
        ({"priority": "Old"}, "archived"),
        ({"summary": ["a", "b"]}, "single value"),
        ({"priority": ["Low", "High"]}, "single value"),
        ({"rating": 9}, "0 to 5"),
    ],
)
def test_bad_values_are_validation_errors(tickets, values, mentions):
    assert_error(_create(tickets, values), 400, "validation_type", mentions=mentions)


@pytest.mark.parametrize(
    ("values", "mentions"), [({"priority": "Missing"}, "Missing"), ({"state": "Nope"}, "Nope")]
)
def test_unknown_options_and_statuses_are_value_not_found(tickets, values, mentions):
    # As the document's example for creating a record: no option with that title.
    assert_error(_create(tickets, values), 400, "value_not_found", mentions=mentions)


def test_unknown_attribute_is_value_not_found(tickets):
    assert_error(_create(tickets, {"nope": "x"}), 400, "value_not_found", mentions="nope")


@pytest.mark.parametrize("slug", ["record_id", "created_at", "created_by"])
def test_system_attributes_are_immutable(tickets, slug):
    assert_error(_create(tickets, {slug: "x"}), 400, "immutable_value", mentions=slug)


def test_required_value_missing(tickets):
    create_attribute(tickets, "objects", "tickets", "title", "text", is_required=True)
    assert_error(_create(tickets, {"summary": "x"}), 400, "missing_value", mentions="title")
    assert_error(_create(tickets, {"title": []}), 400, "missing_value", mentions="title")
    ok(_create(tickets, {"title": "T"}))


def test_unique_conflict(tickets):
    ok(_create(tickets, {"code": "T-1"}))
    assert_error(_create(tickets, {"code": "T-1"}), 409, "uniqueness_conflict", mentions="code")
    ok(_create(tickets, {"code": "T-2"}))
    assert len(_query(tickets)) == 2


def test_create_body_is_validated(tickets):
    assert_error(tickets.post(BASE, json={"data": {}}), 400, "validation_type")
    assert_error(tickets.post(BASE, json={"data": {"values": []}}), 400, "validation_type")
    assert_error(tickets.post(BASE, json={"values": {}}), 400, "validation_type")
