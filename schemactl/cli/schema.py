"""`schemactl schema`: print the JSON Schema of manifests (or of the project file)."""

from __future__ import annotations

import json

import click

from schemactl.manifest.schema import manifest_schema
from schemactl.project import project_schema


@click.command("schema")
@click.option(
    "--project-file",
    is_flag=True,
    help="Print the schema of schemactl.yaml instead of the manifests'.",
)
def command(project_file: bool) -> None:
    """Print the manifests' JSON Schema, for editors (yaml-language-server).

    \b
    Example:
      schemactl schema > manifest.schema.json
      # then, at the top of a manifest:
      # yaml-language-server: $schema=../manifest.schema.json
    """
    schema = project_schema() if project_file else manifest_schema()
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))
