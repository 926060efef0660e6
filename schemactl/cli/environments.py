"""`schemactl environments`: list the project's environments and their targets."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import click

from schemactl.cli.main import Options
from schemactl.errors import SchemactlError
from schemactl.project import load_project


@click.command("environments")
@click.pass_obj
def command(options: Options) -> None:
    """List environments with their workspace targets (never tokens)."""
    project = load_project(options.directory)
    try:
        default = project.environment(None).name
    except SchemactlError:  # several environments and no default: none is marked
        default = None
    rows = []
    for name, env in project.environments.items():
        marker = "*" if name == default else " "
        token = f"token from ${env.token_env}" if env.token_env else ""
        expect = f"expects workspace '{env.expect_workspace}'" if env.expect_workspace else ""
        rows.append(
            (
                f"{marker} {name}",
                shown_target(env.workspace),
                ", ".join(p for p in (token, expect) if p),
            )
        )
    width_name = max(len(r[0]) for r in rows)
    width_target = max(len(r[1]) for r in rows)
    for name, target, notes in rows:
        click.echo(f"{name:<{width_name}}  {target:<{width_target}}  {notes}".rstrip())


def shown_target(target: str) -> str:
    """A workspace target fit to print: credentials pasted into a URL are masked."""
    parts = urlsplit(target)
    if not parts.scheme.startswith("http") or "@" not in parts.netloc:
        return target
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))
