"""The CI kit: examples/ci/github-actions.yml and .pre-commit-hooks.yaml, held to the real CLI.

Every `schemactl …` command line in the workflow's shell steps is parsed by the real click
command group (nothing runs), so the workflow cannot drift from the CLI; the validate matrix is
run for real on the example it is written for; and the plan, apply and drift steps' own shell
scripts are run by bash, with the real `schemactl`, against an embedded workspace standing in for
prod. The pre-commit hooks' entries are real commands that pass on a valid project and fail on a
broken one.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from schemactl.cli.main import cli
from schemactl.emulator import Emulator, EmulatorConfig
from tests.e2e.conftest import live_workspace

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "ci" / "github-actions.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
CI_DOC = REPO / "docs" / "ci.md"
EXAMPLE = REPO / "examples" / "vc-dealflow"  # the project the workflow is written for
ALLOWED_ACTIONS = {
    "actions/checkout",
    "actions/setup-python",
    "actions/upload-artifact",
    "actions/download-artifact",
    "actions/github-script",
}
# Keys pre-commit accepts in a hook of .pre-commit-hooks.yaml.
HOOK_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "always_run",
    "fail_fast",
    "verbose",
    "pass_filenames",
    "require_serial",
    "description",
    "language_version",
    "minimum_pre_commit_version",
    "args",
    "stages",
}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELL_OPERATOR = re.compile(r"^[();<>|&]+$")
SHELL_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "time"}
# `schemactl` as a command word anywhere in a script, to prove the extraction misses none.
SCHEMACTL_WORD = re.compile(r"(?<![\w$/.-])schemactl(?![\w.-])")
CANARY_TOKEN = "ci-kit-canary-token-0b6f2d"
AMBIENT = ("ATTIO_API_TOKEN", "NO_COLOR", "SCHEMACTL_DEBUG", "SCHEMACTL_ENV", "SCHEMACTL_WORKSPACE")


# --- reading the workflow -------------------------------------------------------------------------


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def triggers(document: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    return document.get("on", document.get(True))


def steps(job: str) -> list[dict[str, Any]]:
    return workflow()["jobs"][job]["steps"]


def step(job: str, key: str) -> dict[str, Any]:
    """The step of `job` whose id or name is `key`."""
    found = [s for s in steps(job) if key in (s.get("id"), s.get("name"))]
    assert len(found) == 1, f"{job}: no single step {key!r}"
    return found[0]


def scripts() -> list[tuple[str, str]]:
    """(job, script) of every `run:` step."""
    return [
        (name, s["run"])
        for name, job in workflow()["jobs"].items()
        for s in job.get("steps", [])
        if "run" in s
    ]


def command_lines(script: str, expressions: dict[str, str] | None = None) -> list[list[str]]:
    """Every `schemactl …` command in a shell script, as argv, `${{ … }}` replaced first.

    A command starts at the beginning of a line, after a shell operator or after a keyword
    such as `if`, and ends at the next operator (`>`, `|`, `;`, `&&`, …).
    """
    expressions = expressions or {}
    found = []
    for line in script.splitlines():
        if line.strip().startswith("#"):
            continue
        line = EXPRESSION.sub(lambda m: expressions.get(m.group(1), "EXPR"), line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for index, token in enumerate(tokens):
            starts = index == 0 or SHELL_OPERATOR.match(tokens[index - 1])
            starts = starts or tokens[index - 1] in SHELL_KEYWORDS
            if token == "schemactl" and starts:
                argv = []
                for word in tokens[index:]:
                    if SHELL_OPERATOR.match(word):
                        break
                    argv.append(word)
                found.append(argv)
    return found


@dataclass(frozen=True)
class Parsed:
    """A command line as the real CLI parses it: the command path and every parameter."""

    path: tuple[str, ...]
    options: dict[str, Any]  # the group's global options
    params: dict[str, Any]  # the command's own


def parse(argv: list[str]) -> Parsed:
    """Parse `schemactl ARGS` with the real click group, down to the command; run nothing.

    Raises click.UsageError (or a subclass) exactly where the CLI would refuse the line.
    """
    assert argv[0] == "schemactl"
    context = cli.make_context("schemactl", argv[1:])
    options = dict(context.params)
    command: click.Command = cli
    path: list[str] = []
    while isinstance(command, click.Group):
        with warnings.catch_warnings():  # click 8 keeps the command name in protected_args
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*getattr(context, "protected_args", ()), *context.args]
        if not rest:
            raise click.UsageError("no command", context)
        name, sub, rest = command.resolve_command(context, rest)
        assert name is not None and sub is not None
        path.append(name)
        context = sub.make_context(name, rest, parent=context)
        command = sub
    return Parsed(tuple(path), options, dict(context.params))


def parsed_commands() -> list[tuple[str, Parsed]]:
    return [(job, parse(argv)) for job, script in scripts() for argv in command_lines(script)]


# --- the workflow's shape -------------------------------------------------------------------------


def test_the_workflow_and_the_hooks_file_parse_as_yaml():
    document = workflow()
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))

    assert isinstance(document, dict) and document["name"] == "schemactl"
    assert set(document["jobs"]) == {"validate", "plan", "plan-main", "apply", "drift"}
    assert isinstance(hooks, list) and all(isinstance(h, dict) for h in hooks)


def test_the_workflow_runs_on_pull_requests_pushes_to_main_a_schedule_and_by_hand():
    on = triggers(workflow())

    assert set(on) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    (schedule,) = on["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5 and all(re.fullmatch(r"[\d*,/-]+", f) for f in fields), schedule
    assert on["workflow_dispatch"]["inputs"]["action"]["options"] == ["drift", "apply"]
    for event in ("pull_request", "push"):
        assert "manifests/**" in on[event]["paths"] and "schemactl.yaml" in on[event]["paths"]


def test_only_the_allowed_actions_are_used_each_pinned_to_a_major_version():
    used = [
        s["uses"]
        for job in workflow()["jobs"].values()
        for s in job.get("steps", [])
        if "uses" in s
    ]

    assert all("uses" not in job for job in workflow()["jobs"].values()), "no reusable workflows"
    assert {u.partition("@")[0] for u in used} == ALLOWED_ACTIONS
    assert all(re.fullmatch(r"[\w/-]+@v\d+", u) for u in used), used


def test_the_token_is_a_secret_in_the_variable_prod_names_and_only_where_a_workspace_is_read():
    document = workflow()
    project = yaml.safe_load((EXAMPLE / "schemactl.yaml").read_text(encoding="utf-8"))
    variable = project["environments"]["prod"]["token_env"]
    secret_users = {}
    for name, job in document["jobs"].items():
        secrets = {k: v for k, v in job.get("env", {}).items() if "secrets." in str(v)}
        if secrets:
            secret_users[name] = secrets
    contacting = {job for job, p in parsed_commands() if p.path in {("plan",), ("apply",)}}

    assert set(secret_users) == contacting == {"plan", "plan-main", "apply", "drift"}
    for secrets in secret_users.values():
        assert secrets == {variable: "${{ secrets." + variable + " }}"}
    assert "secrets." not in yaml.safe_dump(document["env"])
    assert all("secrets." not in str(s) for job in ("validate",) for s in steps(job))


# --- every schemactl command line parses with the real CLI ----------------------------------------


def test_the_command_line_reader_finds_every_schemactl_command_in_the_shell_steps():
    for job, script in scripts():
        words = sum(
            len(SCHEMACTL_WORD.findall(re.sub(r"(^|\s)#.*", "", line)))
            for line in script.splitlines()
        )
        assert len(command_lines(script)) == words, f"{job}: a schemactl command was missed"
    assert command_lines("set -e\nif schemactl -e prod plan > p.md; then x; fi | y") == [
        ["schemactl", "-e", "prod", "plan"]
    ]


@pytest.mark.parametrize(
    "argv",
    [
        "schemactl -e prod plan --formt markdown",
        "schemactl -e prod plan --format html",
        "schemactl validate -e prod",
        "schemactl -e prod aply prod.plan",
        "schemactl --workspace ftp://example.com plan",
        "schemactl -e prod",
    ],
)
def test_the_parser_refuses_what_the_cli_refuses(argv):
    with pytest.raises(click.UsageError):
        parse(shlex.split(argv))
    # ...and the CLI itself calls each of them a usage error.
    assert CliRunner().invoke(cli, shlex.split(argv)[1:]).exit_code == 64


def test_every_schemactl_command_line_in_the_workflow_parses_with_the_real_cli():
    commands = parsed_commands()
    by_job: dict[str, list[Parsed]] = {}
    for job, parsed in commands:
        by_job.setdefault(job, []).append(parsed)

    assert set(by_job) == {"validate", "plan", "plan-main", "apply", "drift"}
    (validate,) = by_job["validate"]
    assert validate.path == ("validate",)
    for job, saved in (("plan", "prod.plan"), ("plan-main", "prod.plan"), ("drift", "drift.plan")):
        (plan,) = by_job[job]
        assert plan.path == ("plan",)
        assert plan.options["environment"] == "prod"
        assert plan.params["output_format"] == "markdown"
        assert plan.params["detailed_exitcode"] is True
        assert plan.params["out"] == Path(saved)
        assert plan.params["prune"] is False, "the workflow never archives on its own"
    (apply,) = by_job["apply"]
    assert apply.path == ("apply",)
    assert apply.options["environment"] == "prod"
    assert apply.params["plan_file"] == Path("prod.plan")
    assert apply.params["auto_approve"] is False, "a saved plan needs no approval flag"
    assert apply.params["secrets_out"] == Path("$RUNNER_TEMP/webhook-secrets.json")


def test_apply_downloads_the_artifact_the_plan_for_the_same_commit_uploaded():
    upload = next(s for s in steps("plan-main") if s.get("uses", "").startswith("actions/upload"))
    download = next(s for s in steps("apply") if s.get("uses", "").startswith("actions/download"))
    jobs = workflow()["jobs"]

    assert download["with"]["name"] == upload["with"]["name"] == "prod-plan-${{ github.sha }}"
    assert "prod.plan" in upload["with"]["path"].split()
    assert jobs["apply"]["needs"] == "plan-main"
    assert "needs.plan-main.outputs.changes == 'true'" in jobs["apply"]["if"]
    assert jobs["plan-main"]["outputs"]["changes"] == "${{ steps.plan.outputs.changes }}"
    # The apply log is kept; the webhook secrets are written outside what is uploaded.
    kept = next(s for s in steps("apply") if s.get("name") == "Keep the apply log")
    assert kept["with"]["path"] == ".schemactl/history/"


def test_the_validate_matrix_is_every_environment_of_the_example_and_each_validates(
    monkeypatch, tmp_path
):
    matrix = workflow()["jobs"]["validate"]["strategy"]["matrix"]["environment"]
    project = yaml.safe_load((EXAMPLE / "schemactl.yaml").read_text(encoding="utf-8"))
    (script,) = [s["run"] for s in steps("validate") if "run" in s and "schemactl" in s["run"]]
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(shutil.copytree(EXAMPLE, tmp_path / "project"))

    assert matrix == list(project["environments"])
    for environment in matrix:
        (argv,) = command_lines(script, {"matrix.environment": environment})
        result = CliRunner().invoke(cli, argv[1:])
        assert result.exit_code == 0, result.output
        assert f"for environment '{environment}'" in result.stdout


# --- the shell steps, run by bash, against an embedded workspace standing in for prod -------------

MODEL = """
objects:
  projects:
    singular_noun: Project
    plural_noun: Projects
    attributes:
      budget:
        type: currency
        currency: {default_currency_code: USD, display_type: symbol}
      priority: {type: select, options: [High, Low]}
