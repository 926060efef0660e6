"""The emulator's own endpoints under /_emulator/: reset, state dump, request counters."""

from __future__ import annotations

from typing import Any

import pytest

from schemactl.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import make_client
from tests.emulator.helpers import attribute_body, create_list, create_object, ok, webhook_body

KINDS = {
    "object",
    "attribute",
    "option",
    "status",
    "list",
    "webhook",
    "member",
    "record",
    "entry",
    "note",
    "task",
}


def _without_timestamps(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_timestamps(v) for k, v in node.items() if k != "created_at"}
    if isinstance(node, list):
        return [_without_timestamps(v) for v in node]
    return node


def _state(client) -> dict[str, Any]:
    return ok(client.get("/_emulator/state"))


def _change_everything(client) -> None:
    create_object(client, "projects")
    ok(client.post("/v2/objects/projects/attributes", json=attribute_body("budget", "number")))
    create_list(client, "pipeline")
    ok(client.post("/v2/webhooks", json=webhook_body()))
    ok(
        client.patch(
            "/v2/objects/companies/attributes/categories/options/B2B",
            json={"data": {"is_archived": True}},
        )
    )
    ok(client.post("/v2/objects/deals/attributes/stage/statuses", json={"data": {"title": "Won"}}))


# --- reset ------------------------------------------------------------------------------------


def test_reset_returns_to_the_seeded_workspace(client):
    seeded = _without_timestamps(_state(client))
    _change_everything(client)
    assert _without_timestamps(_state(client)) != seeded
    response = client.post("/_emulator/reset")
    assert response.status_code == 200
    assert response.json() == {"data": {"reset": True}}
    # The same resources, ids included (a reset run repeats exactly under an id seed).
    assert _without_timestamps(_state(client)) == seeded
    assert "projects" not in {o["api_slug"] for o in ok(client.get("/v2/objects"))}
    assert ok(client.get("/v2/webhooks")) == []
    assert client.get("/v2/lists/pipeline").status_code == 404


def test_reset_matches_a_new_emulator_with_the_same_config(emulator, client):
    _change_everything(client)
    client.post("/_emulator/reset")
    fresh = Emulator(EmulatorConfig(id_seed=emulator.config.id_seed))
    try:
        with make_client(fresh) as other:
            assert _without_timestamps(_state(other)) == _without_timestamps(_state(client))
    finally:
        fresh.close()


def test_reset_keeps_the_configured_shape_of_workspace():
    app = Emulator(EmulatorConfig(enable_optional_objects=False, workspace_name="Acme"))
    try:
        with make_client(app) as http:
            create_object(http, "projects")
            http.post("/_emulator/reset")
            slugs = {o["api_slug"] for o in ok(http.get("/v2/objects"))}
            assert slugs == {"people", "companies"}
            assert http.get("/v2/self").json()["workspace_name"] == "Acme"
    finally:
        app.close()


def test_reset_clears_the_request_counters(client):
    client.get("/v2/objects")
    create_object(client, "projects")
    assert ok(client.get("/_emulator/requests"))["reads"] == 1
    client.post("/_emulator/reset")
    assert ok(client.get("/_emulator/requests")) == {"counts": {}, "reads": 0, "writes": 0}


# --- state dump -------------------------------------------------------------------------------


def test_state_lists_every_resource_by_kind(client):
    create_object(client, "projects")
    create_list(client, "pipeline")
    state = _state(client)
    assert set(state["resources"]) == KINDS
    assert state["counts"] == {
        kind: len(items) for kind, items in state["resources"].items() if items
    }
    assert "projects" in {o["api_slug"] for o in state["resources"]["object"]}
    assert {"pipeline"} == {lst["api_slug"] for lst in state["resources"]["list"]}
    assert [m["email_address"] for m in state["resources"]["member"]] == ["ada@example.com"]
    titles = {s["title"] for s in state["resources"]["status"]}
    assert {"Lead", "In Progress", "Lost"} <= titles
    assert state["workspace"]["id"] == ok(client.get("/v2/objects"))[0]["id"]["workspace_id"]


