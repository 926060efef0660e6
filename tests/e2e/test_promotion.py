"""Environments end to end: dev, staging and prod workspaces, export, promotion, and `diff`.

dev is an embedded workspace; staging and prod are two emulators served over real HTTP, each with
its own workspace slug and token, so `token_env` and `expect_workspace` meet real refusals. Every
scenario ends with "apply, then plan is empty" in each environment it wrote to.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.emulator.server import base_url, build_server
from tests.e2e.conftest import (
    CANARY_TOKEN,
    SERVED_SLUG,
    TOKEN_VARIABLE,
    LiveWorkspace,
    Run,
    ServedEmulator,
    copy_example,
    schemactl,
    write_project,
)
from tests.e2e.test_plan import NO_CHANGES, change_lines, declared_creates

# staging: a second served workspace with its own slug, token and token variable.
STAGING_SLUG = "acme-staging"
STAGING_TOKEN = "e2e-staging-canary-token-91c3e7"
STAGING_VARIABLE = "SCHEMACTL_E2E_STAGING_TOKEN"
TOKENS = {TOKEN_VARIABLE: CANARY_TOKEN, STAGING_VARIABLE: STAGING_TOKEN}

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
webhooks:
  - target_url: https://{{ vars.webhook_host }}/attio
    subscriptions:
      - {event_type: record.created}
"""
PROJECTS = "objects/projects"
BUDGET = f"{PROJECTS}/attributes/budget"
PRIORITY = f"{PROJECTS}/attributes/priority"
LEGACY = f"{PROJECTS}/attributes/legacy_code"
HOSTS = {
    "dev": "hooks.dev.example.com",
    "staging": "hooks.staging.example.com",
    "prod": "hooks.example.com",
}


# --- two served workspaces ----------------------------------------------------------------------


@contextmanager
def serve(slug: str, token: str) -> Iterator[ServedEmulator]:
    """An emulator for workspace `slug`, on a free loopback port, accepting only `token`."""
    emulator = Emulator(EmulatorConfig(tokens={token: None}, rate_limit="off", workspace_slug=slug))
    try:
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
    finally:
        emulator.close()


@pytest.fixture
def staging() -> Iterator[ServedEmulator]:
    with serve(STAGING_SLUG, STAGING_TOKEN) as emulator:
        yield emulator


@contextmanager
def live_staging(staging: ServedEmulator) -> Iterator[LiveWorkspace]:
    """Raw API calls on staging, with staging's token (`ServedEmulator.live` uses prod's)."""
    headers = {"Authorization": f"Bearer {STAGING_TOKEN}"}
    with httpx.Client(base_url=staging.root, headers=headers, timeout=10) as http:
        yield LiveWorkspace(http)


# --- a project with three environments --------------------------------------------------------


def environments(staging: ServedEmulator, prod: ServedEmulator) -> dict[str, dict[str, Any]]:
    return {
        "dev": {"workspace": "local:dev.db", "vars": {"webhook_host": HOSTS["dev"]}},
        "staging": {
            "workspace": staging.url,
            "token_env": STAGING_VARIABLE,
            "expect_workspace": STAGING_SLUG,
            "vars": {"webhook_host": HOSTS["staging"]},
        },
        "prod": {
            "workspace": prod.url,
            "token_env": TOKEN_VARIABLE,
            "expect_workspace": SERVED_SLUG,
            "vars": {"webhook_host": HOSTS["prod"]},
            "policy": {"allow_archive": False, "allow_delete_webhooks": False},
        },
    }


def three_environments(tmp_path: Path, staging: ServedEmulator, prod: ServedEmulator) -> Path:
    return write_project(tmp_path / "project", {"model.yaml": MODEL}, environments(staging, prod))


def run(project: Path, *args: str | Path, env: dict[str, str] | None = None) -> Run:
    """`schemactl -C PROJECT --no-color ARGS` with both tokens in their variables."""
    return schemactl("-C", project, "--no-color", *args, env=TOKENS if env is None else env)


