"""List entries: create, assert by parent, get, PATCH (append) and PUT (overwrite), delete,
query with paging, one attribute's values with history, a record's entries, and events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_attribute, create_list, ok

MISSING_ID = "00000000-0000-4000-8000-000000000000"
BASE = "/v2/lists/pipeline/entries"


def _title(title: str) -> dict[str, Any]:
    return {"data": {"title": title}}


@pytest.fixture
def pipeline(client: httpx.Client) -> httpx.Client:
    """A list of companies with a status, a multiselect, a single select and two texts."""
    create_list(client, "pipeline")
    for slug, kind, extra in (
        ("stage", "status", {}),
        ("tags", "select", {"is_multiselect": True}),
        ("priority", "select", {}),
        ("note", "text", {}),
        ("code", "text", {"is_unique": True}),
    ):
        create_attribute(client, "lists", "pipeline", slug, kind, **extra)
    for title in ("Open", "Won"):
        ok(client.post("/v2/lists/pipeline/attributes/stage/statuses", json=_title(title)))
    for title in ("hot", "warm", "cold"):
        ok(client.post("/v2/lists/pipeline/attributes/tags/options", json=_title(title)))
    for title in ("High", "Low"):
        ok(client.post("/v2/lists/pipeline/attributes/priority/options", json=_title(title)))
    return client


def _record(client: httpx.Client, object_slug: str = "companies") -> str:
    record = ok(client.post(f"/v2/objects/{object_slug}/records", json={"data": {"values": {}}}))
    return record["id"]["record_id"]


@pytest.fixture
def company(client: httpx.Client) -> str:
    return _record(client)


def _body(record_id: str, entry_values: Any = None, **overrides: Any) -> dict[str, Any]:
    data = {
        "parent_record_id": record_id,
        "parent_object": "companies",
        "entry_values": {} if entry_values is None else entry_values,
    }
    return {"data": {**data, **overrides}}


def _create(client: httpx.Client, record_id: str, entry_values: Any = None) -> dict[str, Any]:
    return ok(client.post(BASE, json=_body(record_id, entry_values)))


def _shown(entry: dict[str, Any], slug: str) -> list[Any]:
    """The readable part of an attribute's values: titles of choices, or plain values."""
    shown = []
    for value in entry["entry_values"][slug]:
        if "option" in value:
            shown.append(value["option"]["title"])
        elif "status" in value:
            shown.append(value["status"]["title"])
        else:
            shown.append(value["value"])
    return shown


def _object_id(client: httpx.Client, slug: str) -> str:
    return ok(client.get(f"/v2/objects/{slug}"))["id"]["object_id"]


# --- create and get --------------------------------------------------------------------------


def test_create_and_get(pipeline, company):
    entry = _create(
        pipeline, company, {"stage": "Open", "tags": ["hot", "cold"], "note": "Warm intro"}
    )
    assert set(entry) == {"id", "parent_record_id", "parent_object", "created_at", "entry_values"}
    assert set(entry["id"]) == {"workspace_id", "list_id", "entry_id"}
    assert entry["parent_record_id"] == company
    assert entry["parent_object"] == "companies"
    assert set(entry["entry_values"]) == {"stage", "tags", "priority", "note", "code"}
    assert _shown(entry, "stage") == ["Open"]
    assert _shown(entry, "tags") == ["hot", "cold"]
    assert _shown(entry, "note") == ["Warm intro"]
    assert entry["entry_values"]["priority"] == []
    stamp = entry["entry_values"]["note"][0]
    assert stamp["active_until"] is None
    assert stamp["created_by_actor"]["type"] == "api-token"
    path = f"{BASE}/{entry['id']['entry_id']}"
    assert ok(pipeline.get(path)) == entry
    # The list by its id works as well as by its slug.
    assert ok(pipeline.get(f"/v2/lists/{entry['id']['list_id']}/entries/{entry['id']['entry_id']}"))


def test_parent_object_by_id_and_several_entries_per_record(pipeline, company):
    companies = _object_id(pipeline, "companies")
    first = ok(pipeline.post(BASE, json=_body(company, parent_object=companies)))
    second = _create(pipeline, company)
    assert first["parent_object"] == "companies"
    assert first["id"]["entry_id"] != second["id"]["entry_id"]


