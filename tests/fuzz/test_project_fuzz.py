"""Fuzzing the project file `schemactl.yaml`: random projects and mutated project text.

`projects` builds project files from their parts, right and wrong: versions, manifests entries
(folders, globs, files, the project file itself, nothing), default environments, environments
with workspace targets (`local:ws.db`, other `local:` paths, URLs that need a token, malformed
targets), token_env names, expect_workspace, vars (which the manifests' templates read) and
policies, plus unknown keys. `mutated_projects` mutates the examples' project files and one
with two environments as text. The manifests are the vc-dealflow example's, whose templates
read `vars.webhook_host` and `vars.fund_currency`.

Exit codes: 0 or 1, and 64 only when the environment's name is the problem (an unknown `-e`
name, or several environments and none chosen); a project file problem is an error, exit 1
(docs/cli.md). `validate` writes nothing at all. `plan` changes no existing file and leaves
the `local:ws.db` workspace exactly as it was; its only possible new files are a new, empty
embedded workspace when the environment names a `local` target that does not exist yet, as
designed for a first run. No run reaches the network: targets that would are skipped, and URL
targets point at a closed loopback port with no token set.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from hypothesis import assume, event, given
from hypothesis import strategies as st

from schemactl.attio.targets import resolve_token
from schemactl.engine import load_desired
from schemactl.errors import DiagnosticsError, SchemactlError, UsageError
from schemactl.project import load_project
from tests.e2e.conftest import schemactl
from tests.fuzz.conftest import (
    ENVIRONMENT_USAGE,
    EXAMPLES,
    PreparedWorkspace,
    check_diagnostics,
    check_run,
    fuzz_settings,
    mutated_texts,
    reset_directory,
    snapshot,
    tree,
)

MANIFESTS = EXAMPLES / "vc-dealflow" / "manifests"
SQLITE_HEADER = b"SQLite format 3\x00"

# --- generators -------------------------------------------------------------------------------

# Right values first: a "tame" project draws only from these, a "wild" one from all.
NAMES = ("dev", "prod", "staging", "Dev", "a.b", "x-1")
WILD_NAMES = (*NAMES, "_bad", "with space", "é", "", "1")
WORKSPACES = ("local:ws.db", "local:ws.db", "local:ws.db", "local::memory:", "local:state/dev.db")
WILD_WORKSPACES = (
    *(*WORKSPACES, "local", "local:", "local:manifests", "local:schemactl.yaml", "LOCAL"),
    *("local:manifests/objects.yaml", "local:ws.db ", "local:ws.db\n", "https://127.0.0.1:9/v2"),
    *("http://127.0.0.1:9/v2/", "https://127.0.0.1:9/api/v2", "https://127.0.0.1:9"),
    *("ftp://127.0.0.1:9/v2", "https:///v2", ""),
)
TOKEN_VARIABLES = ("SCHEMACTL_FUZZ_TOKEN", "SCHEMACTL_FUZZ_OTHER_TOKEN")
WILD_TOKEN_VARIABLES = (*TOKEN_VARIABLES, "lower_case", "1BAD", "has space", "ghp_tokenlike1", "")
MANIFEST_ENTRIES = ("manifests/", "manifests", "manifests/*.yaml", "**/*.yaml", "./manifests//")
WILD_MANIFEST_ENTRIES = (
    *(*MANIFEST_ENTRIES, "manifests/**/*.yaml", "missing/", "manifests/objects.yaml"),
    *("schemactl.yaml", "", ".", "[", "*", "ws.db", "manifests/../manifests/", "manifests/*.yml"),
    "manifests/\u00e9",
)


def _text(max_size: int = 8) -> st.SearchStrategy[str]:
    # Text that templates may print into YAML: what YAML refuses would hit a known crash.
    return st.text(max_size=max_size)


variable_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        _text(),
        st.sampled_from(["hooks.example.com", "USD", "usd", "", "a: b", "{{ x }}", "x" * 300]),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_text(6), children, max_size=3)
    ),
    max_leaves=6,
)
anything = st.one_of(st.none(), st.booleans(), st.integers(), _text(), st.just([]), st.just({}))


def _pick(wild: bool, tame: tuple[Any, ...], everything: tuple[Any, ...]) -> Any:
    """A value from `tame`, or for a wild project from `everything` or of any type."""
    if not wild:
        return st.sampled_from(tame)
    return st.one_of(st.sampled_from(everything), st.sampled_from(everything), anything)


@st.composite
def environments(draw: st.DrawFn, wild: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        local_path = _text().map(lambda t: f"local:fuzz/{t}")
        spec["workspace"] = draw(_pick(wild, WORKSPACES, WILD_WORKSPACES) | local_path)
    if draw(st.integers(0, 3)) == 0:
        spec["token_env"] = draw(_pick(wild, TOKEN_VARIABLES, WILD_TOKEN_VARIABLES))
    if draw(st.integers(0, 4)) == 0:
        spec["expect_workspace"] = draw(_pick(wild, ("local", "acme"), ("local", "acme", "")))
    if wild or draw(st.integers(0, 5)):
        required = {"webhook_host": "hooks.example.com", "fund_currency": "USD"}
        names = st.sampled_from(["webhook_host", "fund_currency", "other"])
        extra = draw(st.dictionaries(names | _text(6) if wild else names, variable_values))
        spec["vars"] = draw(anything) if wild and draw(st.integers(0, 3)) == 0 else extra
        if not wild or draw(st.booleans()):  # what the templates need wins in a tame project
            spec["vars"] = {**extra, **required} if not wild else {**required, **extra}
    if draw(st.integers(0, 3)) == 0:
        flags = ("allow_archive", "allow_delete_webhooks", "allow_archive_in_use")
        values = st.booleans() | anything if wild else st.booleans()
        keys = st.sampled_from((*flags, "allow_x") if wild else flags)
        spec["policy"] = draw(st.dictionaries(keys, values, max_size=3))
    if wild and draw(st.integers(0, 8)) == 0:
        spec[draw(st.sampled_from(["workspaces", "token", "var"]))] = draw(anything)
    return spec


@st.composite
def projects(draw: st.DrawFn) -> bytes:
    """A project file built from right parts (tame) or right and wrong ones (wild), as YAML."""
    wild = draw(st.booleans())
    project: dict[str, Any] = {}
    if not wild or draw(st.integers(0, 8)):
        project["version"] = draw(_pick(wild, (1,), (1, 1, 2, "1", 1.5, None, True, 0)))
    if draw(st.integers(0, 2)):
        entries = _pick(wild, MANIFEST_ENTRIES, WILD_MANIFEST_ENTRIES)
        project["manifests"] = draw(st.lists(entries, min_size=0 if wild else 1, max_size=3))
    if not wild or draw(st.integers(0, 3)):
        names = st.sampled_from(WILD_NAMES) | _text(5) if wild else st.sampled_from(NAMES)
        project["environments"] = draw(
            st.dictionaries(names, environments(wild), min_size=0 if wild else 1, max_size=3)
        )
    if draw(st.integers(0, 2)):
        declared = tuple(project.get("environments") or NAMES)
        project["default_environment"] = draw(_pick(wild, declared, WILD_NAMES))
    if wild and draw(st.integers(0, 8)) == 0:
        project[draw(st.sampled_from(["environment", "manifest", "x"]))] = draw(anything)
    text = yaml.safe_dump(project, allow_unicode=True, sort_keys=False, width=1000)
    return (text).encode("utf-8", "surrogatepass")


TWO_ENVIRONMENTS = """\
version: 1
manifests: [manifests/]
environments:
  dev:
    workspace: local:ws.db
    vars: {webhook_host: hooks.dev.example.com, fund_currency: USD}
  prod:
    workspace: https://127.0.0.1:9/v2
    token_env: SCHEMACTL_FUZZ_TOKEN
    expect_workspace: acme
    vars: {webhook_host: hooks.example.com, fund_currency: EUR}
    policy: {allow_archive: false, allow_delete_webhooks: false}
