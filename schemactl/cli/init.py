"""`schemactl init`: scaffold a project."""

from __future__ import annotations

from pathlib import Path

import click

from schemactl.cli.main import Options
from schemactl.errors import display_path
from schemactl.scaffold import init_project


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def command(options: Options, directory: Path | None) -> None:
    """Scaffold schemactl.yaml, manifests/ and .gitignore entries in DIRECTORY.

    DIRECTORY defaults to -C's directory. An existing schemactl.yaml is never overwritten.
    """
    # Like every command, DIRECTORY is relative to -C's directory.
    target = options.directory / directory if directory is not None else options.directory
    for action, path in init_project(target):
        click.echo(f"{action} {display_path(path)}")
    where = "" if target == Path(".") else f" -C {display_path(target)}"
    click.echo(f"\nNext: edit the manifests, then run `schemactl{where} validate`.")