def test_create_refuses_unknown_or_foreign_parents(pipeline, company):
    response = pipeline.post(BASE, json=_body(MISSING_ID))
    assert_error(response, 400, "value_not_found", mentions=f'"{MISSING_ID}"')
    person = _record(pipeline, "people")
    response = pipeline.post(BASE, json=_body(person))
    assert_error(response, 400, "value_not_found", mentions=person)
    response = pipeline.post(BASE, json=_body(person, parent_object="people"))
    assert_error(response, 400, "validation_type", mentions="data.parent_object")
    response = pipeline.post(BASE, json=_body(company, parent_object="planets"))
    assert_error(response, 404, "not_found", mentions='"planets"')
    response = pipeline.post("/v2/lists/nowhere/entries", json=_body(company))
    assert_error(response, 404, "not_found", mentions='"nowhere"')
    assert ok(pipeline.post(f"{BASE}/query", json={})) == []


@pytest.mark.parametrize(
    ("overrides", "status", "code", "mentions"),
    [
        ({"parent_record_id": "rec_1"}, 400, "validation_type", "data.parent_record_id"),
        ({"parent_record_id": 7}, 400, "validation_type", "data.parent_record_id"),
        ({"parent_object": None}, 400, "validation_type", "data.parent_object"),
        ({"entry_values": []}, 400, "validation_type", "data.entry_values"),
        ({"values": {}}, 400, "validation_type", "data.values"),
        ({"entry_values": {"colour": "red"}}, 400, "value_not_found", '"colour"'),
        ({"entry_values": {"priority": "Urgent"}}, 400, "value_not_found", '"Urgent"'),
        ({"entry_values": {"priority": ["High", "Low"]}}, 400, "validation_type", '"priority"'),
        ({"entry_values": {"note": 5}}, 400, "validation_type", '"note"'),
    ],
)
def test_create_refuses_bad_fields(pipeline, company, overrides, status, code, mentions):
    response = pipeline.post(BASE, json=_body(company, **overrides))
    assert_error(response, status, code, mentions=mentions)


@pytest.mark.parametrize("field", ["parent_record_id", "parent_object", "entry_values"])
def test_create_requires_every_field(pipeline, company, field):
    body = _body(company)
    del body["data"][field]
    assert_error(pipeline.post(BASE, json=body), 400, "validation_type", mentions=field)


def test_unique_and_required_list_attributes(pipeline, company):
    _create(pipeline, company, {"code": "P-1"})
    response = pipeline.post(BASE, json=_body(company, {"code": "P-1"}))
    assert_error(response, 409, "uniqueness_conflict", mentions='"code"')
    create_attribute(pipeline, "lists", "pipeline", "owner", is_required=True)
    response = pipeline.post(BASE, json=_body(company, {"code": "P-2"}))
    assert_error(response, 400, "missing_value", mentions='"owner"')


@pytest.mark.parametrize("entry_id", [MISSING_ID, "not-a-uuid"])
def test_unknown_entry_is_404(pipeline, entry_id):
    path = f"{BASE}/{entry_id}"
    assert_error(pipeline.get(path), 404, "not_found", mentions=entry_id)
    body = {"data": {"entry_values": {}}}
    assert_error(pipeline.patch(path, json=body), 404, "not_found", mentions=entry_id)
    assert_error(pipeline.put(path, json=body), 404, "not_found", mentions=entry_id)
    assert_error(pipeline.delete(path), 404, "not_found", mentions=entry_id)
    assert_error(pipeline.get(f"{path}/attributes/note/values"), 404, "not_found")


def test_an_entry_belongs_to_its_list_only(pipeline, company):
    entry_id = _create(pipeline, company)["id"]["entry_id"]
    create_list(pipeline, "partners")
    path = f"/v2/lists/partners/entries/{entry_id}"
    assert_error(pipeline.get(path), 404, "not_found", mentions=entry_id)
    assert_error(pipeline.delete(path), 404, "not_found", mentions=entry_id)
    assert ok(pipeline.get(f"{BASE}/{entry_id}"))


# --- update and assert -----------------------------------------------------------------------


def test_patch_prepends_to_multiselect_and_replaces_single_values(pipeline, company):
    entry = _create(pipeline, company, {"tags": ["hot"], "priority": "High", "note": "a"})
    path = f"{BASE}/{entry['id']['entry_id']}"
    body = {"entry_values": {"tags": ["cold", "hot"], "priority": "Low", "note": "b"}}
    updated = ok(pipeline.patch(path, json={"data": body}))
    assert _shown(updated, "tags") == ["cold", "hot"]
    assert _shown(updated, "priority") == ["Low"]
    assert _shown(updated, "note") == ["b"]
    assert updated["created_at"] == entry["created_at"]
    # Untouched attributes stay; an empty list clears.
    cleared = ok(pipeline.patch(path, json={"data": {"entry_values": {"tags": []}}}))
    assert _shown(cleared, "tags") == []
    assert _shown(cleared, "note") == ["b"]
    assert ok(pipeline.get(path)) == cleared


