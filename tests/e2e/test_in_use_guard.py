"""The archive in-use guard end to end: the real CLI and client against the real emulator.

Before archiving an attribute, option or status, plan asks (one query each, `limit: 1`) whether
records or list entries hold values of it and marks the change in every format; apply refuses
archives of what is, or may be, in use unless `--allow-data-loss` or the environment's policy
(`allow_archive_in_use: true`) allows them. Records are made through the emulator's records API.
Every scenario ends with apply, then an empty plan.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.emulator.server import base_url, build_server
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
from tests.e2e.test_apply import (
    apply,
    assert_converged,
    history_files,
    progress,
    records,
    workspace_state,
)
from tests.e2e.test_plan import change_lines, plan_json

MODEL = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          budget: {type: number}
          notes: {type: text}
          stage: {type: status, statuses: [Planned, Active, Done]}
          tier: {type: select, options: [Gold, Silver, Bronze]}
    """
# MODEL less two attributes, two statuses and two options: one of each is in use.
PRUNED = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          stage: {type: status, statuses: [Planned]}
          tier: {type: select, options: [Bronze]}
    """
PROJECTS = "objects/projects"
BUDGET = f"{PROJECTS}/attributes/budget"
NOTES = f"{PROJECTS}/attributes/notes"
ACTIVE = f"{PROJECTS}/attributes/stage/statuses/Active"
DONE = f"{PROJECTS}/attributes/stage/statuses/Done"
GOLD = f"{PROJECTS}/attributes/tier/options/Gold"
SILVER = f"{PROJECTS}/attributes/tier/options/Silver"
IN_USE = {BUDGET: True, NOTES: False, ACTIVE: True, DONE: False, GOLD: True, SILVER: False}
UNSAFE = [BUDGET, ACTIVE, GOLD]
NOTES_LINE = "          notes: {type: text}\n"
RECORD = {"budget": 100, "stage": "Active", "tier": "Gold"}
RECORDS_QUERY = "POST /v2/objects/{object}/records/query"
ENTRIES_QUERY = "POST /v2/lists/{list}/entries/query"
TOKEN = {TOKEN_VARIABLE: CANARY_TOKEN}
# A token with the schema scopes only: it cannot read records.
SCHEMA_TOKEN = "e2e-schema-only-token-3c1a"
SCHEMA_SCOPES = frozenset(
    {"object_configuration:read-write", "list_configuration:read-write", "webhook:read-write"}
)
OPT_IN = (
    "To archive them anyway, run apply with --allow-data-loss, or set "
    "policy.allow_archive_in_use: true for environment 'dev' in schemactl.yaml"
)


# --- helpers ------------------------------------------------------------------------------------


def set_manifest(project: Path, text: str) -> None:
    write_project(project, {"model.yaml": text}, _environments(project))


def _environments(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "schemactl.yaml").read_text())["environments"]


def set_policy(project: Path, **policy: bool) -> None:
    environments = _environments(project)
    environments["dev"]["policy"] = policy
    write_project(project, {}, environments)


def add_record(where: Path | LiveWorkspace, values: dict[str, Any]) -> str:
    """A project in `where` (its `local:ws.db` workspace, or a live one); the record's id."""
    if isinstance(where, Path):
        with live_workspace(where / "ws.db") as live:
            return add_record(live, values)
    record = where.call("POST", f"{PROJECTS}/records", {"values": values})
    return record["id"]["record_id"]


def in_use_of(plan: dict[str, Any]) -> dict[str, bool | None]:
    return {c["address"]: c["in_use"] for c in plan["changes"] if c["action"] == "archive"}


