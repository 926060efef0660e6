"""`schemactl export`: write the live workspace as manifests, to adopt an existing workspace."""

from __future__ import annotations

from pathlib import Path

import click

from schemactl.cli.main import Options
from schemactl.errors import display_path
from schemactl.export import run_export


@click.command("export")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the manifests to (default: manifests/ in the project).",
)
@click.option("--force", is_flag=True, help="Overwrite manifests that differ from the workspace.")
@click.pass_obj
def command(options: Options, out: Path | None, force: bool) -> None:
    """Write the workspace's data model as manifests: one file per object and list, plus webhooks.

    Only what manifests declare is written: custom objects, custom attributes (also on
    standard objects), lists and webhooks; never secrets, archived items or Attio's system
    attributes. Files whose content already matches are left alone; a file that differs is
    overwritten only with --force, and otherwise nothing at all is written.

    \b
    Examples:
      schemactl export                      into manifests/
      schemactl -e prod export -o prod-snapshot
      schemactl export && schemactl plan    plan is then empty
    """
    result = run_export(
        options.directory,
        options.environment,
        workspace=options.workspace,
        out=out,
        force=force,
        debug=options.debug,
    )
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    counts = result.counts
    what = (
        f"{counts['objects']} object file(s), {counts['lists']} list(s) and "
        f"{counts['webhooks']} webhook(s)"
    )
    if not result.written and not result.unchanged:
        click.echo("The workspace holds nothing a manifest would declare; no files written.")
        return
    click.echo(
        f"Exported {what} to {display_path(result.directory)}: "
        f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged."
    )
    for path in result.written:
        click.echo(f"  wrote {path}")