"""
PROJECT_SEEDS = [
    TWO_ENVIRONMENTS,
    *(p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*/schemactl.yaml"))),
]
any_project = st.one_of(projects(), mutated_texts(PROJECT_SEEDS))
environment_option = st.sampled_from([None, None, "dev", "prod", "staging", "Dev", "nope"])


# --- helpers ----------------------------------------------------------------------------------


def write_project(root: Path, project_file: bytes) -> dict[str, bytes]:
    """The project at `root` (the vc-dealflow manifests and `project_file`); its files' bytes
    by the name the CLI shows them with (relative to the working directory)."""
    reset_directory(root)
    shutil.copytree(MANIFESTS, root / "manifests")
    (root / "schemactl.yaml").write_bytes(project_file)
    cwd = Path.cwd().resolve()
    return {
        str(path.resolve().relative_to(cwd)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def stays_offline_and_inside(root: Path, environment: str | None) -> bool:
    """False when `plan` would write outside `root` (a `local:` path leaving it) or could reach
    a server (a URL target with a token available): such an example is skipped."""
    try:
        chosen = load_project(root).environment(environment)
    except SchemactlError:
        return True  # refused before any workspace is opened
    target = chosen.workspace
    if target.startswith("local:") and target != "local::memory:":
        path = (root / target.removeprefix("local:")).resolve()
        return path.is_relative_to(root.resolve())
    return target == "local" or resolve_token(chosen) is None


def new_files_are_new_workspaces(before: dict[str, str], after: dict[str, str], root: Path) -> None:
    """No existing file changed; a new file can only be a new embedded workspace's database."""
    for name, digest in before.items():
        assert after.get(name) == digest, f"plan changed or removed {name}"
    for name in set(after) - set(before):
        path = root / name
        side_file = name.endswith(("-journal", "-wal", "-shm"))
        assert side_file or path.read_bytes().startswith(SQLITE_HEADER), f"plan wrote {name}"


