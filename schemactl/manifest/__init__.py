"""The manifest pipeline: render -> load -> validate -> merge -> desired model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemactl import model as m
from schemactl.errors import Diagnostic, Location, ManifestError, display_path
from schemactl.manifest import rules
from schemactl.manifest.build import build_workspace
from schemactl.manifest.linemap import LineMap
from schemactl.manifest.merge import Declarations, merge
from schemactl.manifest.render import render
from schemactl.manifest.schema import manifest_validator
from schemactl.manifest.schema_check import one_line_diagnostic, schema_diagnostics
from schemactl.manifest.yaml_loader import MAX_FILE_BYTES, Document, decode_utf8, load_yaml

__all__ = ["ManifestSet", "load_manifests"]


@dataclass(frozen=True)
class ManifestSet:
    """Validated manifests: the files read, what they declare, and the desired model."""

    files: tuple[Path, ...]
    declarations: Declarations
    workspace: m.Workspace


def load_manifests(
    files: Sequence[Path],
    *,
    variables: Mapping[str, Any],
    environment: str,
    protected_variables: frozenset[str] = frozenset(),
) -> ManifestSet:
    """Render, load and validate every file; raise one ManifestError listing all problems.

    `protected_variables` are environment variables templates may not read (API tokens).
    """
    problems: list[Diagnostic] = []
    documents: list[Document] = []
    validator = manifest_validator()
    for path in files:
        try:
            document = _load_one(
                path,
                variables=variables,
                environment=environment,
                protected_variables=protected_variables,
            )
        except ManifestError as exc:
            problems.extend(exc.diagnostics)
            continue
        problems.extend(schema_diagnostics(document, validator))
        documents.append(document)
    declarations, merge_problems = merge(documents)
    declarations.complete = len(documents) == len(files)
    problems += merge_problems
    problems += rules.check(declarations)
    if problems:
        # One line per problem, whichever stage quoted the user's text (a key, a title, a URL).
        raise ManifestError([one_line_diagnostic(problem) for problem in problems])
    return ManifestSet(tuple(files), declarations, build_workspace(declarations))


def _load_one(
    path: Path,
    *,
    variables: Mapping[str, Any],
    environment: str,
    protected_variables: frozenset[str],
) -> Document:
    shown = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ManifestError(
                [
                    Diagnostic(
                        Location(shown),
                        f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte manifest limit",
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError([Diagnostic(Location(shown), f"cannot read: {exc.strerror}")]) from None
    text = decode_utf8(raw, shown)
    text = text.removeprefix("\ufeff")
    rendered = render(
        text,
        shown,
        variables=variables,
        environment=environment,
        protected_variables=protected_variables,
    )
    if rendered == text:
        return load_yaml(rendered, shown)
    # Report positions in the file the user wrote, not in the rendered text.
    return load_yaml(rendered, shown, position_map=LineMap(text, rendered).to_source)
