"""Record updates: PATCH (appends), PUT (overwrites), assert by a matching attribute, the values
listing with history, and the webhook events writes raise."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schemactl.emulator import Emulator, records
from tests.emulator.helpers import assert_error, create_attribute, create_object, ok

BASE = "/v2/objects/tickets/records"
PEOPLE = "/v2/objects/people/records"


@pytest.fixture
def tickets(client: httpx.Client) -> httpx.Client:
    create_object(client, "tickets")
    create_attribute(client, "objects", "tickets", "summary", "text")
    create_attribute(client, "objects", "tickets", "points", "number")
    create_attribute(client, "objects", "tickets", "code", "text", is_unique=True)
    create_attribute(client, "objects", "tickets", "tags", "select", is_multiselect=True)
    for title in ("red", "blue", "green"):
        ok(client.post("/v2/objects/tickets/attributes/tags/options", json=_title(title)))
    return client


def _title(title: str) -> dict[str, Any]:
    return {"data": {"title": title}}


def _body(**values: Any) -> dict[str, Any]:
    return {"data": {"values": values}}


def _create(client: httpx.Client, **values: Any) -> dict[str, Any]:
    return ok(client.post(BASE, json=_body(**values)))


def _tags(record: dict[str, Any]) -> list[str]:
    return [v["option"]["title"] for v in record["values"]["tags"]]


def _emails(record: dict[str, Any]) -> list[str]:
    return [v["email_address"] for v in record["values"]["email_addresses"]]


# --- PATCH and PUT -------------------------------------------------------------------------------


def test_patch_prepends_multiselect_values_and_replaces_single_ones(tickets):
    created = _create(tickets, summary="first", points=1, tags=["red"])
    path = f"{BASE}/{created['id']['record_id']}"
    patched = ok(tickets.patch(path, json=_body(summary="second", tags=["blue", "red"])))
    assert patched["values"]["summary"][0]["value"] == "second"
    assert _tags(patched) == ["blue", "red"]  # Attio prepends what it adds
    assert patched["values"]["points"] == created["values"]["points"]  # untouched
    # The value that stayed keeps its stamp; the added one is newer.
    assert patched["values"]["tags"][1] == created["values"]["tags"][0]
    assert ok(tickets.get(path)) == patched


def test_put_overwrites_the_given_attributes_only(tickets):
    created = _create(tickets, summary="first", points=1, tags=["red", "blue"])
    path = f"{BASE}/{created['id']['record_id']}"
    put = ok(tickets.put(path, json=_body(tags=["green", "blue"])))
    assert _tags(put) == ["green", "blue"]
    assert put["values"]["tags"][1] == created["values"]["tags"][1]
    assert put["values"]["summary"] == created["values"]["summary"]
    cleared = ok(tickets.put(path, json=_body(tags=[], summary=None)))
    assert cleared["values"]["tags"] == cleared["values"]["summary"] == []
    assert cleared["values"]["points"] == created["values"]["points"]


def test_patch_with_null_or_an_empty_list_clears(tickets):
    created = _create(tickets, summary="x", tags=["red"])
    path = f"{BASE}/{created['id']['record_id']}"
    patched = ok(tickets.patch(path, json=_body(summary=None, tags=[])))
    assert patched["values"]["summary"] == patched["values"]["tags"] == []


def test_required_values_cannot_be_cleared_but_other_writes_are_fine(tickets):
    created = _create(tickets, summary="x")
    path = f"{BASE}/{created['id']['record_id']}"
    # Made required after the record exists: Attio does not backfill, so other writes pass.
    ok(tickets.patch("/v2/objects/tickets/attributes/points", json={"data": {"is_required": True}}))
    ok(tickets.patch(path, json=_body(summary="y")))
    for method in ("PATCH", "PUT"):
        response = tickets.request(method, path, json=_body(points=None))
        assert_error(response, 400, "missing_value", mentions="points")
    ok(tickets.put(path, json=_body(points=3)))
    for method in ("PATCH", "PUT"):
        response = tickets.request(method, path, json=_body(points=[]))
        assert_error(response, 400, "missing_value", mentions="points")
    assert ok(tickets.get(path))["values"]["points"][0]["value"] == 3


def test_unique_values_are_checked_against_other_records_only(tickets):
    first = _create(tickets, code="T-1")
    second = _create(tickets, code="T-2")
    path = f"{BASE}/{second['id']['record_id']}"
    for method in ("PATCH", "PUT"):
        response = tickets.request(method, path, json=_body(code="T-1"))
        assert_error(response, 409, "uniqueness_conflict", mentions="code")
    ok(tickets.patch(path, json=_body(code="T-2")))  # its own value
    ok(tickets.put(f"{BASE}/{first['id']['record_id']}", json=_body(code="T-1", summary="s")))
    ok(tickets.patch(path, json=_body(code="T-3")))
    ok(tickets.patch(f"{BASE}/{first['id']['record_id']}", json=_body(code="T-2")))  # freed


def test_update_errors(tickets):
    record_id = _create(tickets)["id"]["record_id"]
    path = f"{BASE}/{record_id}"
    missing = "8d0c9d43-1111-4aaa-8bbb-123456789abc"
    for method in ("PATCH", "PUT"):
        assert_error(tickets.request(method, f"{BASE}/{missing}", json=_body()), 404, "not_found")
        response = tickets.request(method, f"{PEOPLE}/{record_id}", json=_body())
        assert_error(response, 404, "not_found")
        response = tickets.request(method, "/v2/objects/nope/records/x", json=_body())
        assert_error(response, 404, "not_found")
        assert_error(tickets.request(method, path, json={"data": {}}), 400, "validation_type")
        response = tickets.request(method, path, json={"data": {"values": {}, "x": 1}})
        assert_error(response, 400, "validation_type", mentions="data.x")
        response = tickets.request(method, path, json=_body(nope=1))
        assert_error(response, 400, "value_not_found", mentions="nope")
        response = tickets.request(method, path, json=_body(record_id="x"))
        assert_error(response, 400, "immutable_value", mentions="record_id")
        response = tickets.request(method, path, json=_body(points="many"))
        assert_error(response, 400, "validation_type", mentions="points")


def test_a_failed_update_changes_nothing(tickets):
    created = _create(tickets, summary="kept", code="T-1")
    _create(tickets, code="T-2")
    path = f"{BASE}/{created['id']['record_id']}"
    response = tickets.put(path, json=_body(summary="lost", code="T-2"))
    assert_error(response, 409, "uniqueness_conflict")
    assert ok(tickets.get(path)) == created


# --- assert --------------------------------------------------------------------------------------


def test_assert_creates_then_updates_the_matching_record(tickets):
    url = f"{BASE}?matching_attribute=code"
    created = ok(tickets.put(url, json=_body(code="T-1", summary="first", tags=["red"])))
    updated = ok(tickets.put(url, json=_body(code="T-1", summary="second", tags=["blue"])))
    assert updated["id"] == created["id"]
    assert updated["values"]["summary"][0]["value"] == "second"
    assert _tags(updated) == ["blue"]  # other multiselect attributes are overwritten
    other = ok(tickets.put(url, json=_body(code="T-2")))
    assert other["id"] != created["id"]
    assert len(ok(tickets.post(f"{BASE}/query", json={}))) == 2


def test_assert_by_attribute_id_and_by_the_body_field(tickets):
    code = ok(tickets.get("/v2/objects/tickets/attributes/code"))["id"]["attribute_id"]
    created = ok(tickets.put(f"{BASE}?matching_attribute={code}", json=_body(code="T-1")))
    body = {"data": {"matching_attribute": "code", "values": {"code": "T-1", "points": 2}}}
    updated = ok(tickets.put(BASE, json=body))
    assert updated["id"] == created["id"]
    assert updated["values"]["points"][0]["value"] == 2


def test_assert_appends_to_a_multiselect_matching_attribute(client):
    url = f"{PEOPLE}?matching_attribute=email_addresses"
    created = ok(client.put(url, json=_body(email_addresses=["a@x.com"], job_title="CTO")))
    updated = ok(client.put(url, json=_body(email_addresses=["b@x.com", "a@x.com"])))
    assert updated["id"] == created["id"]
    assert sorted(_emails(updated)) == ["a@x.com", "b@x.com"]
    assert updated["values"]["job_title"] == created["values"]["job_title"]
    # Values of two different people: Attio cannot tell which to update.
    ok(client.put(url, json=_body(email_addresses=["c@x.com"])))
    response = client.put(url, json=_body(email_addresses=["a@x.com", "c@x.com"]))
    assert_error(response, 400, "multiple_match_results", mentions="email_addresses")


def test_assert_matches_normalised_values(client):
    url = "/v2/objects/companies/records?matching_attribute=domains"
    created = ok(client.put(url, json=_body(domains=["acme.com"], name="Acme")))
    updated = ok(client.put(url, json=_body(domains=["https://ACME.com/about"], name="ACME")))
    assert updated["id"] == created["id"]
    assert updated["values"]["name"][0]["value"] == "ACME"


@pytest.mark.parametrize(
    ("url", "values", "status", "code", "mentions"),
    [
        (BASE, {"code": "T-1"}, 400, "validation_type", "matching_attribute"),
        (
            f"{BASE}?matching_attribute=",
            {"code": "T-1"},
            400,
            "validation_type",
            "matching_attribute",
        ),
        (f"{BASE}?matching_attribute=nope", {"code": "T-1"}, 400, "value_not_found", "nope"),
        (f"{BASE}?matching_attribute=summary", {"summary": "x"}, 400, "validation_type", "unique"),
        (f"{BASE}?matching_attribute=code", {"summary": "x"}, 400, "missing_value", "code"),
        (f"{BASE}?matching_attribute=code", {"code": None}, 400, "missing_value", "code"),
        (f"{BASE}?matching_attribute=code", {"code": 5}, 400, "validation_type", "code"),
        ("/v2/objects/nope/records?matching_attribute=code", {}, 404, "not_found", "nope"),
    ],
)
def test_assert_errors(tickets, url, values, status, code, mentions):
    assert_error(tickets.put(url, json=_body(**values)), status, code, mentions=mentions)


def test_assert_query_and_body_must_agree(tickets):
    body = {"data": {"matching_attribute": "summary", "values": {"code": "T-1"}}}
    response = tickets.put(f"{BASE}?matching_attribute=code", json=body)
    assert_error(response, 400, "validation_type", mentions="matching_attribute")


def test_assert_create_checks_other_unique_attributes(client):
    create_attribute(client, "objects", "people", "badge", "text", is_unique=True)
    url = f"{PEOPLE}?matching_attribute=email_addresses"
    ok(client.put(url, json=_body(email_addresses=["a@x.com"], badge="B-1")))
    response = client.put(url, json=_body(email_addresses=["b@x.com"], badge="B-1"))
    assert_error(response, 409, "uniqueness_conflict", mentions="badge")


# --- values listing and history ------------------------------------------------------------------


def test_values_listing_shows_active_or_all_values_oldest_first(tickets):
    record_id = _create(tickets, summary="a", tags=["red"])["id"]["record_id"]
    path = f"{BASE}/{record_id}"
    ok(tickets.patch(path, json=_body(summary="b")))
    ok(tickets.patch(path, json=_body(summary="c", tags=["blue"])))
    values_url = f"{path}/attributes/summary/values"
    [current] = ok(tickets.get(values_url))
    assert current["value"] == "c"
    assert ok(tickets.get(f"{values_url}?show_historic=false")) == [current]
    history = ok(tickets.get(f"{values_url}?show_historic=true"))
    assert [v["value"] for v in history] == ["a", "b", "c"]
    assert [v["active_until"] is None for v in history] == [False, False, True]
    assert history[0]["active_until"] == history[1]["active_from"]
    assert history[1]["active_until"] == history[2]["active_from"]
    assert ok(tickets.get(f"{values_url}?show_historic=true&limit=2&offset=1")) == history[1:]
    assert ok(tickets.get(f"{values_url}?show_historic=true&offset=5")) == []
    # A multiselect attribute: both tags are active, none replaced (PATCH appends).
    assert [v["option"]["title"] for v in ok(tickets.get(f"{path}/attributes/tags/values"))] == [
        "blue",
        "red",
    ]
    # By attribute id too, and unset attributes list nothing.
    points = ok(tickets.get("/v2/objects/tickets/attributes/points"))["id"]["attribute_id"]
    assert ok(tickets.get(f"{path}/attributes/{points}/values?show_historic=true")) == []


def test_put_keeps_removed_multiselect_values_as_history(tickets):
    record_id = _create(tickets, tags=["red", "blue"])["id"]["record_id"]
    path = f"{BASE}/{record_id}"
    ok(tickets.put(path, json=_body(tags=["blue"])))
    history = ok(tickets.get(f"{path}/attributes/tags/values?show_historic=true"))
    assert [(v["option"]["title"], v["active_until"] is None) for v in history] == [
        ("red", False),
        ("blue", True),
    ]


def test_an_unchanged_write_makes_no_history(tickets):
    record_id = _create(tickets, summary="same")["id"]["record_id"]
    path = f"{BASE}/{record_id}"
    ok(tickets.put(path, json=_body(summary="same")))
    ok(tickets.patch(path, json=_body(summary=["same"])))
    assert len(ok(tickets.get(f"{path}/attributes/summary/values?show_historic=true"))) == 1


def test_values_listing_errors(tickets):
    record_id = _create(tickets)["id"]["record_id"]
    path = f"{BASE}/{record_id}"
    assert_error(tickets.get(f"{path}/attributes/nope/values"), 404, "not_found", mentions="nope")
    missing = f"{BASE}/8d0c9d43-1111-4aaa-8bbb-123456789abc/attributes/summary/values"
    assert_error(tickets.get(missing), 404, "not_found")
    bad = f"{path}/attributes/summary/values?show_historic=maybe"
    assert_error(tickets.get(bad), 400, "validation_type", mentions="show_historic")
    for query in ("limit=0", "limit=x", "offset=-1"):
        response = tickets.get(f"{path}/attributes/summary/values?{query}")
        assert_error(response, 400, "validation_type", mentions=query.split("=")[0])


def test_no_history_of_interaction_attributes(client):
    person = ok(client.post(PEOPLE, json=_body()))["id"]["record_id"]
    url = f"{PEOPLE}/{person}/attributes/first_interaction/values"
    assert ok(client.get(url)) == []
    assert_error(client.get(f"{url}?show_historic=true"), 400, "validation_type", mentions="COMINT")


# --- webhook events ------------------------------------------------------------------------------


def _events(emulator: Emulator, write: Any) -> list[tuple[str, str | None]]:
    """The (event type, attribute slug) pairs a direct write through `records` raises."""
    ws = emulator.workspace
    with emulator.store.transaction():
        ws.take_events()
        write(ws)
        events = ws.take_events()
    slugs = {a["id"]["attribute_id"]: a["api_slug"] for a in ws.store.all("attribute")}
    for event in events:  # Attio's payload: the record's ids, plus attribute_id for updates
        expected = {"workspace_id", "object_id", "record_id"}
        if event["event_type"] == "record.updated":
            expected.add("attribute_id")
        assert set(event["id"]) == expected
    return [(e["event_type"], slugs.get(e["id"].get("attribute_id"))) for e in events]


def test_updates_raise_one_event_per_changed_attribute(tickets, emulator):
    record_id = _create(tickets, summary="a", points=1)["id"]["record_id"]

    def patch(ws: Any) -> None:
        body = _body(summary="b", points=1, tags=["red"], code=None)
        records.update_record(ws, "tickets", record_id, body, "append")

    assert _events(emulator, patch) == [
        ("record.updated", "summary"),
        ("record.updated", "tags"),
    ]
    assert _events(emulator, patch) == []  # nothing changes the second time


def test_assert_raises_created_then_updated(tickets, emulator):
    def upsert(points: int) -> Any:
        body = _body(code="T-1", points=points)
        return lambda ws: records.assert_record(ws, "tickets", {"matching_attribute": "code"}, body)

    assert _events(emulator, upsert(1)) == [("record.created", None)]
    assert _events(emulator, upsert(2)) == [("record.updated", "points")]
    assert _events(emulator, upsert(2)) == []


def test_relationship_changes_raise_events_on_both_records(client, emulator):
    company = ok(client.post("/v2/objects/companies/records", json=_body(domains=["acme.com"])))
    person = ok(client.post(PEOPLE, json=_body(email_addresses=["a@x.com"])))
    person_id = person["id"]["record_id"]

    def join(ws: Any) -> None:
        records.update_record(ws, "people", person_id, _body(company="acme.com"), "append")

    events = _events(emulator, join)
    assert events == [("record.updated", "company"), ("record.updated", "team")]
    team = ok(client.get(f"/v2/objects/companies/records/{company['id']['record_id']}"))
    assert team["values"]["team"][0]["target_record_id"] == person_id