webhooks:
  - target_url: https://hooks.example.com/attio
    subscriptions:
      - {event_type: record.created}
"""


@dataclass
class Runner:
    """A GitHub-hosted runner, as far as a step's shell script can tell."""

    workdir: Path
    env: dict[str, str]
    outputs: Path
    summary: Path
    secret: str = CANARY_TOKEN  # what `${{ secrets.… }}` gives; "" when the secret is not set

    def run_step(self, job: str, key: str) -> tuple[subprocess.CompletedProcess[str], dict]:
        """Run the step's script as `shell: bash` does; its exit status and $GITHUB_OUTPUT."""
        environment = dict(self.env)
        for name, value in {**workflow()["env"], **workflow()["jobs"][job].get("env", {})}.items():
            environment[name] = EXPRESSION.sub(lambda _: self.secret, str(value))
        self.outputs.write_text("")
        script = self.workdir.parent / "step.sh"
        script.write_text(step(job, key)["run"])
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert CANARY_TOKEN not in result.stdout + result.stderr
        outputs = dict(
            line.split("=", 1) for line in self.outputs.read_text().splitlines() if "=" in line
        )
        return result, outputs


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    """A project shaped like the example's prod, its workspace redirected to `local:prod.db`
    (named as prod's expect_workspace), and `schemactl` and `python` on PATH."""
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the workflow's shell steps")
    project = tmp_path / "project"
    (project / "manifests").mkdir(parents=True)
    (project / "manifests" / "model.yaml").write_text(textwrap.dedent(MODEL).lstrip())
    settings = yaml.safe_load((EXAMPLE / "schemactl.yaml").read_text(encoding="utf-8"))
    (project / "schemactl.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    expected = settings["environments"]["prod"]["expect_workspace"]
    Emulator(EmulatorConfig(db=str(project / "prod.db"), workspace_slug=expected)).close()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "schemactl"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m schemactl "$@"\n')
    shim.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in AMBIENT}
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "RUNNER_TEMP": str(temp),
        "SCHEMACTL_WORKSPACE": "local:prod.db",
    }
    return Runner(project, env, tmp_path / "github-output", tmp_path / "step-summary.md")


