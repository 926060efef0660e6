"""The project file: manifests entries, environments and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl.engine import load_desired
from schemactl.errors import ManifestError, ProjectError, UsageError
from schemactl.project import (
    Environment,
    Policy,
    ProjectFileError,
    load_project,
)


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Work inside a temporary directory so paths in messages are short and exact."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: str, text: str = "") -> None:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")


def project_problems(directory: str = "proj") -> list[str]:
    with pytest.raises(ProjectFileError) as info:
        load_project(directory)
    return info.value.lines()


# Without schemactl.yaml ----------------------------------------------------------------------


def test_without_project_file_the_manifests_folder_is_used(here):
    write("proj/manifests/b.yaml")
    write("proj/manifests/sub/a.yml")
    write("proj/manifests/notes.txt")
    write("proj/other.yaml")
    project = load_project("proj")
    assert project.file is None
    assert project.document is None
    assert project.manifest_entries == ("manifests/",)
    assert project.environments == {"default": Environment("default")}
    assert project.default_environment is None
    assert project.manifest_files() == [
        Path("proj/manifests/b.yaml"),
        Path("proj/manifests/sub/a.yml"),
    ]


def test_without_project_file_or_manifests_folder_the_directory_itself_is_used(here):
    write("proj/b.yaml")
    write("proj/a.yaml")
    project = load_project("proj")
    assert project.manifest_entries == (".",)
    assert project.manifest_files() == [Path("proj/a.yaml"), Path("proj/b.yaml")]


def test_hidden_directories_and_files_are_skipped(here):
    write("proj/manifests/a.yaml")
    write("proj/manifests/.git/config.yaml")
    write("proj/manifests/.cache/deep/x.yaml")
    write("proj/manifests/sub/.hidden.yaml")
    assert load_project("proj").manifest_files() == [Path("proj/manifests/a.yaml")]


def test_the_implied_environment_is_local_with_no_token(here):
    write("proj/a.yaml")
    environment = load_project("proj").environment()
    assert environment == Environment(
        name="default", workspace="local", token_env=None, expect_workspace=None, vars={}
    )
    assert environment.policy == Policy(allow_archive=None, allow_delete_webhooks=False)


def test_directory_with_no_manifests_and_no_project_file_is_a_project_error(here):
    write("proj/README.md", "hi")
    project = load_project("proj")
    with pytest.raises(ProjectError) as info:
        project.manifest_files()
    assert str(info.value) == "no manifest files found in proj (looked for *.yaml and *.yml)"
    assert info.value.exit_code == 1


def test_a_missing_directory_is_a_project_error(here):
    with pytest.raises(ProjectError) as info:
        load_project("nowhere")
    assert str(info.value) == "nowhere is not a directory"


# With schemactl.yaml --------------------------------------------------------------------------


FULL = """\
version: 1
manifests: [manifests/]
default_environment: dev
environments:
  dev:
    workspace: local
    vars: {webhook_host: hooks.dev.example.com}
  prod:
    workspace: https://api.attio.com/v2
    token_env: ATTIO_TOKEN_PROD
    expect_workspace: acme
    vars: {webhook_host: hooks.example.com}
    policy: {allow_archive: true, allow_delete_webhooks: false}