def test_put_overwrites_multiselect_values(pipeline, company):
    entry = _create(pipeline, company, {"tags": ["hot", "warm"], "note": "keep"})
    path = f"{BASE}/{entry['id']['entry_id']}"
    updated = ok(pipeline.put(path, json={"data": {"entry_values": {"tags": ["cold", "warm"]}}}))
    assert _shown(updated, "tags") == ["cold", "warm"]
    assert _shown(updated, "note") == ["keep"]
    # Values that stay keep their stamps.
    warm = entry["entry_values"]["tags"][1]
    assert updated["entry_values"]["tags"][1] == warm


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_updates_refuse_parent_changes_and_bad_values(pipeline, company, method):
    entry = _create(pipeline, company, {"code": "P-1"})
    other = _create(pipeline, company)
    path = f"{BASE}/{other['id']['entry_id']}"

    def send(data: dict[str, Any]) -> httpx.Response:
        return pipeline.request(method, path, json={"data": data})

    response = send({"parent_record_id": company, "entry_values": {}})
    assert_error(response, 400, "immutable_value", mentions="parent record")
    assert_error(send({}), 400, "validation_type", mentions="data.entry_values")
    assert_error(send({"entry_values": {"x": 1}}), 400, "value_not_found", mentions='"x"')
    response = send({"entry_values": {"code": "P-1"}})
    assert_error(response, 409, "uniqueness_conflict", mentions=entry["id"]["entry_id"])
    # Writing an entry's own unique value again is no conflict.
    ok(pipeline.request(method, f"{BASE}/{entry['id']['entry_id']}", json=_values(code="P-1")))


def _values(**entry_values: Any) -> dict[str, Any]:
    return {"data": {"entry_values": entry_values}}


def test_a_required_value_cannot_be_cleared(pipeline, company):
    create_attribute(pipeline, "lists", "pipeline", "owner", is_required=True)
    entry = _create(pipeline, company, {"owner": "Ada"})
    path = f"{BASE}/{entry['id']['entry_id']}"
    assert_error(pipeline.put(path, json=_values(owner=None)), 400, "missing_value")
    assert _shown(ok(pipeline.get(path)), "owner") == ["Ada"]


def test_assert_creates_then_overwrites_the_records_entry(pipeline, company):
    created = ok(pipeline.put(BASE, json=_body(company, {"tags": ["hot", "warm"]})))
    assert _shown(created, "tags") == ["hot", "warm"]
    again = ok(pipeline.put(BASE, json=_body(company, {"tags": ["cold"], "note": "x"})))
    assert again["id"] == created["id"]
    assert _shown(again, "tags") == ["cold"]
    assert _shown(again, "note") == ["x"]
    assert len(ok(pipeline.post(f"{BASE}/query", json={}))) == 1


def test_assert_refuses_a_record_with_several_entries(pipeline, company):
    _create(pipeline, company)
    _create(pipeline, company)
    response = pipeline.put(BASE, json=_body(company, {"note": "x"}))
    assert_error(response, 400, "multiple_match_results", mentions="Multiple entries")
    response = pipeline.put(BASE, json=_body(MISSING_ID))
    assert_error(response, 400, "value_not_found", mentions=MISSING_ID)


def test_delete(pipeline, company):
    entry_id = _create(pipeline, company)["id"]["entry_id"]
    response = pipeline.delete(f"{BASE}/{entry_id}")
    assert response.status_code == 200
    assert response.json() == {}
    assert_error(pipeline.get(f"{BASE}/{entry_id}"), 404, "not_found")
    assert ok(pipeline.post(f"{BASE}/query", json={})) == []


# --- query -----------------------------------------------------------------------------------