def test_the_plan_apply_and_drift_steps_run_as_written(runner):
    project = runner.workdir

    # Pull request: the plan step saves the plan, writes the comment's Markdown, says "changes".
    planned, outputs = runner.run_step("plan", "plan")
    assert planned.returncode == 0, planned.stderr
    assert outputs == {"changes": "true"}
    markdown = (project / "plan.md").read_text()
    assert "| create | 6 |" in markdown
    assert markdown in runner.summary.read_text()
    assert json.loads((project / "prod.plan").read_text())["summary"]["create"] == 6

    # Push to main: the same plan step for the merged commit, then apply exactly that saved plan
    # (the artifact puts prod.plan where the plan step wrote it).
    assert step("plan-main", "plan")["run"] == step("plan", "plan")["run"]
    applied, _ = runner.run_step("apply", "Apply the saved plan")
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 6 done, 0 failed, 0 skipped." in applied.stdout
    secrets = Path(runner.env["RUNNER_TEMP"]) / "webhook-secrets.json"
    assert list(json.loads(secrets.read_text())) == ["webhooks/https://hooks.example.com/attio"]
    assert not (project / ".schemactl" / "secrets.json").exists(), "nothing secret to upload"
    assert list((project / ".schemactl" / "history").iterdir()), "the apply log to keep"

    # A title changed and an attribute added in the UI: drift, reported, not an error.
    with live_workspace(project / "prod.db") as live:
        live.call("PATCH", "objects/projects/attributes/budget", {"title": "Budget (USD)"})
        live.create_attribute("objects/projects", "legacy_code", "text")
    checked, outputs = runner.run_step("drift", "drift")
    assert checked.returncode == 0, checked.stderr
    assert outputs == {"exit-code": "2", "unmanaged": "1"}
    report = (project / "drift.md").read_text()
    assert "`objects/projects/attributes/budget`" in report
    assert "`objects/projects/attributes/legacy_code`: attribute not in the manifests" in report
    failed, _ = runner.run_step("drift", "Fail on drift")
    assert failed.returncode == 1

    # Running the workflow by hand with `apply` undoes the drift; the next check is clean.
    planned, outputs = runner.run_step("plan-main", "plan")
    assert (planned.returncode, outputs) == (0, {"changes": "true"})
    applied, _ = runner.run_step("apply", "Apply the saved plan")
    assert applied.returncode == 0, applied.stderr
    checked, outputs = runner.run_step("drift", "drift")
    assert outputs == {"exit-code": "0", "unmanaged": "1"}, "unmanaged items stay, listed"


