"""Scaffold a new project: a project file, a first manifest, and .gitignore entries."""

from __future__ import annotations

from pathlib import Path

from schemactl.errors import ProjectError, display_path
from schemactl.project import PROJECT_FILE

PROJECT_TEMPLATE = """\
# schemactl project file: where the manifests are and which workspaces they go to.
version: 1
manifests: [manifests/]
default_environment: dev
environments:
  dev:
    workspace: local              # the embedded workspace in .schemactl/local.db
    vars: {webhook_host: hooks.dev.example.com}
  # prod:
  #   workspace: https://api.attio.com/v2
  #   token_env: ATTIO_TOKEN_PROD  # the token is read from this variable, never stored
  #   expect_workspace: acme       # refuse to touch any other workspace
  #   vars: {webhook_host: hooks.example.com}
  #   policy: {allow_archive: false, allow_delete_webhooks: false}
"""

MANIFEST_TEMPLATE = """\
# Declare objects, attributes, lists and webhooks here; every file under manifests/ is merged.
# Run `schemactl validate` to check them; see docs/manifests.md for every key.
objects:
  projects:
    singular_noun: Project
    plural_noun: Projects
    attributes:
      stage:
        type: status
        statuses:
          - Planned
          - {title: Active, target_time_in_status: P14D}
          - {title: Done, celebration_enabled: true}
      budget:
        type: currency
        currency: {default_currency_code: USD, display_type: symbol}
      client:
        type: record-reference
        allowed_objects: [companies]
"""

GITIGNORE_ENTRY = ".schemactl/"


def init_project(directory: Path) -> list[tuple[str, Path]]:
    """Create the project files in `directory`; refuse if a project file already exists.

    Returns what was done to which file: ("created", path) or ("updated", path).
    """
    directory.mkdir(parents=True, exist_ok=True)
    project_file = directory / PROJECT_FILE
    if project_file.exists():
        raise ProjectError(f"{display_path(project_file)} already exists; nothing was changed")
    written: list[tuple[str, Path]] = []
    project_file.write_text(PROJECT_TEMPLATE, encoding="utf-8")
    written.append(("created", project_file))
    manifests = directory / "manifests"
    manifests.mkdir(exist_ok=True)
    if not any(manifests.glob("*.y*ml")):
        main = manifests / "main.yaml"
        main.write_text(MANIFEST_TEMPLATE, encoding="utf-8")
        written.append(("created", main))
    gitignore = directory / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if GITIGNORE_ENTRY not in existing.splitlines():
        separator = "" if not existing or existing.endswith("\n") else "\n"
        comment = "# schemactl's local workspace, saved plans' secrets and history\n"
        gitignore.write_text(f"{existing}{separator}{comment}{GITIGNORE_ENTRY}\n", encoding="utf-8")
        written.append(("updated" if existing else "created", gitignore))
    return written
