"""State lives in SQLite: a db file survives a restart, and /_emulator/reset starts over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from schemactl.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import make_client
from tests.emulator.helpers import (
    create_attribute,
    create_list,
    create_object,
    ok,
    webhook_body,
)

STANDARD = ["people", "companies", "deals", "users", "workspaces"]


def _open(db: Path) -> Emulator:
    # A fixed id_seed, as tests use: a reopened workspace must not reissue ids it already holds.
    return Emulator(EmulatorConfig(db=str(db), id_seed=7))


def _build_model(http: httpx.Client) -> dict[str, Any]:
    """One of everything, some of it renamed or archived."""
    create_object(http, "projects", "Project", "Projects")
    create_attribute(http, "objects", "projects", "tags", "select", is_multiselect=True)
    for title in ("Enterprise", "SMB"):
        ok(
            http.post(
                "/v2/objects/projects/attributes/tags/options", json={"data": {"title": title}}
            )
        )
    ok(
        http.patch(
            "/v2/objects/projects/attributes/tags/options/SMB", json={"data": {"is_archived": True}}
        )
    )
    create_attribute(http, "objects", "projects", "stage", "status")
    ok(
        http.post(
            "/v2/objects/projects/attributes/stage/statuses",
            json={"data": {"title": "Active", "target_time_in_status": "P14D"}},
        )
    )
    create_attribute(http, "objects", "projects", "old_notes")
    ok(
        http.patch(
            "/v2/objects/projects/attributes/old_notes", json={"data": {"is_archived": True}}
        )
    )
    create_list(http, "key_accounts")
    create_attribute(http, "lists", "key_accounts", "priority", "select")
    hook = ok(http.post("/v2/webhooks", json=webhook_body(events=("record.created",))))
    ok(
        http.patch(
            "/v2/objects/deals/attributes/stage/statuses/Lead", json={"data": {"title": "New lead"}}
        )
    )
    return hook


def _snapshot(http: httpx.Client) -> dict[str, Any]:
    """Everything the API shows, archived things included."""
    attributes = "/v2/objects/projects/attributes"
    return {
        "self": http.get("/v2/self").json() | {"iat": None},  # iat: when the process started
        "objects": ok(http.get("/v2/objects")),
        "attributes": ok(http.get(f"{attributes}?show_archived=true")),
        "options": ok(http.get(f"{attributes}/tags/options?show_archived=true")),
        "statuses": ok(http.get(f"{attributes}/stage/statuses?show_archived=true")),
        "deal_stages": ok(http.get("/v2/objects/deals/attributes/stage/statuses")),
        "lists": ok(http.get("/v2/lists")),
        "list_attributes": ok(http.get("/v2/lists/key_accounts/attributes")),
        "webhooks": ok(http.get("/v2/webhooks")),
        "members": ok(http.get("/v2/workspace_members")),
    }


def test_a_db_file_survives_a_restart(tmp_path):
    db = tmp_path / "workspace.db"
    first = _open(db)
    with make_client(first) as http:
        hook = _build_model(http)
        before = _snapshot(http)
    first.close()

    second = _open(db)
    try:
        with make_client(second) as http:
            assert _snapshot(http) == before
            assert [h["id"] for h in before["webhooks"]] == [hook["id"]]
            assert "secret" not in before["webhooks"][0]
    finally:
        second.close()


def test_a_reopened_workspace_is_not_seeded_again_and_keeps_working(tmp_path):
    db = tmp_path / "workspace.db"
    first = _open(db)
    with make_client(first) as http:
        workspace_id = http.get("/v2/self").json()["workspace_id"]
        create_object(http, "projects")
    first.close()

    second = _open(db)
    try:
        with make_client(second) as http:
            assert http.get("/v2/self").json()["workspace_id"] == workspace_id
            assert [o["api_slug"] for o in ok(http.get("/v2/objects"))] == [*STANDARD, "projects"]
            # New writes get fresh ids although the id generator starts from the same seed.
            known = {a["id"]["attribute_id"] for a in ok(http.get("/v2/objects/people/attributes"))}
            created = [
                create_attribute(http, "objects", "projects", f"field_{i}")["id"]["attribute_id"]
                for i in range(30)
            ]
            assert len(set(created)) == 30
            assert not known & set(created)
            assert create_object(http, "tickets")["id"]["workspace_id"] == workspace_id
    finally:
        second.close()


def test_two_in_memory_workspaces_share_nothing():
    one, two = Emulator(EmulatorConfig()), Emulator(EmulatorConfig())
    try:
        with make_client(one) as a, make_client(two) as b:
            create_object(a, "projects")
            assert "projects" not in [o["api_slug"] for o in ok(b.get("/v2/objects"))]
    finally:
        one.close()
        two.close()


def test_reset_returns_to_the_seeded_state(client):
    def shape(state: dict[str, Any]) -> dict[str, Any]:
        resources = state["resources"]
        return {
            "counts": state["counts"],
            "objects": [o["api_slug"] for o in resources["object"]],
            "attributes": sorted(a["api_slug"] for a in resources["attribute"]),
            "statuses": [s["title"] for s in resources["status"]],
            "lists": resources["list"],
            "webhooks": resources["webhook"],
        }

    seeded = client.get("/_emulator/state").json()["data"]
    _build_model(client)
    changed = client.get("/_emulator/state").json()["data"]
    assert shape(changed) != shape(seeded)
    assert ok(client.get("/_emulator/requests"))["writes"] > 0

    response = client.post("/_emulator/reset")
    assert response.status_code == 200
    after = client.get("/_emulator/state").json()["data"]
    assert shape(after) == shape(seeded)
    assert after["workspace"]["slug"] == seeded["workspace"]["slug"]
    assert ok(client.get("/v2/lists")) == []
    assert ok(client.get("/v2/webhooks")) == []
    assert [o["api_slug"] for o in ok(client.get("/v2/objects"))] == STANDARD
    assert [s["title"] for s in ok(client.get("/v2/objects/deals/attributes/stage/statuses"))] == [
        "Lead",
        "In Progress",
        "Won 🎉",
        "Lost",
    ]
    # The request counters restart with the workspace.
    counts = ok(client.get("/_emulator/requests"))
    assert counts["writes"] == 0
    # After a reset the workspace takes writes as a new one does, old slugs included.
    assert create_object(client, "projects")["api_slug"] == "projects"


def test_a_reset_file_workspace_stays_reset_after_a_restart(tmp_path):
    db = tmp_path / "workspace.db"
    first = _open(db)
    with make_client(first) as http:
        _build_model(http)
        assert http.post("/_emulator/reset").status_code == 200
        seeded_counts = http.get("/_emulator/state").json()["data"]["counts"]
    first.close()

    second = _open(db)
    try:
        with make_client(second) as http:
            assert http.get("/_emulator/state").json()["data"]["counts"] == seeded_counts
            assert ok(http.get("/v2/lists")) == []
    finally:
        second.close()


@pytest.mark.parametrize("enable_optional_objects", [True, False])
def test_the_seed_is_written_once_per_db_file(tmp_path, enable_optional_objects):
    db = tmp_path / "workspace.db"
    first = Emulator(EmulatorConfig(db=str(db), enable_optional_objects=enable_optional_objects))
    first.close()
    # The stored workspace wins over a different config on reopen: nothing is re-seeded.
    second = Emulator(EmulatorConfig(db=str(db), enable_optional_objects=True))
    try:
        with make_client(second) as http:
            slugs = [o["api_slug"] for o in ok(http.get("/v2/objects"))]
            assert slugs == (STANDARD if enable_optional_objects else STANDARD[:2])
    finally:
        second.close()