def test_a_plan_step_that_errs_fails_without_claiming_changes(runner):
    # No workspace override, and the secret is not set (as in a pull request from a fork):
    # prod's real Attio is refused before any request is sent.
    del runner.env["SCHEMACTL_WORKSPACE"]
    runner.secret = ""

    for job, key in (("plan", "plan"), ("drift", "drift")):
        result, outputs = runner.run_step(job, key)
        assert result.returncode == 1
        assert outputs == {}
        assert "set the environment variable ATTIO_TOKEN_PROD" in result.stderr


# --- the pre-commit hooks -------------------------------------------------------------------------


def hooks() -> dict[str, dict[str, Any]]:
    return {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}


def console_scripts() -> dict[str, str]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["scripts"]


def test_the_validate_hook_runs_schemactl_validate_once_on_yaml_changes():
    hook = hooks()["schemactl-validate"]

    assert set(hook) <= HOOK_KEYS
    assert hook["entry"] == "schemactl validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("schemactl.yaml") and files.search("manifests/lists/vip.yml")
    assert not files.search("README.md") and not files.search("manifests/notes.yaml.txt")


@pytest.mark.parametrize("hook_id", ["schemactl-validate", "schemactl"])
def test_each_hooks_entry_is_a_real_command(hook_id):
    hook = hooks()[hook_id]
    program, *_ = shlex.split(hook["entry"])

    assert set(hook) <= HOOK_KEYS
    assert console_scripts()[program] == "schemactl.cli.main:run"
    assert hook["pass_filenames"] is False


