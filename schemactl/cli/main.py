"""The `schemactl` command group: global options, exit codes, and error printing."""

from __future__ import annotations

import importlib
import os
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from schemactl import __version__
from schemactl.errors import SchemactlError, redact
from schemactl.project import WORKSPACE_PATTERN

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130

_WORKSPACE_TARGET = re.compile(WORKSPACE_PATTERN)


@dataclass(frozen=True)
class Options:
    """The global options, handed to every command through click's context."""

    directory: Path
    environment: str | None
    workspace: str | None
    color: bool
    debug: bool


def color_enabled(no_color_flag: bool, stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set or --no-color was given."""
    stream = stream or sys.stdout
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


# Each command lives in its own module, imported only when it runs (or help lists it): a
# command module may then import this one without a cycle, and startup stays quick.
COMMAND_MODULES = {
    name: f"schemactl.cli.{module}"
    for name, module in (
        ("init", "init"),
        ("validate", "validate"),
        ("plan", "plan"),
        ("apply", "apply"),
        ("diff", "diff"),
        ("export", "export"),
        ("schema", "schema"),
        ("environments", "environments"),
        ("emulator", "emulator"),
    )
}


class SchemactlGroup(click.Group):
    """A click group that maps every outcome to schemactl's documented exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is None:
            return super().get_command(ctx, cmd_name)
        return importlib.import_module(module).command

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("SCHEMACTL_DEBUG", "").lower() not in (
            "",
            "0",
            "false",
            "no",
        )
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except click.exceptions.UsageError as exc:
            exc.show()
            code = EXIT_USAGE
        except click.exceptions.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        except SchemactlError as exc:
            if debug:
                _print_traceback()
            for line in exc.lines():
                click.echo(redact(line), err=True)
            code = exc.exit_code
        except Exception as exc:  # a bug of ours: say so plainly, details only with --debug
            if debug:
                _print_traceback()
            else:
                click.echo(
                    f"Error: internal error ({type(exc).__name__}); "
                    "run again with --debug for details",
                    err=True,
                )
            code = EXIT_ERROR
        if standalone_mode:
            sys.exit(code)
        return code


def _print_traceback() -> None:
    """The exception being handled, as `--debug` shows it, with every registered secret hidden:
    a chained cause (an HTTP library's error) may quote what a server sent back, token and all."""
    click.echo(redact(traceback.format_exc()), err=True, nl=False)


def _check_workspace(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is not None and not _WORKSPACE_TARGET.match(value):
        raise click.BadParameter("use local, local:PATH, or an http(s)://…/v2 URL")
    if value is not None and "@" in value.partition("://")[2].partition("/")[0]:
        # Not echoed: the part before "@" is likely a secret.
        raise click.BadParameter("a workspace URL cannot hold credentials; use a token variable")
    return value


EPILOG = """\b
Examples:
  schemactl init my-workspace          scaffold a project
  schemactl validate                   check the manifests offline
  schemactl -C examples/startup-crm validate
  schemactl -e prod validate           render for the prod environment
  schemactl schema > manifest.schema.json   for yaml-language-server

Exit codes: 0 ok, 1 error, 2 changes present (plan --detailed-exitcode),
64 usage error, 130 interrupted.
"""


@click.group(cls=SchemactlGroup, epilog=EPILOG, context_settings={"max_content_width": 100})
@click.option(
    "-C",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Run as if started in DIR (the project's root).",
)
@click.option(
    "-e",
    "--env",
    "environment",
    envvar="SCHEMACTL_ENV",
    metavar="ENV",
    help="Environment from schemactl.yaml (default: its default_environment).",
)
@click.option(
    "--workspace",
    envvar="SCHEMACTL_WORKSPACE",
    metavar="TARGET",
    callback=_check_workspace,
    help="Override the environment's workspace: local, local:PATH or an http(s)://…/v2 URL.",
)
@click.option("--no-color", is_flag=True, help="Never colour output (NO_COLOR is honoured too).")
@click.option("--debug", is_flag=True, help="Show tracebacks and request details.")
@click.version_option(__version__, prog_name="schemactl")
@click.pass_context
def cli(
    ctx: click.Context,
    directory: Path,
    environment: str | None,
    workspace: str | None,
    no_color: bool,
    debug: bool,
) -> None:
    """Keep an Attio workspace's data model in git: validate, plan and apply it."""
    ctx.obj = Options(
        directory=directory,
        environment=environment,
        workspace=workspace,
        color=color_enabled(no_color),
        debug=debug,
    )


def run() -> None:
    """Console-script entry point."""
    cli.main(prog_name="schemactl")