def assert_refused(run: Run, unsafe: list[str], why: dict[str, str] | None = None) -> None:
    """Apply refused: exit 1, one stderr line per unsafe archive, then how to opt in."""
    expected = []
    for address in unsafe:
        holders = "list entries" if address.startswith("lists/") else "records"
        if why and address in why:
            reason = f"could not check its {holders}: {why[address]}"
            expected.append(f"{address}: may be in use ({reason})")
        else:
            expected.append(f"{address}: in use ({holders} hold values for it)")
    opt_in = OPT_IN if len(unsafe) > 1 else OPT_IN.replace("archive them", "archive it")
    *lines, last = run.stderr.splitlines()
    assert run.exit_code == 1, run.stdout + run.stderr
    assert sorted(lines) == sorted(expected)
    assert last == f"refusing to archive what is or may be in use; nothing was changed. {opt_in}"


def announced(stdout: str, allowed_by: str) -> bool:
    """Whether apply said it archives UNSAFE, and what allowed it."""
    line = next(line for line in stdout.splitlines() if line.startswith("Archiving what"))
    prefix = f"Archiving what is or may be in use, as {allowed_by} allows: "
    return line.startswith(prefix) and sorted(line[len(prefix) :].split(", ")) == sorted(UNSAFE)


def archived(project: Path) -> dict[str, bool]:
    """Whether each item of IN_USE is archived in the project's workspace."""
    with live_workspace(project / "ws.db") as live:
        listed = {
            path: live.call("GET", f"{PROJECTS}/attributes{path}?show_archived=true")
            for path in ("", "/stage/statuses", "/tier/options")
        }
    attributes = {a["api_slug"]: a["is_archived"] for a in listed[""]}
    statuses = {s["title"]: s["is_archived"] for s in listed["/stage/statuses"]}
    options = {o["title"]: o["is_archived"] for o in listed["/tier/options"]}
    return {
        BUDGET: attributes["budget"],
        NOTES: attributes["notes"],
        ACTIVE: statuses["Active"],
        DONE: statuses["Done"],
        GOLD: options["Gold"],
        SILVER: options["Silver"],
    }


@pytest.fixture
def pruned(tmp_path: Path) -> Path:
    """MODEL applied; a record holding a budget, `Active` and `Gold`, and one holding what
    stays; the manifests now PRUNED."""
    project = write_project(tmp_path / "project", {"model.yaml": MODEL})
    assert apply(project).exit_code == 0
    add_record(project, RECORD)
    add_record(project, {"stage": "Planned", "tier": "Bronze"})
    set_manifest(project, PRUNED)
    return project


