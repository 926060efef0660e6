"""Webhooks: GET/POST /v2/webhooks, GET/PATCH/DELETE /v2/webhooks/{webhook_id}."""

from __future__ import annotations

import json

import pytest

from schemactl.emulator.workspace import public
from tests.emulator import openapi
from tests.emulator.conftest import make_client
from tests.emulator.helpers import assert_error, create_list, ok, webhook_body

# The 27 event types of Attio's document, written out here so a change on either side shows.
EVENT_TYPES = [
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
]
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _create(client, url: str = "https://hooks.example.com/attio", **kwargs) -> dict:
    return ok(client.post("/v2/webhooks", json=webhook_body(url, **kwargs)))


def _list_filter(list_id: str, operator: str = "equals") -> dict:
    return {"$and": [{"field": "id.list_id", "operator": operator, "value": list_id}]}


def _subscribe(client, subscriptions: list) -> object:
    body = {"data": {"target_url": "https://hooks.example.com/a", "subscriptions": subscriptions}}
    return client.post("/v2/webhooks", json=body)


def test_create_returns_the_webhook_with_a_generated_secret(client):
    created = _create(client, events=("record.created", "record.updated"))
    assert set(created["id"]) == {"workspace_id", "webhook_id"}
    assert created["target_url"] == "https://hooks.example.com/attio"
    assert created["subscriptions"] == [
        {"event_type": "record.created", "filter": None},
        {"event_type": "record.updated", "filter": None},
    ]
    assert created["status"] == "active"
    assert isinstance(created["secret"], str)
    assert len(created["secret"]) >= 32
    assert _create(client, "https://hooks.example.com/other")["secret"] != created["secret"]


def test_the_secret_is_never_readable_again(client, emulator):
    created = _create(client)
    webhook_id = created["id"]["webhook_id"]
    fetched = ok(client.get(f"/v2/webhooks/{webhook_id}"))
    assert "secret" not in fetched
    assert fetched == {k: v for k, v in created.items() if k != "secret"}
    assert all("secret" not in hook for hook in ok(client.get("/v2/webhooks")))
    patched = ok(
        client.patch(
            f"/v2/webhooks/{webhook_id}", json={"data": {"target_url": "https://x.example.com"}}
        )
    )
    assert "secret" not in patched
    state = client.get("/_emulator/state")
    assert state.status_code == 200
    assert created["secret"] not in state.text
    # Kept privately, for signing deliveries; nothing public about a webhook holds it.
    assert created["secret"] not in json.dumps([public(h) for h in emulator.store.all("webhook")])


def test_callers_cannot_set_a_secret(client):
    body = webhook_body()
    body["data"]["secret"] = "mine"
    assert_error(client.post("/v2/webhooks", json=body), 400, "validation_type", mentions="secret")


def test_list_defaults_to_10_and_pages_with_limit_and_offset(client):
    created = [_create(client, f"https://hooks.example.com/{i}") for i in range(12)]
    urls = [c["target_url"] for c in created]

    def page(query: str) -> list[str]:
        return [h["target_url"] for h in ok(client.get(f"/v2/webhooks{query}"))]

    assert page("") == urls[:10]
    assert page("?offset=10") == urls[10:]
    assert page("?limit=10&offset=5") == urls[5:]
    assert page("?limit=100") == urls
    assert page("?offset=12") == []


@pytest.mark.parametrize("query", ["limit=101", "limit=0", "limit=many", "offset=-1"])
def test_list_refuses_limits_outside_the_documented_range(client, query):
    response = client.get(f"/v2/webhooks?{query}")
    assert_error(response, 400, "validation_type", mentions=query.split("=")[0])


def test_get_patch_and_delete_an_unknown_webhook_are_404(client):
    path = f"/v2/webhooks/{MISSING_ID}"
    assert_error(client.get(path), 404, "not_found", mentions=MISSING_ID)
    assert_error(client.patch(path, json={"data": {"target_url": "https://a.b"}}), 404, "not_found")
    assert_error(client.delete(path), 404, "not_found")


def test_delete_returns_an_empty_object_and_then_404(client):
    created = _create(client)
    kept = _create(client, "https://hooks.example.com/kept")
    path = f"/v2/webhooks/{created['id']['webhook_id']}"
    response = client.delete(path)
    assert response.status_code == 200
    assert response.json() == {}
    assert_error(client.get(path), 404, "not_found")
    assert_error(client.delete(path), 404, "not_found")
    assert [h["id"] for h in ok(client.get("/v2/webhooks"))] == [kept["id"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/attio",
        "ftp://hooks.example.com/attio",
        "hooks.example.com/attio",
        "https://",
        "http://127.0.0.1.example.com/hook",
        "http://10.0.0.1/hook",
        "",
    ],
)
def test_target_url_must_be_https(client, url):
    response = client.post("/v2/webhooks", json=webhook_body(url))
    assert_error(response, 400, "validation_type", mentions="target_url")
    assert ok(client.get("/v2/webhooks")) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]:9000/hook",
        "http://127.0.0.2/hook",
    ],
)
def test_plain_http_is_allowed_for_loopback_receivers(emulator, url):
    # An emulator-only allowance; the document's response pattern says https, so these
    # responses are not checked against it.
    with make_client(emulator, check=False) as http:
        created = ok(http.post("/v2/webhooks", json=webhook_body(url)))
        assert created["target_url"] == url


