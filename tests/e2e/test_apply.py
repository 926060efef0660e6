"""`schemactl apply` end to end: the real CLI against the real emulator, then `plan` is empty.

Every scenario ends with "apply, then plan again is empty" (`plan --detailed-exitcode` exits 0).
Zero writes are proved by the served emulator's request counters; on the embedded workspace, by
its whole state being unchanged.
"""

from __future__ import annotations

import json
import stat
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import click.testing
import pytest
import yaml
from click.testing import CliRunner

from schemactl.address import Address
from schemactl.apply import Executor
from schemactl.cli.main import cli
from schemactl.engine import prepare_apply
from tests.e2e.conftest import (
    CANARY_TOKEN,
    EXAMPLES,
    SERVED_SLUG,
    TOKEN_VARIABLE,
    Run,
    ServedEmulator,
    assert_no_traceback,
    copy_example,
    live_workspace,
    name_embedded_workspace,
    schemactl,
    write_project,
)
from tests.e2e.test_plan import (
    NO_CHANGES,
    TARGETED_MODEL,
    change_lines,
    declared_creates,
    plan_json,
)

TOKEN = {TOKEN_VARIABLE: CANARY_TOKEN}
STATUSES = ("done", "failed", "skipped")
REFUSED_NO_TTY = (
    "apply needs confirmation, and there is no terminal to ask on: run it with --auto-approve, "
    "or save a plan with `schemactl plan -o FILE` and apply that file\n"
)
CANCELLED = "Apply cancelled; nothing was changed.\n"
# Where each kind of item is created: the emulator counts requests by these templates.
CREATE_TEMPLATES = {
    "object": "POST /v2/objects",
    "list": "POST /v2/lists",
    "attribute": "POST /v2/{target}/{identifier}/attributes",
    "option": "POST /v2/{target}/{identifier}/attributes/{attribute}/options",
    "status": "POST /v2/{target}/{identifier}/attributes/{attribute}/statuses",
    "webhook": "POST /v2/webhooks",
}


# --- helpers ------------------------------------------------------------------------------------


def apply(project: Path, *args: str | Path, env: dict[str, str] | None = None) -> Run:
    """`schemactl -C PROJECT --no-color apply ARGS`: --auto-approve unless ARGS start with a
    saved plan (a Path)."""
    flags = [] if args and isinstance(args[0], Path) else ["--auto-approve"]
    return schemactl("-C", project, "--no-color", "apply", *flags, *args, env=env)