def apply(project: Path, environment: str, *args: str | Path) -> Run:
    flags = [] if args and isinstance(args[0], Path) else ["--auto-approve"]
    result = run(project, "-e", environment, "apply", *flags, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def assert_converged(project: Path, *names: str) -> None:
    """The closing step of every scenario: each environment's plan has nothing left to do."""
    for name in names:
        result = run(project, "-e", name, "plan", "--detailed-exitcode")
        assert result.exit_code == 0, f"{name}:\n{result.stdout}{result.stderr}"
        assert result.last_line == NO_CHANGES


def webhook_urls(live: LiveWorkspace) -> list[str]:
    return sorted(hook["target_url"] for hook in live.call("GET", "webhooks"))


# --- `schemactl environments` -----------------------------------------------------------------


def test_environments_lists_each_target_and_never_a_token(tmp_path, staging, served):
    project = three_environments(tmp_path, staging, served)

    result = run(project, "environments")
    debug = run(project, "--debug", "environments")

    assert result.exit_code == 0, result.stderr
    rows = [(line[0], line[2:].split(None, 2)) for line in result.stdout.splitlines()]
    assert rows == [
        ("*", ["dev", "local:dev.db"]),
        (
            " ",
            [
                "staging",
                staging.url,
                f"token from ${STAGING_VARIABLE}, expects workspace '{STAGING_SLUG}'",
            ],
        ),
        (
            " ",
            [
                "prod",
                served.url,
                f"token from ${TOKEN_VARIABLE}, expects workspace '{SERVED_SLUG}'",
            ],
        ),
    ]
    assert debug.stdout == result.stdout
    for text in (result.stdout, result.stderr, debug.stdout, debug.stderr):
        assert CANARY_TOKEN not in text
        assert STAGING_TOKEN not in text
    assert served.requests()["counts"] == {} and staging.requests()["counts"] == {}, (
        "listing environments contacts no workspace"
    )
    apply(project, "dev")
    assert_converged(project, "dev")


# --- per-environment vars, policy, tokens and expect_workspace -----------------------------------


def test_each_environment_renders_its_own_vars_into_its_own_workspace(tmp_path, staging, served):
    project = three_environments(tmp_path, staging, served)

    for name in ("dev", "staging", "prod"):
        planned = run(project, "-e", name, "plan")
        assert planned.exit_code == 0, planned.stderr
        assert f"+ webhooks/https://{HOSTS[name]}/attio" in planned.stdout
        assert [host for host in HOSTS.values() if host in planned.stdout] == [HOSTS[name]]
        apply(project, name)

    with live_staging(staging) as live:
        assert webhook_urls(live) == [f"https://{HOSTS['staging']}/attio"]
    with served.live() as live:
        assert webhook_urls(live) == [f"https://{HOSTS['prod']}/attio"]
    assert_converged(project, "dev", "staging", "prod")


def test_policy_lets_staging_prune_and_refuses_it_in_prod(tmp_path, staging, served):
    project = three_environments(tmp_path, staging, served)
    apply(project, "staging")
    apply(project, "prod")
    with live_staging(staging) as live:
        live.create_attribute(PROJECTS, "legacy_code", "text")
    with served.live() as live:
        live.create_attribute(PROJECTS, "legacy_code", "text")
    served.clear_requests()

    staging_plan = run(project, "-e", "staging", "plan", "--prune", "--detailed-exitcode")
    prod_plan = run(project, "-e", "prod", "plan", "--prune")
    prod_apply = run(project, "-e", "prod", "apply", "--prune", "--auto-approve")

    assert staging_plan.exit_code == 2
    assert change_lines(staging_plan.stdout) == [("-", LEGACY)]
    refusal = (
        "environment 'prod' forbids archiving (policy.allow_archive: false); --prune is refused\n"
    )
    assert (prod_plan.exit_code, prod_plan.stderr) == (1, refusal)
    assert (prod_apply.exit_code, prod_apply.stderr) == (1, refusal)
    assert served.requests()["counts"] == {}, "refused before prod is contacted"
    apply(project, "staging", "--prune")
    with live_staging(staging) as live:
        assert live.call("GET", LEGACY)["is_archived"] is True
    with served.live() as live:
        assert live.call("GET", LEGACY)["is_archived"] is False
    assert_converged(project, "staging", "prod")


def test_a_token_for_another_workspace_is_refused_with_nothing_written(tmp_path, staging, served):
    project = three_environments(tmp_path, staging, served)
    # prod's variable holds staging's token: prod's server refuses it.
    wrong_token = {TOKEN_VARIABLE: STAGING_TOKEN, STAGING_VARIABLE: STAGING_TOKEN}

    refused = run(project, "-e", "prod", "apply", "--auto-approve", env=wrong_token)

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert "401" in refused.stderr
    assert STAGING_TOKEN not in refused.stderr
    assert served.requests()["writes"] == 0
    apply(project, "prod")
    assert_converged(project, "prod")


def test_expect_workspace_refuses_a_target_that_reaches_another_workspace(
    tmp_path, staging, served
):
    project = three_environments(tmp_path, staging, served)
    # prod pointed at staging's server with staging's token: the token works, the workspace is
    # the wrong one, and nothing past GET /v2/self is sent.
    misdirected = {TOKEN_VARIABLE: STAGING_TOKEN}
    expected = (
        f"environment 'prod' expects workspace '{SERVED_SLUG}', but {staging.url} is workspace "
        f"'{STAGING_SLUG}'; nothing was changed\n"
    )

    planned = run(
        project, "-e", "prod", "--workspace", staging.url, "plan", "-o", "p.plan", env=misdirected
    )
    applied = run(
        project,
        "-e",
        "prod",
        "--workspace",
        staging.url,
        "apply",
        "--auto-approve",
        env=misdirected,
    )

    assert (planned.exit_code, planned.stdout, planned.stderr) == (1, "", expected)
    assert (applied.exit_code, applied.stdout, applied.stderr) == (1, "", expected)
    assert not (project / "p.plan").exists()
    assert staging.requests() == {"counts": {"GET /v2/self": 2}, "reads": 2, "writes": 0}
    apply(project, "staging")
    apply(project, "prod")
    assert_converged(project, "staging", "prod")


def test_a_plan_saved_for_staging_is_refused_by_prod(tmp_path, staging, served):
    project = three_environments(tmp_path, staging, served)
    saved = tmp_path / "staging.plan"
    assert run(project, "-e", "staging", "plan", "-o", saved).exit_code == 0

    refused = run(project, "-e", "prod", "apply", saved)

    assert refused.exit_code == 1
    assert refused.stderr == "the plan was made for environment 'staging', not 'prod'\n"
    assert served.requests()["counts"] == {}
    apply(project, "staging", saved)  # where it was made, it applies
    assert_converged(project, "staging")


# --- export, promotion through a saved plan, and diff ------------------------------------------


def adopt_dev_workspace(tmp_path: Path, prod: ServedEmulator) -> tuple[Path, Path]:
    """vc-dealflow applied to its embedded dev workspace, and a new, empty project adopting it
    as `dev`, with `prod` the served emulator."""
    # The dev workspace lives inside the adopting project: the project file's paths may not
    # leave the project folder.
    adopted = tmp_path / "adopted"
    adopted.mkdir()
    example = copy_example("vc-dealflow", adopted)
    built = schemactl("-C", example, "apply", "--auto-approve")
    assert built.exit_code == 0, built.stdout + built.stderr
    project = {
        "version": 1,
        "manifests": ["manifests/"],
        "default_environment": "dev",
        "environments": {
            "dev": {"workspace": "local:vc-dealflow/.schemactl/local.db"},
            "prod": {
                "workspace": prod.url,
                "token_env": TOKEN_VARIABLE,
                "expect_workspace": SERVED_SLUG,
                "policy": {"allow_archive": False, "allow_delete_webhooks": False},
            },
        },
    }
    (adopted / "schemactl.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return example, adopted


def test_dev_is_exported_into_a_new_project_and_promoted_to_prod_through_a_saved_plan(
    tmp_path, served
):
    example, project = adopt_dev_workspace(tmp_path, served)

    # 1. export: the live dev workspace becomes the new project's manifests; plan is empty.
    exported = run(project, "export")
    assert exported.exit_code == 0, exported.stderr
    assert (project / "manifests" / "webhooks.yaml").is_file()
    assert (project / "manifests" / "lists" / "deal_pipeline.yaml").is_file()
    assert run(project, "validate").exit_code == 0
    assert run(project, "-e", "prod", "validate").exit_code == 0
    assert_converged(project, "dev")
    expected = Counter(declared_creates(project, "prod"))
    # The same items as the example declares; of a two-way relationship, export writes one side
    # (declaring it creates both), so it may be the other side the example chose.
    assert len(expected) == len(declared_creates(example))

    # 2. before promotion, diff dev -> prod lists every item as a create, and reads only.
    served.clear_requests()
    before = run(project, "diff", "--from", "dev", "--to", "prod", "--detailed-exitcode")
    as_json = run(
        project, "diff", "--from", "dev", "--to", "prod", "--format", "json", "--detailed-exitcode"
    )
    as_markdown = run(project, "diff", "--from", "dev", "--to", "prod", "--format", "markdown")
    assert before.exit_code == 2, before.stderr
    assert before.stdout.startswith(
        f"Comparing dev (local:vc-dealflow/.schemactl/local.db) with prod ({served.url})\n"
    )
    assert before.last_line == f"Plan: {sum(expected.values())} to create."
    assert as_json.exit_code == 2
    diff = json.loads(as_json.stdout)
    assert diff["environment"] == "prod"
    assert diff["workspace"]["slug"] == SERVED_SLUG
    assert Counter(c["address"] for c in diff["changes"]) == expected
    assert {c["action"] for c in diff["changes"]} == {"create"}
    assert diff["summary"]["create"] == sum(expected.values())
    assert as_markdown.exit_code == 0
    assert f"| create | {sum(expected.values())} |" in as_markdown.stdout
    assert served.requests()["writes"] == 0, "diff only reads"

    # 3. promote: plan -e prod -o prod.plan, review, apply the saved plan.
    saved = tmp_path / "prod.plan"
    planned = run(project, "-e", "prod", "plan", "-o", saved, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.stderr
    assert json.loads(saved.read_text())["summary"] == diff["summary"]
    served.clear_requests()
    promoted = apply(project, "prod", saved)
    assert (
        f"Apply complete: {sum(expected.values())} done, 0 failed, 0 skipped."
        in promoted.stdout.splitlines()
    )
    assert served.requests()["writes"] == sum(expected.values())

    # 4. after promotion, the two workspaces hold the same data model, both ways round.
    after = run(project, "diff", "--from", "dev", "--to", "prod", "--detailed-exitcode")
    back = run(project, "diff", "--from", "prod", "--to", "dev", "--detailed-exitcode")
    assert after.exit_code == 0, after.stdout + after.stderr
    assert after.last_line == NO_CHANGES
    assert "What applying dev's data model to prod would change:" in after.stdout
    assert back.exit_code == 0, back.stdout + back.stderr
    assert back.last_line == NO_CHANGES
    assert_converged(project, "dev", "prod")
    outputs = [exported, before, as_json, as_markdown, planned, promoted, after, back]
    assert all(CANARY_TOKEN not in r.stdout + r.stderr for r in outputs)
    assert CANARY_TOKEN not in saved.read_text()


def test_diff_shows_a_change_made_in_staging_until_it_is_promoted(tmp_path, staging, served):
    project = three_environments(tmp_path, staging, served)
    apply(project, "staging")
    apply(project, "prod")
    manifest = project / "manifests" / "model.yaml"
    text = manifest.read_text()
    manifest.write_text(
        text.replace("type: currency\n", "title: Budget (USD)\n        type: currency\n").replace(
            "[High, Low]", "[High, Low, Urgent]"
        )
    )
    apply(project, "staging")
    # Each environment's webhook host comes from its vars, so the webhooks differ on purpose.
    staging_hook = f"webhooks/https://{HOSTS['staging']}/attio"
    prod_hook = f"webhooks/https://{HOSTS['prod']}/attio"
    compare = ("diff", "--from", "staging", "--to", "prod", "--detailed-exitcode")

    whole = run(project, *compare)
    narrowed = run(project, *compare, "--exclude", staging_hook, "--format", "json")

    assert whole.exit_code == 2, whole.stderr
    assert sorted(change_lines(whole.stdout)) == [
        ("+", f"{PRIORITY}/options/Urgent"),
        ("+", staging_hook),
        ("~", BUDGET),
    ]
    assert prod_hook in whole.stdout, "prod's own webhook is listed as unmanaged"
    assert 'title: "Budget" -> "Budget (USD)"' in whole.stdout
    assert narrowed.exit_code == 2
    assert json.loads(narrowed.stdout)["summary"] | {} == {
        "create": 1,
        "update": 1,
        "rename": 0,
        "archive": 0,
        "unarchive": 0,
        "delete": 0,
        "manual": 0,
    }
    saved = tmp_path / "prod.plan"
    assert run(project, "-e", "prod", "plan", "-o", saved).exit_code == 0
    apply(project, "prod", saved)
    promoted = run(project, *compare, "--exclude", staging_hook)
    assert promoted.exit_code == 0, promoted.stdout
    assert promoted.last_line == NO_CHANGES
    assert_converged(project, "staging", "prod")


# --- known gap ------------------------------------------------------------------------------------


def waits_for(plan: dict[str, Any], address: str) -> set[str]:
    """Every change `address` waits for, directly or through others."""
    graph = {c["address"]: set(c.get("depends_on", ())) for c in plan["changes"]}
    found: set[str] = set()
    todo = list(graph[address])
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(graph.get(current, ()))
    return found


def test_a_pipelines_stages_are_created_one_after_another_in_the_declared_order(tmp_path):
    project = write_project(
        tmp_path / "project",
        {"model.yaml": MODEL},
        {"dev": {"workspace": "local:ws.db", "vars": {"webhook_host": HOSTS["dev"]}}},
    )

    planned = run(project, "plan", "--format", "json")

    plan = json.loads(planned.stdout)
    stages = [f"{PROJECTS}/attributes/stage/statuses/{t}" for t in ("Planned", "Active", "Done")]
    options = [f"{PRIORITY}/options/{t}" for t in ("High", "Low")]
    for siblings in (stages, options):
        for earlier, later in itertools.pairwise(siblings):
            assert earlier in waits_for(plan, later), f"{later} may be created before {earlier}"
