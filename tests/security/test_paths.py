"""No path in the project file leads out of the project folder.

`manifests` entries and `local:PATH` workspaces are relative to the project folder and stay in
it: an absolute path, a `..` that climbs out, a glob that does, or a symlink (to a file or a
folder, anywhere on the way) that points outside is refused with a located message, before
anything outside is read or written. Paths that stay inside keep working, symlinks included.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import Run, schemactl

SECRET = "outside-secret-3f9a"  # in the files outside the project: never shown
OBJECT = "objects:\n  projects:\n    singular_noun: Project\n    plural_noun: Projects\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the project, holding manifests that must never be read."""
    folder = tmp_path / "outside"
    (folder / "nested").mkdir(parents=True)
    for path in (folder / "m.yaml", folder / "nested" / "n.yaml"):
        path.write_text(f"# {SECRET}\nobjects: {{{SECRET}: {{}}}}\n", encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, made the working directory so messages name its files."""
    root = tmp_path / "project"
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "ok.yaml").write_text(OBJECT, encoding="utf-8")
    monkeypatch.chdir(root)
    for name in ("ATTIO_API_TOKEN", "SCHEMACTL_ENV", "SCHEMACTL_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    return root


def symlink(link: Path, target: Path) -> None:
    try:
        link.symlink_to(os.path.relpath(target, link.parent), target.is_dir())
    except (OSError, NotImplementedError) as exc:  # e.g. Windows without the privilege
        pytest.skip(f"cannot create symlinks here: {exc}")


def project_file(root: Path, entry: str, workspace: str = "local") -> None:
    """schemactl.yaml with `entry` alone on line 3 (quoted, at column 5)."""
    (root / "schemactl.yaml").write_text(
        f'version: 1\nmanifests:\n  - "{entry}"\nenvironments:\n  dev:\n'
        f'    workspace: "{workspace}"\n',
        encoding="utf-8",
    )


def refused(*args: str) -> Run:
    run = schemactl(*args)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert SECRET not in run.stdout + run.stderr
    return run


# --- manifests entries as written ---------------------------------------------------------------

CLIMBING_ENTRIES = [
    "../outside/m.yaml",
    "../outside/",
    "..",
    "manifests/../../outside/m.yaml",
    "./manifests/../../outside",
    "../*.yaml",
    "../outside/**/*.yaml",
    "manifests/../../outside/*.yaml",
    "**/../../outside/*.yaml",
    "manifests/*/../../../outside/m.yaml",
    "..\\\\outside\\\\m.yaml",
]


@pytest.mark.parametrize("entry", CLIMBING_ENTRIES)
def test_an_entry_that_climbs_out_is_refused(project: Path, outside: Path, entry: str) -> None:
    project_file(project, entry)
    written = entry.replace("\\\\", "\\")
    assert refused("validate").stderr == (
        f"schemactl.yaml:3:5: manifests entry '{written}' leaves the project folder "
        "(at manifests[0])\n"
    )


@pytest.mark.parametrize("shape", ["file", "folder", "glob"])
def test_an_absolute_entry_is_refused(project: Path, outside: Path, shape: str) -> None:
    entry = {
        "file": (outside / "m.yaml").as_posix(),
        "folder": outside.as_posix(),
        "glob": (outside / "*.yaml").as_posix(),
    }[shape]
    project_file(project, entry)
    assert refused("validate").stderr == (
        f"schemactl.yaml:3:5: manifests entry '{entry}' is an absolute path; entries are "
        "relative to the project folder (at manifests[0])\n"
    )


def test_every_escaping_entry_is_reported_in_one_run(project: Path, outside: Path) -> None:
    (project / "schemactl.yaml").write_text(
        'version: 1\nmanifests: [manifests/, ../outside/m.yaml, "../*.yaml"]\n', encoding="utf-8"
    )
    assert refused("validate").stderr == (
        "schemactl.yaml:2:25: manifests entry '../outside/m.yaml' leaves the project folder "
        "(at manifests[1])\n"
        "schemactl.yaml:2:44: manifests entry '../*.yaml' leaves the project folder "
        "(at manifests[2])\n"
    )


# --- manifests entries through symlinks ----------------------------------------------------------


def test_a_symlinked_file_in_a_folder_entry_is_refused(project: Path, outside: Path) -> None:
    symlink(project / "manifests" / "evil.yaml", outside / "m.yaml")
    project_file(project, "manifests/")
    assert refused("validate").stderr == (
        "schemactl.yaml:3:5: manifests entry 'manifests/' leaves the project folder: "
        "manifests/evil.yaml is a symlink to a file outside it (at manifests[0])\n"
    )


def test_a_symlinked_file_entry_is_refused(project: Path, outside: Path) -> None:
    symlink(project / "evil.yaml", outside / "m.yaml")
    project_file(project, "evil.yaml")
    assert refused("validate").stderr == (
        "schemactl.yaml:3:5: manifests entry 'evil.yaml' leaves the project folder: "
        "evil.yaml is a symlink to a file outside it (at manifests[0])\n"
    )


@pytest.mark.parametrize("entry", ["shared/", "shared/m.yaml", "shared/*.yaml", "shared/**/*.yaml"])
def test_an_entry_through_a_symlinked_folder_is_refused(
    project: Path, outside: Path, entry: str
) -> None:
    symlink(project / "shared", outside)
    project_file(project, entry)
    assert refused("validate").stderr == (
        f"schemactl.yaml:3:5: manifests entry '{entry}' leaves the project folder: "
        "shared is a symlink to a folder outside it (at manifests[0])\n"
    )


def test_an_entry_below_a_symlinked_ancestor_is_refused(project: Path, outside: Path) -> None:
    (project / "config").mkdir()
    symlink(project / "config" / "team", outside)
    project_file(project, "config/team/nested/n.yaml")
    assert refused("validate").stderr == (
        "schemactl.yaml:3:5: manifests entry 'config/team/nested/n.yaml' leaves the project "
        "folder: config/team is a symlink to a folder outside it (at manifests[0])\n"
    )


def test_a_recursive_glob_that_follows_a_symlink_out_is_refused(
    project: Path, outside: Path
) -> None:
    symlink(project / "manifests" / "more", outside)
    project_file(project, "**/*.yaml")
    assert refused("validate").stderr == (
        "schemactl.yaml:3:5: manifests entry '**/*.yaml' leaves the project folder: "
        "manifests/more is a symlink to a folder outside it (at manifests[0])\n"
    )


def test_without_a_project_file_a_symlink_out_is_refused(project: Path, outside: Path) -> None:
    symlink(project / "manifests" / "evil.yaml", outside / "m.yaml")
    assert refused("validate").stderr == (
        "manifests entry 'manifests/' leaves the project folder: manifests/evil.yaml is a "
        "symlink to a file outside it\n"
    )


def test_without_a_project_file_a_symlinked_manifests_folder_is_refused(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    symlink(root / "manifests", outside)
    monkeypatch.chdir(root)
    assert refused("validate").stderr == (
        "manifests entry 'manifests/' leaves the project folder: manifests is a symlink to a "
        "folder outside it\n"
    )


# --- local:PATH workspaces ----------------------------------------------------------------------


def test_a_local_workspace_that_climbs_out_is_refused_and_nothing_is_created(
    project: Path, tmp_path: Path
) -> None:
    project_file(project, "manifests/", workspace="local:../stolen.db")
    run = refused("plan")
    assert run.stderr == (
        "schemactl.yaml:6:16: workspace 'local:../stolen.db' leaves the project folder; use a "
        "path inside the project folder, e.g. local:.schemactl/dev.db "
        "(at environments.dev.workspace)\n"
    )
    assert not (tmp_path / "stolen.db").exists()


def test_an_absolute_local_workspace_is_refused_and_nothing_is_created(
    project: Path, outside: Path
) -> None:
    database = (outside / "stolen.db").as_posix()
    project_file(project, "manifests/", workspace=f"local:{database}")
    assert refused("plan").stderr == (
        f"schemactl.yaml:6:16: workspace 'local:{database}' is an absolute path; use a path "
        "inside the project folder, e.g. local:.schemactl/dev.db "
        "(at environments.dev.workspace)\n"
    )
    assert not (outside / "stolen.db").exists()


def test_a_local_workspace_through_a_symlinked_folder_is_refused(
    project: Path, outside: Path
) -> None:
    symlink(project / "state", outside)
    project_file(project, "manifests/", workspace="local:state/dev.db")
    assert refused("plan").stderr == (
        "schemactl.yaml:6:16: workspace 'local:state/dev.db' leaves the project folder: state "
        "is a symlink to a folder outside it (at environments.dev.workspace)\n"
    )
    assert not (outside / "dev.db").exists()


def test_a_symlinked_local_database_file_is_refused(project: Path, outside: Path) -> None:
    (outside / "real.db").write_bytes(b"")
    symlink(project / "dev.db", outside / "real.db")
    project_file(project, "manifests/", workspace="local:dev.db")
    assert refused("environments").stderr == (
        "schemactl.yaml:6:16: workspace 'local:dev.db' leaves the project folder: dev.db is a "
        "symlink to a file outside it (at environments.dev.workspace)\n"
    )
    assert (outside / "real.db").read_bytes() == b""


# --- what stays inside keeps working -------------------------------------------------------------


def valid(*args: str) -> Run:
    run = schemactl(*args)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run


@pytest.mark.parametrize(
    "entry",
    ["manifests/", "manifests/ok.yaml", "manifests/*.yaml", "manifests/../manifests/", "./"],
)
def test_relative_entries_inside_the_project_are_read(project: Path, entry: str) -> None:
    project_file(project, entry)
    assert valid("validate").stdout.startswith("Valid: 1 manifest file ")


def test_symlinks_that_stay_inside_the_project_are_followed(project: Path) -> None:
    shared = project / "shared"
    shared.mkdir()
    (project / "manifests" / "ok.yaml").rename(shared / "real.yaml")
    symlink(project / "manifests" / "linked.yaml", shared / "real.yaml")
    symlink(project / "alias", shared)
    (project / "schemactl.yaml").write_text(
        "version: 1\nmanifests: [manifests/]\n", encoding="utf-8"
    )
    assert valid("validate").stdout.startswith("Valid: 1 manifest file ")
    (project / "schemactl.yaml").write_text("version: 1\nmanifests: [alias/]\n", encoding="utf-8")
    assert valid("validate").stdout.startswith("Valid: 1 manifest file ")


def test_a_project_reached_through_a_symlink_works(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_file(project, "manifests/", workspace="local:state/dev.db")
    symlink(tmp_path / "door", project)
    monkeypatch.chdir(tmp_path / "door")
    assert valid("validate").stdout.startswith("Valid: 1 manifest file ")


@pytest.mark.parametrize(
    ("workspace", "database"),
    [
        ("local", ".schemactl/local.db"),
        ("local:dev.db", "dev.db"),
        ("local:state/dev.db", "state/dev.db"),
        ("local:./state/../state/dev.db", "state/dev.db"),
    ],
)
def test_local_workspaces_inside_the_project_are_used(
    project: Path, workspace: str, database: str
) -> None:
    project_file(project, "manifests/", workspace=workspace)
    assert valid("plan").stdout.rstrip().endswith("Plan: 1 to create.")
    assert (project / database).is_file()


def test_a_local_workspace_through_a_symlink_inside_the_project_is_used(project: Path) -> None:
    (project / "data").mkdir()
    symlink(project / "state", project / "data")
    project_file(project, "manifests/", workspace="local:state/dev.db")
    valid("plan")
    assert (project / "data" / "dev.db").is_file()
