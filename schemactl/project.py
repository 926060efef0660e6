"""The project file `schemactl.yaml`: where the manifests are and which environments exist.

Every path the project file names stays inside the project folder: `manifests` entries and
`local:PATH` workspaces that are absolute, climb out with `..`, or lead out through a symlink are
refused, so a project checked out from someone else's branch cannot make schemactl read or write
files elsewhere on the machine.
"""

from __future__ import annotations

import difflib
import glob
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from jsonschema import Draft202012Validator

from schemactl.errors import (
    Diagnostic,
    DiagnosticsError,
    ManifestError,
    ProjectError,
    UsageError,
    display_path,
)
from schemactl.manifest.schema_check import schema_diagnostics
from schemactl.manifest.yaml_loader import Document, decode_utf8, load_yaml

PROJECT_FILE = "schemactl.yaml"
DEFAULT_ENVIRONMENT = "default"
MANIFEST_SUFFIXES = (".yaml", ".yml")
# local, local:PATH, or an API base URL ending in /v2.
WORKSPACE_PATTERN = r"^(local|local:.+|https?://[^\s/]+(/[^\s]*)?/v2/?)$"
_GLOB_CHARACTERS = "*?["


class ProjectFileError(DiagnosticsError):
    """schemactl.yaml is malformed; every problem is located."""


@dataclass(frozen=True)
class Policy:
    """What an environment allows beyond creates and in-place updates."""

    # None: archive only with --prune; True: prune even without it; False: never, --prune refused.
    allow_archive: bool | None = None
    # Webhooks are deleted only when pruning is on AND this is true.
    allow_delete_webhooks: bool = False
    # Archive attributes, options and statuses that records still hold values of (or that could
    # not be checked) without `apply --allow-data-loss`.
    allow_archive_in_use: bool = False


@dataclass(frozen=True)
class Environment:
    """One named target: its workspace, credentials variable, template variables and policy."""

    name: str
    workspace: str = "local"
    token_env: str | None = None
    expect_workspace: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    policy: Policy = Policy()


@dataclass(frozen=True)
class Project:
    """A schemactl project rooted at a directory, with or without a project file."""

    root: Path
    file: Path | None
    manifest_entries: tuple[str, ...]
    environments: Mapping[str, Environment]
    default_environment: str | None = None
    document: Document | None = None

    def environment(self, name: str | None = None) -> Environment:
        """The named environment, else the default one; a bad name is a usage error."""
        if name is None:
            name = self.default_environment
            if name is None:
                if len(self.environments) == 1:
                    return next(iter(self.environments.values()))
                raise UsageError(
                    "choose an environment with -e: " + ", ".join(sorted(self.environments))
                )
        if name not in self.environments:
            known = sorted(self.environments)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UsageError(
                f"unknown environment '{name}'{hint}; this project has: {', '.join(known)}"
            )
        return self.environments[name]

    def token_variables(self) -> frozenset[str]:
        """Names of the environment variables that hold this project's API tokens."""
        return frozenset(e.token_env for e in self.environments.values() if e.token_env)

    def manifest_files(self) -> list[Path]:
        """Every manifest file, in a stable order; an entry that matches nothing is an error."""
        files: list[Path] = []
        unmatched: list[Diagnostic] = []
        for index, entry in enumerate(self.manifest_entries):
            matched = _expand(self.root, entry)
            self._check_inside(index, entry, matched)
            if not matched:
                if self.document is None:
                    where = display_path(self.root / entry)
                    raise ProjectError(
                        f"no manifest files found in {where} (looked for *.yaml and *.yml)"
                    )
                unmatched.append(
                    Diagnostic(
                        self.document.location(("manifests", index)),
                        f"manifests entry '{entry}' matches no .yaml file",
                        f"manifests[{index}]",
                    )
                )
            files.extend(p for p in matched if p not in files)
        if unmatched:
            raise ProjectFileError(unmatched)
        return files

    def _check_inside(self, index: int, entry: str, matched: list[Path]) -> None:
        """Refuse an entry whose folder, or any file it matched, is outside the project folder.

        As written, entries were checked when the project was loaded; this finds symlinks.
        """
        base = _glob_base(entry)
        for path in [self.root / base, *matched]:
            reason = _leaves_through(self.root, path)
            if reason is None:
                continue
            message = f"manifests entry '{entry}' {_CLIMBS}: {reason}"
            if self.document is None:
                raise ProjectError(message)
            location = self.document.location(("manifests", index))
            raise ProjectFileError([Diagnostic(location, message, f"manifests[{index}]")])