def test_query_pages_with_default_500(client, company):
    # A list without attributes keeps the 501 entries cheap to make and to check.
    create_list(client, "bare")
    path = "/v2/lists/bare/entries"
    made = [ok(client.post(path, json=_body(company)))["id"] for _ in range(501)]

    def ids(**body: Any) -> list[dict[str, str]]:
        return [e["id"] for e in ok(client.post(f"{path}/query", json=body))]

    assert ids() == made[:500]
    assert ids(offset=500) == made[500:]
    assert ids(limit=2, offset=10) == made[10:12]
    assert [e["id"] for e in ok(client.post(f"{path}/query"))] == made[:500]


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"page": 2}, "page"),
        ({"data": {}}, "data"),
    ],
)
def test_query_refuses_bad_paging(pipeline, body, mentions):
    response = pipeline.post(f"{BASE}/query", json=body)
    assert_error(response, 400, "validation_type", mentions=mentions)


def test_query_of_an_unknown_list_is_404(pipeline):
    assert_error(pipeline.post("/v2/lists/nowhere/entries/query", json={}), 404, "not_found")


def test_query_filters_and_sorts(pipeline, company):
    other = _record(pipeline)
    _create(pipeline, company, {"note": "b", "priority": "High"})
    _create(pipeline, other, {"note": "a", "priority": "High"})
    _create(pipeline, company, {"note": "c", "priority": "Low"})

    def notes(**body: Any) -> list[str]:
        return [_shown(e, "note")[0] for e in ok(pipeline.post(f"{BASE}/query", json=body))]

    assert notes(filter={"priority": "High"}) == ["b", "a"]
    assert notes(sorts=[{"attribute": "note", "direction": "desc"}]) == ["c", "b", "a"]
    parent = {"parent_record": {"target_record_id": company}}
    assert notes(filter=parent, sorts=[{"attribute": "note", "direction": "asc"}]) == ["b", "c"]
    response = pipeline.post(f"{BASE}/query", json={"filter": {"colour": "red"}})
    assert_error(response, 400, "filter_error", mentions="colour")


# --- values of one attribute -----------------------------------------------------------------


def test_values_listing_with_and_without_history(pipeline, company):
    entry = _create(pipeline, company, {"priority": "High", "tags": ["hot"]})
    path = f"{BASE}/{entry['id']['entry_id']}"
    ok(pipeline.patch(path, json=_values(priority="Low", tags=["cold"])))
    current = ok(pipeline.get(f"{path}/attributes/priority/values"))
    assert [v["option"]["title"] for v in current] == ["Low"]
    assert current == ok(pipeline.get(path))["entry_values"]["priority"]
    history = ok(pipeline.get(f"{path}/attributes/priority/values?show_historic=true"))
    assert [v["option"]["title"] for v in history] == ["High", "Low"]
    assert history[0]["active_until"] is not None
    assert history[1]["active_until"] is None
    tags = ok(pipeline.get(f"{path}/attributes/tags/values", params={"limit": 1, "offset": 1}))
    assert [v["option"]["title"] for v in tags] == ["hot"]
    # By attribute id as well as slug.
    attribute = ok(pipeline.get("/v2/lists/pipeline/attributes/priority"))
    by_id = f"{path}/attributes/{attribute['id']['attribute_id']}/values"
    assert ok(pipeline.get(by_id)) == current
    assert ok(pipeline.get(f"{path}/attributes/note/values")) == []


def test_values_listing_errors(pipeline, company):
    path = f"{BASE}/{_create(pipeline, company)['id']['entry_id']}"
    response = pipeline.get(f"{path}/attributes/colour/values")
    assert_error(response, 404, "not_found", mentions='"colour"')
    response = pipeline.get(f"{path}/attributes/note/values", params={"show_historic": "yes"})
    assert_error(response, 400, "validation_type", mentions="show_historic")
    response = pipeline.get(f"{path}/attributes/note/values", params={"limit": 0})
    assert_error(response, 400, "validation_type", mentions="limit")


# --- a record's entries ----------------------------------------------------------------------


def test_record_entries_across_lists(pipeline, company):
    partners = create_list(pipeline, "partners")
    first = _create(pipeline, company)
    second = ok(pipeline.post("/v2/lists/partners/entries", json=_body(company)))
    _create(pipeline, _record(pipeline))
    found = ok(pipeline.get(f"/v2/objects/companies/records/{company}/entries"))
    assert found == [
        {
            "list_id": first["id"]["list_id"],
            "list_api_slug": "pipeline",
            "entry_id": first["id"]["entry_id"],
            "created_at": first["created_at"],
        },
        {
            "list_id": partners["id"]["list_id"],
            "list_api_slug": "partners",
            "entry_id": second["id"]["entry_id"],
            "created_at": second["created_at"],
        },
    ]
    paged = ok(pipeline.get(f"/v2/objects/companies/records/{company}/entries?limit=1&offset=1"))
    assert paged == found[1:]


