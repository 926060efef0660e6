"""Drift: changes made in Attio's UI after an apply, found by `plan` and undone by `apply`.

A change "made in the UI" is a raw API call on the live workspace, shaped as Attio's web app makes
it, after the manifests were applied. `plan --detailed-exitcode` exits 2 and shows it; what the UI
added is listed as unmanaged (and never changes the exit code on its own). Every scenario ends
with "apply, then plan is empty".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    CANARY_TOKEN,
    TOKEN_VARIABLE,
    LiveWorkspace,
    Run,
    ServedEmulator,
    live_workspace,
    schemactl,
    write_project,
)
from tests.e2e.test_plan import NO_CHANGES, change_lines

MODEL = """
objects:
  projects:
    singular_noun: Project
    plural_noun: Projects
    attributes:
      stage:
        type: status
        statuses: [Planned, Active, Done]
      budget:
        type: currency
        currency: {default_currency_code: USD, display_type: symbol}
      priority: {type: select, options: [High, Low]}
lists:
  key_accounts:
    name: Key Accounts
    parent_object: companies
    attributes:
      health: {type: select, options: [Green, Amber, Red]}
webhooks:
  - target_url: https://hooks.example.com/attio
    subscriptions:
      - {event_type: record.created}
"""
PROJECTS = "objects/projects"
BUDGET = f"{PROJECTS}/attributes/budget"
PRIORITY = f"{PROJECTS}/attributes/priority"
STAGE = f"{PROJECTS}/attributes/stage"
HEALTH = "lists/key_accounts/attributes/health"
HOOK_URL = "https://hooks.example.com/attio"
LEGACY = f"{PROJECTS}/attributes/legacy_code"
UNMANAGED_HEADING = "Unmanaged: in the workspace but in no manifest, and left untouched:"
ANSI = re.compile(r"\x1b\[")


# --- helpers ------------------------------------------------------------------------------------


def applied(tmp_path: Path, **environment: Any) -> Path:
    """MODEL applied to an embedded workspace at PROJECT/ws.db; a second plan is empty."""
    project = write_project(
        tmp_path / "project",
        {"model.yaml": MODEL},
        {"prod": {"workspace": "local:ws.db", **environment}},
    )
    apply(project)
    assert_converged(project)
    return project


def apply(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    run = schemactl("-C", project, "--no-color", "apply", "--auto-approve", *args, env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stdout or run.last_line == NO_CHANGES, run.stdout
    return run


def plan(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """`plan --detailed-exitcode ARGS`: exit 0 (no changes) or 2 (changes), never an error."""
    run = schemactl("-C", project, "--no-color", "plan", "--detailed-exitcode", *args, env=env)
    assert run.exit_code in (0, 2), run.stderr
    return run


def assert_converged(project: Path, env: dict[str, str] | None = None) -> None:
    run = plan(project, env=env)
    assert run.exit_code == 0, run.stdout
    assert run.last_line == NO_CHANGES


def unmanaged(run: Run) -> list[str]:
    """The addresses text output lists under its Unmanaged heading."""
    lines = run.stdout.splitlines()
    if UNMANAGED_HEADING not in lines:
        return []
    found = []
    for line in lines[lines.index(UNMANAGED_HEADING) + 1 :]:
        if not line.startswith("  "):
            break
        if not line.startswith("      "):
            found.append(line.strip())
    return found


def status_id(live: LiveWorkspace, attribute: str, title: str) -> str:
    statuses = live.call("GET", f"{attribute}/statuses?show_archived=true")
    return next(s["id"]["status_id"] for s in statuses if s["title"] == title)


def option_id(live: LiveWorkspace, attribute: str, title: str) -> str:
    options = live.call("GET", f"{attribute}/options?show_archived=true")
    return next(o["id"]["option_id"] for o in options if o["title"] == title)


def webhook_id(live: LiveWorkspace, target_url: str) -> str:
    hooks = live.call("GET", "webhooks")
    return next(h["id"]["webhook_id"] for h in hooks if h["target_url"] == target_url)


# What people do in Attio's settings screens, as the web app sends it.


def rename_title(live: LiveWorkspace, attribute: str, title: str) -> None:
    live.call("PATCH", attribute, {"title": title})


def archive_status(live: LiveWorkspace, attribute: str, title: str) -> None:
    live.call(
        "PATCH", f"{attribute}/statuses/{status_id(live, attribute, title)}", {"is_archived": True}
    )


def archive_option(live: LiveWorkspace, attribute: str, title: str) -> None:
    live.call(
        "PATCH", f"{attribute}/options/{option_id(live, attribute, title)}", {"is_archived": True}
    )


def delete_webhook(live: LiveWorkspace, target_url: str) -> None:
    live.call("DELETE", f"webhooks/{webhook_id(live, target_url)}")


# --- changes to managed items are drift: exit 2, shown, undone by apply -----------------------


def test_a_title_renamed_in_the_ui_is_drift_that_apply_undoes(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        rename_title(live, BUDGET, "Budget (USD)")

    run = plan(project)

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("~", BUDGET)]
    assert 'title: "Budget (USD)" -> "Budget"' in run.stdout
    assert run.last_line == "Plan: 1 to update."
    apply(project)
    with live_workspace(project / "ws.db") as live:
        assert live.call("GET", BUDGET)["title"] == "Budget"
    assert_converged(project)


def test_a_status_archived_in_the_ui_is_drift_that_apply_restores(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        archive_status(live, STAGE, "Active")

    run = plan(project)

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("^", f"{STAGE}/statuses/Active")]
    assert run.last_line == "Plan: 1 to unarchive."
    apply(project)
    with live_workspace(project / "ws.db") as live:
        statuses = live.call("GET", f"{STAGE}/statuses?show_archived=true")
        assert {s["title"]: s["is_archived"] for s in statuses} == {
            "Planned": False,
            "Active": False,
            "Done": False,
        }
    assert_converged(project)


def test_a_list_option_archived_and_a_webhook_deleted_in_the_ui_are_drift(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        archive_option(live, HEALTH, "Amber")
        delete_webhook(live, HOOK_URL)

    run = plan(project)

    assert run.exit_code == 2
    assert sorted(change_lines(run.stdout)) == [
        ("+", f"webhooks/{HOOK_URL}"),
        ("^", f"{HEALTH}/options/Amber"),
    ]
    assert run.last_line == "Plan: 1 to create, 1 to unarchive."
    apply(project)
    assert_converged(project)


# --- additions made in the UI are unmanaged: listed, left alone, exit code unchanged -------------


def test_an_option_added_in_the_ui_is_listed_unmanaged_without_changing_the_exit_code(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        live.create_option(PROJECTS, "priority", "Urgent")

    run = plan(project)
    as_json = json.loads(plan(project, "--format", "json").stdout)

    assert run.exit_code == 0, "an addition alone is not a change to make"
    assert unmanaged(run) == [f"{PRIORITY}/options/Urgent"]
    assert run.last_line == NO_CHANGES
    assert as_json["changes"] == []
    assert as_json["unmanaged"] == [
        {"address": f"{PRIORITY}/options/Urgent", "note": "option not in the manifests"}
    ]
    # Adopting it: declare it in the manifests, and the plan has nothing left to report.
    manifest = project / "manifests" / "model.yaml"
    manifest.write_text(manifest.read_text().replace("[High, Low]", "[High, Low, Urgent]"))
    adopted = plan(project)
    assert adopted.exit_code == 0
    assert unmanaged(adopted) == []
    apply(project)
    assert_converged(project)


def test_an_attribute_added_in_the_ui_is_unmanaged_until_pruned(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        live.create_attribute(PROJECTS, "legacy_code", "text")

    run = plan(project)
    pruning = plan(project, "--prune")

    assert run.exit_code == 0
    assert unmanaged(run) == [LEGACY]
    assert pruning.exit_code == 2
    assert change_lines(pruning.stdout) == [("-", LEGACY)]
    assert pruning.last_line == "Plan: 1 to archive."
    apply(project, "--prune")
    with live_workspace(project / "ws.db") as live:
        assert live.call("GET", LEGACY)["is_archived"] is True
    after = plan(project)
    assert unmanaged(after) == []
    assert_converged(project)


# --- the report a scheduled drift job posts ----------------------------------------------------


def ui_changes(live: LiveWorkspace) -> None:
    """Four changes in the UI at once: a rename, an archived status, an option, an attribute."""
    rename_title(live, BUDGET, "Budget (USD)")
    archive_status(live, STAGE, "Done")
    live.create_option(PROJECTS, "priority", "Urgent")
    live.create_attribute(PROJECTS, "legacy_code", "text")


def test_drift_as_markdown_for_an_issue_and_as_json_from_the_same_run(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        ui_changes(live)
    saved = tmp_path / "drift.plan"

    run = plan(project, "--format", "markdown", "-o", saved)

    assert run.exit_code == 2
    markdown = run.stdout
    assert not ANSI.search(markdown)
    assert markdown.startswith("### schemactl plan for workspace `local` (environment `prod`)\n")
    assert "| update | 1 |" in markdown
    assert "| unarchive | 1 |" in markdown
    assert f"**~ update** `{BUDGET}`" in markdown
    assert f"`{STAGE}/statuses/Done`" in markdown
    assert '- title: "Budget (USD)"\n+ title: "Budget"' in markdown
    assert "#### Unmanaged" in markdown
    assert f"- `{PRIORITY}/options/Urgent`: option not in the manifests" in markdown
    assert f"- `{LEGACY}`: attribute not in the manifests" in markdown
    assert markdown.rstrip("\n").endswith("Plan: 1 to update, 1 to unarchive.")
    # The saved plan is the same plan, as JSON: what a CI job reads to count unmanaged items.
    data = json.loads(saved.read_text())
    assert {(c["action"], c["address"]) for c in data["changes"]} == {
        ("update", BUDGET),
        ("unarchive", f"{STAGE}/statuses/Done"),
    }
    assert {u["address"] for u in data["unmanaged"]} == {f"{PRIORITY}/options/Urgent", LEGACY}
    # Applying the saved plan undoes the drift; what the UI added stays, unmanaged.
    applied_saved = schemactl("-C", project, "--no-color", "apply", saved)
    assert applied_saved.exit_code == 0, applied_saved.stderr
    after = plan(project)
    assert sorted(unmanaged(after)) == sorted([f"{PRIORITY}/options/Urgent", LEGACY])
    assert_converged(project)


def test_a_saved_drift_plan_is_refused_when_the_ui_changed_again_since(tmp_path):
    project = applied(tmp_path)
    with live_workspace(project / "ws.db") as live:
        rename_title(live, BUDGET, "Budget (USD)")
    saved = tmp_path / "drift.plan"
    assert plan(project, "-o", saved).exit_code == 2
    with live_workspace(project / "ws.db") as live:
        rename_title(live, BUDGET, "Budget (EUR)")

    run = schemactl("-C", project, "apply", saved)

    assert run.exit_code == 1
    assert run.stderr == (
        f"{BUDGET}: changed since the plan was made\n"
        "the saved plan is stale; nothing was changed. Run plan again.\n"
    )
    with live_workspace(project / "ws.db") as live:
        assert live.call("GET", BUDGET)["title"] == "Budget (EUR)"
    apply(project)
    assert_converged(project)


# --- over HTTP, with a token, where the policy forbids archiving ----------------------------------


@pytest.fixture
def prod(tmp_path: Path, served: ServedEmulator) -> Path:
    """MODEL applied to the served emulator as a prod environment that may not archive."""
    project = write_project(
        tmp_path / "project",
        {"model.yaml": MODEL},
        {
            "prod": {
                "workspace": served.url,
                "token_env": TOKEN_VARIABLE,
                "expect_workspace": "acme",
                "policy": {"allow_archive": False, "allow_delete_webhooks": False},
            }
        },
    )
    apply(project, env=TOKEN)
    assert_converged(project, env=TOKEN)
    return project


TOKEN = {TOKEN_VARIABLE: CANARY_TOKEN}


def test_drift_in_a_token_protected_prod_is_found_and_undone_without_archiving(prod, served):
    with served.live() as live:
        ui_changes(live)
    served.clear_requests()

    run = plan(prod, env=TOKEN)
    refused = schemactl("-C", prod, "plan", "--prune", env=TOKEN)

    assert run.exit_code == 2
    assert sorted(change_lines(run.stdout)) == [("^", f"{STAGE}/statuses/Done"), ("~", BUDGET)]
    assert sorted(unmanaged(run)) == sorted([f"{PRIORITY}/options/Urgent", LEGACY])
    assert refused.exit_code == 1
    assert refused.stderr == (
        "environment 'prod' forbids archiving (policy.allow_archive: false); --prune is refused\n"
    )
    assert served.requests()["writes"] == 0, "planning never writes"
    assert all(CANARY_TOKEN not in text for text in (run.stdout, run.stderr, refused.stderr))
    apply(prod, env=TOKEN)
    assert served.requests()["writes"] == 2
    with served.live() as live:
        assert live.call("GET", LEGACY)["is_archived"] is False, "never archived in prod"
    assert_converged(prod, env=TOKEN)