def _expand(root: Path, entry: str) -> list[Path]:
    path = root / entry
    if any(ch in entry for ch in "*?["):
        return sorted(
            Path(p)
            for p in glob.glob(str(path), recursive=True)
            if Path(p).is_file()
            and Path(p).suffix in MANIFEST_SUFFIXES
            and Path(p).name != PROJECT_FILE
        )
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.suffix in MANIFEST_SUFFIXES
            and p.is_file()
            and p.name != PROJECT_FILE
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    return [path] if path.is_file() else []


@cache
def _project_validator() -> Draft202012Validator:
    return Draft202012Validator(project_schema())


def project_schema() -> dict[str, Any]:
    """JSON Schema of schemactl.yaml."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "schemactl project file",
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1, "errorMessage": "this schemactl understands version: 1"},
            "manifests": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
            },
            "default_environment": {"type": "string"},
            "environments": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {
                    "title": "environment name",
                    "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                    "patternErrorMessage": "use letters, digits, '_', '.' and '-'",
                },
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "workspace": {
                            "type": "string",
                            "title": "workspace",
                            "pattern": WORKSPACE_PATTERN,
                            "patternErrorMessage": "use local, local:PATH or an http(s)://…/v2 URL",
                        },
                        "token_env": {
                            "type": "string",
                            "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
                            # The value is not echoed: it may be a token pasted by mistake.
                            "errorMessage": "token_env is the name of the environment variable "
                            "that holds the token (letters, digits and _), never the token itself",
                        },
                        "expect_workspace": {"type": "string", "minLength": 1},
                        "vars": {"type": "object"},
                        "policy": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "allow_archive": {"type": "boolean"},
                                "allow_delete_webhooks": {"type": "boolean"},
                                "allow_archive_in_use": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
    }


def load_project(directory: Path | str = ".") -> Project:
    """The project at `directory`: from its schemactl.yaml, or implied by its manifests folder."""
    root = Path(directory)
    if not root.is_dir():
        raise ProjectError(f"{display_path(root)} is not a directory")
    file = root / PROJECT_FILE
    if not file.is_file():
        entries = ("manifests/",) if (root / "manifests").is_dir() else (".",)
        return Project(
            root=root,
            file=None,
            manifest_entries=entries,
            environments={DEFAULT_ENVIRONMENT: Environment(DEFAULT_ENVIRONMENT)},
        )
    shown = display_path(file)
    try:
        document = load_yaml(decode_utf8(file.read_bytes(), shown), shown)
    except ManifestError as exc:
        raise ProjectFileError(exc.diagnostics) from None
    except OSError as exc:
        raise ProjectError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    problems = schema_diagnostics(document, _project_validator())
    if problems:
        raise ProjectFileError(problems)
    data: dict[str, Any] = document.data
    environments = {
        name: Environment(
            name=name,
            workspace=spec.get("workspace", "local"),
            token_env=spec.get("token_env"),
            expect_workspace=spec.get("expect_workspace"),
            vars=spec.get("vars") or {},
            policy=Policy(**(spec.get("policy") or {})),
        )
        for name, spec in (data.get("environments") or {}).items()
    } or {DEFAULT_ENVIRONMENT: Environment(DEFAULT_ENVIRONMENT)}
    default = data.get("default_environment")
    if default is not None and default not in environments:
        raise ProjectFileError(
            [
                Diagnostic(
                    document.location(("default_environment",)),
                    f"default_environment '{default}' is not one of the environments: "
                    + ", ".join(sorted(environments)),
                    "default_environment",
                )
            ]
        )
    problems = _path_problems(root, document, data)
    if problems:
        raise ProjectFileError(problems)
    return Project(
        root=root,
        file=file,
        manifest_entries=tuple(data.get("manifests") or ("manifests/",)),
        environments=environments,
        default_environment=default,
        document=document,
    )


# --- paths stay inside the project folder ------------------------------------------------------


def _path_problems(root: Path, document: Document, data: Mapping[str, Any]) -> list[Diagnostic]:
    """Every `manifests` entry and `local:PATH` workspace that leaves the project folder."""
    problems: list[Diagnostic] = []
    for index, entry in enumerate(data.get("manifests") or ()):
        reason = _leaves_as_written(entry)
        if reason is not None:
            if reason == _ABSOLUTE:
                reason += "; entries are relative to the project folder"
            problems.append(
                Diagnostic(
                    document.location(("manifests", index)),
                    f"manifests entry '{entry}' {reason}",
                    f"manifests[{index}]",
                )
            )
    for name, spec in (data.get("environments") or {}).items():
        workspace = spec.get("workspace", "")
        kind, _, path = workspace.partition(":")
        if kind != "local" or not path or path == ":memory:":
            continue
        reason = _leaves_as_written(path)
        if reason is not None:
            reason += "; use a path inside the project folder, e.g. local:.schemactl/dev.db"
        else:
            through = _leaves_through(root, root / path)
            reason = None if through is None else f"{_CLIMBS}: {through}"
        if reason is not None:
            problems.append(
                Diagnostic(
                    document.location(("environments", name, "workspace")),
                    f"workspace '{workspace}' {reason}",
                    f"environments.{name}.workspace",
                )
            )
    return problems


_ABSOLUTE = "is an absolute path"
_CLIMBS = "leaves the project folder"


def _leaves_as_written(path: str) -> str | None:
    """Why `path`, relative to the project folder, leaves it as written; None if it does not."""
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).anchor:
        return _ABSOLUTE
    depth = 0
    for part in re.split(r"[\\/]", path):
        if part == "..":
            depth -= 1
            if depth < 0:
                return _CLIMBS
        elif part not in ("", "."):
            depth += 1
    return None


def _glob_base(entry: str) -> str:
    """The folder part of an entry before its first glob character: `a/b` of `a/b/*/c.yaml`."""
    if not any(ch in entry for ch in _GLOB_CHARACTERS):
        return entry
    parts = PurePosixPath(entry).parts
    first = next(i for i, part in enumerate(parts) if any(ch in part for ch in _GLOB_CHARACTERS))
    return "/".join(parts[:first]) or "."


def _leaves_through(root: Path, path: Path) -> str | None:
    """How `path` (inside `root` as written) leads out of the project folder, or None.

    A symlink, to a file or a folder, anywhere on the way, may point outside.
    """
    try:
        real_root = root.resolve()
        if _within(real_root, path.resolve()):
            return None
    except ValueError:  # a NUL in the path: it names nothing, as later steps report
        return None
    except (OSError, RuntimeError):  # a symlink loop
        return f"{_shown(root, path)} cannot be resolved (a symlink loop?)"
    current = root
    for part in _relative(root, path).parts:
        current = current / part
        if current.is_symlink() and not _within(real_root, current.resolve()):
            kind = "folder" if current.is_dir() else "file" if current.is_file() else "place"
            return f"{_shown(root, current)} is a symlink to a {kind} outside it"
    return f"{_shown(root, path)} is outside it"


def _within(real_root: Path, real_path: Path) -> bool:
    return real_path == real_root or real_root in real_path.parents


def _relative(root: Path, path: Path) -> PurePosixPath:
    try:
        return PurePosixPath(path.relative_to(root).as_posix())
    except ValueError:
        return PurePosixPath(path.as_posix())


def _shown(root: Path, path: Path) -> str:
    """`path` as the project file would write it: relative to the project folder."""
    return str(_relative(root, path))


__all__ = [
    "PROJECT_FILE",
    "Environment",
    "Policy",
    "Project",
    "ProjectFileError",
    "load_project",
]