def test_state_never_contains_a_webhook_secret(client):
    created = ok(client.post("/v2/webhooks", json=webhook_body()))
    secret = created["secret"]
    assert len(secret) >= 32
    dump = client.get("/_emulator/state")
    assert secret not in dump.text
    (stored,) = dump.json()["data"]["resources"]["webhook"]
    assert stored["id"] == created["id"]
    assert "secret" not in stored
    # Nor does anything else that can be read back.
    assert secret not in client.get(f"/v2/webhooks/{created['id']['webhook_id']}").text
    assert secret not in client.get("/v2/webhooks").text


# --- request counters -------------------------------------------------------------------------


def test_requests_are_counted_by_method_and_path_template(client):
    client.get("/v2/objects")
    client.get("/v2/objects")
    client.get("/v2/objects/people")
    client.get("/v2/objects/no-such-thing")  # a 404 is still a request to that operation
    client.get("/v2/objects/companies/attributes")
    client.get("/v2/objects/companies/attributes/categories/options")
    client.get("/v2/self")
    create_object(client, "projects")
    client.post("/v2/objects", json={"data": {}})  # refused, but made
    client.patch(
        "/v2/objects/companies/attributes/categories/options/B2B",
        json={"data": {"is_archived": True}},
    )
    create_list(client, "pipeline")
    client.get("/v2/lists/pipeline/attributes")
    client.get("/nowhere")  # no operation: not counted
    client.get("/_emulator/state")  # control endpoints: not counted
    assert ok(client.get("/_emulator/requests")) == {
        "counts": {
            "GET /v2/objects": 2,
            "GET /v2/objects/{object}": 2,
            "GET /v2/self": 1,
            "GET /v2/{target}/{identifier}/attributes": 2,
            "GET /v2/{target}/{identifier}/attributes/{attribute}/options": 1,
            "PATCH /v2/{target}/{identifier}/attributes/{attribute}/options/{option}": 1,
            "POST /v2/lists": 1,
            "POST /v2/objects": 2,
        },
        "reads": 8,
        "writes": 4,
    }


def test_head_is_counted_as_a_read(emulator, client):
    with make_client(emulator, check=False) as raw:  # a HEAD reply has no body to check
        assert raw.head("/v2/objects").status_code == 200
    assert ok(client.get("/_emulator/requests")) == {
        "counts": {"GET /v2/objects": 1},
        "reads": 1,
        "writes": 0,
    }


def test_delete_clears_the_counters(client):
    client.get("/v2/objects")
    create_object(client, "projects")
    cleared = client.delete("/_emulator/requests")
    assert cleared.status_code == 200
    assert cleared.json() == {"data": {"counts": {}, "reads": 0, "writes": 0}}
    assert ok(client.get("/_emulator/requests"))["counts"] == {}
    client.get("/v2/lists")
    assert ok(client.get("/_emulator/requests")) == {
        "counts": {"GET /v2/lists": 1},
        "reads": 1,
        "writes": 0,
    }
    # The workspace itself is untouched.
    assert ok(client.get("/v2/objects/projects"))["api_slug"] == "projects"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_emulator/reset"), ("POST", "/_emulator/state"), ("PUT", "/_emulator/requests")],
)
def test_control_endpoints_refuse_other_methods(client, method, path):
    response = client.request(method, path)
    assert response.status_code == 405
    assert set(response.json()) == {"status_code", "type", "code", "message"}


def test_control_endpoints_need_no_token():
    app = Emulator(EmulatorConfig(tokens={"secret-token": None}))
    try:
        with make_client(app) as http:
            assert http.get("/v2/objects").status_code == 401
            assert http.get("/_emulator/requests").status_code == 200
            assert http.get("/_emulator/state").status_code == 200
            assert http.post("/_emulator/reset").status_code == 200
    finally:
        app.close()
