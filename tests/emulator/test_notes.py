"""Notes: create in plaintext or markdown, list by parent with paging, get, delete, events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, ok

MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _record(client: httpx.Client, object_slug: str = "companies") -> str:
    record = ok(client.post(f"/v2/objects/{object_slug}/records", json={"data": {"values": {}}}))
    return record["id"]["record_id"]


@pytest.fixture
def company(client: httpx.Client) -> str:
    return _record(client)


def _body(record_id: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "parent_object": "companies",
        "parent_record_id": record_id,
        "title": "Kick-off call",
        "format": "plaintext",
        "content": "Agreed on a pilot.\nNext call in May.",
    }
    return {"data": {**data, **overrides}}


def _create(client: httpx.Client, record_id: str, **overrides: Any) -> dict[str, Any]:
    return ok(client.post("/v2/notes", json=_body(record_id, **overrides)))


def test_create_get_and_list_a_plaintext_note(client, company):
    note = _create(client, company)
    assert set(note) == {
        "id",
        "parent_object",
        "parent_record_id",
        "title",
        "meeting_id",
        "content_plaintext",
        "content_markdown",
        "tags",
        "created_by_actor",
        "created_at",
    }
    assert note["parent_object"] == "companies"
    assert note["parent_record_id"] == company
    assert note["title"] == "Kick-off call"
    assert (
        note["content_plaintext"]
        == note["content_markdown"]
        == ("Agreed on a pilot.\nNext call in May.")
    )
    assert note["meeting_id"] is None
    assert note["tags"] == []
    assert note["created_by_actor"]["type"] == "api-token"
    assert note["created_at"].endswith("000Z")
    note_id = note["id"]["note_id"]
    assert ok(client.get(f"/v2/notes/{note_id}")) == note
    assert ok(client.get("/v2/notes")) == [note]


def test_markdown_content_is_also_given_as_plain_text(client, company):
    markdown = (
        "# Recap\n\n**Date:** today, with _Alex_ and *Jamie*\n\n"
        "## Actions\n\n- ~~drop~~ ==keep== the [roadmap](https://example.com/r)\n"
        "1. review snake_case_names"
    )
    note = _create(client, company, format="markdown", content=markdown)
    assert note["content_markdown"] == markdown
    assert note["content_plaintext"] == (
        "Recap\n\nDate: today, with Alex and Jamie\n\n"
        "Actions\n\n- drop keep the roadmap\n1. review snake_case_names"
    )


def test_parent_object_may_be_given_by_id_and_reads_back_as_slug(client, company):
    companies = ok(client.get("/v2/objects/companies"))
    note = _create(client, company, parent_object=companies["id"]["object_id"])
    assert note["parent_object"] == "companies"


def test_parent_record_in_the_simplified_reference_form(client, company):
    note = _create(client, company, parent_record_id={"record_id": company})
    assert note["parent_record_id"] == company


def test_created_at_can_be_backdated(client, company):
    note = _create(client, company, created_at="2023-01-01T15:00:00.123+02:00")
    assert note["created_at"] == "2023-01-01T13:00:00.123000000Z"
    note = _create(client, company, created_at="2023-01-01T15:00:00.000000000Z")
    assert note["created_at"] == "2023-01-01T15:00:00.000000000Z"


@pytest.mark.parametrize(
    "created_at", ["1969-12-31T23:59:59Z", "2999-01-01T00:00:00Z", "yesterday", 1700000000]
)
def test_created_at_before_1970_in_the_future_or_malformed_is_refused(client, company, created_at):
    response = client.post("/v2/notes", json=_body(company, created_at=created_at))
    assert_error(response, 400, "validation_type", mentions="data.created_at")


def test_meeting_id_must_name_a_meeting(client, company):
    assert _create(client, company, meeting_id=None)["meeting_id"] is None
    response = client.post("/v2/notes", json=_body(company, meeting_id=MISSING_ID))
    assert_error(response, 404, "not_found", mentions=MISSING_ID)
    response = client.post("/v2/notes", json=_body(company, meeting_id="soon"))
    assert_error(response, 400, "validation_type", mentions="data.meeting_id")


def test_unknown_parent_object_or_record_is_404(client, company):
    response = client.post("/v2/notes", json=_body(company, parent_object="planets"))
    assert_error(response, 404, "not_found", mentions='"planets"')
    response = client.post("/v2/notes", json=_body(MISSING_ID))
    assert_error(response, 404, "not_found", mentions=MISSING_ID)
    # A record of another object is not a record of this one.
    person = _record(client, "people")
    assert_error(client.post("/v2/notes", json=_body(person)), 404, "not_found", mentions=person)
    assert ok(client.get("/v2/notes")) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"format": "html"}, "data.format"),
        ({"parent_record_id": "rec_123"}, "data.parent_record_id"),
        ({"parent_record_id": {"id": "x"}}, "data.parent_record_id"),
        ({"title": None}, "data.title"),
        ({"content": ["a"]}, "data.content"),
        ({"parent_object": 7}, "data.parent_object"),
        ({"colour": "red"}, "data.colour"),
    ],
)
def test_bad_fields_are_refused_by_name(client, company, overrides, field):
    response = client.post("/v2/notes", json=_body(company, **overrides))
    assert_error(response, 400, "validation_type", mentions=field)


@pytest.mark.parametrize(
    "field", ["parent_object", "parent_record_id", "title", "format", "content"]
)
def test_required_fields(client, company, field):
    body = _body(company)
    del body["data"][field]
    response = client.post("/v2/notes", json=body)
    assert_error(response, 400, "validation_type", mentions=f"data.{field}")


def test_list_filters_by_parent(client, company):
    other = _record(client)
    person = _record(client, "people")
    _create(client, company, title="first")
    _create(client, other, title="other")
    _create(client, person, parent_object="people", title="person")
    _create(client, company, title="last")

    def titles(**query: str) -> list[str]:
        return [n["title"] for n in ok(client.get("/v2/notes", params=query))]

    assert titles() == ["first", "other", "person", "last"]
    assert titles(parent_object="companies") == ["first", "other", "last"]
    assert titles(parent_object="people") == ["person"]
    assert titles(parent_record_id=company) == ["first", "last"]
    assert titles(parent_object="companies", parent_record_id=company) == ["first", "last"]
    assert titles(parent_object="people", parent_record_id=company) == []
    assert titles(parent_record_id=MISSING_ID) == []
    assert_error(client.get("/v2/notes", params={"parent_object": "planets"}), 404, "not_found")
    assert_error(
        client.get("/v2/notes", params={"parent_record_id": "x"}),
        400,
        "validation_type",
        mentions="parent_record_id",
    )


def test_list_pages_with_default_10_and_maximum_50(client, company):
    made = [_create(client, company, title=str(n))["title"] for n in range(52)]

    def titles(**query: Any) -> list[str]:
        return [n["title"] for n in ok(client.get("/v2/notes", params=query))]

    assert titles() == made[:10]
    assert titles(limit=50) == made[:50]
    assert titles(limit=5, offset=48) == made[48:]
    assert titles(offset=60) == []
    for bad in ({"limit": 51}, {"limit": 0}, {"limit": "ten"}, {"offset": -1}):
        name = next(iter(bad))
        response = client.get("/v2/notes", params=bad)
        assert_error(response, 400, "validation_type", mentions=name)


def test_delete(client, company):
    note_id = _create(client, company)["id"]["note_id"]
    response = client.delete(f"/v2/notes/{note_id}")
    assert response.status_code == 200
    assert response.json() == {}
    assert_error(client.get(f"/v2/notes/{note_id}"), 404, "not_found", mentions=note_id)
    assert_error(client.delete(f"/v2/notes/{note_id}"), 404, "not_found", mentions=note_id)
    assert ok(client.get("/v2/notes")) == []


@pytest.mark.parametrize("note_id", [MISSING_ID, "not-a-uuid"])
def test_unknown_note_is_404(client, note_id):
    assert_error(client.get(f"/v2/notes/{note_id}"), 404, "not_found", mentions=note_id)
    assert_error(client.delete(f"/v2/notes/{note_id}"), 404, "not_found", mentions=note_id)


def test_created_and_deleted_events_name_the_parent(client, company, events):
    note = _create(client, company)
    companies = ok(client.get("/v2/objects/companies"))["id"]["object_id"]
    client.delete(f"/v2/notes/{note['id']['note_id']}")
    assert [e for e in events if e["event_type"].startswith("note.")] == [
        {
            "event_type": event_type,
            "id": note["id"],
            "parent_object_id": companies,
            "parent_record_id": company,
        }
        for event_type in ("note.created", "note.deleted")
    ]


def test_a_refused_note_raises_no_event(client, company, events):
    client.post("/v2/notes", json=_body(MISSING_ID))
    assert not [e for e in events if e["event_type"].startswith("note.")]