"""


def test_project_file_is_read_into_environments(here):
    write("proj/schemactl.yaml", FULL)
    write("proj/manifests/a.yaml")
    project = load_project("proj")
    assert project.file == Path("proj/schemactl.yaml")
    assert project.manifest_entries == ("manifests/",)
    assert project.default_environment == "dev"
    assert project.environments == {
        "dev": Environment(
            name="dev", workspace="local", vars={"webhook_host": "hooks.dev.example.com"}
        ),
        "prod": Environment(
            name="prod",
            workspace="https://api.attio.com/v2",
            token_env="ATTIO_TOKEN_PROD",
            expect_workspace="acme",
            vars={"webhook_host": "hooks.example.com"},
            policy=Policy(allow_archive=True, allow_delete_webhooks=False),
        ),
    }
    assert project.document is not None
    assert project.document.data["version"] == 1


def test_minimal_project_file_implies_manifests_folder_and_default_environment(here):
    write("proj/schemactl.yaml", "version: 1\n")
    write("proj/manifests/a.yaml")
    project = load_project("proj")
    assert project.manifest_entries == ("manifests/",)
    assert project.environments == {"default": Environment("default")}
    assert project.environment().name == "default"
    assert project.manifest_files() == [Path("proj/manifests/a.yaml")]


def test_project_file_is_never_a_manifest(here):
    write("proj/schemactl.yaml", "version: 1\nmanifests: [.]\n")
    write("proj/a.yaml")
    write("proj/nested/schemactl.yaml", "version: 1\n")
    write("proj/nested/b.yaml")
    assert load_project("proj").manifest_files() == [
        Path("proj/a.yaml"),
        Path("proj/nested/b.yaml"),
    ]


def test_project_file_is_never_a_manifest_even_through_a_glob(here):
    write("proj/schemactl.yaml", "version: 1\nmanifests: ['*.yaml']\n")
    write("proj/a.yaml")
    assert load_project("proj").manifest_files() == [Path("proj/a.yaml")]


# Environment selection ------------------------------------------------------------------------


def test_environment_by_name_and_by_default(here):
    write("proj/schemactl.yaml", FULL)
    project = load_project("proj")
    assert project.environment().name == "dev"
    assert project.environment("prod").name == "prod"
    assert project.environment("dev").vars == {"webhook_host": "hooks.dev.example.com"}


def test_a_single_environment_is_implied(here):
    write("proj/schemactl.yaml", "version: 1\nenvironments:\n  only: {workspace: local}\n")
    project = load_project("proj")
    assert project.default_environment is None
    assert project.environment().name == "only"


def test_unknown_environment_is_a_usage_error_with_a_suggestion(here):
    write("proj/schemactl.yaml", FULL)
    project = load_project("proj")
    with pytest.raises(UsageError) as info:
        project.environment("prd")
    assert str(info.value) == (
        "unknown environment 'prd' (did you mean 'prod'?); this project has: dev, prod"
    )
    assert info.value.exit_code == 64


def test_unknown_environment_without_a_close_match(here):
    write("proj/schemactl.yaml", FULL)
    with pytest.raises(UsageError) as info:
        load_project("proj").environment("staging")
    assert str(info.value) == "unknown environment 'staging'; this project has: dev, prod"
    assert info.value.exit_code == 64


def test_several_environments_without_a_default_need_a_choice(here):
    write("proj/schemactl.yaml", "version: 1\nenvironments:\n  prod: {}\n  dev: {}\n")
    with pytest.raises(UsageError) as info:
        load_project("proj").environment()
    assert str(info.value) == "choose an environment with -e: dev, prod"
    assert info.value.exit_code == 64


def test_unknown_environment_when_implied_by_a_folder(here):
    write("proj/a.yaml")
    with pytest.raises(UsageError) as info:
        load_project("proj").environment("dev")
    assert str(info.value) == "unknown environment 'dev'; this project has: default"


# Located project file errors ------------------------------------------------------------------


def test_unknown_key_is_located_and_suggests_the_right_one(here):
    write("proj/schemactl.yaml", "version: 1\nmanifest: [a.yaml]\n")
    assert project_problems() == [
        "proj/schemactl.yaml:2:1: unknown key 'manifest' (did you mean 'manifests'?); "
        "expected one of: default_environment, environments, manifests, version (at manifest)"
    ]


def test_unknown_environment_key_is_located(here):
    write("proj/schemactl.yaml", "version: 1\nenvironments:\n  dev:\n    token: abc\n")
    assert project_problems() == [
        "proj/schemactl.yaml:4:5: unknown key 'token' (did you mean 'token_env'?); "
        "expected one of: expect_workspace, "
        "policy, token_env, vars, workspace (at environments.dev.token)"
    ]


def test_bad_version_is_located(here):
    write("proj/schemactl.yaml", "# comment\nversion: 2\n")
    assert project_problems() == [
        "proj/schemactl.yaml:2:1: this schemactl understands version: 1 (at version)"
    ]


def test_missing_version_is_reported(here):
    write("proj/schemactl.yaml", "manifests: [a.yaml]\n")
    assert project_problems() == ["proj/schemactl.yaml:1:1: missing required key 'version'"]


def test_a_token_pasted_into_token_env_fails_the_pattern(here):
    write(
        "proj/schemactl.yaml",
        "version: 1\nenvironments:\n  prod:\n    token_env: sk_live_abc-123\n",
    )
    assert project_problems() == [
        "proj/schemactl.yaml:4:16: token_env is the name of the environment variable that holds "
        "the token (letters, digits and _), never the token itself "
        "(at environments.prod.token_env)"
    ]


def test_a_token_pasted_into_token_env_is_not_echoed(here):
    write(
        "proj/schemactl.yaml",
        "version: 1\nenvironments:\n  prod:\n    token_env: sk_live_abc-123\n",
    )
    (problem,) = project_problems()
    assert "sk_live_abc-123" not in problem


@pytest.mark.parametrize(
    "workspace",
    [
        "ftp://example.com/v2",
        "remote",
        "local:",
        "https://",
        "https://api.attio.com",
        "https://api.attio.com/v1",
        "http://127.0.0.1:8787",
    ],
)
def test_bad_workspace_is_located(here, workspace):
    write(
        "proj/schemactl.yaml", f"version: 1\nenvironments:\n  dev:\n    workspace: '{workspace}'\n"
    )
    assert project_problems() == [
        f"proj/schemactl.yaml:4:16: invalid workspace '{workspace}': "
        "use local, local:PATH or an http(s)://…/v2 URL (at environments.dev.workspace)"
    ]


@pytest.mark.parametrize(
    "workspace",
    ["local", "local:state/dev.db", "http://127.0.0.1:8787/v2", "https://api.attio.com/v2"],
)
def test_good_workspaces_are_accepted(here, workspace):
    write(
        "proj/schemactl.yaml", f"version: 1\nenvironments:\n  dev:\n    workspace: '{workspace}'\n"
    )
    assert load_project("proj").environment().workspace == workspace


def test_bad_environment_name_is_located(here):
    write("proj/schemactl.yaml", "version: 1\nenvironments:\n  'bad name': {}\n")
    assert project_problems() == [
        "proj/schemactl.yaml:3:3: invalid environment name 'bad name': "
        "use letters, digits, '_', '.' and '-' (at environments.bad name)"
    ]


def test_wrong_types_are_located(here):
    write(
        "proj/schemactl.yaml",
        "version: 1\nenvironments:\n  dev:\n    policy: {allow_archive: yes}\n    vars: 3\n",
    )
    assert project_problems() == [
        "proj/schemactl.yaml:4:29: expected true or false, got the string 'yes' "
        "(at environments.dev.policy.allow_archive)",
        "proj/schemactl.yaml:5:11: expected a map, got 3 (at environments.dev.vars)",
    ]


def test_every_problem_is_reported_at_once_in_file_order(here):
    write(
        "proj/schemactl.yaml",
        "version: 2\nbogus: 1\nenvironments:\n  dev:\n    workspace: ftp://x\n",
    )
    assert project_problems() == [
        "proj/schemactl.yaml:1:1: this schemactl understands version: 1 (at version)",
        "proj/schemactl.yaml:2:1: unknown key 'bogus'; expected one of: "
        "default_environment, environments, manifests, version (at bogus)",
        "proj/schemactl.yaml:5:16: invalid workspace 'ftp://x': "
        "use local, local:PATH or an http(s)://…/v2 URL (at environments.dev.workspace)",
    ]


def test_default_environment_must_be_defined(here):
    write(
        "proj/schemactl.yaml",
        "version: 1\ndefault_environment: staging\nenvironments:\n  dev: {}\n  prod: {}\n",
    )
    assert project_problems() == [
        "proj/schemactl.yaml:2:22: default_environment 'staging' is not one of the "
        "environments: dev, prod (at default_environment)"
    ]


def test_empty_manifests_list_is_located(here):
    write("proj/schemactl.yaml", "version: 1\nmanifests: []\n")
    assert project_problems() == [
        "proj/schemactl.yaml:2:12: needs at least 1 item(s) (at manifests)"
    ]


def test_empty_environments_map_has_a_sensible_message(here):
    write("proj/schemactl.yaml", "version: 1\nenvironments: {}\n")
    assert project_problems() == [
        "proj/schemactl.yaml:2:15: needs at least 1 entry (at environments)"
    ]


def test_yaml_errors_in_the_project_file_are_located(here):
    write("proj/schemactl.yaml", "version: 1\nversion: 1\n")
    assert project_problems() == [
        "proj/schemactl.yaml:2:1: duplicate key 'version' (first defined at line 1, column 1)"
    ]


def test_project_file_that_is_not_a_map(here):
    write("proj/schemactl.yaml", "- 1\n")
    assert project_problems() == ["proj/schemactl.yaml:1:1: expected a map, got a list"]


# Manifests entries ----------------------------------------------------------------------------


def test_manifest_entries_files_folders_and_globs_in_order_without_duplicates(here):
    write(
        "proj/schemactl.yaml",
        "version: 1\nmanifests:\n  - one.yaml\n  - defs/\n  - 'globbed/**/*.yaml'\n  - one.yaml\n",
    )
    write("proj/one.yaml")
    write("proj/defs/b.yaml")
    write("proj/defs/a/c.yaml")
    write("proj/defs/a.yml")
    write("proj/defs/skip.json")
    write("proj/globbed/z.yaml")
    write("proj/globbed/x/y.yaml")
    write("proj/globbed/x/y.yml")
    write("proj/globbed/.hidden/q.yaml")
    assert load_project("proj").manifest_files() == [
        Path("proj/one.yaml"),
        Path("proj/defs/a/c.yaml"),
        Path("proj/defs/a.yml"),
        Path("proj/defs/b.yaml"),
        Path("proj/globbed/x/y.yaml"),
        Path("proj/globbed/z.yaml"),
    ]


def test_a_folder_entry_is_recursive_and_sorted(here):
    write("proj/schemactl.yaml", "version: 1\nmanifests: [m]\n")
    for name in ["m/z.yaml", "m/a/b/c.yaml", "m/a/a.yaml", "m/b.yml"]:
        write(f"proj/{name}")
    assert load_project("proj").manifest_files() == [
        Path("proj/m/a/a.yaml"),
        Path("proj/m/a/b/c.yaml"),
        Path("proj/m/b.yml"),
        Path("proj/m/z.yaml"),
    ]


@pytest.mark.parametrize(
    ("entries", "index", "line", "column", "entry"),
    [
        ("[missing/]", 0, 2, 13, "missing/"),
        ("[a.yaml, 'nothing/*.yaml']", 1, 2, 21, "nothing/*.yaml"),
        ("\n  - a.yaml\n  - gone.yaml", 1, 4, 5, "gone.yaml"),
        ("[empty/]", 0, 2, 13, "empty/"),
    ],
)
def test_an_entry_that_matches_nothing_is_located(here, entries, index, line, column, entry):
    write("proj/schemactl.yaml", f"version: 1\nmanifests: {entries}\n")
    write("proj/a.yaml")
    write("proj/empty/readme.txt")
    project = load_project("proj")
    with pytest.raises(ProjectFileError) as info:
        project.manifest_files()
    assert info.value.lines() == [
        f"proj/schemactl.yaml:{line}:{column}: manifests entry '{entry}' matches no .yaml file "
        f"(at manifests[{index}])"
    ]


# Tokens never reach manifests -------------------------------------------------------------------


TOKEN_PROJECT = """\
version: 1
default_environment: dev
environments:
  dev:
    workspace: local
  prod:
    workspace: https://api.attio.com/v2
    token_env: ATTIO_TOKEN_PROD
