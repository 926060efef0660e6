"""End-to-end command-line behaviour through click's CliRunner: output, files and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import schemactl
from schemactl.cli.main import cli
from schemactl.manifest.schema import manifest_schema
from schemactl.project import project_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_version_prints_the_installed_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"schemactl, version {schemactl.__version__}"


def test_help_lists_commands_examples_and_exit_codes():
    result = invoke("--help")
    assert result.exit_code == 0
    for word in ("init", "validate", "schema", "environments", "Examples:", "Exit codes"):
        assert word in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["--no-such-option", "validate"],
        ["validate", "--bogus"],
        ["--workspace", "ftp://example.com", "validate"],
    ],
)
def test_usage_errors_exit_64_not_2(args):
    result = invoke(*args)
    assert result.exit_code == 64, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("example", ["startup-crm", "vc-dealflow"])
def test_validate_accepts_each_example(example):
    result = invoke("-C", str(EXAMPLES / example), "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Valid: 3 manifest files for environment 'dev' declare ")


def test_validate_counts_what_the_environment_renders():
    dev = invoke("-C", str(EXAMPLES / "vc-dealflow"), "validate")
    prod = invoke("-C", str(EXAMPLES / "vc-dealflow"), "-e", "prod", "validate")
    assert "3 lists, 2 webhooks." in dev.stdout
    assert "for environment 'prod'" in prod.stdout
    assert "3 lists, 3 webhooks." in prod.stdout


def test_environment_from_env_var():
    result = invoke("-C", str(EXAMPLES / "vc-dealflow"), "validate", env={"SCHEMACTL_ENV": "prod"})
    assert result.exit_code == 0
    assert "3 webhooks" in result.stdout


def test_unknown_environment_is_a_usage_error_with_a_suggestion():
    result = invoke("-C", str(EXAMPLES / "vc-dealflow"), "-e", "prd", "validate")
    assert result.exit_code == 64
    assert result.stderr.strip() == (
        "unknown environment 'prd' (did you mean 'prod'?); this project has: dev, prod"
    )


def test_missing_directory_is_an_error_without_traceback(tmp_path):
    result = invoke("-C", str(tmp_path / "absent"), "validate")
    assert result.exit_code == 1
    assert "is not a directory" in result.stderr
    assert "Traceback" not in result.output


def test_directory_without_manifests_says_so(tmp_path):
    result = invoke("-C", str(tmp_path), "validate")
    assert result.exit_code == 1
    assert "no manifest files found" in result.stderr


def test_without_project_file_every_yaml_under_manifests_is_used(tmp_path):
    (tmp_path / "manifests" / "sub").mkdir(parents=True)
    (tmp_path / "manifests" / "a.yaml").write_text(
        "objects:\n  companies:\n    attributes:\n      tier: {type: select, options: [A]}\n"
    )
    (tmp_path / "manifests" / "sub" / "b.yml").write_text(
        "lists:\n  vip:\n    parent_object: companies\n"
    )
    result = invoke("-C", str(tmp_path), "validate")
    assert result.exit_code == 0, result.output
    assert "2 manifest files for environment 'default'" in result.stdout
    assert "1 object, 1 attribute, 1 options and statuses, 1 list, 0 webhooks." in result.stdout


def test_every_problem_is_one_stderr_line(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "crm.yaml").write_text(
        "objects:\n"
        "  projects:\n"
        "    singular_noun: Project\n"
        "    plural_noun: Projects\n"
        "    attributes:\n"
        "      amount: {type: numbr}\n"
        "      owner: {type: record-reference, allowed_objects: [nobody]}\n"
    )
    result = invoke("-C", str(tmp_path), "validate")
    assert result.exit_code == 1
    assert result.stdout == ""
    manifest = str(Path(tmp_path, "manifests", "crm.yaml"))
    assert result.stderr.splitlines() == [
        f"{manifest}:6:22: unknown attribute type 'numbr' (did you mean 'number'?) "
        "(at objects.projects.attributes.amount.type)",
        f"{manifest}:7:57: allowed_objects names 'nobody', which is not a declared or standard "
        "object (at objects.projects.attributes.owner.allowed_objects[0])",
    ]


def test_schema_prints_the_manifest_json_schema():
    result = invoke("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == manifest_schema()


def test_schema_for_the_project_file():
    result = invoke("schema", "--project-file")
    assert json.loads(result.stdout) == project_schema()


def test_init_scaffolds_a_project_that_validates(tmp_path):
    target = tmp_path / "crm"
    result = invoke("init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "schemactl.yaml").is_file()
    assert (target / "manifests" / "main.yaml").is_file()
    assert (target / ".gitignore").read_text().splitlines()[-1] == ".schemactl/"
    validated = invoke("-C", str(target), "validate")
    assert validated.exit_code == 0, validated.output
    assert "for environment 'dev'" in validated.stdout


def test_init_uses_dash_c_directory_when_no_argument(tmp_path):
    result = invoke("-C", str(tmp_path), "init")
    assert result.exit_code == 0
    assert (tmp_path / "schemactl.yaml").is_file()


def test_init_never_overwrites_an_existing_project(tmp_path):
    (tmp_path / "schemactl.yaml").write_text("version: 1\n# mine\n")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists; nothing was changed" in result.stderr
    assert (tmp_path / "schemactl.yaml").read_text() == "version: 1\n# mine\n"
    assert not (tmp_path / "manifests").exists()


def test_init_appends_to_gitignore_once_and_keeps_existing_manifests(tmp_path):
    (tmp_path / ".gitignore").write_text("node_modules/")
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "mine.yaml").write_text("objects: {}\n")
    assert invoke("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / ".gitignore").read_text().splitlines() == [
        "node_modules/",
        "# schemactl's local workspace, saved plans' secrets and history",
        ".schemactl/",
    ]
    assert not (tmp_path / "manifests" / "main.yaml").exists()


def test_environments_lists_targets_but_never_token_values(tmp_path):
    project = tmp_path / "vc"
    shutil.copytree(EXAMPLES / "vc-dealflow", project)
    canary = "canary-token-7f3a9c"
    result = invoke("-C", str(project), "environments", env={"ATTIO_TOKEN_PROD": canary})
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "* dev   local",
        "  prod  https://api.attio.com/v2  token from $ATTIO_TOKEN_PROD, "
        "expects workspace 'northwind-ventures'",
    ]
    assert canary not in result.output


def test_project_file_errors_are_located(tmp_path):
    (tmp_path / "schemactl.yaml").write_text(
        "version: 1\nenvironments:\n  dev:\n    workspace: ftp://nope\n    tokn_env: X\n"
    )
    result = invoke("-C", str(tmp_path), "validate")
    assert result.exit_code == 1
    project_file = str(tmp_path / "schemactl.yaml")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{project_file}:4:16: invalid workspace 'ftp://nope'")
    assert lines[1].startswith(f"{project_file}:5:5: unknown key 'tokn_env' (did you mean")


def test_internal_errors_hide_the_traceback_unless_debug(tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("schemactl.cli.validate.load_desired", broken)
    plain = invoke("-C", str(tmp_path), "validate")
    assert plain.exit_code == 1
    assert "Traceback" not in plain.output
    assert "internal error (RuntimeError); run again with --debug" in plain.stderr
    debug = invoke("--debug", "-C", str(tmp_path), "validate")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr
    assert "RuntimeError: boom" in debug.stderr


def test_interrupt_exits_130(tmp_path, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("schemactl.cli.validate.load_desired", interrupted)
    result = invoke("-C", str(tmp_path), "validate")
    assert result.exit_code == 130


def test_python_dash_m_runs_the_cli_with_real_exit_codes():
    ok = subprocess.run(
        [sys.executable, "-m", "schemactl", "-C", str(EXAMPLES / "startup-crm"), "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "schemactl", "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 64
    assert "No such command 'frobnicate'" in usage.stderr


def test_init_directory_is_relative_to_dash_c(tmp_path):
    result = invoke("-C", str(tmp_path), "init", "sub")
    assert result.exit_code == 0
    assert (tmp_path / "sub" / "schemactl.yaml").is_file()


def test_init_says_it_updated_an_existing_gitignore(tmp_path):
    (tmp_path / ".gitignore").write_text("*.pyc\n")
    result = invoke("init", str(tmp_path))
    lines = result.stdout.splitlines()
    assert f"updated {tmp_path / '.gitignore'}" in lines
    assert f"created {tmp_path / 'schemactl.yaml'}" in lines


def test_validate_says_declares_for_one_file(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "m.yaml").write_text("lists: {vip: {parent_object: companies}}\n")
    result = invoke("-C", str(tmp_path), "validate")
    assert "Valid: 1 manifest file for environment 'default' declares 0 objects" in result.stdout


@pytest.mark.parametrize(
    ("value", "shows_traceback"), [("0", False), ("false", False), ("1", True)]
)
def test_schemactl_debug_variable(tmp_path, monkeypatch, value, shows_traceback):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("schemactl.cli.validate.load_desired", broken)
    result = invoke("-C", str(tmp_path), "validate", env={"SCHEMACTL_DEBUG": value})
    assert ("Traceback" in result.stderr) is shows_traceback


def test_environments_marks_the_only_environment_as_the_default(tmp_path):
    (tmp_path / "schemactl.yaml").write_text(
        "version: 1\nenvironments:\n  staging: {workspace: local}\n"
    )
    result = invoke("-C", str(tmp_path), "environments")
    assert result.stdout.splitlines() == ["* staging  local"]


@pytest.mark.parametrize("value", ["-1", "11", "soon"])
def test_emulator_latency_must_be_a_small_number_of_seconds(value):
    result = invoke("emulator", "serve", "--port", "0", "--latency", value)
    assert result.exit_code == 64
    assert "--latency" in result.output
