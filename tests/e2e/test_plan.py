"""`schemactl plan` end to end: the real CLI, the real emulator, real files and exit codes."""

from __future__ import annotations

import itertools
import json
import re
import stat
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from schemactl import model as m
from schemactl.engine import load_desired
from tests.e2e.conftest import (
    CANARY_TOKEN,
    EXAMPLES,
    SERVED_SLUG,
    TOKEN_VARIABLE,
    LiveWorkspace,
    Run,
    ServedEmulator,
    copy_example,
    live_workspace,
    name_embedded_workspace,
    schemactl,
    schemactl_process,
    write_project,
)

NO_CHANGES = "No changes. The workspace matches the manifests."
ACTIONS = ("create", "update", "rename", "archive", "unarchive", "delete", "manual")
CHANGE_KEYS = {"address", "action", "before", "after", "destructive", "in_use", "reason"}
FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")
KNOWN_AFTER_APPLY = "(known after apply)"
ATTRIBUTES = "GET /v2/{target}/{identifier}/attributes"
OPTIONS = "GET /v2/{target}/{identifier}/attributes/{attribute}/options"
STATUSES = "GET /v2/{target}/{identifier}/attributes/{attribute}/statuses"


def change_lines(text: str) -> list[tuple[str, str]]:
    """(symbol, address) of every change block in text output: the line under its `# …`."""
    found = []
    lines = text.splitlines()
    for previous, line in itertools.pairwise(lines):
        if previous.startswith("  # ") and not line.startswith("  # "):
            symbol, _, address = line.strip().partition(" ")
            found.append((symbol, address))
    return found


def declared_creates(project: Path, environment: str | None = None) -> list[str]:
    """Every address the manifests declare, except standard objects (which always exist)."""
    workspace = load_desired(project, environment).manifests.workspace
    return [
        str(address)
        for address, item in workspace.items()
        if not (isinstance(item, m.Object) and item.is_standard)
    ]


def plan_json(run: Run) -> dict[str, Any]:
    assert run.exit_code in (0, 2), run.stderr
    return json.loads(run.stdout)


def only_change(plan: dict[str, Any]) -> dict[str, Any]:
    assert len(plan["changes"]) == 1, [c["address"] for c in plan["changes"]]
    return plan["changes"][0]


# --- 1. a fresh embedded workspace -----------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_fresh_plan_creates_every_declared_item_and_nothing_else(example, tmp_path):
    project = copy_example(example, tmp_path)
    expected = declared_creates(project)
    assert expected, "the example declares nothing"

    run = schemactl("-C", project, "--no-color", "plan")

    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""
    shown = change_lines(run.stdout)
    assert Counter(address for _, address in shown) == Counter(expected)
    assert {symbol for symbol, _ in shown} == {"+"}
    assert "Unmanaged" not in run.stdout
    assert run.last_line == f"Plan: {len(expected)} to create."


@pytest.mark.parametrize("example", EXAMPLES)
def test_detailed_exitcode_says_changes_are_present(example, tmp_path):
    project = copy_example(example, tmp_path)
    assert schemactl("-C", project, "plan", "--detailed-exitcode").exit_code == 2
    assert schemactl("-C", project, "plan").exit_code == 0
    json_run = schemactl("-C", project, "plan", "--format", "json", "--detailed-exitcode")
    assert json_run.exit_code == 2
    assert json.loads(json_run.stdout)["summary"]["create"] > 0


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_the_same_plan_twice_prints_the_same(example, output_format, tmp_path):
    project = copy_example(example, tmp_path)
    first = schemactl("-C", project, "plan", "--format", output_format)
    second = schemactl("-C", project, "plan", "--format", output_format)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert first.stdout.strip()