def hook_argv(hook: dict[str, Any], args: list[str]) -> list[str]:
    """What pre-commit runs: the entry, then the hook's args (no file names)."""
    return [*shlex.split(hook["entry"]), *args]


def documented_hooks() -> list[tuple[str, list[str]]]:
    """(id, args) of every hook docs/ci.md configures in a `.pre-commit-config.yaml` example."""
    found = []
    for block in re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.S):
        document = yaml.safe_load(block)
        if isinstance(document, dict) and "repos" in document:
            for repo in document["repos"]:
                found += [(h["id"], [str(a) for a in h.get("args", [])]) for h in repo["hooks"]]
    return found


def test_the_hooks_docs_configure_pass_on_the_example_and_fail_on_a_broken_manifest(
    monkeypatch, tmp_path
):
    configured = documented_hooks()
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(shutil.copytree(EXAMPLE, tmp_path / "project"))

    assert {hook_id for hook_id, _ in configured} == set(hooks())
    for hook_id, args in configured:
        argv = hook_argv(hooks()[hook_id], args)
        assert parse(argv).path == ("validate",)
        result = CliRunner().invoke(cli, argv[1:])
        assert result.exit_code == 0, f"{argv}: {result.output}"
    manifest = Path("manifests/objects.yaml")
    manifest.write_text(manifest.read_text().replace("vars.fund_currency", "vars.fund_curency"))
    for hook_id, args in configured:
        result = CliRunner().invoke(cli, hook_argv(hooks()[hook_id], args)[1:])
        assert result.exit_code == 1
        assert "manifests/objects.yaml:" in result.stderr
        assert "'vars.fund_curency' is not defined" in result.stderr
