"""Tasks: create, list with the documented filters and paging, get, update, delete, events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_attribute, create_object, ok

MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _record(client: httpx.Client, object_slug: str = "companies", **values: Any) -> str:
    response = client.post(f"/v2/objects/{object_slug}/records", json={"data": {"values": values}})
    return ok(response)["id"]["record_id"]


def _object_id(client: httpx.Client, slug: str) -> str:
    return ok(client.get(f"/v2/objects/{slug}"))["id"]["object_id"]


@pytest.fixture
def member(client: httpx.Client) -> dict[str, Any]:
    return ok(client.get("/v2/workspace_members"))[0]


@pytest.fixture
def company(client: httpx.Client) -> str:
    return _record(client)


def _body(**overrides: Any) -> dict[str, Any]:
    data = {
        "content": "Send the proposal",
        "format": "plaintext",
        "deadline_at": None,
        "is_completed": False,
        "linked_records": [],
        "assignees": [],
    }
    return {"data": {**data, **overrides}}


def _create(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    return ok(client.post("/v2/tasks", json=_body(**overrides)))


def _link(record_id: str, target_object: str = "companies") -> dict[str, str]:
    return {"target_object": target_object, "target_record_id": record_id}


def test_create_and_get(client, company, member):
    member_id = member["id"]["workspace_member_id"]
    task = _create(
        client,
        deadline_at="2030-05-01T09:00:00+02:00",
        linked_records=[_link(company), _link(company)],
        assignees=[
            {"referenced_actor_type": "workspace-member", "referenced_actor_id": member_id},
            {"workspace_member_email_address": member["email_address"].upper()},
        ],
    )
    assert set(task) == {
        "id",
        "content_plaintext",
        "deadline_at",
        "is_completed",
        "linked_records",
        "assignees",
        "created_by_actor",
        "created_at",
    }
    assert task["content_plaintext"] == "Send the proposal"
    assert task["deadline_at"] == "2030-05-01T07:00:00.000000000Z"
    assert task["is_completed"] is False
    # The same record and the same member, named twice, count once.
    assert task["linked_records"] == [
        {"target_object_id": _object_id(client, "companies"), "target_record_id": company}
    ]
    assert task["assignees"] == [
        {"referenced_actor_type": "workspace-member", "referenced_actor_id": member_id}
    ]
    assert task["created_by_actor"]["type"] == "api-token"
    assert ok(client.get(f"/v2/tasks/{task['id']['task_id']}")) == task


def test_content_is_limited_to_2000_characters(client):
    assert len(_create(client, content="x" * 2000)["content_plaintext"]) == 2000
    response = client.post("/v2/tasks", json=_body(content="x" * 2001))
    assert_error(response, 400, "validation_type", mentions="data.content")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"format": "markdown"}, "data.format"),
        ({"content": None}, "data.content"),
        ({"deadline_at": "next week"}, "data.deadline_at"),
        ({"is_completed": "yes"}, "data.is_completed"),
        ({"linked_records": {}}, "data.linked_records"),
        ({"linked_records": [{"target_record_id": MISSING_ID}]}, "linked_records[0].target_object"),
        ({"linked_records": [_link("rec_1")]}, "linked_records[0].target_record_id"),
        ({"assignees": "ada"}, "data.assignees"),
        ({"assignees": [{"id": "x"}]}, "data.assignees[0]"),
        (
            {"assignees": [{"referenced_actor_type": "api-token", "referenced_actor_id": "x"}]},
            "assignees[0].referenced_actor_type",
        ),
        ({"parent_object": "companies"}, "data.parent_object"),
    ],
)
def test_bad_fields_are_refused_by_name(client, overrides, field):
    response = client.post("/v2/tasks", json=_body(**overrides))
    assert_error(response, 400, "validation_type", mentions=field)


@pytest.mark.parametrize(
    "field", ["content", "format", "deadline_at", "is_completed", "linked_records", "assignees"]
)
def test_every_field_is_required_on_create(client, field):
    body = _body()
    del body["data"][field]
    assert_error(client.post("/v2/tasks", json=body), 400, "validation_type", mentions=field)


def test_linked_records_must_exist(client, company):
    response = client.post("/v2/tasks", json=_body(linked_records=[_link(company, "planets")]))
    assert_error(response, 404, "not_found", mentions='"planets"')
    response = client.post("/v2/tasks", json=_body(linked_records=[_link(MISSING_ID)]))
    assert_error(response, 404, "not_found", mentions=MISSING_ID)
    response = client.post("/v2/tasks", json=_body(linked_records=[_link(company, "people")]))
    assert_error(response, 404, "not_found", mentions=company)
    assert ok(client.get("/v2/tasks")) == []


def test_linked_records_by_a_unique_matching_attribute(client):
    create_object(client, "tickets")
    create_attribute(client, "objects", "tickets", "code", is_unique=True)
    create_attribute(client, "objects", "tickets", "summary")
    ticket = _record(client, "tickets", code="T-1", summary="Printer")
    _record(client, "tickets", code="T-2", summary="Printer")
    task = _create(
        client, linked_records=[{"target_object": "tickets", "code": [{"value": "T-1"}]}]
    )
    assert task["linked_records"][0]["target_record_id"] == ticket

    def link(**match: Any) -> httpx.Response:
        return client.post(
            "/v2/tasks", json=_body(linked_records=[{"target_object": "tickets", **match}])
        )

    assert_error(link(code=["T-9"]), 404, "not_found", mentions='"code"')
    assert_error(link(summary=["Printer"]), 400, "validation_type", mentions="summary")
    assert_error(link(code=["T-1", "T-2"]), 400, "validation_type", mentions="code")
    assert_error(link(colour=["red"]), 400, "value_not_found", mentions="colour")
    assert_error(link(code=["T-1"], summary=["x"]), 400, "validation_type", mentions="[0]")


def test_assignees_must_be_workspace_members(client):
    response = client.post(
        "/v2/tasks", json=_body(assignees=[{"workspace_member_email_address": "nobody@x.io"}])
    )
    assert_error(response, 400, "value_not_found", mentions="nobody@x.io")
    actor = {"referenced_actor_type": "workspace-member", "referenced_actor_id": MISSING_ID}
    response = client.post("/v2/tasks", json=_body(assignees=[actor]))
    assert_error(response, 400, "value_not_found", mentions=MISSING_ID)


def test_update_changes_only_the_updatable_fields(client, company, member):
    task = _create(client)
    path = f"/v2/tasks/{task['id']['task_id']}"
    updated = ok(
        client.patch(
            path,
            json={
                "data": {
                    "is_completed": True,
                    "deadline_at": "2030-01-01",
                    "linked_records": [_link(company)],
                    "assignees": [{"workspace_member_email_address": member["email_address"]}],
                }
            },
        )
    )
    assert updated["is_completed"] is True
    assert updated["deadline_at"] == "2030-01-01T00:00:00.000000000Z"
    assert [link["target_record_id"] for link in updated["linked_records"]] == [company]
    assert len(updated["assignees"]) == 1
    assert updated["content_plaintext"] == task["content_plaintext"]
    assert updated["created_at"] == task["created_at"]
    cleared = ok(client.patch(path, json={"data": {"deadline_at": None, "assignees": []}}))
    assert cleared["deadline_at"] is None
    assert cleared["assignees"] == []
    assert cleared["linked_records"] == updated["linked_records"]
    assert ok(client.get(path)) == cleared


@pytest.mark.parametrize(
    ("data", "mentions"),
    [
        ({"content": "new text"}, "data.content"),
        ({"format": "plaintext"}, "data.format"),
        ({}, "at least one"),
        ({"title": "x"}, "data.title"),
        ({"is_completed": None}, "data.is_completed"),
    ],
)
def test_update_refuses_other_fields_and_empty_bodies(client, data, mentions):
    task = _create(client)
    response = client.patch(f"/v2/tasks/{task['id']['task_id']}", json={"data": data})
    assert_error(response, 400, "validation_type", mentions=mentions)
    assert ok(client.get(f"/v2/tasks/{task['id']['task_id']}")) == task


def test_delete(client):
    task_id = _create(client)["id"]["task_id"]
    response = client.delete(f"/v2/tasks/{task_id}")
    assert response.status_code == 200
    assert response.json() == {}
    assert_error(client.get(f"/v2/tasks/{task_id}"), 404, "not_found", mentions=task_id)
    assert ok(client.get("/v2/tasks")) == []


@pytest.mark.parametrize("task_id", [MISSING_ID, "not-a-uuid"])
def test_unknown_task_is_404(client, task_id):
    message = f'Could not find Task with ID "{task_id}".'
    assert_error(client.get(f"/v2/tasks/{task_id}"), 404, "not_found", mentions=message)
    response = client.patch(f"/v2/tasks/{task_id}", json={"data": {"is_completed": True}})
    assert_error(response, 404, "not_found", mentions=message)
    assert_error(client.delete(f"/v2/tasks/{task_id}"), 404, "not_found", mentions=message)


def test_list_filters(client, company, member):
    other = _record(client)
    person = _record(client, "people")
    email = member["email_address"]
    _create(client, content="a", linked_records=[_link(company)])
    _create(client, content="b", is_completed=True, linked_records=[_link(other)])
    _create(
        client,
        content="c",
        linked_records=[_link(company), _link(person, "people")],
        assignees=[{"workspace_member_email_address": email}],
    )

    def contents(**query: str) -> list[str]:
        return [t["content_plaintext"] for t in ok(client.get("/v2/tasks", params=query))]

    assert contents() == ["a", "b", "c"]
    assert contents(sort="created_at:asc") == ["a", "b", "c"]
    assert contents(sort="created_at:desc") == ["c", "b", "a"]
    assert contents(linked_object="companies", linked_record_id=company) == ["a", "c"]
    assert contents(linked_object="people", linked_record_id=person) == ["c"]
    assert contents(linked_object="people", linked_record_id=company) == []
    assert contents(is_completed="true") == ["b"]
    assert contents(is_completed="false") == ["a", "c"]
    assert contents(assignee=email) == ["c"]
    assert contents(assignee=member["id"]["workspace_member_id"]) == ["c"]
    assert contents(assignee="") == ["a", "b"]
    assert contents(assignee="null") == ["a", "b"]
    assert contents(assignee="nobody@x.io") == []
    assert contents(is_completed="false", assignee="null", sort="created_at:desc") == ["a"]


@pytest.mark.parametrize(
    ("query", "status", "mentions"),
    [
        ({"sort": "content:asc"}, 400, "sort"),
        ({"linked_object": "companies"}, 400, "linked_record_id"),
        ({"linked_record_id": MISSING_ID}, 400, "linked_object"),
        ({"linked_object": "companies", "linked_record_id": "x"}, 400, "linked_record_id"),
        ({"linked_object": "planets", "linked_record_id": MISSING_ID}, 404, '"planets"'),
        ({"is_completed": "yes"}, 400, "is_completed"),
        ({"limit": "0"}, 400, "limit"),
        ({"offset": "-1"}, 400, "offset"),
    ],
)
def test_list_refuses_bad_parameters(client, query, status, mentions):
    code = "not_found" if status == 404 else "validation_type"
    assert_error(client.get("/v2/tasks", params=query), status, code, mentions=mentions)


def test_list_pages_with_default_500(client):
    for n in range(501):
        _create(client, content=str(n))

    def contents(**query: Any) -> list[str]:
        return [t["content_plaintext"] for t in ok(client.get("/v2/tasks", params=query))]

    first = contents()
    assert first == [str(n) for n in range(500)]
    assert contents(offset=500) == ["500"]
    assert contents(limit=2, offset=3, sort="created_at:desc") == ["497", "496"]


def test_events(client, company, events):
    task = _create(client)
    path = f"/v2/tasks/{task['id']['task_id']}"
    ok(client.patch(path, json={"data": {"is_completed": True}}))
    ok(client.patch(path, json={"data": {"is_completed": True}}))  # no change, no event
    client.delete(path)
    assert [(e["event_type"], e["id"]) for e in events if e["event_type"].startswith("task.")] == [
        ("task.created", task["id"]),
        ("task.updated", task["id"]),
        ("task.deleted", task["id"]),
    ]
