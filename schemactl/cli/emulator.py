"""`schemactl emulator serve`: a local Attio-compatible workspace over HTTP."""

from __future__ import annotations

from pathlib import Path

import click

from schemactl.emulator import Emulator, EmulatorConfig, Faults, parse_token
from schemactl.emulator.ratelimit import PROFILES
from schemactl.emulator.server import build_server, serve_forever


@click.group("emulator")
def command() -> None:
    """Run the built-in Attio-compatible workspace (the emulator)."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file to keep the workspace in (default: in memory, lost on exit).",
)
@click.option(
    "--rate-limit",
    type=click.Choice(PROFILES),
    default="real",
    show_default=True,
    help="real: 100 reads/s, 25 writes/s; seed: 10 req/s with X-RateLimit-*; off.",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN[:SCOPE,...]",
    help="Accept this bearer token (all scopes, or only those listed). Repeatable. "
    "Without any, requests need no token.",
)
@click.option(
    "--latency",
    type=click.FloatRange(0, 10),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="Add this delay to every Attio request (to measure clients under real latency).",
)
@click.option(
    "--no-optional-objects",
    is_flag=True,
    help="Leave deals, users and workspaces disabled, as a new Attio workspace has them.",
)
@click.option(
    "--no-webhook-delivery",
    is_flag=True,
    help="Keep webhooks but never POST events to their target URLs.",
)
def serve(
    host: str,
    port: int,
    db: Path | None,
    rate_limit: str,
    tokens: tuple[str, ...],
    latency: float,
    no_optional_objects: bool,
    no_webhook_delivery: bool,
) -> None:
    """Serve an emulated workspace until Ctrl-C.

    \b
    Example:
      schemactl emulator serve --port 8787 --db dev.db --token dev-token
      curl -H 'Authorization: Bearer dev-token' http://127.0.0.1:8787/v2/objects
    """
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    config = build_config(
        db=db,
        rate_limit=rate_limit,
        tokens=tokens,
        latency=latency,
        no_optional_objects=no_optional_objects,
        no_webhook_delivery=no_webhook_delivery,
    )
    emulator = Emulator(config)
    try:
        server = build_server(emulator, host, port)
    except OSError as exc:
        emulator.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None

    def announce(url: str) -> None:
        click.echo(f"Emulated Attio workspace at {url}  (Ctrl-C to stop)", err=False)

    try:
        serve_forever(server, announce)  # returns on Ctrl-C or SIGTERM
    finally:
        emulator.close()
    click.echo("Stopped.")


def build_config(
    *,
    db: Path | None,
    rate_limit: str,
    tokens: tuple[str, ...],
    latency: float,
    no_optional_objects: bool,
    no_webhook_delivery: bool,
) -> EmulatorConfig:
    """The served workspace's config; unlike the embedded one, it delivers webhooks."""
    return EmulatorConfig(
        db=str(db) if db else ":memory:",
        tokens=dict(parse_token(t) for t in tokens),
        rate_limit=rate_limit,
        faults=Faults(latency_seconds=latency),
        enable_optional_objects=not no_optional_objects,
        deliver_webhooks=not no_webhook_delivery,
    )
