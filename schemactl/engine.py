"""The library's front door: load a project and build what an environment declares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemactl.manifest import ManifestSet, load_manifests
from schemactl.project import Environment, Project, load_project

__all__ = ["Desired", "load_desired", "load_project"]


@dataclass(frozen=True)
class Desired:
    """What one environment of a project declares, validated."""

    project: Project
    environment: Environment
    manifests: ManifestSet


def load_desired(directory: Path | str = ".", environment: str | None = None) -> Desired:
    """Load the project at `directory` and validate its manifests for `environment`."""
    project = load_project(directory)
    chosen = project.environment(environment)
    manifests = load_manifests(
        project.manifest_files(),
        variables=chosen.vars,
        environment=chosen.name,
        protected_variables=project.token_variables(),
    )
    return Desired(project, chosen, manifests)
