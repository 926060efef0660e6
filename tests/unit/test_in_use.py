"""The in-use check's parts: the query per address, the plan helpers, and the client's query.

The queries run through the real AttioClient against the in-process emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from schemactl.address import Address
from schemactl.attio.errors import AttioApiError, AttioNotFound
from schemactl.attio.ratelimit import RateLimiter
from schemactl.attio.usage import Usage, check_usage, usage_query
from schemactl.emulator import Emulator, EmulatorConfig, Faults
from schemactl.plan.changes import Change, Plan
from schemactl.plan.in_use import (
    archives_to_check,
    holders,
    needs_check,
    unsafe_archives,
    usage_phrase,
    with_usage,
)
from schemactl.project import ProjectFileError, load_project
from tests.attio.test_client import FakeTime, connect, forget_requests, new_attribute, reached

PROJECTS = Address.object("projects")
BUDGET = PROJECTS.attribute("budget")
STAGE = PROJECTS.attribute("stage")
VIP = Address.list("vip")
RECORDS_QUERY = "POST /v2/objects/{object}/records/query"


def archive(address: Address, in_use: bool | None = None) -> Change:
    return Change(address, "archive", {"title": "x"}, None, "", True, in_use=in_use)


# --- the query for each kind of address ---------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "path", "condition"),
    [
        (BUDGET, "objects/projects/records/query", ("budget", {"$not_empty": True})),
        (
            STAGE.status("Won 🎉 / closed"),
            "objects/projects/records/query",
            ("stage", {"$eq": "Won 🎉 / closed"}),
        ),
        (
            PROJECTS.attribute("tier").option("Gold"),
            "objects/projects/records/query",
            ("tier", {"$eq": "Gold"}),
        ),
        (VIP.attribute("owner"), "lists/vip/entries/query", ("owner", {"$not_empty": True})),
        (
            VIP.attribute("priority").option("P0"),
            "lists/vip/entries/query",
            ("priority", {"$eq": "P0"}),
        ),
    ],
)
def test_each_address_has_one_query_with_limit_one(address, path, condition):
    slug, test = condition
    assert usage_query(address) == (path, {"filter": {slug: test}, "limit": 1})


@pytest.mark.parametrize("address", [PROJECTS, VIP, Address.webhook("https://h.example.com/x")])
def test_objects_lists_and_webhooks_have_no_query(address):
    with pytest.raises(ValueError, match="not an attribute, option or status"):
        usage_query(address)


# --- the plan helpers ---------------------------------------------------------------------------


def test_only_archives_of_attributes_options_and_statuses_are_checked():
    changes = (
        archive(BUDGET),
        archive(STAGE.status("Done")),
        Change(PROJECTS.attribute("notes"), "create", None, {"title": "Notes"}, ""),
        Change(Address.webhook("https://h.example.com/x"), "delete", {"x": 1}, None, "", True),
        archive(VIP.attribute("tier").option("Gold")),
    )
    plan = Plan(workspace={}, changes=changes)
    assert [c.address for c in archives_to_check(plan)] == [
        BUDGET,
        STAGE.status("Done"),
        VIP.attribute("tier").option("Gold"),
    ]
    assert [needs_check(c) for c in changes] == [True, True, False, False, True]


def test_with_usage_sets_in_use_by_address_and_adds_each_note_once():
    plan = Plan(workspace={}, changes=(archive(BUDGET), archive(STAGE)), notes=("kept",))
    found = {BUDGET: True, STAGE: None}
    checked = with_usage(plan, found, ["could not check stage", "kept"])
    again = with_usage(checked, found, ["could not check stage"])
    assert [c.in_use for c in again.changes] == [True, None]
    assert again.notes == ("kept", "could not check stage")


def test_unknown_counts_as_unsafe_and_the_phrase_says_which_is_which():
    changes = (
        archive(BUDGET, True),
        archive(STAGE, None),
        archive(STAGE.status("Done"), False),
        archive(PROJECTS.attribute("tier"), True),
    )
    plan = Plan(workspace={}, changes=changes)
    assert [c.address for c in unsafe_archives(plan)] == [BUDGET, STAGE, PROJECTS.attribute("tier")]
    assert usage_phrase(changes) == "2 in use, 1 not checked"
    assert usage_phrase(changes[2:3]) == ""
    assert holders(BUDGET) == "records"
    assert holders(VIP.attribute("x")) == "list entries"


def test_live_address_follows_renames_of_parents_back_to_their_live_names():
    renames = (
        Change(Address.object("work"), "rename", {}, {}, "", renamed_from=PROJECTS),
        Change(
            Address.object("work").attribute("level"),
            "rename",
            {},
            {},
            "",
            renamed_from=Address.object("work").attribute("tier"),
        ),
    )
    plan = Plan(workspace={}, changes=renames)
    gold = Address.object("work").attribute("level").option("Gold")
    assert plan.live_address(gold) == PROJECTS.attribute("tier").option("Gold")
    assert plan.live_address(Address.object("work")) == Address.object("work")


# --- the client's query and check_usage, against the emulator ----------------------------------


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_app(time: FakeTime) -> Iterator[Callable[..., Emulator]]:
    """Emulators on the fake clock, closed after the test."""
    made: list[Emulator] = []

    def make(**config: Any) -> Emulator:
        made.append(Emulator(EmulatorConfig(clock=time.clock, **config)))
        return made[-1]

    yield make
    for app in made:
        app.close()


@pytest.fixture
def workspace(make_app: Callable[..., Emulator], time: FakeTime) -> Emulator:
    """An emulator with objects/projects: budget (number), stage (status: Active, Done), and a
    record holding a budget and `Active`. Its requests and sleeps are forgotten."""
    app = make_app()
    with connect(app, time) as client:
        client.post("objects", {"api_slug": "projects", "singular_noun": "P", "plural_noun": "Ps"})
        client.post("objects/projects/attributes", new_attribute("budget", "number"))
        client.post("objects/projects/attributes", new_attribute("stage", "status"))
        for title in ("Active", "Done"):
            client.post("objects/projects/attributes/stage/statuses", {"title": title})
        client.post("objects/projects/records", {"values": {"budget": 3, "stage": "Active"}})
    forget_requests(app)
    time.sleeps.clear()
    return app


def test_check_usage_asks_once_per_address_and_reads_the_answers(workspace, time):
    addresses = [BUDGET, STAGE.status("Active"), STAGE.status("Done")]
    with connect(workspace, time) as client:
        found = check_usage(client, addresses)
    assert found == [Usage(True), Usage(True), Usage(False)]
    assert reached(workspace)["counts"] == {RECORDS_QUERY: 3}


def test_a_filter_attio_refuses_leaves_in_use_unknown_with_its_reason(workspace, time):
    with connect(workspace, time) as client:
        [found] = check_usage(client, [PROJECTS.attribute("ghost")])
    assert found.in_use is None
    assert "ghost" in found.problem


def test_a_token_without_record_scopes_leaves_in_use_unknown(make_app, time):
    app = make_app(tokens={"schema": frozenset({"object_configuration:read-write"})})
    with connect(app, time, "schema") as client:
        [found] = check_usage(client, [BUDGET])
    assert found == Usage(None, "This token is missing the scope record_permission:read.")


def test_other_errors_propagate(workspace, time):
    with connect(workspace, time) as client, pytest.raises(AttioNotFound):
        check_usage(client, [Address.object("nowhere").attribute("x")])


def test_a_query_takes_the_read_budget(workspace, time):
    limiter = RateLimiter(None, 1.0, clock=time.clock, sleep=time.sleep)
    with connect(workspace, time, limiter=limiter) as client:
        for _ in range(5):
            client.query("objects/projects/records/query", {"limit": 1})
        assert time.sleeps == []  # reads are not limited here; writes would wait a second each
        client.post("objects/projects/records", {"values": {}})
        client.post("objects/projects/records", {"values": {}})
    assert time.sleeps == [1.0]


def test_a_query_is_retried_after_a_server_error_as_a_read_is(make_app, time):
    app = make_app(faults=Faults(rate_500=1.0))
    with connect(app, time, max_read_retries=2) as client, pytest.raises(AttioApiError) as caught:
        client.query("objects/projects/records/query", {"limit": 1})
    assert caught.value.status == 500
    assert reached(app)["counts"] == {RECORDS_QUERY: 3}


# --- the policy ---------------------------------------------------------------------------------


def write_policy(root: Path, policy: str) -> Path:
    (root / "manifests").mkdir(parents=True)
    (root / "schemactl.yaml").write_text(
        f"version: 1\nenvironments:\n  dev:\n    policy: {policy}\n", encoding="utf-8"
    )
    return root


def test_allow_archive_in_use_is_off_unless_the_policy_says_true(tmp_path):
    on = load_project(write_policy(tmp_path / "on", "{allow_archive_in_use: true}"))
    off = load_project(write_policy(tmp_path / "off", "{allow_archive: true}"))
    assert on.environment("dev").policy.allow_archive_in_use is True
    assert off.environment("dev").policy.allow_archive_in_use is False


def test_allow_archive_in_use_must_be_true_or_false(tmp_path):
    with pytest.raises(ProjectFileError) as caught:
        load_project(write_policy(tmp_path, "{allow_archive_in_use: sometimes}"))
    [line] = caught.value.lines()
    assert line.endswith(
        "schemactl.yaml:4:36: expected true or false, got the string 'sometimes' "
        "(at environments.dev.policy.allow_archive_in_use)"
    )