"""
SECRET = "sk_live_never_print_me_0123456789"


@pytest.mark.parametrize("environment", ["prod", "dev"])
def test_getenv_of_a_token_env_variable_is_refused(here, monkeypatch, environment):
    """Every environment's token_env is protected, whichever environment is chosen."""
    monkeypatch.setenv("ATTIO_TOKEN_PROD", SECRET)
    write("proj/schemactl.yaml", TOKEN_PROJECT)
    write(
        "proj/manifests/hooks.yaml",
        "webhooks:\n"
        "  - target_url: https://{{ getenv('ATTIO_TOKEN_PROD') }}/attio\n"
        "    subscriptions: [{event_type: record.created}]\n",
    )
    with pytest.raises(ManifestError) as info:
        load_desired("proj", environment)
    assert info.value.lines() == [
        "proj/manifests/hooks.yaml:2:25: getenv() cannot read ATTIO_TOKEN_PROD: it holds an "
        "Attio API token, which never belongs in a manifest"
    ]
    assert SECRET not in str(info.value)
    assert all(SECRET not in line for line in info.value.lines())


def test_getenv_of_other_variables_still_works_in_a_project_with_tokens(here, monkeypatch):
    monkeypatch.setenv("ATTIO_TOKEN_PROD", SECRET)
    monkeypatch.setenv("SCHEMACTL_TEST_HOOK_HOST", "hooks.example.com")
    write("proj/schemactl.yaml", TOKEN_PROJECT)
    write(
        "proj/manifests/hooks.yaml",
        "webhooks:\n"
        "  - target_url: https://{{ getenv('SCHEMACTL_TEST_HOOK_HOST') }}/attio\n"
        "    subscriptions: [{event_type: record.created}]\n",
    )
    desired = load_desired("proj", "prod")
    assert desired.environment.name == "prod"
    assert [w.target_url for w in desired.manifests.workspace.webhooks] == [
        "https://hooks.example.com/attio"
    ]
