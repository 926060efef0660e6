"""`diff`: what applying one environment's live model to another's workspace would change.

The source workspace is read whole and turned into manifests exactly as `export` writes them,
so a diff shows the same thing as exporting the source and planning against the destination.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from schemactl import model as m
from schemactl.address import Address
from schemactl.attio.read import ReadScope, read_workspace
from schemactl.engine import connect, plan_against, prune_policy
from schemactl.export import declarable, export_files
from schemactl.manifest import load_manifests
from schemactl.plan.changes import Plan
from schemactl.project import load_project


@dataclass(frozen=True)
class DiffResult:
    """The plan for the destination, and the two workspaces it compares."""

    plan: Plan
    source: str
    destination: str
    requests: int


def make_diff(
    directory: Path | str,
    source_environment: str,
    destination_environment: str,
    *,
    prune: bool = False,
    targets: Sequence[Address] = (),
    excludes: Sequence[Address] = (),
    debug: bool = False,
) -> DiffResult:
    """Plan `destination_environment` against `source_environment`'s live data model."""
    project = load_project(directory)
    source = project.environment(source_environment)
    destination = project.environment(destination_environment)
    policy = prune_policy(destination, prune)
    client, source_target, identity = connect(project, source, debug=debug)
    with client:
        source_live = read_workspace(client, ReadScope(everything=True), identity).workspace
        requests = client.total_requests
    desired = desired_from_live(source_live, destination.name)
    client, destination_target, identity = connect(project, destination, debug=debug)
    with client:
        plan, _live, _unchecked = plan_against(
            client,
            identity,
            desired,
            environment=destination.name,
            prune=policy,
            targets=targets,
            excludes=excludes,
        )
        requests += client.total_requests
    return DiffResult(plan, source_target, destination_target, requests)


def desired_from_live(workspace: m.Workspace, environment: str) -> m.Workspace:
    """The model the manifests `export` would write for `workspace` declare."""
    with tempfile.TemporaryDirectory(prefix="schemactl-diff-") as folder:
        root = Path(folder)
        paths = []
        for file in export_files(declarable(workspace).workspace, header=""):
            path = root / file.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(file.text, encoding="utf-8")
            paths.append(path)
        manifests = load_manifests(paths, variables={}, environment=environment)
    return manifests.workspace