def test_record_entries_page_with_default_100_and_maximum_1000(pipeline, company):
    made = [_create(pipeline, company)["id"]["entry_id"] for _ in range(101)]
    path = f"/v2/objects/companies/records/{company}/entries"
    assert [e["entry_id"] for e in ok(pipeline.get(path))] == made[:100]
    assert len(ok(pipeline.get(path, params={"limit": 1000}))) == 101
    assert_error(pipeline.get(path, params={"limit": 1001}), 400, "validation_type")


def test_record_entries_of_an_unknown_record_are_404(pipeline, company):
    path = f"/v2/objects/companies/records/{MISSING_ID}/entries"
    assert_error(pipeline.get(path), 404, "not_found", mentions=MISSING_ID)
    path = f"/v2/objects/people/records/{company}/entries"
    assert_error(pipeline.get(path), 404, "not_found", mentions=company)
    path = f"/v2/objects/planets/records/{company}/entries"
    assert_error(pipeline.get(path), 404, "not_found", mentions='"planets"')


# --- deleting the parent record, and events --------------------------------------------------


def test_deleting_a_record_takes_its_entries_and_notes_and_task_links(pipeline, company):
    other = _record(pipeline)
    kept = _create(pipeline, other)
    _create(pipeline, company)
    note = {
        "parent_object": "companies",
        "parent_record_id": company,
        "title": "t",
        "format": "plaintext",
        "content": "c",
    }
    ok(pipeline.post("/v2/notes", json={"data": note}))
    links = [
        {"target_object": "companies", "target_record_id": record} for record in (company, other)
    ]
    task = {
        "content": "call",
        "format": "plaintext",
        "deadline_at": None,
        "is_completed": False,
        "linked_records": links,
        "assignees": [],
    }
    task_id = ok(pipeline.post("/v2/tasks", json={"data": task}))["id"]["task_id"]
    assert pipeline.delete(f"/v2/objects/companies/records/{company}").status_code == 200
    assert [e["id"] for e in ok(pipeline.post(f"{BASE}/query", json={}))] == [kept["id"]]
    assert ok(pipeline.get("/v2/notes")) == []
    linked = ok(pipeline.get(f"/v2/tasks/{task_id}"))["linked_records"]
    assert [link["target_record_id"] for link in linked] == [other]


def test_events(pipeline, company, events):
    entry = _create(pipeline, company, {"note": "a"})
    path = f"{BASE}/{entry['id']['entry_id']}"
    ok(pipeline.patch(path, json=_values(note="b", tags=["hot"], priority=None)))
    ok(pipeline.patch(path, json=_values(note="b")))  # nothing changes, nothing is announced
    pipeline.delete(path)
    companies = _object_id(pipeline, "companies")
    attributes = {
        a["api_slug"]: a["id"]["attribute_id"]
        for a in ok(pipeline.get("/v2/lists/pipeline/attributes"))
    }
    parents = {"parent_object_id": companies, "parent_record_id": company}
    assert [e for e in events if e["event_type"].startswith("list-entry.")] == [
        {"event_type": "list-entry.created", "id": entry["id"], **parents},
        {
            "event_type": "list-entry.updated",
            "id": {**entry["id"], "attribute_id": attributes["note"]},
            **parents,
        },
        {
            "event_type": "list-entry.updated",
            "id": {**entry["id"], "attribute_id": attributes["tags"]},
            **parents,
        },
        {"event_type": "list-entry.deleted", "id": entry["id"], **parents},
    ]


def test_deleting_a_record_announces_its_entries_and_notes_as_deleted(pipeline, company, events):
    entry = _create(pipeline, company)
    note = {
        "parent_object": "companies",
        "parent_record_id": company,
        "title": "t",
        "format": "plaintext",
        "content": "c",
    }
    note_id = ok(pipeline.post("/v2/notes", json={"data": note}))["id"]
    pipeline.delete(f"/v2/objects/companies/records/{company}")
    deleted = [e for e in events if e["event_type"].endswith(".deleted")]
    assert [e["event_type"] for e in deleted] == [
        "list-entry.deleted",
        "note.deleted",
        "record.deleted",
    ]
    assert [deleted[0]["id"], deleted[1]["id"]] == [entry["id"], note_id]
    assert deleted[2]["id"]["record_id"] == company
