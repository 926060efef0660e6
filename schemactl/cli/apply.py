"""`schemactl apply`: make the planned changes, safely, and report how each one ended."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from schemactl.address import Address
from schemactl.apply import ExecutionReport, Executor, Outcome
from schemactl.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, Options
from schemactl.cli.plan import selection_options
from schemactl.engine import ApplySession, check_data_loss, prepare_apply, prepare_saved
from schemactl.errors import SchemactlError, UsageError
from schemactl.history import AuditLog, SecretStore
from schemactl.plan.in_use import unsafe_archives
from schemactl.plan.render_json import load_plan
from schemactl.plan.render_text import SYMBOLS, render_text, summary_line


class ApplyRefused(SchemactlError):
    """Apply needs a confirmation it could not get."""


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@selection_options
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="How many independent changes run at once (within Attio's write budget).",
)
@click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Archive attributes, options and statuses even when records or list entries hold "
    "values of them, or when that could not be checked.",
)
@click.option(
    "--secrets-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where new webhooks' secrets are saved (mode 0600) "
    "[default: .schemactl/secrets.json in the project].",
)
@click.pass_obj
def command(
    options: Options,
    plan_file: Path | None,
    auto_approve: bool,
    prune: bool,
    parallelism: int,
    targets: tuple[Address, ...],
    excludes: tuple[Address, ...],
    allow_data_loss: bool,
    secrets_out: Path | None,
) -> int:
    """Make the changes a plan shows, in dependency order, under Attio's rate limits.

    Without PLAN_FILE, apply plans afresh, shows the plan and asks for `yes`. With PLAN_FILE
    (from `plan -o`), it first checks that nothing the plan touches has changed since, and
    refuses with zero writes if anything did.

    Before archiving an attribute, option or status, apply checks whether records (or list
    entries) still hold values of it, and refuses with zero writes if any do, or if that could
    not be checked, unless --allow-data-loss is given or the environment's policy sets
    allow_archive_in_use: true.

    \b
    Examples:
      schemactl apply
      schemactl -e prod plan -o prod.plan && schemactl -e prod apply prod.plan
      schemactl apply --auto-approve --prune
      schemactl apply --prune --allow-data-loss
    """
    if plan_file is not None and (targets or excludes or prune):
        raise UsageError("--target, --exclude and --prune belong to the plan; not with PLAN_FILE")
    if plan_file is not None:
        try:
            text = plan_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {plan_file}: {exc.strerror}") from None
        session = prepare_saved(
            load_plan(text),
            options.directory,
            options.environment,
            workspace=options.workspace,
            debug=options.debug,
        )
    else:
        session = prepare_apply(
            options.directory,
            options.environment,
            workspace=options.workspace,
            prune=prune,
            targets=targets,
            excludes=excludes,
            debug=options.debug,
        )
    try:
        return _apply(
            session, options, plan_file, auto_approve, parallelism, allow_data_loss, secrets_out
        )
    finally:
        session.close()


def _apply(
    session: ApplySession,
    options: Options,
    plan_file: Path | None,
    auto_approve: bool,
    parallelism: int,
    allow_data_loss: bool,
    secrets_out: Path | None,
) -> int:
    plan = session.plan
    if plan_file is None:
        click.echo(render_text(plan, color=options.color), nl=False)
    if not plan.has_changes:
        if plan_file is not None:
            click.echo(summary_line(plan))
        return EXIT_OK
    allowed_by = check_data_loss(session, allow_data_loss)
    unsafe = [str(c.address) for c in unsafe_archives(plan)]
    if allowed_by:
        click.echo(
            f"Archiving what is or may be in use, as {allowed_by} allows: {', '.join(unsafe)}"
        )
    root = session.desired.project.root
    secrets = SecretStore(secrets_out or root / ".schemactl" / "secrets.json")
    if any(c.address.kind == "webhook" and c.action == "create" for c in plan.changes):
        secrets.check()
    if plan_file is None and not auto_approve:
        _confirm()
    audit = AuditLog(
        root / ".schemactl" / "history",
        environment=plan.environment,
        workspace=dict(plan.workspace),
    )
    audit.write(
        {
            "event": "plan",
            "summary": plan.summary,
            "target": session.target,
            "archives_in_use": unsafe,
            "allowed_by": allowed_by,
        }
    )
    # A terminal gets the rewritten status line whatever the colour settings: --no-color and
    # NO_COLOR are about colour, and logs (no terminal) get one plain line per change.
    progress = _Progress(len(plan.changes), live=bool(getattr(sys.stdout, "isatty", bool)()))

    def finished(outcome: Outcome) -> None:
        audit.write(
            {
                "event": "change",
                "address": str(outcome.change.address),
                "action": outcome.change.action,
                "in_use": outcome.change.in_use,
                "status": outcome.status,
                "message": outcome.message,
                "seconds": round(outcome.seconds, 3),
            }
        )
        progress.show(outcome)

    stop = threading.Event()
    executor = Executor(
        session.client,
        plan,
        session.ids,
        parallelism=parallelism,
        on_outcome=finished,
        on_secret=secrets.save,
        stop=stop,
    )
    with _stop_on_interrupt(stop):
        report = executor.run()
    progress.close()
    audit.write({"event": "end", "counts": _counts(report), "interrupted": report.interrupted})
    click.echo(_closing_line(report))
    if secrets.saved:
        click.echo(f"New webhook secrets were saved to {secrets.path} (mode 0600).")
    # Exit 1 comes with its reasons on stderr, one line per failed change; the changes skipped
    # because of a failure are consequences, not errors of their own.
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(f"{outcome.change.address}: {outcome.message}", err=True)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ERROR if report.failed else EXIT_OK


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise ApplyRefused(
            "apply needs confirmation, and there is no terminal to ask on: run it with "
            "--auto-approve, or save a plan with `schemactl plan -o FILE` and apply that file"
        )
    click.echo("\nDo you want to perform these actions? Only 'yes' will be accepted.")
    # Not click.prompt: it turns end of input into Abort, as it does Ctrl-C. End of input
    # (Ctrl-D) is an answer that is not `yes`; Ctrl-C still interrupts (exit 130).
    try:
        answer = input("  Enter a value: ")
    except EOFError:
        click.echo("")
        answer = ""
    if answer.strip() != "yes":
        raise ApplyRefused("Apply cancelled; nothing was changed.")


@contextmanager
def _stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C: stop scheduling and let requests in flight finish. Second: give up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("\nInterrupted: finishing the requests in flight, then stopping.", err=True)

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Progress:
    """On a terminal, one status line; elsewhere (CI), one plain line per finished change."""

    def __init__(self, total: int, *, live: bool):
        self.total = total
        self.live = live
        self.counts = {"done": 0, "failed": 0, "skipped": 0}

    def show(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        change = outcome.change
        line = f"{outcome.status:<8}{SYMBOLS[change.action]} {change.address}"
        if outcome.message:
            line += f": {outcome.message}"
        if not self.live:
            click.echo(line)
            return
        if outcome.status != "done":
            click.echo("\r\x1b[2K" + line)
        finished = sum(self.counts.values())
        click.echo(
            f"\r\x1b[2KApplying: {finished}/{self.total} — {self.counts['done']} done, "
            f"{self.counts['failed']} failed, {self.counts['skipped']} skipped",
            nl=False,
        )

    def close(self) -> None:
        if self.live:
            click.echo("")


def _counts(report: ExecutionReport) -> dict[str, int]:
    return {s: report.count(s) for s in ("done", "failed", "skipped")}


def _closing_line(report: ExecutionReport) -> str:
    counts = _counts(report)
    verb = "interrupted" if report.interrupted else "complete"
    return (
        f"Apply {verb}: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['skipped']} skipped."
    )
