"""`schemactl validate`: render, load and validate the manifests, offline."""

from __future__ import annotations

import click

from schemactl import model as m
from schemactl.cli.main import Options
from schemactl.engine import load_desired


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summarise(workspace: m.Workspace) -> str:
    """`3 objects, 20 attributes, 12 options and statuses, 1 list, 2 webhooks`."""
    kinds = [address.kind for address, _ in workspace.items()]
    return ", ".join(
        [
            _count(kinds.count("object"), "object"),
            _count(kinds.count("attribute"), "attribute"),
            f"{kinds.count('option') + kinds.count('status')} options and statuses",
            _count(kinds.count("list"), "list"),
            _count(kinds.count("webhook"), "webhook"),
        ]
    )


@click.command("validate")
@click.pass_obj
def command(options: Options) -> None:
    """Check the manifests offline: templates, YAML, schema and Attio's rules.

    Every problem is reported at once as FILE:LINE:COL: message (at key.path).
    No network access is made.
    """
    desired = load_desired(options.directory, options.environment)
    files = len(desired.manifests.files)
    verb = "declares" if files == 1 else "declare"
    click.echo(
        f"Valid: {_count(files, 'manifest file')} for environment "
        f"'{desired.environment.name}' {verb} {summarise(desired.manifests.workspace)}."
    )
