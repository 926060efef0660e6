"""`schemactl plan`: show exactly what apply would change, for people and for CI."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from schemactl.address import Address, AddressError
from schemactl.cli.main import EXIT_CHANGES, EXIT_OK, Options
from schemactl.engine import make_plan
from schemactl.errors import SchemactlError
from schemactl.history import write_private
from schemactl.plan.changes import Plan
from schemactl.plan.render_json import render_json
from schemactl.plan.render_markdown import render_markdown
from schemactl.plan.render_text import render_text


def parse_addresses(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]):
    """--target/--exclude values as addresses (or a whole collection: `webhooks`); a malformed
    one is a usage error."""
    try:
        return tuple(
            Address.collection(v) if v in ("objects", "lists", "webhooks") else Address.parse(v)
            for v in values
        )
    except AddressError as exc:
        raise click.BadParameter(str(exc)) from None


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--prune, --target and --exclude: what a plan covers, shared by plan and apply."""
    decorators = [
        click.option(
            "--prune",
            is_flag=True,
            help="Archive attributes, options and statuses the manifests no longer declare.",
        ),
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="ADDR",
            callback=parse_addresses,
            help="Only changes at or under this address, or in a whole collection (objects, "
            "lists, webhooks), and what they need. Repeatable.",
        ),
        click.option(
            "--exclude",
            "excludes",
            multiple=True,
            metavar="ADDR",
            callback=parse_addresses,
            help="Leave out changes at or under this address, or in a whole collection. "
            "Repeatable.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format and --detailed-exitcode: how a plan is shown, shared by plan and diff."""
    command = click.option(
        "--detailed-exitcode",
        is_flag=True,
        help="Exit 2 when there are changes, 0 when there are none, 1 on error.",
    )(command)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json", "markdown"]),
        default="text",
        show_default=True,
        help="What to print.",
    )(command)


def rendered(plan: Plan, output_format: str, *, color: bool) -> str:
    """The plan as --format asks."""
    if output_format == "json":
        return render_json(plan)
    if output_format == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


@click.command("plan")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan as JSON (mode 0600), for `apply PLAN_FILE`.",
)
@output_options
@selection_options
@click.pass_obj
def command(
    options: Options,
    out: Path | None,
    output_format: str,
    detailed_exitcode: bool,
    prune: bool,
    targets: tuple[Address, ...],
    excludes: tuple[Address, ...],
) -> int:
    """Compare the workspace with the manifests and print the changes apply would make.

    Reads only: GET requests, plus one records (or list entries) query per archive, which
    marks archives of what records still hold values of as "in use". Unmanaged items (in the
    workspace, not in the manifests) are listed and left alone unless --prune or the
    environment's policy allows archiving.

    \b
    Examples:
      schemactl plan
      schemactl -e prod plan --detailed-exitcode -o prod.plan.json
      schemactl plan --format markdown > plan.md
      schemactl plan --target objects/projects
    """
    result = make_plan(
        options.directory,
        options.environment,
        workspace=options.workspace,
        prune=prune,
        targets=targets,
        excludes=excludes,
        debug=options.debug,
    )
    plan = result.plan
    plan_json = render_json(plan)
    if out is not None:
        try:
            write_private(out, plan_json)
        except OSError as exc:
            # A path the user chose, not a bug of ours: say which and why, never "internal error".
            raise SchemactlError(
                f"cannot write the plan to {out}: {exc.strerror or exc}"
                + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else "")
            ) from None
    if output_format == "json":
        click.echo(plan_json, nl=False)
    else:
        click.echo(rendered(plan, output_format, color=options.color), nl=False)
        if out is not None and output_format == "text":
            click.echo(f"\nSaved the plan to {out}. Apply it with: {_apply_command(options, out)}")
    if options.debug:
        click.echo(f"{result.requests} API requests to {result.target}", err=True)
    return EXIT_CHANGES if detailed_exitcode and plan.has_changes else EXIT_OK


def _apply_command(options: Options, out: Path) -> str:
    """The command that applies the saved plan, with the global options that chose it."""
    words = ["schemactl"]
    if options.directory != Path("."):
        words += ["-C", str(options.directory)]
    if options.environment:
        words += ["-e", options.environment]
    if options.workspace:
        words += ["--workspace", options.workspace]
    return shlex.join([*words, "apply", str(out)])