# --- properties -------------------------------------------------------------------------------


@fuzz_settings(150)
@given(project_file=any_project, environment=environment_option)
def test_a_project_loads_or_fails_with_located_problems(
    isolated: Path, project_file: bytes, environment: str | None
) -> None:
    files = write_project(isolated / "project", project_file)
    try:
        load_desired("project", environment)
    except DiagnosticsError as exc:  # the project file or a manifest
        check_diagnostics(exc.diagnostics, files)
    except UsageError as exc:
        assert ENVIRONMENT_USAGE.match(str(exc)), f"usage error not about the environment: {exc}"
    except SchemactlError as exc:
        assert len(exc.lines()) == 1 and str(exc).strip(), exc.lines()


@fuzz_settings(50)
@given(project_file=any_project, environment=environment_option)
def test_validate_and_plan_exit_cleanly_and_never_write(
    prepared_workspace: PreparedWorkspace,
    isolated: Path,
    project_file: bytes,
    environment: str | None,
) -> None:
    root = isolated / "project"
    files = write_project(root, project_file)
    assume(stays_offline_and_inside(root, environment))
    prepared_workspace.copy_to(root / "ws.db")
    chosen = ("-e", environment) if environment else ()
    before = tree(root)

    run = schemactl("-C", "project", *chosen, "validate")
    event(f"validate exit {run.exit_code}")
    check_run(run, files, command="validate")
    assert tree(root) == before, "validate wrote a file"

    run = schemactl("-C", "project", *chosen, "plan")
    event(f"plan exit {run.exit_code}")
    check_run(run, files, command="plan")
    new_files_are_new_workspaces(before, tree(root), root)
    assert snapshot(root / "ws.db") == prepared_workspace.before


# --- regressions: what the project fuzzing found ------------------------------------------------


def test_a_surrogate_escape_in_the_project_file_is_a_located_problem() -> None:
    files = write_project(
        Path("project"),
        b'version: 1\nenvironments:\n  dev:\n    vars: {webhook_host: "\\udc80"}\n',
    )
    run = schemactl("-C", "project", "validate")
    assert run.exit_code == 1
    check_run(run, files, command="validate")
    assert run.stderr.startswith(
        "project/schemactl.yaml:4:26: this text holds a surrogate escape such as \\ud83d"
    ), run.stderr


# --- known crashes and slips in code owned elsewhere ----------------------------------------------


def test_a_nul_in_the_project_file_is_a_located_problem() -> None:
    files = write_project(Path("project"), b"version: 1\x00\n")
    run = schemactl("-C", "project", "validate")
    check_run(run, files, command="validate")


def test_invalid_utf8_in_the_project_file_is_located() -> None:
    files = write_project(Path("project"), b"version: 1\nenvironments: {dev: {vars: {a: \xff}}}\n")
    run = schemactl("-C", "project", "validate")
    check_run(run, files, command="validate")


def with_workspace(target: str) -> bytes:
    """A project file whose one environment has the workspace `target` (YAML, as written)."""
    variables = "{webhook_host: hooks.example.com, fund_currency: USD}"
    return (
        f"version: 1\nenvironments:\n  dev: {{workspace: {target}, vars: {variables}}}\n".encode()
    )


def test_a_nul_in_a_local_target_is_an_error_message() -> None:
    files = write_project(Path("project"), with_workspace('"local:a\\0b"'))
    run = schemactl("-C", "project", "plan")
    check_run(run, files, command="plan")


def test_a_malformed_url_target_is_an_error_message() -> None:
    files = write_project(Path("project"), with_workspace("'http://[::1/v2'"))
    run = schemactl("-C", "project", "plan")
    check_run(run, files, command="plan")


def test_credentials_in_a_project_workspace_url_are_an_error_not_a_usage_error() -> None:
    files = write_project(Path("project"), with_workspace("'https://user:pw@127.0.0.1:9/v2'"))
    run = schemactl("-C", "project", "plan")
    assert run.exit_code == 1, run
    check_run(run, files, command="plan")
