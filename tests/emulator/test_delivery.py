"""Webhook delivery: signed POSTs of committed events to subscribed, filtered webhooks, in the
background, with retries and the degraded status; off for the embedded workspace."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from schemactl.attio.targets import open_client
from schemactl.cli.emulator import build_config, serve
from schemactl.emulator import Emulator, EmulatorConfig, delivery
from tests.emulator import conftest, openapi
from tests.emulator.helpers import attribute_body, create_list, create_object, ok
from tests.emulator.receiver import WAIT, Received, Receiver
from tests.emulator.test_server import ServerProcess

FAST_RETRIES = (0.01, 0.01)
SCHEMA_EVENTS = (
    "object-attribute.created",
    "object-attribute.updated",
    "list.created",
    "list.updated",
    "list-attribute.created",
    "list-attribute.updated",
)


def make_client(app: Emulator) -> httpx.Client:
    """A client that checks responses against Attio's OpenAPI document, except webhook bodies:
    they name loopback `http://` receivers, which only the emulator accepts."""
    client = conftest.make_client(app, check=False)
    client.event_hooks["response"] = [_conforms_unless_webhook]
    return client


def _conforms_unless_webhook(response: httpx.Response) -> None:
    if openapi.document() and not response.request.url.path.startswith("/v2/webhooks"):
        conftest._conformance_hook(response)


@pytest.fixture
def live() -> Iterator[Emulator]:
    """An in-process emulator that delivers webhooks, with quick retries."""
    app = Emulator(
        EmulatorConfig(id_seed=7, deliver_webhooks=True, webhook_retry_delays=FAST_RETRIES)
    )
    yield app
    app.close()


@pytest.fixture
def http(live: Emulator) -> Iterator[httpx.Client]:
    with make_client(live) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def subscribe(
    client: httpx.Client, url: str, *events: str, filter: dict | None = None
) -> dict[str, Any]:
    """A webhook for `events` (all with the same filter); the create response, secret included."""
    subscriptions = [{"event_type": event, "filter": filter} for event in events]
    body = {"data": {"target_url": url, "subscriptions": subscriptions}}
    return ok(client.post("/v2/webhooks", json=body))


def new_record(client: httpx.Client, object_slug: str = "companies") -> dict[str, Any]:
    return ok(client.post(f"/v2/objects/{object_slug}/records", json={"data": {"values": {}}}))


def object_id(client: httpx.Client, slug: str) -> str:
    return ok(client.get(f"/v2/objects/{slug}"))["id"]["object_id"]


def settle(app: Emulator) -> None:
    """Wait until every queued delivery has been made (or given up)."""
    assert app.wait_for_deliveries(WAIT), "deliveries did not finish in time"


def by_webhook(received: list[Received]) -> dict[str, list[Received]]:
    grouped: dict[str, list[Received]] = {}
    for request in received:
        grouped.setdefault(request.json()["webhook_id"], []).append(request)
    return grouped


def status_of(client: httpx.Client, hook: dict[str, Any]) -> str:
    return ok(client.get(f"/v2/webhooks/{hook['id']['webhook_id']}"))["status"]


# --- the request Attio sends ----------------------------------------------------------------


def test_a_new_record_is_delivered_as_a_signed_event(live, http, receiver):
    hook = subscribe(http, receiver.url, "record.created")
    record = new_record(http)
    (request,) = receiver.wait_for(1)
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "webhook_id": hook["id"]["webhook_id"],
        "events": [
            {
                "event_type": "record.created",
                "id": record["id"],
                "actor": {"type": "api-token", "id": live.workspace.token_actor_id()},
            }
        ],
    }
    assert request.signed_with(hook["secret"])
    assert request.headers["x-attio-signature"] == request.headers["attio-signature"]
    assert len(request.headers["idempotency-key"]) >= 16
    settle(live)
    assert status_of(http, hook) == "active"


def test_the_signature_covers_every_byte_of_the_body(http, receiver):
    hook = subscribe(http, receiver.url, "record.created")
    new_record(http)
    (request,) = receiver.wait_for(1)
    assert request.signed_with(hook["secret"])
    assert not request.signed_with(hook["secret"][:-1] + "x")
    for index in (0, len(request.body) // 2, len(request.body) - 1):
        changed = bytearray(request.body)
        changed[index] ^= 0x01
        tampered = Received(request.path, request.headers, bytes(changed), request.at)
        assert not tampered.signed_with(hook["secret"])


def test_each_message_has_its_own_idempotency_key(http, receiver):
    subscribe(http, receiver.url, "record.created")
    new_record(http)
    new_record(http)
    first, second = receiver.wait_for(2)
    assert first.headers["idempotency-key"] != second.headers["idempotency-key"]


# --- which webhooks get which events ------------------------------------------------------


def test_only_subscribed_event_types_are_delivered(live, http, receiver):
    created = subscribe(http, receiver.url, "record.created")
    deleted = subscribe(http, receiver.url, "record.deleted")
    record = new_record(http)
    settle(live)
    assert list(by_webhook(receiver.received)) == [created["id"]["webhook_id"]]
    object_slug, record_id = "companies", record["id"]["record_id"]
    assert http.delete(f"/v2/objects/{object_slug}/records/{record_id}").status_code == 200
    settle(live)
    grouped = by_webhook(receiver.received)
    assert [r.event["event_type"] for r in grouped[deleted["id"]["webhook_id"]]] == [
        "record.deleted"
    ]
    assert len(grouped[created["id"]["webhook_id"]]) == 1


def _condition(field: str, value: str, operator: str = "equals") -> dict[str, str]:
    return {"field": field, "operator": operator, "value": value}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("companies only", {"companies"}),
        ("not companies", {"projects"}),
        ("either", {"companies", "projects"}),
        ("both at once", set()),
        ("api token actor", {"companies", "projects"}),
        ("member actor", set()),
        ("no filter", {"companies", "projects"}),
    ],
)
def test_filters_select_events_by_dotted_fields(live, http, receiver, name, expected):
    create_object(http, "projects")
    ids = {slug: object_id(http, slug) for slug in ("companies", "projects")}
    companies, projects = (_condition("id.object_id", ids[s]) for s in ("companies", "projects"))
    filters = {
        "companies only": {"$and": [companies]},
        "not companies": {"$and": [_condition("id.object_id", ids["companies"], "not_equals")]},
        "either": {"$or": [companies, projects]},
        "both at once": {"$and": [companies, projects]},
        "api token actor": {"$and": [_condition("actor.type", "api-token")]},
        "member actor": {"$or": [_condition("actor.type", "workspace-member")]},
        "no filter": None,
    }
    subscribe(http, receiver.url, "record.created", filter=filters[name])
    new_record(http, "companies")
    new_record(http, "projects")
    settle(live)
    delivered = {r.event["id"]["object_id"] for r in receiver.received}
    assert delivered == {ids[slug] for slug in expected}


def test_a_filter_on_a_list_id_matches_only_that_lists_events(live, http, receiver):
    first = create_list(http, "first")
    hook = subscribe(
        http,
        receiver.url,
        "list.updated",
        filter={"$and": [_condition("id.list_id", first["id"]["list_id"])]},
    )
    second = create_list(http, "second")
    ok(http.patch("/v2/lists/second", json={"data": {"name": "Second, renamed"}}))
    ok(http.patch("/v2/lists/first", json={"data": {"name": "First, renamed"}}))
    settle(live)
    (request,) = receiver.received
    assert request.json()["webhook_id"] == hook["id"]["webhook_id"]
    assert request.event["id"] == first["id"]
    assert request.event["id"] != second["id"]


# --- schema events ------------------------------------------------------------------------


def test_schema_changes_raise_events_with_attios_id_shapes(live, http, receiver):
    subscribe(http, receiver.url, *SCHEMA_EVENTS)
    workspace_id = ok(http.get("/v2/objects/companies"))["id"]["workspace_id"]
    companies = object_id(http, "companies")
    attribute = ok(
        http.post("/v2/objects/companies/attributes", json=attribute_body("rating", "number"))
    )
    ok(http.patch("/v2/objects/companies/attributes/rating", json={"data": {"title": "Score"}}))
    pipeline = create_list(http, "pipeline")
    list_id = pipeline["id"]["list_id"]
    ok(http.patch("/v2/lists/pipeline", json={"data": {"name": "Deal pipeline"}}))
    list_attribute = ok(http.post("/v2/lists/pipeline/attributes", json=attribute_body("owner")))
    ok(http.patch("/v2/lists/pipeline/attributes/owner", json={"data": {"is_archived": True}}))
    settle(live)
    object_attribute_id = {
        "workspace_id": workspace_id,
        "object_id": companies,
        "attribute_id": attribute["id"]["attribute_id"],
    }
    list_attribute_id = {
        "workspace_id": workspace_id,
        "list_id": list_id,
        "attribute_id": list_attribute["id"]["attribute_id"],
    }
    assert [(r.event["event_type"], r.event["id"]) for r in receiver.received] == [
        ("object-attribute.created", object_attribute_id),
        ("object-attribute.updated", object_attribute_id),
        ("list.created", {"workspace_id": workspace_id, "list_id": list_id}),
        ("list.updated", {"workspace_id": workspace_id, "list_id": list_id}),
        ("list-attribute.created", list_attribute_id),
        ("list-attribute.updated", list_attribute_id),
    ]


def test_a_relationship_creates_two_object_attributes(live, http, receiver):
    create_object(http, "projects")
    subscribe(http, receiver.url, "object-attribute.created")
    body = attribute_body(
        "client",
        "record-reference",
        config={},
        relationship={
            "object": "projects",
            "title": "Projects",
            "api_slug": "projects",
            "is_multiselect": True,
        },
    )
    created = ok(http.post("/v2/objects/companies/attributes", json=body))
    settle(live)
    events = [r.event["id"] for r in receiver.received]
    assert [e["attribute_id"] for e in events] == [
        created["id"]["attribute_id"],
        created["relationship"]["id"]["attribute_id"],
    ]
    assert [e["object_id"] for e in events] == [
        object_id(http, "companies"),
        object_id(http, "projects"),
    ]


def test_option_and_failed_schema_writes_raise_no_events(live, http, receiver):
    subscribe(http, receiver.url, *SCHEMA_EVENTS)
    ok(
        http.post(
            "/v2/objects/companies/attributes/categories/options", json={"data": {"title": "X"}}
        )
    )
    refused = http.post("/v2/lists", json={"data": {"name": "No slug"}})
    assert refused.status_code == 400
    settle(live)
    assert receiver.received == []


# --- only committed writes ----------------------------------------------------------------


def test_a_refused_write_delivers_nothing(live, http, receiver):
    subscribe(http, receiver.url, "record.created")
    refused = http.post("/v2/objects/companies/records", json={"data": {"values": {"nope": 1}}})
    assert refused.status_code == 400
    settle(live)
    assert receiver.received == []


def test_events_of_a_rolled_back_write_are_never_delivered(live, http, receiver):
    hook = subscribe(http, receiver.url, "record.created")
    phantom = {"workspace_id": hook["id"]["workspace_id"], "object_id": "x", "record_id": "y"}
    # A handler that raised an event and then failed: its transaction rolls back.
    with pytest.raises(RuntimeError), live.store.transaction():
        live.workspace.emit("record.created", phantom)
        raise RuntimeError("the write failed after raising its event")
    record = new_record(http)
    settle(live)
    assert [r.event["id"] for r in receiver.received] == [record["id"]]


def test_nothing_is_delivered_when_delivery_is_off(receiver):
    app = Emulator(EmulatorConfig())
    try:
        assert app.dispatcher is None
        with make_client(app) as client:
            subscribe(client, receiver.url, "record.created")
            new_record(client)
            assert app.wait_for_deliveries(WAIT)
    finally:
        app.close()
    assert receiver.received == []
    assert not [t for t in threading.enumerate() if t.name.startswith("webhook-delivery")]


def test_the_embedded_workspace_never_delivers(tmp_path, receiver):
    with open_client("local:workspace.db", project_root=tmp_path, token=None) as client:
        # The embedded emulator is reachable only through what closes it.
        embedded = client._on_close.__self__
        assert isinstance(embedded, Emulator)
        client.post("webhooks", _webhook_data(receiver.url))
        client.post("objects/companies/records", {"values": {}})
        assert embedded.dispatcher is None
    assert receiver.received == []
    assert not EmulatorConfig().deliver_webhooks


def _webhook_data(url: str) -> dict[str, Any]:
    return {"target_url": url, "subscriptions": [{"event_type": "record.created", "filter": None}]}


# --- retries and status -------------------------------------------------------------------


def test_failed_deliveries_are_retried_with_backoff_and_the_same_key(receiver):
    receiver.fail_first = 2
    delays = (0.05, 0.2, 0.2)
    app = Emulator(EmulatorConfig(deliver_webhooks=True, webhook_retry_delays=delays))
    try:
        with make_client(app) as client:
            hook = subscribe(client, receiver.url, "record.created")
            new_record(client)
            settle(app)
            assert status_of(client, hook) == "active"
    finally:
        app.close()
    first, second, third = receiver.received
    assert first.body == second.body == third.body
    keys = {r.headers["idempotency-key"] for r in (first, second, third)}
    assert len(keys) == 1
    assert all(r.signed_with(hook["secret"]) for r in (first, second, third))
    # Each retry waits at least its delay, and the delays grow.
    assert second.at - first.at >= delays[0]
    assert third.at - second.at >= delays[1]


def test_exhausted_attempts_degrade_the_webhook_and_a_success_restores_it(live, http, receiver):
    attempts = 1 + len(FAST_RETRIES)
    receiver.fail_first = attempts
    hook = subscribe(http, receiver.url, "record.created")
    new_record(http)
    settle(live)
    assert len(receiver.received) == attempts
    assert status_of(http, hook) == "degraded"
    assert ok(http.get("/v2/webhooks"))[0]["status"] == "degraded"
    # A degraded webhook still receives events; the next delivery that succeeds clears it.
    new_record(http)
    settle(live)
    assert len(receiver.received) == attempts + 1
    assert status_of(http, hook) == "active"


def test_an_unreachable_target_is_retried_then_degraded(live, http):
    with Receiver() as gone:
        url = gone.url
    hook = subscribe(http, url, "record.created")  # nothing listens there any more
    new_record(http)
    settle(live)
    assert status_of(http, hook) == "degraded"


def test_a_deleted_webhook_gets_no_more_retries(live, http, receiver):
    receiver.fail_first = 1
    receiver.hold = True
    hook = subscribe(http, receiver.url, "record.created")
    new_record(http)
    receiver.wait_for(1)  # the first attempt is in flight, held by the receiver
    assert http.delete(f"/v2/webhooks/{hook['id']['webhook_id']}").status_code == 200
    receiver.release.set()  # it fails; the retry finds the webhook gone
    settle(live)
    assert len(receiver.received) == 1


def test_a_slow_receiver_does_not_hold_up_another(live, http, receiver):
    with Receiver() as slow:
        slow.hold = True
        subscribe(http, slow.url, "record.created")
        subscribe(http, receiver.url, "record.created")
        new_record(http)
        slow.wait_for(1)  # in flight, and held there
        receiver.wait_for(1)  # delivered meanwhile
        slow.release.set()
        settle(live)


def test_requests_do_not_wait_for_delivery(live, http, receiver):
    receiver.hold = True
    subscribe(http, receiver.url, "record.created")
    new_record(http)
    new_record(http)  # answered while the first delivery is still held
    receiver.wait_for(1)
    receiver.release.set()
    receiver.wait_for(2)


# --- stopping -----------------------------------------------------------------------------


def test_close_stops_a_worker_waiting_to_retry(receiver):
    receiver.fail_first = 1
    app = Emulator(EmulatorConfig(deliver_webhooks=True, webhook_retry_delays=(60.0,)))
    with make_client(app) as client:
        subscribe(client, receiver.url, "record.created")
        new_record(client)
    receiver.wait_for(1)
    assert not app.wait_for_deliveries(0.05)  # the retry is scheduled a minute out
    workers = [t for t in threading.enumerate() if t.name.startswith("webhook-delivery")]
    assert workers
    started = time.monotonic()
    app.close()
    assert time.monotonic() - started < WAIT
    assert not any(worker.is_alive() for worker in workers)
    assert len(receiver.received) == 1


def test_close_does_not_wait_for_a_request_in_flight(receiver):
    receiver.hold = True
    app = Emulator(EmulatorConfig(deliver_webhooks=True))
    with make_client(app) as client:
        subscribe(client, receiver.url, "record.created")
        new_record(client)
    receiver.wait_for(1)
    closer = threading.Thread(target=app.close)
    closer.start()
    closer.join(WAIT)
    assert not closer.is_alive()  # returned though the receiver still holds the request
    receiver.release.set()


# --- secrets ------------------------------------------------------------------------------


def test_the_signing_secret_is_never_read_back(live, http, receiver):
    hook = subscribe(http, receiver.url, "record.created")
    secret, path = hook["secret"], f"/v2/webhooks/{hook['id']['webhook_id']}"
    patched = http.patch(path, json={"data": {"target_url": receiver.url + "/moved"}})
    for response in (
        patched,
        http.get(path),
        http.get("/v2/webhooks"),
        http.get("/_emulator/state"),
    ):
        assert response.status_code == 200
        assert secret not in response.text
        assert "_secret" not in response.text
    new_record(http)
    (request,) = receiver.wait_for(1)
    assert request.path == "/hooks/moved"
    assert request.signed_with(secret)  # the secret from create still signs


def test_the_state_dump_has_every_kind_and_no_private_keys(http):
    new_record(http)
    resources = ok(http.get("/_emulator/state"))["resources"]
    assert {"record", "entry", "note", "task"} <= set(resources)
    assert len(resources["record"]) == 1
    for items in resources.values():
        for item in items:
            assert not [key for key in item if key.startswith("_")], item


# --- emulator serve -----------------------------------------------------------------------


def _serve_config(*args: str) -> EmulatorConfig:
    params = serve.make_context("serve", list(args)).params
    return build_config(**{k: v for k, v in params.items() if k not in ("host", "port")})


def test_serve_delivers_unless_told_not_to():
    assert _serve_config().deliver_webhooks
    assert not _serve_config("--no-webhook-delivery").deliver_webhooks


def test_a_served_workspace_delivers_over_http(tmp_path, receiver):
    server = ServerProcess(tmp_path, "--rate-limit", "off")
    try:
        with httpx.Client(base_url=server.url.removesuffix("/v2"), timeout=WAIT) as client:
            hook = subscribe(client, receiver.url, "record.created")
            record = new_record(client)
            (request,) = receiver.wait_for(1)
        assert request.event["id"] == record["id"]
        assert request.signed_with(hook["secret"])
        assert server.interrupt() == 0
    finally:
        server.kill()


# --- filter rules -------------------------------------------------------------------------


def test_filter_rules_for_absent_fields_and_empty_groups():
    event = {"event_type": "record.created", "id": {"object_id": "o"}, "actor": {"type": "x"}}
    assert delivery.field_value(event, "id.object_id") == "o"
    assert delivery.field_value(event, "id.list_id") is None
    assert delivery.field_value(event, "event_type.deeper") is None
    absent = _condition("id.list_id", "l")
    assert not delivery.filter_matches({"$and": [absent]}, event)
    assert delivery.filter_matches({"$and": [{**absent, "operator": "not_equals"}]}, event)
    assert delivery.filter_matches({"$and": []}, event)  # all of no conditions hold
    assert not delivery.filter_matches({"$or": []}, event)  # none of them does