def test_patch_cannot_downgrade_to_plain_http(client):
    created = _create(client)
    response = client.patch(
        f"/v2/webhooks/{created['id']['webhook_id']}",
        json={"data": {"target_url": "http://hooks.example.com/attio"}},
    )
    assert_error(response, 400, "validation_type", mentions="target_url")


def test_the_event_types_here_are_the_documents(requires_openapi):
    document = openapi.document()
    assert document is not None
    schema = document["paths"]["/v2/webhooks"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    subscription = schema["properties"]["data"]["properties"]["subscriptions"]["items"]
    assert subscription["properties"]["event_type"]["enum"] == EVENT_TYPES


def test_all_27_documented_event_types_are_accepted(client):
    assert len(set(EVENT_TYPES)) == 27
    created = _create(client, events=tuple(EVENT_TYPES))
    assert [s["event_type"] for s in created["subscriptions"]] == EVENT_TYPES


@pytest.mark.parametrize(
    "event_type", ["record.exploded", "list-entry.*", "Record.Created", "object.created", None]
)
def test_other_event_types_are_refused(client, event_type):
    response = _subscribe(client, [{"event_type": event_type, "filter": None}])
    assert_error(response, 400, "validation_type", mentions="subscriptions[0].event_type")


def test_filters_on_a_real_list_are_kept(client):
    list_id = create_list(client, "key_accounts")["id"]["list_id"]
    subscriptions = [
        {"event_type": "list-entry.created", "filter": _list_filter(list_id)},
        {
            "event_type": "list-entry.deleted",
            "filter": {
                "$or": [{"field": "id.list_id", "operator": "not_equals", "value": list_id}]
            },
        },
    ]
    created = ok(_subscribe(client, subscriptions))
    assert created["subscriptions"] == subscriptions


def test_a_filter_on_an_unknown_list_is_400_related_list_not_found(client):
    response = _subscribe(
        client, [{"event_type": "list-entry.created", "filter": _list_filter(MISSING_ID)}]
    )
    assert_error(response, 400, "validation_type", mentions="Related list not found")
    assert ok(client.get("/v2/webhooks")) == []


@pytest.mark.parametrize(
    "subscription",
    [
        {"event_type": "record.created"},  # filter is required, even if null
        {"event_type": "record.created", "filter": None, "object": "people"},
        {"event_type": "record.created", "filter": {"$not": []}},
        {"event_type": "record.created", "filter": {"$and": "id.list_id"}},
        {
            "event_type": "record.created",
            "filter": {"$and": [{"field": "id.list_id", "operator": "contains", "value": "x"}]},
        },
        {"event_type": "record.created", "filter": {"$and": [{"field": "id.list_id"}]}},
        "record.created",
    ],
)
def test_malformed_subscriptions_are_400_naming_the_subscription(client, subscription):
    response = _subscribe(client, [subscription])
    assert_error(response, 400, "validation_type", mentions="subscriptions[0]")


def test_subscriptions_must_be_an_array(client):
    body = {"data": {"target_url": "https://a.example.com", "subscriptions": {"x": 1}}}
    assert_error(
        client.post("/v2/webhooks", json=body), 400, "validation_type", mentions="subscriptions"
    )


@pytest.mark.parametrize("missing", ["target_url", "subscriptions"])
def test_create_names_a_missing_field(client, missing):
    body = webhook_body()
    del body["data"][missing]
    assert_error(client.post("/v2/webhooks", json=body), 400, "validation_type", mentions=missing)


def test_duplicate_subscriptions_are_409(client):
    response = _subscribe(
        client,
        [
            {"event_type": "record.created", "filter": None},
            {"event_type": "record.created", "filter": None},
        ],
    )
    assert_error(response, 409, "uniqueness_conflict")


def test_patch_replaces_the_subscriptions_as_a_whole(client):
    created = _create(client, events=("record.created", "record.updated", "record.deleted"))
    path = f"/v2/webhooks/{created['id']['webhook_id']}"
    replaced = ok(
        client.patch(
            path,
            json={"data": {"subscriptions": [{"event_type": "note.created", "filter": None}]}},
        )
    )
    assert replaced["subscriptions"] == [{"event_type": "note.created", "filter": None}]
    assert replaced["target_url"] == created["target_url"]
    assert ok(client.get(path))["subscriptions"] == replaced["subscriptions"]


def test_patch_changes_the_target_url_and_keeps_the_subscriptions(client):
    created = _create(client, events=("task.created",))
    path = f"/v2/webhooks/{created['id']['webhook_id']}"
    moved = ok(client.patch(path, json={"data": {"target_url": "https://new.example.com/h"}}))
    assert moved["target_url"] == "https://new.example.com/h"
    assert moved["subscriptions"] == created["subscriptions"]
    assert moved["id"] == created["id"]


def test_patch_validates_like_create(client):
    created = _create(client)
    path = f"/v2/webhooks/{created['id']['webhook_id']}"
    assert_error(client.patch(path, json={"data": {}}), 400, "validation_type")
    response = client.patch(
        path,
        json={"data": {"subscriptions": [{"event_type": "nope", "filter": None}]}},
    )
    assert_error(response, 400, "validation_type", mentions="event_type")
    response = client.patch(
        path,
        json={
            "data": {
                "subscriptions": [
                    {"event_type": "list-entry.created", "filter": _list_filter(MISSING_ID)}
                ]
            }
        },
    )
    assert_error(response, 400, "validation_type", mentions="Related list not found")
    assert ok(client.get(path))["subscriptions"] == created["subscriptions"]