def test_the_prod_environment_adds_its_prod_only_webhook(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    # prod expects workspace `northwind-ventures`; make the embedded workspace be that one.
    name_embedded_workspace(project, "northwind-ventures")
    prod_hook = "webhooks/https://audit.northwind.vc/attio"

    prod = schemactl("-C", project, "-e", "prod", "--workspace", "local", "plan")
    dev = schemactl("-C", project, "plan")

    assert prod.exit_code == 0, prod.stderr
    assert ("+", prod_hook) in change_lines(prod.stdout)
    assert prod_hook not in dev.stdout
    expected = declared_creates(project, "prod")
    assert prod_hook in expected
    assert prod.last_line == f"Plan: {len(expected)} to create."
    assert len(expected) == len(declared_creates(project)) + 1
    assert "Plan for workspace northwind-ventures (environment: prod)" in prod.stdout
    # prod's variables rendered: its webhook host, not dev's.
    assert "webhooks/https://hooks.northwind.vc/attio/rounds" in prod.stdout
    assert "hooks.dev.example.com" not in prod.stdout


def test_overriding_prods_workspace_with_local_still_checks_expect_workspace(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)

    run = schemactl("-C", project, "-e", "prod", "--workspace", "local", "plan")

    assert run.exit_code == 1
    assert run.stdout == ""
    assert "expects workspace 'northwind-ventures'" in run.stderr
    assert "workspace 'local'" in run.stderr


def test_python_dash_m_prints_the_same_plan_and_exit_code(tmp_path):
    project = copy_example("startup-crm", tmp_path)
    in_process = schemactl("-C", project, "plan", "--detailed-exitcode")

    process = schemactl_process("-C", project, "plan", "--detailed-exitcode", cwd=tmp_path)

    assert process.exit_code == in_process.exit_code == 2
    assert process.stdout == in_process.stdout
    assert process.stderr == ""


# --- 2. json, -o FILE and markdown ------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_json_plan_has_the_documented_shape(example, tmp_path):
    project = copy_example(example, tmp_path)
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json"))

    assert plan["format_version"] == 1
    assert set(plan["workspace"]) == {"id", "slug"}
    assert plan["workspace"]["slug"] == "local"
    assert isinstance(plan["workspace"]["id"], str) and plan["workspace"]["id"]
    assert plan["changes"]
    for change in plan["changes"]:
        assert set(change) >= CHANGE_KEYS, change
        assert change["action"] == "create"
        assert change["before"] is None
        assert isinstance(change["after"], dict)
        assert change["destructive"] is False
        assert change["in_use"] is None
        assert isinstance(change["reason"], str) and change["reason"]
    assert set(plan["summary"]) == set(ACTIONS)
    assert plan["summary"] == {
        action: (len(plan["changes"]) if action == "create" else 0) for action in ACTIONS
    }
    addresses = [c["address"] for c in plan["changes"]]
    assert sorted(addresses) == sorted(declared_creates(project))
    assert plan["fingerprints"] == dict.fromkeys(addresses, "absent")


def test_out_file_holds_the_json_plan_mode_0600_and_stdout_stays_text(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    out = tmp_path / "saved" / "plan.json"

    run = schemactl("-C", project, "plan", "-o", out)

    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith("Plan for workspace local (environment: dev)")
    assert f"Saved the plan to {out}" in run.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    printed = schemactl("-C", project, "plan", "--format", "json").stdout
    assert out.read_text() == printed
    assert json.loads(printed)["format_version"] == 1


def test_out_file_that_existed_world_readable_becomes_0600(tmp_path):
    project = copy_example("startup-crm", tmp_path)
    out = tmp_path / "plan.json"
    out.write_text("an older, longer plan file " * 100)
    out.chmod(0o644)

    run = schemactl("-C", project, "plan", "--out", out, "--detailed-exitcode")

    assert run.exit_code == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["summary"]["create"] > 0


def test_out_file_with_json_format_prints_the_same_json(tmp_path):
    project = copy_example("startup-crm", tmp_path)
    out = tmp_path / "plan.json"
    run = schemactl("-C", project, "plan", "--format", "json", "-o", out)
    assert run.exit_code == 0
    assert run.stdout == out.read_text()
    assert "Saved the plan" not in run.stdout


def test_an_out_file_that_cannot_be_written_is_an_error_not_a_crash(tmp_path):
    project = copy_example("startup-crm", tmp_path)
    (tmp_path / "a-file").write_text("")

    run = schemactl("-C", project, "plan", "-o", "a-file/plan.json")

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.startswith("cannot write the plan to a-file/plan.json: ")
    assert len(run.stderr.splitlines()) == 1


@pytest.mark.parametrize("example", EXAMPLES)
def test_markdown_has_the_summary_table_and_the_summary_sentence(example, tmp_path):
    project = copy_example(example, tmp_path)
    count = len(declared_creates(project))

    markdown = schemactl("-C", project, "plan", "--format", "markdown")
    text = schemactl("-C", project, "plan")

    assert markdown.exit_code == 0
    assert markdown.stdout.startswith("### schemactl plan for workspace `local`")
    assert "| Action | Count |\n| :--- | ---: |\n" + f"| create | {count} |\n" in markdown.stdout
    assert markdown.last_line == text.last_line == f"Plan: {count} to create."


# --- 3. scenarios on a workspace prepared by hand ---------------------------------------------

SMALL_MODEL = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          budget:
            type: currency
            currency: {default_currency_code: USD, display_type: symbol}
          stage:
            type: status
            statuses: [Planned, {title: Active, target_time_in_status: P14D}]
          tags:
            type: select
            is_multiselect: true
            options: [Enterprise, Pilot]
    lists:
      key_accounts:
        name: Key Accounts
        parent_object: companies
        workspace_access: full-access
    webhooks:
      - target_url: https://hooks.example.com/attio
        subscriptions:
          - event_type: list-entry.created
            filter:
              $and: [{field: id.list_id, operator: equals, value: {ref: lists/key_accounts}}]
    """


def prepare_small_model(live: LiveWorkspace) -> None:
    """SMALL_MODEL made by hand, with raw API calls, exactly as declared."""
    live.create_object("projects", "Project", "Projects")
    currency = {"currency": {"default_currency_code": "USD", "display_type": "symbol"}}
    live.create_attribute("objects/projects", "budget", "currency", config=currency)
    live.create_attribute("objects/projects", "stage", "status")
    live.create_status("objects/projects", "stage", "Planned")
    live.create_status("objects/projects", "stage", "Active", target_time_in_status="P14D")
    live.create_attribute("objects/projects", "tags", "select", is_multiselect=True)
    live.create_option("objects/projects", "tags", "Enterprise")
    live.create_option("objects/projects", "tags", "Pilot")
    list_id = live.create_list("key_accounts", "Key Accounts", "companies")["id"]["list_id"]
    condition = {"field": "id.list_id", "operator": "equals", "value": list_id}
    live.create_webhook(
        "https://hooks.example.com/attio",
        [{"event_type": "list-entry.created", "filter": {"$and": [condition]}}],
    )


def projects_manifest(attributes: str) -> str:
    """A `projects` object declaring `attributes` (YAML, indented as under `attributes:`)."""
    body = textwrap.indent(textwrap.dedent(attributes).strip("\n"), "      ")
    head = "objects:\n  projects:\n    singular_noun: Project\n    plural_noun: Projects\n"
    return head + "    attributes:\n" + body + "\n"


def projects_project(tmp_path: Path, attributes: str, **environment: Any) -> Path:
    """A project whose dev environment is `local:ws.db`, declaring `projects` with attributes."""
    return write_project(
        tmp_path / "project",
        {"model.yaml": projects_manifest(attributes)},
        {"dev": {"workspace": "local:ws.db", **environment}},
    )


def test_a_workspace_that_matches_has_no_changes(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL_MODEL})
    with live_workspace(project / "ws.db") as live:
        prepare_small_model(live)

    run = schemactl("-C", project, "plan", "--detailed-exitcode")
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json"))

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.last_line == NO_CHANGES
    assert "Unmanaged" not in run.stdout
    assert plan["changes"] == []
    assert plan["fingerprints"] == {}
    assert plan["summary"] == dict.fromkeys(ACTIONS, 0)
    markdown = schemactl("-C", project, "plan", "--format", "markdown")
    assert markdown.last_line == NO_CHANGES
    assert "| Action | Count |" not in markdown.stdout


def test_a_changed_title_is_an_update_in_place(tmp_path):
    project = projects_project(tmp_path, "summary: {title: New, type: text}")
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute("objects/projects", "summary", "text", title="Old")

    run = schemactl("-C", project, "plan", "--detailed-exitcode")
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json"))

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("~", "objects/projects/attributes/summary")]
    assert '      title: "Old" -> "New"' in run.stdout.splitlines()
    assert run.last_line == "Plan: 1 to update."
    change = only_change(plan)
    assert change["action"] == "update"
    assert (change["before"]["title"], change["after"]["title"]) == ("Old", "New")
    assert FINGERPRINT.match(plan["fingerprints"]["objects/projects/attributes/summary"])


def test_renamed_from_renames_in_place(tmp_path):
    project = projects_project(
        tmp_path,
        """
        client:
          title: Customer
          type: record-reference
          allowed_objects: [companies]
          renamed_from: customer
        """,
    )
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute(
            "objects/projects",
            "customer",
            "record-reference",
            config={"record_reference": {"allowed_objects": ["companies"]}},
        )

    run = schemactl("-C", project, "plan", "--prune")
    plan = plan_json(schemactl("-C", project, "plan", "--prune", "--format", "json"))

    assert run.exit_code == 0, run.stderr
    old, new = "objects/projects/attributes/customer", "objects/projects/attributes/client"
    assert change_lines(run.stdout) == [(">", f"{old} -> {new}")]
    assert f"  # {old} will be renamed in place" in run.stdout
    assert run.last_line == "Plan: 1 to rename."
    change = only_change(plan)
    assert (change["action"], change["address"], change["renamed_from"]) == ("rename", new, old)
    assert plan["fingerprints"][new] == "absent"
    assert FINGERPRINT.match(plan["fingerprints"][old])
    # Taken over by the rename: neither unmanaged nor, with --prune, archived.
    assert plan["unmanaged"] == []


def test_an_archived_attribute_still_declared_is_unarchived(tmp_path):
    project = projects_project(tmp_path, "notes: {type: text}")
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute("objects/projects", "notes", "text")
        live.archive_attribute("objects/projects", "notes")

    run = schemactl("-C", project, "plan", "--detailed-exitcode")

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("^", "objects/projects/attributes/notes")]
    assert run.last_line == "Plan: 1 to unarchive."
    change = only_change(plan_json(schemactl("-C", project, "plan", "--format", "json")))
    assert (change["action"], change["destructive"]) == ("unarchive", False)


UNDECLARED = "objects/projects/attributes/legacy_code"


def with_undeclared_attribute(tmp_path: Path, **environment: Any) -> Path:
    project = projects_project(tmp_path, "notes: {type: text}", **environment)
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute("objects/projects", "notes", "text")
        live.create_attribute("objects/projects", "legacy_code", "text")
    return project


def test_an_undeclared_attribute_is_listed_as_unmanaged_and_left_alone(tmp_path):
    project = with_undeclared_attribute(tmp_path)

    run = schemactl("-C", project, "plan", "--detailed-exitcode")

    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    start = lines.index("Unmanaged: in the workspace but in no manifest, and left untouched:")
    assert lines[start + 1 : start + 3] == [
        f"  {UNDECLARED}",
        "      attribute not in the manifests",
    ]
    assert change_lines(run.stdout) == []
    assert run.last_line == NO_CHANGES
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json"))
    assert plan["changes"] == []
    assert [u["address"] for u in plan["unmanaged"]] == [UNDECLARED]


def test_prune_archives_an_undeclared_attribute(tmp_path):
    project = with_undeclared_attribute(tmp_path)

    run = schemactl("-C", project, "plan", "--prune", "--detailed-exitcode")

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("-", UNDECLARED)]
    assert f"  # {UNDECLARED} will be archived (destructive)" in run.stdout
    assert "Unmanaged" not in run.stdout
    assert run.last_line == "Plan: 1 to archive."
    change = only_change(plan_json(schemactl("-C", project, "plan", "--prune", "--format", "json")))
    assert (change["action"], change["destructive"], change["after"]) == ("archive", True, None)


def test_prune_is_refused_where_the_policy_forbids_archiving(tmp_path):
    project = with_undeclared_attribute(tmp_path, policy={"allow_archive": False})

    refused = schemactl("-C", project, "plan", "--prune", "--detailed-exitcode")
    allowed = schemactl("-C", project, "plan", "--detailed-exitcode")

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        "environment 'dev' forbids archiving (policy.allow_archive: false); --prune is refused\n"
    )
    assert allowed.exit_code == 0
    assert UNDECLARED in allowed.stdout and allowed.last_line == NO_CHANGES


def test_a_policy_that_allows_archiving_archives_without_the_flag(tmp_path):
    project = with_undeclared_attribute(tmp_path, policy={"allow_archive": True})

    run = schemactl("-C", project, "plan", "--detailed-exitcode")

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("-", UNDECLARED)]
    assert run.last_line == "Plan: 1 to archive."


OLD_HOOK = "https://hooks.example.com/old"


def with_undeclared_webhook(tmp_path: Path, **environment: Any) -> Path:
    project = projects_project(tmp_path, "notes: {type: text}", **environment)
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute("objects/projects", "notes", "text")
        live.create_webhook(OLD_HOOK, [{"event_type": "record.created", "filter": None}])
    return project


def test_prune_leaves_an_undeclared_webhook_without_allow_delete_webhooks(tmp_path):
    project = with_undeclared_webhook(tmp_path)

    run = schemactl("-C", project, "plan", "--prune", "--detailed-exitcode")

    assert run.exit_code == 0
    assert f"  webhooks/{OLD_HOOK}\n      webhook not in the manifests\n" in run.stdout
    assert change_lines(run.stdout) == []
    assert run.last_line == NO_CHANGES


def test_allow_delete_webhooks_without_prune_still_deletes_nothing(tmp_path):
    project = with_undeclared_webhook(tmp_path, policy={"allow_delete_webhooks": True})
    run = schemactl("-C", project, "plan", "--detailed-exitcode")
    assert run.exit_code == 0
    assert f"webhooks/{OLD_HOOK}" in run.stdout
    assert run.last_line == NO_CHANGES


def test_prune_with_allow_delete_webhooks_deletes_an_undeclared_webhook(tmp_path):
    project = with_undeclared_webhook(tmp_path, policy={"allow_delete_webhooks": True})

    run = schemactl("-C", project, "plan", "--prune", "--detailed-exitcode")

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("-", f"webhooks/{OLD_HOOK}")]
    assert f"  # webhooks/{OLD_HOOK} will be deleted (destructive)" in run.stdout
    assert run.last_line == "Plan: 1 to delete."
    plan = plan_json(schemactl("-C", project, "plan", "--prune", "--format", "json"))
    change = only_change(plan)
    assert (change["action"], change["destructive"]) == ("delete", True)
    assert change["before"]["target_url"] == OLD_HOOK
    assert "secret" not in json.dumps(plan)


@pytest.mark.parametrize("prune", [[], ["--prune"]])
def test_a_type_change_is_a_manual_change_with_steps_never_an_archive(prune, tmp_path):
    project = projects_project(
        tmp_path,
        "budget: {type: currency, currency: {default_currency_code: EUR, display_type: code}}",
    )
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute("objects/projects", "budget", "number")

    run = schemactl("-C", project, "plan", "--detailed-exitcode", *prune)

    assert run.exit_code == 2
    assert change_lines(run.stdout) == [("!", "objects/projects/attributes/budget")]
    assert '      type: "number" -> "currency"' in run.stdout.splitlines()
    steps = run.stdout[run.stdout.index("      Steps:") :].splitlines()
    assert [line.strip()[:3] for line in steps[1:5]] == ["1. ", "2. ", "3. ", "4. "]
    assert run.last_line == "Plan: 1 manual change."
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json", *prune))
    change = only_change(plan)
    assert change["action"] == "manual"
    assert change["destructive"] is False
    assert len(change["steps"]) == 4
    assert plan["summary"]["archive"] == 0


def test_a_custom_attribute_named_like_a_system_attribute_is_a_located_error(tmp_path):
    attributes = "notes: {type: text}\nrecord_id:\n  type: text\n"
    project = projects_project(tmp_path, attributes)
    with live_workspace(project / "ws.db") as live:
        live.create_object("projects", "Project", "Projects")
    assert schemactl("-C", project, "validate").exit_code == 0  # only the workspace knows
    manifest = (project / "manifests" / "model.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(manifest, 1) if text.strip() == "record_id:")
    column = manifest[line - 1].index("record_id") + 1

    run = schemactl("-C", project, "plan", "--detailed-exitcode")

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        f"project/manifests/model.yaml:{line}:{column}: objects/projects/attributes/record_id "
        "is a system attribute in this workspace: only its options or statuses can be managed; "
        "choose another api_slug for a custom attribute"
    ]


TARGETED_MODEL = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          notes: {type: text}
          tags: {type: select, options: [A, B]}
      companies:
        attributes:
          tier: {type: select, options: [Gold, Silver]}
    lists:
      key_accounts:
        name: Key Accounts
        parent_object: companies
        workspace_access: full-access
        attributes:
          project: {type: record-reference, allowed_objects: [projects]}
    """


def test_target_narrows_the_plan_to_an_address_prefix(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    run = schemactl("-C", project, "plan", "--target", "objects/projects")

    assert run.exit_code == 0, run.stderr
    assert [a for _, a in change_lines(run.stdout)] == [
        "objects/projects",
        "objects/projects/attributes/notes",
        "objects/projects/attributes/tags",
        "objects/projects/attributes/tags/options/A",
        "objects/projects/attributes/tags/options/B",
    ]
    assert "Note:" not in run.stdout
    assert run.last_line == "Plan: 5 to create."


def test_target_pulls_in_what_the_targeted_changes_need_with_a_note(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    run = schemactl("-C", project, "plan", "--target", "lists/key_accounts")

    assert run.exit_code == 0, run.stderr
    assert [a for _, a in change_lines(run.stdout)] == [
        "objects/projects",
        "lists/key_accounts",
        "lists/key_accounts/attributes/project",
    ]
    assert "Note: objects/projects is included because a targeted change depends on it\n" in (
        run.stdout
    )
    plan = plan_json(
        schemactl("-C", project, "plan", "--target", "lists/key_accounts", "--format", "json")
    )
    assert plan["notes"] == ["objects/projects is included because a targeted change depends on it"]
    assert run.last_line == "Plan: 3 to create."


def test_exclude_leaves_out_an_address_prefix(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    run = schemactl(
        "-C",
        project,
        "plan",
        "--exclude",
        "objects/projects/attributes/tags",
        "--exclude",
        "lists/key_accounts",
    )

    assert run.exit_code == 0, run.stderr
    assert [a for _, a in change_lines(run.stdout)] == [
        "objects/projects",
        "objects/projects/attributes/notes",
        "objects/companies/attributes/tier",
        "objects/companies/attributes/tier/options/Gold",
        "objects/companies/attributes/tier/options/Silver",
    ]
    assert run.last_line == "Plan: 5 to create."


def test_a_whole_collection_can_be_targeted_or_excluded(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    without_lists = schemactl("-C", project, "plan", "--exclude", "lists")
    only_lists = schemactl("-C", project, "plan", "--target", "lists")

    assert without_lists.exit_code == 0, without_lists.stderr
    excluded = [a for _, a in change_lines(without_lists.stdout)]
    assert excluded and not any(a.startswith("lists/") for a in excluded)
    assert only_lists.exit_code == 0, only_lists.stderr
    targeted = [a for _, a in change_lines(only_lists.stdout)]
    assert any(a.startswith("lists/") for a in targeted)
    # Besides the lists, only what they need (a parent object) comes along.
    pulled_in = {a for a in targeted if not a.startswith("lists/")}
    assert pulled_in <= set(excluded)
    assert len(pulled_in) < len(excluded)


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "projects"],
        ["--target", "objects/"],
        ["--exclude", "records"],
        ["--target", "objects/projects/fields/x"],
        ["--exclude", "nonsense/x"],
    ],
)
def test_a_malformed_address_is_a_usage_error(args, tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    run = schemactl("-C", project, "plan", "--detailed-exitcode", *args)

    assert run.exit_code == 64
    assert run.stdout == ""
    assert f"Invalid value for '{args[0]}'" in run.stderr
    assert not (project / "ws.db").exists(), "a usage error must not open the workspace"


def test_a_webhook_ref_to_an_existing_list_shows_its_live_id(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL_MODEL})
    with live_workspace(project / "ws.db") as live:
        list_id = live.create_list("key_accounts", "Key Accounts", "companies")["id"]["list_id"]

    run = schemactl("-C", project, "plan", "--target", "webhooks/https://hooks.example.com/attio")
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json"))

    assert run.exit_code == 0, run.stderr
    assert f'"value": {{ref: lists/key_accounts}} = "{list_id}"' in run.stdout
    assert KNOWN_AFTER_APPLY not in run.stdout
    hook = next(c for c in plan["changes"] if c["address"].startswith("webhooks/"))
    condition = hook["after"]["subscriptions"][0]["filter"]["$and"][0]
    assert condition["value"] == {"ref": "lists/key_accounts", "id": list_id}


def test_a_webhook_ref_to_a_list_the_plan_creates_is_known_after_apply(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL_MODEL})

    run = schemactl("-C", project, "plan")
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json"))

    assert run.exit_code == 0, run.stderr
    assert f'"value": {{ref: lists/key_accounts}} = {KNOWN_AFTER_APPLY}' in run.stdout
    hook = next(c for c in plan["changes"] if c["address"].startswith("webhooks/"))
    condition = hook["after"]["subscriptions"][0]["filter"]["$and"][0]
    assert condition["value"] == {"ref": "lists/key_accounts", "id": KNOWN_AFTER_APPLY}
    addresses = [c["address"] for c in plan["changes"]]
    assert addresses.index("lists/key_accounts") < addresses.index(hook["address"])
    assert "lists/key_accounts" in hook["depends_on"]


def build_by_hand(live: LiveWorkspace, desired: m.Workspace) -> None:
    """Make everything `desired` declares with raw API calls, as apply will have to."""
    ids = {f"objects/{o['api_slug']}": o["id"]["object_id"] for o in live.call("GET", "objects")}
    for obj in desired.objects:
        if not obj.is_standard:
            created = live.create_object(obj.api_slug, obj.singular_noun, obj.plural_noun)
            ids[f"objects/{obj.api_slug}"] = created["id"]["object_id"]
    for lst in desired.lists:
        created = live.create_list(lst.api_slug, lst.name, lst.parent_object)
        ids[f"lists/{lst.api_slug}"] = created["id"]["list_id"]
    parents = [("objects", o) for o in desired.objects] + [("lists", x) for x in desired.lists]
    for target, parent in parents:
        path = f"{target}/{parent.api_slug}"
        for attribute in parent.attributes:
            config: dict[str, Any] = {}
            if attribute.currency is not None:
                config["currency"] = {
                    "default_currency_code": attribute.currency.default_currency_code,
                    "display_type": attribute.currency.display_type,
                }
            if attribute.allowed_objects and attribute.relationship is None:
                config["record_reference"] = {"allowed_objects": list(attribute.allowed_objects)}
            body: dict[str, Any] = {
                "title": attribute.title,
                "description": attribute.description,
                "api_slug": attribute.api_slug,
                "type": attribute.type,
                "is_required": attribute.is_required,
                "is_unique": attribute.is_unique,
                "is_multiselect": attribute.is_multiselect,
                "config": config,
            }
            if attribute.default_value is not None:
                body["default_value"] = attribute.default_value
            if attribute.relationship is not None:
                body["relationship"] = {
                    "object": attribute.relationship.object,
                    "title": attribute.relationship.title,
                    "api_slug": attribute.relationship.api_slug,
                    "is_multiselect": attribute.relationship.is_multiselect,
                }
            if not attribute.is_system:
                live.call("POST", f"{path}/attributes", body)
            for option in attribute.options:
                live.create_option(path, attribute.api_slug, option.title)
            for status in attribute.statuses:
                live.create_status(
                    path,
                    attribute.api_slug,
                    status.title,
                    celebration_enabled=status.celebration_enabled,
                    target_time_in_status=status.target_time_in_status,
                )

    def resolved(value: Any) -> Any:
        if isinstance(value, m.Ref):
            return ids[str(value.address)]
        if isinstance(value, dict):
            return {key: resolved(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [resolved(item) for item in value]
        return value

    for hook in desired.webhooks:
        live.create_webhook(
            hook.target_url,
            [
                {"event_type": s.event_type, "filter": resolved(s.filter)}
                for s in hook.subscriptions
            ],
        )


@pytest.mark.parametrize("example", EXAMPLES)
def test_an_example_built_by_hand_plans_no_changes(example, tmp_path):
    project = copy_example(example, tmp_path)
    (project / ".schemactl").mkdir()
    with live_workspace(project / ".schemactl" / "local.db") as live:
        build_by_hand(live, load_desired(project).manifests.workspace)

    run = schemactl("-C", project, "plan", "--detailed-exitcode")

    assert run.exit_code == 0, run.stdout
    assert run.stdout.splitlines()[-1] == NO_CHANGES
    assert "Unmanaged" not in run.stdout


# --- 4. expect_workspace and tokens over HTTP ---------------------------------------------------


def http_project(tmp_path: Path, served: ServedEmulator, **environment: Any) -> Path:
    """SMALL_MODEL, its dev environment the served emulator, its token in TOKEN_VARIABLE."""
    return write_project(
        tmp_path / "project",
        {"model.yaml": SMALL_MODEL},
        {"dev": {"workspace": served.url, "token_env": TOKEN_VARIABLE, **environment}},
    )


def test_a_mismatched_expect_workspace_stops_after_get_self(tmp_path, served):
    project = http_project(tmp_path, served, expect_workspace="northwind")

    run = schemactl(
        "-C",
        project,
        "plan",
        "--prune",
        "-o",
        tmp_path / "plan.json",
        env={TOKEN_VARIABLE: CANARY_TOKEN},
    )

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr == (
        f"environment 'dev' expects workspace 'northwind', but {served.url} is workspace "
        f"'{SERVED_SLUG}'; nothing was changed\n"
    )
    assert served.requests() == {"counts": {"GET /v2/self": 1}, "reads": 1, "writes": 0}
    assert not (tmp_path / "plan.json").exists()


@pytest.mark.parametrize("expected", ["slug", "id"])
def test_a_matching_expect_workspace_plans(expected, tmp_path, served):
    with served.live() as live:
        identity = live.call("GET", "self")
    wanted = SERVED_SLUG if expected == "slug" else identity["workspace_id"]
    project = http_project(tmp_path, served, expect_workspace=wanted)

    run = schemactl("-C", project, "plan", env={TOKEN_VARIABLE: CANARY_TOKEN})

    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith(f"Plan for workspace {SERVED_SLUG} (environment: dev)")
    assert served.requests()["writes"] == 0


def test_the_token_is_read_from_the_variable_token_env_names(tmp_path, served):
    project = http_project(tmp_path, served)
    # ATTIO_API_TOKEN holds a token the server refuses: it must not be the one used.
    env = {TOKEN_VARIABLE: CANARY_TOKEN, "ATTIO_API_TOKEN": "not-the-token"}

    run = schemactl("-C", project, "plan", env=env)

    assert run.exit_code == 0, run.stderr
    assert run.last_line.startswith("Plan: ")


def test_an_unset_token_variable_is_an_error_naming_it(tmp_path, served):
    project = http_project(tmp_path, served)

    run = schemactl("-C", project, "plan", env={"ATTIO_API_TOKEN": CANARY_TOKEN})

    assert run.exit_code == 1
    assert run.stdout == ""
    assert TOKEN_VARIABLE in run.stderr
    assert CANARY_TOKEN not in run.stderr
    assert served.requests()["counts"] == {}, "nothing may be sent without the token"


def test_the_token_never_appears_in_output_or_the_plan_file(tmp_path, served):
    project = http_project(tmp_path, served)
    out = tmp_path / "plan.json"
    outputs = []
    for output_format in ("text", "json", "markdown"):
        run = schemactl(
            "--debug",
            "-C",
            project,
            "plan",
            "--format",
            output_format,
            "-o",
            out,
            env={TOKEN_VARIABLE: CANARY_TOKEN},
        )
        assert run.exit_code == 0, run.stderr
        outputs += [run.stdout, run.stderr, out.read_text()]
    # A token the server refuses travels too, and is reported without being shown.
    refused_token = "e2e-refused-token-8c2e4b"
    refused = schemactl("-C", project, "plan", env={TOKEN_VARIABLE: refused_token})
    assert refused.exit_code == 1
    assert "401" in refused.stderr
    # --debug adds the traceback (as documented): that must not show the token either.
    traced = schemactl(
        "--debug", "-C", project, "plan", env={TOKEN_VARIABLE: refused_token}, traceback=True
    )
    assert traced.exit_code == 1
    assert "Traceback" in traced.stderr
    outputs += [refused.stdout, refused.stderr, traced.stdout, traced.stderr]

    assert all(CANARY_TOKEN not in text for text in outputs)
    assert all(refused_token not in text for text in outputs)
    assert "debug: attio: GET /v2/self -> 200" in outputs[1]


@pytest.mark.parametrize(
    ("workspace", "exit_code", "message"),
    [
        ("http://example.com/v2", 1, "refusing to send an API token over plain http://"),
        (
            "https://user:url-secret-3e1d@example.com/v2",
            64,
            "a workspace URL cannot hold credentials",
        ),
    ],
)
def test_an_unsafe_workspace_url_is_refused_before_any_request(
    workspace, exit_code, message, tmp_path
):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL_MODEL})

    run = schemactl(
        "-C", project, "--workspace", workspace, "plan", env={"ATTIO_API_TOKEN": CANARY_TOKEN}
    )

    assert run.exit_code == exit_code
    assert run.stdout == ""
    assert message in run.stderr
    assert CANARY_TOKEN not in run.stderr and "url-secret-3e1d" not in run.stderr


def test_the_token_variable_works_from_a_real_process_environment(tmp_path, served):
    project = http_project(tmp_path, served)

    with_token = schemactl_process(
        "-C", project, "--debug", "plan", cwd=tmp_path, env={TOKEN_VARIABLE: CANARY_TOKEN}
    )
    without = schemactl_process("-C", project, "plan", cwd=tmp_path, env={})

    assert with_token.exit_code == 0, with_token.stderr
    assert with_token.last_line.startswith("Plan: ")
    assert CANARY_TOKEN not in with_token.stdout + with_token.stderr
    assert without.exit_code == 1
    assert f"set the environment variable {TOKEN_VARIABLE}" in without.stderr


# --- 5. request counts over HTTP -------------------------------------------------------------


def minimum_reads(project: Path, served: ServedEmulator) -> dict[str, int]:
    """The fewest requests a plan can make, worked out from the manifests and the live state.

    1 self + 1 objects + 1 lists + an attributes page per declared object and list that exists
    + an options or statuses listing per declared select or status attribute that exists
    + webhook pages of 100. Attio gives no total, so a full last page costs one more, empty,
    page: n webhooks take n // 100 + 1 pages.
    """
    desired = load_desired(project).manifests.workspace
    counts = Counter({"GET /v2/self": 1, "GET /v2/objects": 1, "GET /v2/lists": 1})
    with served.live() as live:
        live_parents = {("objects", o["api_slug"]) for o in live.call("GET", "objects")}
        live_parents |= {("lists", lst["api_slug"]) for lst in live.call("GET", "lists")}
        for target, parents in (("objects", desired.objects), ("lists", desired.lists)):
            for parent in parents:
                if (target, parent.api_slug) not in live_parents:
                    continue
                counts[ATTRIBUTES] += 1
                path = f"{target}/{parent.api_slug}/attributes?show_archived=true"
                live_types = {a["api_slug"]: a["type"] for a in live.call("GET", path)}
                for attribute in parent.attributes:
                    live_type = live_types.get(attribute.api_slug)
                    if attribute.type == live_type == "select":
                        counts[OPTIONS] += 1
                    elif attribute.type == live_type == "status":
                        counts[STATUSES] += 1
        webhooks, page = 0, 100
        while page == 100:
            page = len(live.call("GET", f"webhooks?limit=100&offset={webhooks}"))
            webhooks += page
    counts["GET /v2/webhooks"] = webhooks // 100 + 1
    return dict(counts)


def plan_over_http(project: Path, served: ServedEmulator) -> Run:
    served.clear_requests()
    run = schemactl(
        "--debug",
        "-C",
        project,
        "--workspace",
        served.url,
        "plan",
        env={"ATTIO_API_TOKEN": CANARY_TOKEN},
    )
    assert run.exit_code == 0, run.stderr
    return run


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_fresh_plan_makes_the_fewest_reads_and_no_writes(example, tmp_path, served):
    project = copy_example(example, tmp_path)
    expected = minimum_reads(project, served)

    run = plan_over_http(project, served)

    requests = served.requests()
    assert requests["counts"] == expected
    assert all(key.startswith("GET ") for key in requests["counts"])
    assert requests["writes"] == 0
    total = sum(expected.values())
    assert requests["reads"] == total
    assert f"{total} API requests to {served.url}\n" in run.stderr


@pytest.mark.parametrize("webhooks", [1, 100, 101])
def test_a_prepared_plan_reads_choices_of_existing_attributes_and_pages_webhooks(
    webhooks, tmp_path, served
):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL_MODEL})
    with served.live() as live:
        prepare_small_model(live)
        # Undeclared items cost nothing: their attributes and options are never read.
        live.create_object("vendors", "Vendor", "Vendors")
        live.create_attribute("objects/vendors", "kind", "select")
        live.create_list("partners", "Partners", "companies")
        for number in range(webhooks - 1):  # prepare_small_model made one
            live.create_webhook(
                f"https://hooks.example.com/extra/{number}",
                [{"event_type": "record.created", "filter": None}],
            )
    expected = minimum_reads(project, served)
    assert expected[OPTIONS] == expected[STATUSES] == 1
    assert expected[ATTRIBUTES] == 2
    assert expected["GET /v2/webhooks"] == (2 if webhooks >= 100 else 1)

    run = plan_over_http(project, served)

    requests = served.requests()
    assert requests["counts"] == expected
    assert requests["writes"] == 0
    assert f"{sum(expected.values())} API requests to {served.url}\n" in run.stderr


# --- 7. --debug ---------------------------------------------------------------------------------


def test_debug_prints_the_request_count_line_to_stderr(tmp_path):
    project = copy_example("startup-crm", tmp_path)

    # Quiet first: --debug switches the request log on for the rest of this process.
    quiet = schemactl("-C", project, "plan", "--format", "json")
    run = schemactl("--debug", "-C", project, "plan", "--format", "json")

    assert run.exit_code == 0
    assert re.search(r"^\d+ API requests to local$", run.stderr, re.MULTILINE), run.stderr
    assert run.stdout == quiet.stdout
    assert quiet.stderr == ""
    json.loads(run.stdout)