def schemactl_with_input(
    *args: str | Path, text: str, env: dict[str, str] | None = None, color: bool = False
) -> Run:
    """Like conftest's `schemactl`, with `text` typed on standard input (and, with `color`,
    escape sequences kept as a terminal would get them)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], input=text, env=env, color=color)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    run = Run(result.exit_code, result.stdout, result.stderr)
    assert_no_traceback(run)
    return run


def assert_converged(
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> None:
    """The closing step of every scenario: a second plan finds nothing left to do."""
    run = schemactl("-C", project, *options, "plan", "--detailed-exitcode", *args, env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.last_line == NO_CHANGES


def progress(run: Run) -> list[tuple[str, str, str]]:
    """(status, symbol, address-and-message) of every per-change line apply printed."""
    found = []
    for line in run.stdout.splitlines():
        status = line[:8].strip()
        if status in STATUSES and line[:8] == f"{status:<8}":
            symbol, _, rest = line[8:].partition(" ")
            found.append((status, symbol, rest))
    return found


def done_lines(run: Run) -> Counter[tuple[str, str]]:
    assert all(status == "done" for status, _, _ in progress(run)), run.stdout
    return Counter((symbol, rest) for _, symbol, rest in progress(run))


def edit(project: Path, old: str, new: str, name: str = "model.yaml") -> None:
    path = project / "manifests" / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def workspace_state(db: Path) -> dict[str, Any]:
    """Everything the embedded workspace in `db` holds (the emulator's own view)."""
    with live_workspace(db) as live:
        response = live.http.get("/_emulator/state")
        assert response.status_code == 200
        return response.json()["data"]["resources"]


def history_files(project: Path) -> list[Path]:
    return sorted((project / ".schemactl" / "history").glob("*.jsonl"))


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def http_project(tmp_path: Path, served: ServedEmulator, manifest: str, **environment: Any) -> Path:
    """A project whose dev environment is the served emulator, its token in TOKEN_VARIABLE."""
    return write_project(
        tmp_path / "project",
        {"model.yaml": manifest},
        {"dev": {"workspace": served.url, "token_env": TOKEN_VARIABLE, **environment}},
    )


def expected_writes(plan: dict[str, Any]) -> Counter[str]:
    """One request per planned create, by the template the emulator counts it under."""
    assert {c["action"] for c in plan["changes"]} == {"create"}
    return Counter(CREATE_TEMPLATES[Address.parse(c["address"]).kind] for c in plan["changes"])


# --- 1. the examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_applies_every_change_then_plans_no_changes(example, tmp_path):
    project = copy_example(example, tmp_path)
    expected = declared_creates(project)

    run = apply(project)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stderr == ""
    assert done_lines(run) == Counter(("+", address) for address in expected)
    assert f"Apply complete: {len(expected)} done, 0 failed, 0 skipped." in run.stdout
    assert_converged(project)


def test_vc_dealflow_prod_applies_on_an_embedded_workspace_it_expects(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    name_embedded_workspace(project, "northwind-ventures")
    target = ("-e", "prod", "--workspace", "local")
    expected = declared_creates(project, "prod")
    assert "webhooks/https://audit.northwind.vc/attio" in expected

    run = schemactl("-C", project, *target, "apply", "--auto-approve")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert done_lines(run) == Counter(("+", address) for address in expected)
    assert_converged(project, options=target)


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_applies_over_http_with_one_write_per_change(example, tmp_path, served):
    project = copy_example(example, tmp_path)
    settings = yaml.safe_load((project / "schemactl.yaml").read_text())
    settings["environments"]["dev"] |= {"workspace": served.url, "token_env": TOKEN_VARIABLE}
    (project / "schemactl.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    plan = plan_json(schemactl("-C", project, "plan", "--format", "json", env=TOKEN))
    plan_reads = served.requests()["counts"]
    served.clear_requests()

    run = apply(project, env=TOKEN)

    assert run.exit_code == 0, run.stdout + run.stderr
    requests = served.requests()
    writes = Counter({k: n for k, n in requests["counts"].items() if not k.startswith("GET ")})
    # Not one write repeated, and no read beyond what planning itself takes.
    assert writes == expected_writes(plan)
    assert requests["writes"] == len(plan["changes"])
    assert {k: n for k, n in requests["counts"].items() if k.startswith("GET ")} == plan_reads
    assert CANARY_TOKEN not in run.stdout + run.stderr
    assert_converged(project, env=TOKEN)


# --- 2. edits after a first apply ---------------------------------------------------------------

BASE = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          summary: {title: Summary, type: text}
          notes: {type: text}
          stage:
            type: status
            statuses: [Planned, {title: Active, target_time_in_status: P14D}]
          tags: {type: select, is_multiselect: true, options: [Enterprise, Pilot]}
    """
PROJECTS = "objects/projects"
TAGS = f"{PROJECTS}/attributes/tags"
SUMMARY = f"{PROJECTS}/attributes/summary"
ACTIVE = f"{PROJECTS}/attributes/stage/statuses/Active"


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    """BASE, applied to the project's `local:ws.db` workspace."""
    project = write_project(tmp_path / "project", {"model.yaml": BASE})
    run = apply(project)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert len(progress(run)) == 9
    assert_converged(project)
    return project


def get(project: Path, path: str) -> Any:
    with live_workspace(project / "ws.db") as live:
        return live.call("GET", path)


def status_of(project: Path, path: str) -> int:
    with live_workspace(project / "ws.db") as live:
        return live.http.get(f"/v2/{path}").status_code


def plan_then_apply(project: Path, shown: list[tuple[str, str]], summary: str, *flags: str) -> Run:
    """Plan shows exactly `shown` and `summary`; apply makes each; the next plan is empty."""
    planned = schemactl("-C", project, "--no-color", "plan", "--detailed-exitcode", *flags)
    assert planned.exit_code == 2, planned.stdout + planned.stderr
    assert change_lines(planned.stdout) == shown
    assert planned.last_line == summary

    run = apply(project, *flags)

    assert run.exit_code == 0, run.stdout + run.stderr
    finished = Counter((s, a.split(" -> ")[-1]) for s, a in shown)
    assert done_lines(run) == finished
    assert_converged(project, *flags)
    return planned


def test_an_added_attribute_is_created(applied):
    edit(
        applied,
        "      notes: {type: text}\n",
        "      notes: {type: text}\n"
        "      budget: {type: currency, currency: {default_currency_code: EUR, "
        "display_type: code}}\n",
    )

    plan_then_apply(applied, [("+", f"{PROJECTS}/attributes/budget")], "Plan: 1 to create.")

    budget = get(applied, f"{PROJECTS}/attributes/budget")
    assert budget["type"] == "currency"
    assert budget["config"]["currency"] == {"default_currency_code": "EUR", "display_type": "code"}


def test_an_added_option_is_created(applied):
    edit(applied, "options: [Enterprise, Pilot]", "options: [Enterprise, Pilot, Strategic]")

    plan_then_apply(
        applied, [("+", f"{PROJECTS}/attributes/tags/options/Strategic")], "Plan: 1 to create."
    )

    options = get(applied, f"{PROJECTS}/attributes/tags/options")
    assert sorted(o["title"] for o in options) == ["Enterprise", "Pilot", "Strategic"]


def test_renamed_from_renames_an_attribute_and_an_option_in_place(applied):
    summary_id = get(applied, f"{PROJECTS}/attributes/summary")["id"]["attribute_id"]
    options = get(applied, f"{PROJECTS}/attributes/tags/options")
    pilot_id = next(o["id"]["option_id"] for o in options if o["title"] == "Pilot")
    edit(
        applied,
        "summary: {title: Summary, type: text}",
        "overview: {title: Summary, type: text, renamed_from: summary}",
    )
    edit(applied, "[Enterprise, Pilot]", "[Enterprise, {title: Trial, renamed_from: Pilot}]")

    planned = plan_then_apply(
        applied,
        [
            (">", f"{PROJECTS}/attributes/summary -> {PROJECTS}/attributes/overview"),
            (">", f"{TAGS}/options/Pilot -> {TAGS}/options/Trial"),
        ],
        "Plan: 2 to rename.",
    )

    assert '      title: "Pilot" -> "Trial"' in planned.stdout.splitlines()
    assert get(applied, f"{PROJECTS}/attributes/overview")["id"]["attribute_id"] == summary_id
    assert status_of(applied, f"{PROJECTS}/attributes/summary") == 404
    options = get(applied, f"{PROJECTS}/attributes/tags/options")
    assert {o["title"]: o["id"]["option_id"] for o in options}["Trial"] == pilot_id
    assert sorted(o["title"] for o in options) == ["Enterprise", "Trial"]


def test_a_changed_title_is_updated_in_place(applied):
    edit(applied, "title: Summary", "title: Short summary")

    planned = plan_then_apply(
        applied, [("~", f"{PROJECTS}/attributes/summary")], "Plan: 1 to update."
    )

    assert '      title: "Summary" -> "Short summary"' in planned.stdout.splitlines()
    assert get(applied, f"{PROJECTS}/attributes/summary")["title"] == "Short summary"


def test_a_changed_target_time_in_status_is_updated_in_place(applied):
    edit(applied, "target_time_in_status: P14D", "target_time_in_status: P30D")

    planned = plan_then_apply(
        applied, [("~", f"{PROJECTS}/attributes/stage/statuses/Active")], "Plan: 1 to update."
    )

    assert '      target_time_in_status: "P14D" -> "P30D"' in planned.stdout.splitlines()
    statuses = get(applied, f"{PROJECTS}/attributes/stage/statuses")
    assert {s["title"]: s["target_time_in_status"] for s in statuses} == {
        "Planned": None,
        "Active": "P30D",
    }


HOOK = "https://hooks.example.com/attio"
LIST_AND_HOOK = f"""
lists:
  key_accounts:
    name: Key Accounts
    parent_object: companies
    workspace_access: full-access
webhooks:
  - target_url: {HOOK}
    subscriptions:
      - event_type: list-entry.created
        filter:
          $and: [{{field: id.list_id, operator: equals, value: {{ref: lists/key_accounts}}}}]
"""


def test_a_webhook_refers_to_a_list_created_in_the_same_apply(applied):
    (applied / "manifests" / "hooks.yaml").write_text(LIST_AND_HOOK)

    plan_then_apply(
        applied, [("+", "lists/key_accounts"), ("+", f"webhooks/{HOOK}")], "Plan: 2 to create."
    )

    list_id = get(applied, "lists/key_accounts")["id"]["list_id"]
    [hook] = get(applied, "webhooks")
    assert hook["target_url"] == HOOK
    condition = {"field": "id.list_id", "operator": "equals", "value": list_id}
    assert hook["subscriptions"] == [
        {"event_type": "list-entry.created", "filter": {"$and": [condition]}}
    ]


def test_an_undeclared_attribute_is_left_alone_then_archived_with_prune_then_restored(applied):
    notes = f"{PROJECTS}/attributes/notes"
    edit(applied, "      notes: {type: text}\n", "")

    # Without --prune: unmanaged, listed, untouched.
    run = apply(applied)
    assert run.exit_code == 0, run.stderr
    assert f"  {notes}\n      attribute not in the manifests\n" in run.stdout
    assert run.last_line == NO_CHANGES
    assert progress(run) == []
    assert get(applied, notes)["is_archived"] is False

    # With --prune: archived.
    plan_then_apply(applied, [("-", notes)], "Plan: 1 to archive.", "--prune")
    assert get(applied, notes)["is_archived"] is True
    assert_converged(applied)

    # Declared again: unarchived, the same attribute.
    edit(applied, "      stage:\n", "      notes: {type: text}\n      stage:\n")
    plan_then_apply(applied, [("^", notes)], "Plan: 1 to unarchive.")
    assert get(applied, notes)["is_archived"] is False


def test_prune_archives_an_undeclared_option_and_status_and_declaring_them_restores(applied):
    pilot, active = f"{TAGS}/options/Pilot", ACTIVE
    edit(applied, "[Enterprise, Pilot]", "[Enterprise]")
    edit(applied, "[Planned, {title: Active, target_time_in_status: P14D}]", "[Planned]")

    plan_then_apply(applied, [("-", active), ("-", pilot)], "Plan: 2 to archive.", "--prune")

    options = get(applied, f"{TAGS}/options?show_archived=true")
    assert {o["title"]: o["is_archived"] for o in options} == {"Enterprise": False, "Pilot": True}
    statuses = get(applied, f"{PROJECTS}/attributes/stage/statuses?show_archived=true")
    assert {s["title"]: s["is_archived"] for s in statuses} == {"Planned": False, "Active": True}

    edit(applied, "[Enterprise]", "[Enterprise, Pilot]")
    edit(applied, "[Planned]", "[Planned, {title: Active, target_time_in_status: P14D}]")
    plan_then_apply(applied, [("^", active), ("^", pilot)], "Plan: 2 to unarchive.")
    options = get(applied, f"{TAGS}/options?show_archived=true")
    assert {o["title"]: o["is_archived"] for o in options} == {"Enterprise": False, "Pilot": False}


# --- 3. confirmation ----------------------------------------------------------------------------

SMALL = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          notes: {type: text}
          tags: {type: select, options: [A, B]}
    """
SMALL_CHANGES = [
    PROJECTS,
    f"{PROJECTS}/attributes/notes",
    f"{PROJECTS}/attributes/tags",
    f"{PROJECTS}/attributes/tags/options/A",
    f"{PROJECTS}/attributes/tags/options/B",
]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """CliRunner's standard streams claim to be a terminal, as an interactive shell's are."""
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda _self: True)


def test_without_a_terminal_or_auto_approve_apply_refuses_with_zero_writes(tmp_path, served):
    project = http_project(tmp_path, served, SMALL)

    run = schemactl("-C", project, "apply", env=TOKEN)

    assert run.exit_code == 1
    assert run.stderr == REFUSED_NO_TTY
    assert run.last_line == "Plan: 5 to create."  # it showed what it would have done
    assert served.requests()["writes"] == 0
    assert not (project / ".schemactl" / "history").exists()


def test_on_a_terminal_yes_applies(tmp_path, served, terminal):
    project = http_project(tmp_path, served, SMALL)

    run = schemactl_with_input("-C", project, "apply", text="yes\n", env=TOKEN)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Do you want to perform these actions? Only 'yes' will be accepted." in run.stdout
    assert "Apply complete: 5 done, 0 failed, 0 skipped." in run.stdout
    assert served.requests()["writes"] == 5
    assert_converged(project, env=TOKEN)


@pytest.mark.parametrize("answer", ["no\n", "y\n", "YES\n", "\n", "yes please\n"])
def test_on_a_terminal_anything_but_yes_cancels_with_zero_writes(
    answer, tmp_path, served, terminal
):
    project = http_project(tmp_path, served, SMALL)

    run = schemactl_with_input("-C", project, "apply", text=answer, env=TOKEN)

    assert run.exit_code == 1
    assert run.stderr == CANCELLED
    assert "Only 'yes' will be accepted." in run.stdout
    assert served.requests()["writes"] == 0
    assert apply(project, env=TOKEN).exit_code == 0
    assert_converged(project, env=TOKEN)


def test_on_a_terminal_end_of_input_cancels_with_zero_writes(tmp_path, served, terminal):
    project = http_project(tmp_path, served, SMALL)

    run = schemactl_with_input("-C", project, "apply", text="", env=TOKEN)  # Ctrl-D

    # No answer is not `yes`: cancelled (1), not "interrupted" (130, which Ctrl-C gives).
    assert run.exit_code == 1, run.stdout + run.stderr
    assert run.stderr == CANCELLED
    assert served.requests()["writes"] == 0
    assert apply(project, env=TOKEN).exit_code == 0
    assert_converged(project, env=TOKEN)


def test_auto_approve_never_asks(tmp_path, served, terminal):
    project = http_project(tmp_path, served, SMALL)

    run = schemactl_with_input("-C", project, "apply", "--auto-approve", text="", env=TOKEN)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Do you want to perform" not in run.stdout
    assert_converged(project, env=TOKEN)


# --- 4. saved plans -----------------------------------------------------------------------------


def http_applied(tmp_path: Path, served: ServedEmulator, **environment: Any) -> Path:
    """BASE applied to the served emulator; the request counters start again at zero."""
    project = http_project(tmp_path, served, BASE, **environment)
    assert apply(project, env=TOKEN).exit_code == 0
    served.clear_requests()
    return project


def save_plan(project: Path, out: Path, *args: str, env: dict[str, str] | None = TOKEN) -> dict:
    run = schemactl("-C", project, "plan", "-o", out, "--detailed-exitcode", *args, env=env)
    assert run.exit_code == 2, run.stdout + run.stderr
    return json.loads(out.read_text())


def test_a_saved_plan_applies_without_asking(tmp_path, served):
    project = http_applied(tmp_path, served)
    edit(project, "title: Summary", "title: Short summary")
    out = tmp_path / "plan.json"
    save_plan(project, out)
    served.clear_requests()

    run = schemactl("-C", project, "--no-color", "apply", out, env=TOKEN)  # no TTY, no flag

    assert run.exit_code == 0, run.stdout + run.stderr
    assert progress(run) == [("done", "~", SUMMARY)]
    assert "Do you want to perform" not in run.stdout
    assert "Plan for workspace" not in run.stdout, "a saved plan was shown when it was made"
    assert served.requests()["writes"] == 1
    with served.live() as live:
        assert live.call("GET", SUMMARY)["title"] == "Short summary"
    assert_converged(project, env=TOKEN)


def test_a_saved_plan_ignores_changes_to_items_it_does_not_touch(tmp_path, served):
    project = http_applied(tmp_path, served)
    edit(project, "title: Summary", "title: Short summary")
    out = tmp_path / "plan.json"
    save_plan(project, out)
    with served.live() as live:
        live.create_attribute(PROJECTS, "elsewhere", "text")

    run = apply(project, out, env=TOKEN)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert progress(run) == [("done", "~", SUMMARY)]
    assert_converged(project, env=TOKEN)


def test_a_stale_saved_plan_is_refused_naming_each_moved_item_with_zero_writes(tmp_path, served):
    project = http_applied(tmp_path, served)
    edit(project, "title: Summary", "title: Short summary")
    edit(project, "target_time_in_status: P14D", "target_time_in_status: P30D")
    edit(project, "options: [Enterprise, Pilot]", "options: [Enterprise, Pilot, Strategic]")
    out = tmp_path / "plan.json"
    plan = save_plan(project, out)
    assert len(plan["changes"]) == 3
    # Someone else edits two of the three items the plan touches, after it was made.
    with served.live() as live:
        live.call("PATCH", SUMMARY, {"title": "Edited by hand"})
        statuses = live.call("GET", f"{PROJECTS}/attributes/stage/statuses")
        active = next(s for s in statuses if s["title"] == "Active")["id"]["status_id"]
        live.call("PATCH", f"{PROJECTS}/attributes/stage/statuses/{active}", {"title": "Doing"})
    served.clear_requests()
    audits = history_files(project)

    run = apply(project, out, env=TOKEN)

    assert run.exit_code == 1
    assert run.stdout == ""
    assert sorted(run.stderr.splitlines()) == sorted(
        [
            f"{SUMMARY}: changed since the plan was made",
            f"{ACTIVE}: changed since the plan was made",
            "the saved plan is stale; nothing was changed. Run plan again.",
        ]
    )
    assert run.stderr.splitlines()[-1].startswith("the saved plan is stale")
    assert served.requests()["writes"] == 0
    assert history_files(project) == audits, "nothing was applied, so nothing to audit"
    # Planned again, it converges.
    assert apply(project, env=TOKEN).exit_code == 0
    assert_converged(project, env=TOKEN)


def test_a_saved_plan_is_stale_when_an_item_it_creates_appeared_since(tmp_path, served):
    project = http_project(tmp_path, served, SMALL)
    out = tmp_path / "plan.json"
    save_plan(project, out)
    with served.live() as live:
        live.create_object("projects", "Project", "Projects")
    served.clear_requests()

    run = apply(project, out, env=TOKEN)

    assert run.exit_code == 1
    assert run.stderr.splitlines()[0] == f"{PROJECTS}: changed since the plan was made"
    assert served.requests()["writes"] == 0
    assert apply(project, env=TOKEN).exit_code == 0
    assert_converged(project, env=TOKEN)


RENAMED = """
    objects:
      initiatives:
        renamed_from: projects
        singular_noun: Initiative
        plural_noun: Initiatives
        attributes:
          overview: {title: Summary, type: text, renamed_from: summary}
          notes: {type: text, title: Remarks}
          stage:
            type: status
            statuses: [Planned, {title: Doing, renamed_from: Active, target_time_in_status: P14D}]
          labels:
            type: select
            is_multiselect: true
            renamed_from: tags
            options: [Enterprise, {title: Trial, renamed_from: Pilot}, Strategic]
    """
INITIATIVES = "objects/initiatives"


def test_a_saved_plan_renaming_a_parent_and_its_children_applies(tmp_path, served):
    project = http_applied(tmp_path, served)
    (project / "manifests" / "model.yaml").write_text(textwrap.dedent(RENAMED).lstrip())
    out = tmp_path / "plan.json"
    plan = save_plan(project, out)
    assert plan["summary"]["rename"] == 5
    served.clear_requests()

    run = apply(project, out, env=TOKEN)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert sorted(a for _, _, a in progress(run)) == [
        INITIATIVES,
        f"{INITIATIVES}/attributes/labels",
        f"{INITIATIVES}/attributes/labels/options/Strategic",
        f"{INITIATIVES}/attributes/labels/options/Trial",
        f"{INITIATIVES}/attributes/notes",
        f"{INITIATIVES}/attributes/overview",
        f"{INITIATIVES}/attributes/stage/statuses/Doing",
    ]
    assert served.requests()["writes"] == 7
    assert_converged(project, env=TOKEN)


def test_a_saved_plan_under_a_renamed_parent_is_stale_when_a_child_moved(tmp_path, served):
    project = http_applied(tmp_path, served)
    (project / "manifests" / "model.yaml").write_text(textwrap.dedent(RENAMED).lstrip())
    out = tmp_path / "plan.json"
    save_plan(project, out)
    with served.live() as live:
        live.call("PATCH", f"{PROJECTS}/attributes/notes", {"title": "Edited by hand"})
    served.clear_requests()

    run = apply(project, out, env=TOKEN)

    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        f"{INITIATIVES}/attributes/notes: changed since the plan was made",
        "the saved plan is stale; nothing was changed. Run plan again.",
    ]
    assert served.requests()["writes"] == 0
    assert apply(project, env=TOKEN).exit_code == 0
    assert_converged(project, env=TOKEN)


def test_a_plan_made_for_another_workspace_is_refused(tmp_path, served):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})
    out = tmp_path / "plan.json"
    plan = save_plan(project, out, env=None)
    env = {"ATTIO_API_TOKEN": CANARY_TOKEN}

    run = schemactl("-C", project, "--workspace", served.url, "apply", out, env=env)

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr == (
        f"the plan was made for workspace local ({plan['workspace']['id']}), but {served.url} "
        f"is workspace {SERVED_SLUG}; nothing was changed\n"
    )
    assert served.requests()["writes"] == 0
    assert apply(project, out).exit_code == 0  # where it was made, it applies
    assert_converged(project)


def test_a_plan_made_for_another_environment_is_refused(tmp_path):
    project = write_project(
        tmp_path / "project",
        {"model.yaml": SMALL},
        {"dev": {"workspace": "local:ws.db"}, "staging": {"workspace": "local:ws.db"}},
    )
    out = tmp_path / "plan.json"
    save_plan(project, out, env=None)
    before = workspace_state(project / "ws.db")

    run = schemactl("-C", project, "-e", "staging", "apply", out)

    assert run.exit_code == 1
    assert run.stderr == "the plan was made for environment 'dev', not 'staging'\n"
    assert workspace_state(project / "ws.db") == before
    assert apply(project, out).exit_code == 0
    assert_converged(project)


@pytest.mark.parametrize("flag", [["--target", PROJECTS], ["--exclude", PROJECTS], ["--prune"]])
def test_a_plan_file_with_plan_options_is_a_usage_error(flag, tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})
    out = tmp_path / "plan.json"
    save_plan(project, out, env=None)
    before = workspace_state(project / "ws.db")

    run = schemactl("-C", project, "apply", out, *flag)

    assert run.exit_code == 64
    assert run.stdout == ""
    assert "--target, --exclude and --prune belong to the plan; not with PLAN_FILE" in run.stderr
    assert workspace_state(project / "ws.db") == before
    assert apply(project, out).exit_code == 0
    assert_converged(project)


def test_a_missing_plan_file_is_a_usage_error(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})

    run = schemactl("-C", project, "apply", tmp_path / "nowhere.json")

    assert run.exit_code == 64
    assert "cannot read" in run.stderr and "nowhere.json" in run.stderr
    assert not (project / "ws.db").exists()


# --- 5. guards: policy and expect_workspace -----------------------------------------------------


def test_prune_is_refused_where_policy_forbids_archiving(tmp_path):
    project = write_project(
        tmp_path / "project",
        {"model.yaml": SMALL},
        {"dev": {"workspace": "local:ws.db", "policy": {"allow_archive": False}}},
    )
    assert apply(project).exit_code == 0
    edit(project, "      notes: {type: text}\n", "")
    before = workspace_state(project / "ws.db")

    run = apply(project, "--prune")

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr == (
        "environment 'dev' forbids archiving (policy.allow_archive: false); --prune is refused\n"
    )
    assert workspace_state(project / "ws.db") == before
    assert_converged(project)  # without --prune, the undeclared attribute is left alone


def test_a_saved_plan_that_archives_is_refused_once_policy_forbids_it(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})
    assert apply(project).exit_code == 0
    edit(project, "      notes: {type: text}\n", "")
    out = tmp_path / "plan.json"
    plan = save_plan(project, out, "--prune", env=None)
    assert [(c["action"], c["address"]) for c in plan["changes"]] == [
        ("archive", f"{PROJECTS}/attributes/notes")
    ]
    settings = yaml.safe_load((project / "schemactl.yaml").read_text())
    settings["environments"]["dev"]["policy"] = {"allow_archive": False}
    (project / "schemactl.yaml").write_text(yaml.safe_dump(settings))
    before = workspace_state(project / "ws.db")

    run = apply(project, out)

    assert run.exit_code == 1
    assert run.stderr == (
        "environment 'dev' forbids archiving (policy.allow_archive: false), and the plan "
        f"archives {PROJECTS}/attributes/notes\n"
    )
    assert workspace_state(project / "ws.db") == before
    assert_converged(project)


OLD_HOOK = "https://hooks.example.com/old"


def test_prune_with_allow_delete_webhooks_deletes_an_undeclared_webhook(tmp_path):
    project = write_project(
        tmp_path / "project",
        {"model.yaml": SMALL},
        {"dev": {"workspace": "local:ws.db", "policy": {"allow_delete_webhooks": True}}},
    )
    with live_workspace(project / "ws.db") as live:
        live.create_webhook(OLD_HOOK, [{"event_type": "record.created", "filter": None}])

    first = apply(project)
    assert first.exit_code == 0
    assert f"webhooks/{OLD_HOOK}" not in {a for _, _, a in progress(first)}
    assert len(get(project, "webhooks")) == 1

    plan_then_apply(project, [("-", f"webhooks/{OLD_HOOK}")], "Plan: 1 to delete.", "--prune")
    assert get(project, "webhooks") == []


def test_a_saved_plan_that_deletes_a_webhook_is_refused_once_policy_forbids_it(tmp_path):
    environment = {"workspace": "local:ws.db", "policy": {"allow_delete_webhooks": True}}
    project = write_project(tmp_path / "project", {"model.yaml": SMALL}, {"dev": environment})
    with live_workspace(project / "ws.db") as live:
        live.create_webhook(OLD_HOOK, [{"event_type": "record.created", "filter": None}])
    assert apply(project).exit_code == 0
    out = tmp_path / "plan.json"
    save_plan(project, out, "--prune", env=None)
    settings = yaml.safe_load((project / "schemactl.yaml").read_text())
    del settings["environments"]["dev"]["policy"]
    (project / "schemactl.yaml").write_text(yaml.safe_dump(settings))

    run = apply(project, out)

    assert run.exit_code == 1
    assert run.stderr == (
        "environment 'dev' does not allow deleting webhooks (policy.allow_delete_webhooks), "
        f"and the plan deletes webhooks/{OLD_HOOK}\n"
    )
    assert len(get(project, "webhooks")) == 1
    assert_converged(project, "--prune")


def test_a_mismatched_expect_workspace_stops_apply_before_any_write(tmp_path, served):
    project = http_project(tmp_path, served, SMALL, expect_workspace="northwind")

    run = apply(project, "--prune", env=TOKEN)

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr == (
        f"environment 'dev' expects workspace 'northwind', but {served.url} is workspace "
        f"'{SERVED_SLUG}'; nothing was changed\n"
    )
    assert served.requests() == {"counts": {"GET /v2/self": 1}, "reads": 1, "writes": 0}


def test_a_saved_plan_still_checks_expect_workspace(tmp_path, served):
    project = http_project(tmp_path, served, SMALL)
    out = tmp_path / "plan.json"
    save_plan(project, out)
    settings = yaml.safe_load((project / "schemactl.yaml").read_text())
    settings["environments"]["dev"]["expect_workspace"] = "northwind"
    (project / "schemactl.yaml").write_text(yaml.safe_dump(settings))
    served.clear_requests()

    run = apply(project, out, env=TOKEN)

    assert run.exit_code == 1
    assert "expects workspace 'northwind'" in run.stderr
    assert served.requests() == {"counts": {"GET /v2/self": 1}, "reads": 1, "writes": 0}


# --- 6. --target, --exclude and --parallelism ---------------------------------------------------

KEY_ACCOUNTS = ["lists/key_accounts", "lists/key_accounts/attributes/project"]
TIER = [
    "objects/companies/attributes/tier",
    "objects/companies/attributes/tier/options/Gold",
    "objects/companies/attributes/tier/options/Silver",
]
TARGETED_PROJECTS = [
    PROJECTS,
    f"{PROJECTS}/attributes/notes",
    f"{PROJECTS}/attributes/tags",
    f"{PROJECTS}/attributes/tags/options/A",
    f"{PROJECTS}/attributes/tags/options/B",
]


def test_target_and_exclude_apply_a_part_and_plan_shows_the_rest(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    targeted = apply(project, "--target", PROJECTS)

    assert targeted.exit_code == 0, targeted.stdout + targeted.stderr
    assert done_lines(targeted) == Counter(("+", a) for a in TARGETED_PROJECTS)
    rest = schemactl("-C", project, "plan")
    assert [a for _, a in change_lines(rest.stdout)] == TIER + KEY_ACCOUNTS

    excluded = apply(project, "--exclude", "lists/key_accounts")

    assert excluded.exit_code == 0, excluded.stdout + excluded.stderr
    assert done_lines(excluded) == Counter(("+", a) for a in TIER)
    rest = schemactl("-C", project, "plan")
    assert [a for _, a in change_lines(rest.stdout)] == KEY_ACCOUNTS

    last = apply(project)
    assert done_lines(last) == Counter(("+", a) for a in KEY_ACCOUNTS)
    assert_converged(project)


def test_target_pulls_in_what_a_targeted_change_needs(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": TARGETED_MODEL})

    run = apply(project, "--target", "lists/key_accounts/attributes/project")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert done_lines(run) == Counter(("+", a) for a in [PROJECTS, *KEY_ACCOUNTS])
    assert_converged(project, "--target", "lists/key_accounts")
    assert apply(project).exit_code == 0
    assert_converged(project)


@pytest.mark.parametrize("parallelism", ["1", "64"])
def test_any_parallelism_applies_the_same(parallelism, tmp_path):
    project = copy_example("vc-dealflow", tmp_path)

    run = apply(project, "--parallelism", parallelism)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert len(progress(run)) == len(declared_creates(project))
    assert_converged(project)


@pytest.mark.parametrize("parallelism", ["0", "65", "many"])
def test_a_parallelism_out_of_range_is_a_usage_error(parallelism, tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})

    run = apply(project, "--parallelism", parallelism)

    assert run.exit_code == 64
    assert "--parallelism" in run.stderr
    assert not (project / "ws.db").exists()


# --- 7. webhook secrets and the token -----------------------------------------------------------

SECRETS = Path(".schemactl") / "secrets.json"
SECOND_HOOK = "https://hooks.example.com/second"
SECOND_HOOK_YAML = f"""
  - target_url: {SECOND_HOOK}
    subscriptions:
      - {{event_type: record.created}}
"""


def hooks_project(tmp_path: Path, **environment: Any) -> Path:
    environments = {"dev": {"workspace": "local:ws.db", **environment}}
    return write_project(
        tmp_path / "project", {"model.yaml": SMALL, "hooks.yaml": LIST_AND_HOOK}, environments
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_webhook_secrets_are_saved_0600_by_address_merged_and_never_shown(tmp_path):
    project = hooks_project(tmp_path)
    outputs: list[str] = []

    first = schemactl("--debug", "-C", project, "apply", "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert f"New webhook secrets were saved to {project / SECRETS} (mode 0600)." in (
        first.stdout.splitlines()
    )
    saved = json.loads((project / SECRETS).read_text())
    assert mode(project / SECRETS) == 0o600
    assert list(saved) == [f"webhooks/{HOOK}"]
    [hook] = get(project, "webhooks")
    assert saved[f"webhooks/{HOOK}"]["webhook_id"] == hook["id"]["webhook_id"]
    assert saved[f"webhooks/{HOOK}"]["target_url"] == HOOK
    assert "secret" not in hook, "Attio shows the secret once, on create"

    (project / "manifests" / "hooks.yaml").write_text(LIST_AND_HOOK + SECOND_HOOK_YAML)
    second = apply(project)
    assert second.exit_code == 0, second.stdout + second.stderr
    assert progress(second) == [("done", "+", f"webhooks/{SECOND_HOOK}")]
    merged = json.loads((project / SECRETS).read_text())
    assert mode(project / SECRETS) == 0o600
    assert merged[f"webhooks/{HOOK}"] == saved[f"webhooks/{HOOK}"]
    assert set(merged) == {f"webhooks/{HOOK}", f"webhooks/{SECOND_HOOK}"}
    secrets = [entry["secret"] for entry in merged.values()]
    assert all(len(secret) >= 32 for secret in secrets) and len(set(secrets)) == 2

    # A change to a webhook shows it, before and after: still never its secret.
    edit(project, "event_type: record.created", "event_type: record.updated", "hooks.yaml")
    out = tmp_path / "plan.json"
    planned = schemactl("-C", project, "plan", "--format", "json", "-o", out)
    assert [c["action"] for c in plan_json(planned)["changes"]] == ["update"]
    third = apply(project, out)
    assert third.exit_code == 0
    assert "New webhook secrets" not in third.stdout
    assert json.loads((project / SECRETS).read_text()) == merged
    assert_converged(project)

    outputs += [first.stdout, first.stderr, second.stdout, second.stderr, third.stdout]
    outputs += [planned.stdout, out.read_text(), third.stderr]
    outputs += [path.read_text() for path in history_files(project)]
    assert len(history_files(project)) == 3
    for secret in secrets:
        assert all(secret not in text for text in outputs)


def test_secrets_out_saves_secrets_where_asked_merging_what_is_there(tmp_path):
    project = hooks_project(tmp_path)
    custom = tmp_path / "vault" / "hooks.json"
    custom.parent.mkdir()
    kept = {"webhooks/https://elsewhere.example.com": {"secret": "kept-0", "webhook_id": "w0"}}
    custom.write_text(json.dumps(kept))
    custom.chmod(0o644)

    run = apply(project, "--secrets-out", "vault/hooks.json")  # relative to the working dir

    assert run.exit_code == 0, run.stdout + run.stderr
    assert "New webhook secrets were saved to vault/hooks.json (mode 0600)." in run.stdout
    saved = json.loads(custom.read_text())
    assert set(saved) == {*kept, f"webhooks/{HOOK}"}
    assert {k: saved[k] for k in kept} == kept
    assert mode(custom) == 0o600
    assert not (project / SECRETS).exists()
    assert saved[f"webhooks/{HOOK}"]["secret"] not in run.stdout + run.stderr
    assert_converged(project)


UNWRITABLE = "; nothing was changed (choose another file with --secrets-out)\n"
UNMERGEABLE = (
    " does not hold a JSON object of saved secrets, so new ones cannot be merged into it; "
    "nothing was changed (fix or move the file, or choose another with --secrets-out)\n"
)


@pytest.mark.parametrize("problem", ["under-a-file", "a-directory", "not-json", "not-an-object"])
def test_a_secrets_file_that_cannot_take_a_new_secret_stops_apply_before_any_write(
    problem, tmp_path, served
):
    project = write_project(
        tmp_path / "project",
        {"model.yaml": SMALL, "hooks.yaml": LIST_AND_HOOK},
        {"dev": {"workspace": served.url, "token_env": TOKEN_VARIABLE}},
    )
    (tmp_path / "a-file").write_text("")
    default = project / SECRETS
    default.parent.mkdir(parents=True)
    option: list[str] = []
    if problem == "under-a-file":
        option = ["--secrets-out", "a-file/secrets.json"]
    elif problem == "a-directory":
        default.mkdir()
    else:  # earlier secrets, hand-edited: overwriting would lose them
        default.write_text('{"webhooks/x": {"secret": "s"' if problem == "not-json" else "[]")
    kept = default.read_text() if default.is_file() else None

    run = apply(project, *option, env=TOKEN)

    # Attio shows a webhook's secret once: one that cannot be saved would be lost.
    assert run.exit_code == 1
    if problem == "under-a-file":
        assert run.stderr.startswith("cannot save webhook secrets to a-file/secrets.json: ")
        assert run.stderr.endswith(UNWRITABLE)
    elif problem == "a-directory":
        assert run.stderr.startswith(f"cannot save webhook secrets to {default}: ")
        assert run.stderr.endswith(UNWRITABLE)
    else:
        assert run.stderr == f"{default}{UNMERGEABLE}"
        assert default.read_text() == kept
    assert served.requests()["writes"] == 0
    assert apply(project, "--secrets-out", "secrets.json", env=TOKEN).exit_code == 0
    assert f"webhooks/{HOOK}" in json.loads((tmp_path / "secrets.json").read_text())
    assert_converged(project, env=TOKEN)


def test_the_token_never_appears_in_output_plan_audit_log_or_secrets(tmp_path, served):
    project = write_project(
        tmp_path / "project",
        {"model.yaml": SMALL, "hooks.yaml": LIST_AND_HOOK},
        {"dev": {"workspace": served.url, "token_env": TOKEN_VARIABLE}},
    )
    out = tmp_path / "plan.json"
    planned = schemactl("--debug", "-C", project, "plan", "-o", out, env=TOKEN)

    run = schemactl("--debug", "-C", project, "apply", out, env=TOKEN)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert "debug: attio: POST /v2/webhooks -> 200" in run.stderr  # the request log was on
    assert_converged(project, env=TOKEN)
    [audit] = history_files(project)
    shown = [planned.stdout, planned.stderr, out.read_text(), run.stdout, run.stderr]
    shown.append(audit.read_text())
    secrets = (project / SECRETS).read_text()
    assert all(CANARY_TOKEN not in text for text in [*shown, secrets])
    secret = json.loads(secrets)[f"webhooks/{HOOK}"]["secret"]
    assert all(secret not in text for text in shown)


# --- 8. the audit log ---------------------------------------------------------------------------


def test_each_apply_writes_one_audit_log_of_what_was_asked_and_how_each_change_ended(tmp_path):
    project = hooks_project(tmp_path)

    first = apply(project)
    assert first.exit_code == 0
    [log] = history_files(project)
    assert log.name.endswith("-dev.jsonl")
    entries = records(log)

    assert [e["event"] for e in entries] == ["start", "plan"] + ["change"] * 7 + ["end"]
    assert all(isinstance(e["time"], str) and e["time"].endswith("Z") for e in entries)
    start, plan, *changes, end = entries
    identity = get(project, "self")
    assert start["environment"] == "dev"
    assert start["workspace"] == {"id": identity["workspace_id"], "slug": "local"}
    assert plan["summary"]["create"] == 7
    assert sorted(e["address"] for e in changes) == sorted(
        [*SMALL_CHANGES, "lists/key_accounts", f"webhooks/{HOOK}"]
    )
    assert {(e["action"], e["status"]) for e in changes} == {("create", "done")}
    assert end["counts"] == {"done": 7, "failed": 0, "skipped": 0}
    secret = json.loads((project / SECRETS).read_text())[f"webhooks/{HOOK}"]["secret"]
    assert secret not in log.read_text()

    # A second apply is a second file; an apply with nothing to do writes none.
    edit(project, "options: [A, B]", "options: [A, B, C]")
    assert apply(project).exit_code == 0
    assert apply(project).exit_code == 0
    logs = history_files(project)
    assert len(logs) == 2 and logs[0] == log
    second = records(logs[1])
    assert [(e["event"], e.get("address"), e.get("status")) for e in second] == [
        ("start", None, None),
        ("plan", None, None),
        ("change", f"{PROJECTS}/attributes/tags/options/C", "done"),
        ("end", None, None),
    ]
    assert_converged(project)


# --- 9. progress --------------------------------------------------------------------------------


def test_without_a_terminal_each_finished_change_is_one_plain_line(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})

    run = apply(project)

    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    first = lines.index(f"done    + {PROJECTS}")
    assert lines[first - 1] == "Plan: 5 to create."
    assert lines[first + 5 :] == ["Apply complete: 5 done, 0 failed, 0 skipped."]
    assert sorted(lines[first : first + 5]) == sorted(f"done    + {a}" for a in SMALL_CHANGES)
    assert "\r" not in run.stdout and "\x1b" not in run.stdout


@pytest.mark.parametrize("no_color", [[], ["--no-color"]])
def test_on_a_terminal_progress_is_one_line_rewritten_in_place(no_color, tmp_path, terminal):
    project = write_project(tmp_path / "project", {"model.yaml": SMALL})

    args = ("-C", project, *no_color, "apply", "--auto-approve")
    run = schemactl_with_input(*args, text="", color=True)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert progress(run) == []
    assert "\r\x1b[2KApplying: 1/5 — 1 done, 0 failed, 0 skipped" in run.stdout
    assert run.stdout.endswith(
        "\r\x1b[2KApplying: 5/5 — 5 done, 0 failed, 0 skipped\n"
        "Apply complete: 5 done, 0 failed, 0 skipped.\n"
    )
    assert ("\x1b[32m" in run.stdout) == (not no_color), "the plan is coloured unless --no-color"
    assert_converged(project)


# --- 10. a failed change, its skipped dependents, and adopting on 409 ---------------------------

FAILING = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          notes: {type: text}
          tags: {type: select, options: [A, B]}
      companies:
        attributes:
          tier: {type: select, options: [Gold]}
    """
# Attio's status, code and message, as the failed change reports them.
CONFLICT = (
    "Attio API error 409 slug_conflict on POST /v2/objects: "
    "Please ensure your api_slug and names are unique."
)


def test_a_failed_create_fails_with_attios_error_and_its_dependents_are_skipped(tmp_path):
    project = write_project(tmp_path / "project", {"model.yaml": FAILING})
    # Another object already has the nouns `projects` wants: Attio refuses the create (409),
    # and there is nothing at objects/projects to adopt.
    with live_workspace(project / "ws.db") as live:
        vendors = live.create_object("vendors", "Project", "Projects")["id"]["object_id"]
    before = schemactl("-C", project, "plan")
    assert [a for _, a in change_lines(before.stdout)][:5] == SMALL_CHANGES

    run = apply(project)

    assert run.exit_code == 1
    lines = progress(run)
    failed = [(s, sym, a) for s, sym, a in lines if s == "failed"]
    assert len(failed) == 1
    assert failed[0][2].startswith(f"{PROJECTS}: {CONFLICT}")
    assert run.stderr == failed[0][2] + "\n", "exit 1 gives its reason on stderr"
    skipped = sorted(a for s, _, a in lines if s == "skipped")
    why = f": skipped: {PROJECTS} was not applied"
    assert skipped == sorted(f"{a}{why}" for a in SMALL_CHANGES[1:])
    assert sorted(a for s, _, a in lines if s == "done") == sorted(TIER[:2])
    assert run.last_line == "Apply complete: 2 done, 1 failed, 4 skipped."
    [log] = history_files(project)
    outcomes = {e["address"]: (e["status"], e["message"]) for e in records(log)[2:-1]}
    assert outcomes[PROJECTS][0] == "failed" and CONFLICT in outcomes[PROJECTS][1]
    assert records(log)[-1]["counts"] == {"done": 2, "failed": 1, "skipped": 4}

    # A second plan shows exactly what remains.
    remains = schemactl("-C", project, "--no-color", "plan", "--detailed-exitcode")
    assert remains.exit_code == 2
    assert change_lines(remains.stdout) == [("+", a) for a in SMALL_CHANGES]
    assert remains.last_line == "Plan: 5 to create."

    # Once the clash is resolved, apply finishes the job.
    with live_workspace(project / "ws.db") as live:
        nouns = {"singular_noun": "Vendor", "plural_noun": "Vendors"}
        live.call("PATCH", f"objects/{vendors}", nouns)
    last = apply(project)
    assert last.exit_code == 0, last.stdout
    assert done_lines(last) == Counter(("+", a) for a in SMALL_CHANGES)
    assert_converged(project)


def executor_session(project: Path, monkeypatch: pytest.MonkeyPatch):
    """A plan made now, through the library, with its open client and live ids."""
    monkeypatch.setenv(TOKEN_VARIABLE, CANARY_TOKEN)
    return prepare_apply(project)


def test_a_create_meeting_409_adopts_an_identical_item_made_since_the_plan(
    tmp_path, served, monkeypatch
):
    project = http_project(tmp_path, served, SMALL)
    session = executor_session(project, monkeypatch)
    assert [str(c.address) for c in session.plan.changes] == SMALL_CHANGES
    # Between plan and apply, someone makes the same object and attribute by hand.
    with served.live() as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute(PROJECTS, "notes", "text", title="Notes")
    served.clear_requests()

    try:
        report = Executor(session.client, session.plan, session.ids).run()
    finally:
        session.close()

    outcomes = {str(o.change.address): (o.status, o.message) for o in report.outcomes}
    adopted = ("done", "adopted the existing item, which already matches")
    assert outcomes == {
        PROJECTS: adopted,
        f"{PROJECTS}/attributes/notes": adopted,
        f"{PROJECTS}/attributes/tags": ("done", ""),
        f"{PROJECTS}/attributes/tags/options/A": ("done", ""),
        f"{PROJECTS}/attributes/tags/options/B": ("done", ""),
    }
    assert not report.failed
    writes = {k: n for k, n in served.requests()["counts"].items() if not k.startswith("GET ")}
    # One try each: the two conflicts were adopted, not retried, and nothing was patched.
    assert writes == {
        "POST /v2/objects": 1,
        "POST /v2/{target}/{identifier}/attributes": 2,
        "POST /v2/{target}/{identifier}/attributes/{attribute}/options": 2,
    }
    with served.live() as live:
        assert [o["api_slug"] for o in live.call("GET", "objects")].count("projects") == 1
    assert_converged(project, env=TOKEN)


def test_a_create_meeting_409_with_different_settings_fails_clearly(tmp_path, served, monkeypatch):
    project = http_project(tmp_path, served, SMALL)
    session = executor_session(project, monkeypatch)
    with served.live() as live:
        live.create_object("projects", "Project", "Projects")
        live.create_attribute(PROJECTS, "notes", "text", title="Remarks")

    try:
        report = Executor(session.client, session.plan, session.ids).run()
    finally:
        session.close()

    outcomes = {str(o.change.address): (o.status, o.message) for o in report.outcomes}
    status, message = outcomes[f"{PROJECTS}/attributes/notes"]
    assert status == "failed"
    assert message.startswith("Attio API error 409 slug_conflict on POST /v2/objects/")
    assert "An attribute with the same API slug already exists on this object (notes)." in message
    assert "it exists with different settings: run plan again to see how" in message
    assert report.failed and report.count("done") == 4
    # The plan then says what differs; applying it converges.
    remains = schemactl("-C", project, "--no-color", "plan", env=TOKEN)
    assert change_lines(remains.stdout) == [("~", f"{PROJECTS}/attributes/notes")]
    assert '      title: "Remarks" -> "Notes"' in remains.stdout.splitlines()
    assert apply(project, env=TOKEN).exit_code == 0
    assert_converged(project, env=TOKEN)
