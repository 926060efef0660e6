"""`schemactl diff`: compare two environments' workspaces, as a plan for the second one."""

from __future__ import annotations

import click

from schemactl.address import Address
from schemactl.cli.main import EXIT_CHANGES, EXIT_OK, Options
from schemactl.cli.plan import output_options, rendered, selection_options
from schemactl.diff import make_diff


@click.command("diff")
@click.option("--from", "source", required=True, metavar="ENV", help="The environment to copy.")
@click.option("--to", "destination", required=True, metavar="ENV", help="The one to compare.")
@output_options
@selection_options
@click.pass_obj
def command(
    options: Options,
    source: str,
    destination: str,
    output_format: str,
    detailed_exitcode: bool,
    prune: bool,
    targets: tuple[Address, ...],
    excludes: tuple[Address, ...],
) -> int:
    """Show what applying --from's live data model to --to's workspace would change.

    Both workspaces are only read. The source is taken as `schemactl export` would write it,
    so the result is the plan that exporting --from and applying to --to would make.

    \b
    Examples:
      schemactl diff --from dev --to prod
      schemactl diff --from staging --to prod --format markdown > drift.md
      schemactl diff --from dev --to prod --detailed-exitcode
    """
    result = make_diff(
        options.directory,
        source,
        destination,
        prune=prune,
        targets=targets,
        excludes=excludes,
        debug=options.debug,
    )
    plan = result.plan
    if output_format == "text":
        click.echo(
            f"Comparing {source} ({result.source}) with {destination} ({result.destination})"
        )
        click.echo(f"What applying {source}'s data model to {destination} would change:\n")
    click.echo(rendered(plan, output_format, color=options.color), nl=False)
    if options.debug:
        click.echo(f"{result.requests} API requests", err=True)
    return EXIT_CHANGES if detailed_exitcode and plan.has_changes else EXIT_OK