@contextmanager
def serve(tokens: dict[str, frozenset[str] | None]) -> Iterator[ServedEmulator]:
    """An emulator on a free loopback port with these tokens; always stopped."""
    emulator = Emulator(EmulatorConfig(tokens=tokens, rate_limit="off"))
    server = build_server(emulator, "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield ServedEmulator(base_url(server), emulator)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        emulator.close()


def http_project(tmp_path: Path, url: str, manifest: str) -> Path:
    environment = {"workspace": url, "token_env": TOKEN_VARIABLE}
    return write_project(tmp_path / "project", {"model.yaml": manifest}, {"dev": environment})


# --- plan marks in-use archives in every format -------------------------------------------------


def test_plan_marks_each_archive_in_use_or_not_in_text(pruned):
    run = schemactl("-C", pruned, "--no-color", "plan", "--prune", "--detailed-exitcode")

    assert run.exit_code == 2, run.stderr
    assert run.stderr == ""
    assert {address for _, address in change_lines(run.stdout)} == set(IN_USE)
    for address, in_use in IN_USE.items():
        tag = " (in use)" if in_use else ""
        assert f"  # {address} will be archived (destructive){tag}\n" in run.stdout
    assert run.stdout.count("  # In use: records hold values for it.\n") == 3
    assert run.stdout.count("  # Not in use: no records hold values for it.\n") == 3
    assert run.stdout.count("  # Apply refuses it without --allow-data-loss") == 3
    assert run.last_line == "Plan: 6 to archive (3 in use)."


def test_plan_marks_in_use_in_json_and_markdown(pruned):
    plan = plan_json(schemactl("-C", pruned, "plan", "--prune", "--format", "json"))
    markdown = schemactl("-C", pruned, "plan", "--prune", "--format", "markdown").stdout

    assert in_use_of(plan) == IN_USE
    for address, in_use in IN_USE.items():
        heading = f"**- archive** `{address}` — **destructive**"
        assert heading + (", **in use**\n" if in_use else "\n") in markdown
        banner = f"> - **archive** `{address}`" + (" (in use)" if in_use else "") + "\n"
        assert banner in markdown
    assert markdown.endswith("\nPlan: 6 to archive (3 in use).\n")


def test_a_saved_plan_keeps_in_use(pruned, tmp_path):
    out = tmp_path / "plan.json"
    run = schemactl("-C", pruned, "plan", "--prune", "-o", out)

    assert run.exit_code == 0, run.stderr
    assert in_use_of(json.loads(out.read_text())) == IN_USE


def test_each_archive_costs_exactly_one_query_and_other_plans_none(tmp_path, served):
    project = http_project(tmp_path, served.url, MODEL)
    assert apply(project, env=TOKEN).exit_code == 0
    with served.live() as live:
        add_record(live, RECORD)
    served.clear_requests()
    assert schemactl("-C", project, "plan", "--prune", env=TOKEN).exit_code == 0
    assert RECORDS_QUERY not in served.requests()["counts"]  # nothing to archive, nothing asked

    set_manifest(project, PRUNED)
    out = tmp_path / "plan.json"
    served.clear_requests()
    plan = plan_json(
        schemactl("-C", project, "plan", "--prune", "--format", "json", "-o", out, env=TOKEN)
    )

    assert in_use_of(plan) == IN_USE
    assert served.requests()["counts"][RECORDS_QUERY] == len(IN_USE)
    # A saved plan's archives are asked about once more, each once, before anything is written.
    served.clear_requests()
    assert apply(project, out, "--allow-data-loss", env=TOKEN).exit_code == 0
    assert served.requests()["counts"][RECORDS_QUERY] == len(IN_USE)
    assert_converged(project, "--prune", env=TOKEN)


# --- apply refuses, and each opt-in lets it through -------------------------------------------


def test_apply_refuses_in_use_archives_with_zero_writes(pruned):
    before = workspace_state(pruned / "ws.db")
    logs = history_files(pruned)

    run = apply(pruned, "--prune")

    assert_refused(run, UNSAFE)
    assert run.last_line == "Plan: 6 to archive (3 in use)."  # the plan was shown first
    assert progress(run) == []
    assert workspace_state(pruned / "ws.db") == before
    assert history_files(pruned) == logs  # apply never started
    assert apply(pruned, "--prune", "--allow-data-loss").exit_code == 0
    assert_converged(pruned, "--prune")


def test_allow_data_loss_archives_what_is_in_use(pruned):
    run = apply(pruned, "--prune", "--allow-data-loss")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert announced(run.stdout, "--allow-data-loss")
    assert {address for _, _, address in progress(run)} == set(IN_USE)
    assert all(archived(pruned).values())
    log = records(history_files(pruned)[-1])
    assert log[1]["allowed_by"] == "--allow-data-loss"
    assert sorted(log[1]["archives_in_use"]) == sorted(UNSAFE)
    assert {r["address"]: r["in_use"] for r in log if r["event"] == "change"} == IN_USE
    assert_converged(pruned, "--prune")


def test_the_policy_allow_archive_in_use_lets_apply_through(pruned):
    set_policy(pruned, allow_archive_in_use=True)

    run = apply(pruned, "--prune")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert announced(run.stdout, "policy allow_archive_in_use")
    assert all(archived(pruned).values())
    assert_converged(pruned, "--prune")


def test_a_policy_that_archives_without_prune_is_guarded_too(pruned):
    set_policy(pruned, allow_archive=True)
    before = workspace_state(pruned / "ws.db")

    refused = apply(pruned)

    assert_refused(refused, UNSAFE)
    assert workspace_state(pruned / "ws.db") == before
    set_policy(pruned, allow_archive=True, allow_archive_in_use=True)
    assert apply(pruned).exit_code == 0
    assert_converged(pruned)


def test_archives_not_in_use_go_through_without_opt_in(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": MODEL})
    assert apply(project).exit_code == 0
    add_record(project, {"budget": 5, "stage": "Planned", "tier": "Bronze"})
    set_manifest(project, MODEL.replace(NOTES_LINE, "").replace(", Done", ""))

    run = apply(project, "--prune")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stderr == ""
    assert {address for _, _, address in progress(run)} == {NOTES, DONE}
    assert "Plan: 2 to archive." in run.stdout
    assert "Archiving what" not in run.stdout
    assert_converged(project, "--prune")


def test_a_policy_error_still_comes_first(pruned):
    set_policy(pruned, allow_archive=False)

    run = apply(pruned, "--prune", "--allow-data-loss")

    assert run.exit_code == 1
    assert run.stderr == (
        "environment 'dev' forbids archiving (policy.allow_archive: false); --prune is refused\n"
    )
    set_policy(pruned)
    assert apply(pruned, "--prune", "--allow-data-loss").exit_code == 0
    assert_converged(pruned, "--prune")


# --- saved plans are checked again at apply time ------------------------------------------------


def test_a_saved_plan_is_refused_when_records_took_a_value_since(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": MODEL})
    assert apply(project).exit_code == 0
    set_manifest(project, MODEL.replace(NOTES_LINE, ""))
    out = tmp_path / "plan.json"
    assert schemactl("-C", project, "plan", "--prune", "-o", out).exit_code == 0
    assert in_use_of(json.loads(out.read_text())) == {NOTES: False}
    add_record(project, {"notes": "written after the plan was made"})
    before = workspace_state(project / "ws.db")

    refused = apply(project, out)

    assert_refused(refused, [NOTES])
    assert refused.stdout == ""
    assert workspace_state(project / "ws.db") == before

    allowed = apply(project, out, "--allow-data-loss")

    assert allowed.exit_code == 0, allowed.stdout + allowed.stderr
    assert [(s, a) for s, _, a in progress(allowed)] == [("done", NOTES)]
    assert_converged(project, "--prune")


def test_a_saved_plan_goes_through_once_its_records_are_gone(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": MODEL})
    assert apply(project).exit_code == 0
    record = add_record(project, {"notes": "soon deleted"})
    set_manifest(project, MODEL.replace(NOTES_LINE, ""))
    out = tmp_path / "plan.json"
    assert schemactl("-C", project, "plan", "--prune", "-o", out).exit_code == 0
    assert in_use_of(json.loads(out.read_text())) == {NOTES: True}
    with live_workspace(project / "ws.db") as live:
        live.call("DELETE", f"{PROJECTS}/records/{record}")

    run = apply(project, out)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert [(s, a) for s, _, a in progress(run)] == [("done", NOTES)]
    assert_converged(project, "--prune")


# --- what the check reads: live names, list entries ---------------------------------------------


def test_the_check_uses_live_names_under_a_parent_renamed_in_the_same_plan(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": MODEL})
    assert apply(project).exit_code == 0
    add_record(project, {"tier": "Gold"})
    renamed = MODEL.replace(
        "tier: {type: select, options: [Gold, Silver, Bronze]}",
        "level: {type: select, renamed_from: tier, options: [Silver, Bronze]}",
    )
    set_manifest(project, renamed)
    gold = f"{PROJECTS}/attributes/level/options/Gold"

    plan = plan_json(schemactl("-C", project, "plan", "--prune", "--format", "json"))

    assert in_use_of(plan) == {gold: True}
    assert_refused(apply(project, "--prune"), [gold])
    assert apply(project, "--prune", "--allow-data-loss").exit_code == 0
    assert_converged(project, "--prune")


def test_only_the_status_a_record_holds_is_in_use(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": MODEL})
    assert apply(project).exit_code == 0
    add_record(project, {"stage": "Done"})
    set_manifest(project, PRUNED)

    plan = plan_json(schemactl("-C", project, "plan", "--prune", "--format", "json"))

    assert in_use_of(plan) == dict.fromkeys(IN_USE, False) | {DONE: True}
    assert apply(project, "--prune", "--allow-data-loss").exit_code == 0
    assert_converged(project, "--prune")


LIST_MODEL = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          notes: {type: text}
    lists:
      pipeline:
        name: Pipeline
        parent_object: projects
        workspace_access: full-access
        attributes:
          priority: {type: select, options: [P0, P1]}
          owner_note: {type: text}
    """
OWNER_NOTE_LINE = "          owner_note: {type: text}\n"


def test_list_attributes_are_checked_against_entries(tmp_path, served):
    project = http_project(tmp_path, served.url, LIST_MODEL)
    assert apply(project, env=TOKEN).exit_code == 0
    with served.live() as live:
        entry = {
            "parent_record_id": add_record(live, {"notes": "a project"}),
            "parent_object": "projects",
            "entry_values": {"priority": "P0"},
        }
        live.call("POST", "lists/pipeline/entries", entry)
    set_manifest(project, LIST_MODEL.replace("[P0, P1]", "[]").replace(OWNER_NOTE_LINE, ""))
    p0 = "lists/pipeline/attributes/priority/options/P0"
    p1 = "lists/pipeline/attributes/priority/options/P1"
    owner_note = "lists/pipeline/attributes/owner_note"
    served.clear_requests()

    run = schemactl("-C", project, "--no-color", "plan", "--prune", env=TOKEN)

    counts = served.requests()["counts"]
    assert (counts[ENTRIES_QUERY], counts.get(RECORDS_QUERY)) == (3, None)
    assert "  # In use: list entries hold values for it.\n" in run.stdout
    assert run.stdout.count("  # Not in use: no list entries hold values for it.\n") == 2
    plan = plan_json(schemactl("-C", project, "plan", "--prune", "--format", "json", env=TOKEN))
    assert in_use_of(plan) == {p0: True, p1: False, owner_note: False}
    assert_refused(apply(project, "--prune", env=TOKEN), [p0])
    assert apply(project, "--prune", "--allow-data-loss", env=TOKEN).exit_code == 0
    assert_converged(project, "--prune", env=TOKEN)


# --- when records cannot be read ----------------------------------------------------------------


def test_a_token_without_record_scopes_leaves_in_use_unknown_and_apply_refuses(tmp_path):
    tokens = {CANARY_TOKEN: None, SCHEMA_TOKEN: SCHEMA_SCOPES}
    schema_only = {TOKEN_VARIABLE: SCHEMA_TOKEN}
    with serve(tokens) as served:
        project = http_project(tmp_path, served.url, MODEL)
        assert apply(project, env=schema_only).exit_code == 0
        set_manifest(project, MODEL.replace(NOTES_LINE, ""))
        message = "This token is missing the scope record_permission:read."

        run = schemactl("-C", project, "--no-color", "plan", "--prune", env=schema_only)
        plan = plan_json(
            schemactl("-C", project, "plan", "--prune", "--format", "json", env=schema_only)
        )

        assert run.exit_code == 0, run.stderr
        assert in_use_of(plan) == {NOTES: None}
        assert f"  # {NOTES} will be archived (destructive) (may be in use)\n" in run.stdout
        note = f"could not check whether {NOTES} is in use: {message}"
        assert plan["notes"] == [note]
        assert f"Note: {note}\n" in run.stdout
        assert run.last_line == "Plan: 1 to archive (1 not checked)."

        refused = apply(project, "--prune", env=schema_only)

        assert_refused(refused, [NOTES], {NOTES: message})
        allowed = apply(project, "--prune", "--allow-data-loss", env=schema_only)
        assert allowed.exit_code == 0, allowed.stdout + allowed.stderr
        assert_converged(project, "--prune", env=schema_only)
