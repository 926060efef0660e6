"""Workspace members (GET /v2/workspace_members[/{id}]) and the flat GET /v2/self."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from schemactl.emulator import Emulator, EmulatorConfig, parse_token
from tests.emulator.conftest import make_client
from tests.emulator.helpers import assert_error, ok

ALL_SCOPES = {
    "object_configuration:read-write",
    "list_configuration:read-write",
    "webhook:read-write",
    "user_management:read",
    "record_permission:read-write",
    "list_entry:read-write",
    "note:read-write",
    "task:read-write",
}


@pytest.fixture
def acme() -> Iterator[Emulator]:
    """A workspace with its own name and slug, and two tokens: one full, one read-only."""
    tokens = dict(
        parse_token(spec) for spec in ("full", "reader:object_configuration:read,webhook:read")
    )
    app = Emulator(EmulatorConfig(workspace_name="Acme", workspace_slug="acme", tokens=tokens))
    yield app
    app.close()


def test_members_list_the_workspace_admin(client):
    members = ok(client.get("/v2/workspace_members"))
    assert len(members) == 1
    admin = members[0]
    assert set(admin["id"]) == {"workspace_id", "workspace_member_id"}
    assert admin["access_level"] == "admin"
    assert admin["email_address"] == "ada@example.com"
    assert (admin["first_name"], admin["last_name"]) == ("Ada", "Admin")


def test_get_a_member_by_id(client):
    admin = ok(client.get("/v2/workspace_members"))[0]
    member_id = admin["id"]["workspace_member_id"]
    assert ok(client.get(f"/v2/workspace_members/{member_id}")) == admin


def test_an_unknown_member_is_404(client):
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(client.get(f"/v2/workspace_members/{missing}"), 404, "not_found", mentions=missing)


def test_self_is_flat_and_describes_the_workspace(client):
    response = client.get("/v2/self")
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body  # the one unwrapped response
    assert body["active"] is True
    assert body["workspace_slug"] == "local"
    assert body["workspace_name"] == "Local workspace"
    assert body["token_type"] == "Bearer"
    assert body["iss"] == "attio.com"
    assert set(body["scope"].split(" ")) == ALL_SCOPES
    # The ids agree with the rest of the API.
    people = ok(client.get("/v2/objects/people"))
    assert body["workspace_id"] == body["sub"] == people["id"]["workspace_id"]
    admin = ok(client.get("/v2/workspace_members"))[0]
    assert body["authorized_by_workspace_member_id"] == admin["id"]["workspace_member_id"]


def test_self_reports_the_configured_workspace_and_the_tokens_scopes(acme):
    with make_client(acme, token="full") as http:
        body = http.get("/v2/self").json()
        assert (body["workspace_slug"], body["workspace_name"]) == ("acme", "Acme")
        assert set(body["scope"].split(" ")) == ALL_SCOPES
    with make_client(acme, token="reader") as http:
        body = http.get("/v2/self").json()
        assert body["workspace_slug"] == "acme"
        assert body["scope"].split(" ") == ["object_configuration:read", "webhook:read"]


def test_a_token_is_limited_to_its_scopes(acme):
    with make_client(acme, token="reader") as http:
        assert ok(http.get("/v2/objects"))
        assert ok(http.get("/v2/webhooks")) == []
        body = {"data": {"api_slug": "projects", "singular_noun": "P", "plural_noun": "Ps"}}
        assert_error(
            http.post("/v2/objects", json=body),
            403,
            "unauthorized",
            mentions="object_configuration:read-write",
        )
        assert_error(http.get("/v2/lists"), 403, "unauthorized", mentions="list_configuration")
        # List attributes need the list scope, object attributes the object one.
        assert ok(http.get("/v2/objects/people/attributes"))
        assert_error(http.get("/v2/lists/x/attributes"), 403, "unauthorized")
        assert_error(http.get("/v2/workspace_members"), 403, "unauthorized")


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic full", "Bearer"])
def test_missing_or_unknown_tokens_are_401(acme, header):
    with make_client(acme) as http:
        headers = {} if header is None else {"Authorization": header}
        assert_error(http.get("/v2/self", headers=headers), 401, "unauthorized")
        assert_error(http.get("/v2/objects", headers=headers), 401, "unauthorized")
