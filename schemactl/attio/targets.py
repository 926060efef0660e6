"""Workspace targets (`local`, `local:PATH`, an http(s)://…/v2 URL) opened as AttioClients."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from schemactl.attio.client import AttioClient
from schemactl.attio.errors import AttioError, MissingTokenError
from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.errors import UsageError, display_path, redact, register_secret
from schemactl.project import Environment

DEFAULT_TOKEN_ENV = "ATTIO_API_TOKEN"
# The embedded workspace answers in process; this host name is never looked up.
LOCAL_BASE_URL = "http://local.schemactl/v2"
LOCAL_DB = Path(".schemactl") / "local.db"
_URL_TARGET = re.compile(r"^https?://[^\s/]+(/\S*)?/v2/?$")
_TARGET_HELP = "use local, local:PATH or an http(s)://…/v2 URL"


def token_variable(environment: Environment | None) -> str:
    """The name of the environment variable holding `environment`'s token."""
    if environment is not None and environment.token_env:
        return environment.token_env
    return DEFAULT_TOKEN_ENV


def resolve_token(
    environment: Environment | None, env: Mapping[str, str] = os.environ
) -> str | None:
    """The token from the variable `environment.token_env` names, else from ATTIO_API_TOKEN.

    An environment that names its own variable never falls back to ATTIO_API_TOKEN: a prod
    environment must not quietly run with whatever token the shell holds for dev.
    """
    value = env.get(token_variable(environment), "").strip()
    return value or None


class TargetError(AttioError):
    """A workspace target that cannot be used as written (exit 1, like other project errors)."""


def open_client(
    target: str,
    *,
    project_root: Path,
    token: str | None,
    debug: bool = False,
    token_env: str = DEFAULT_TOKEN_ENV,
) -> AttioClient:
    """A client for `target`; close it (or use `with`) to release the workspace.

    `local` is the embedded workspace in `<project_root>/.schemactl/local.db`; `local:PATH` one
    in PATH (relative to `project_root`); a URL is a real Attio (or an emulator served over
    HTTP) and needs `token`, which comes from the variable `token_env` (named in the error).
    `debug` logs one line per request to stderr (never the token).
    """
    # Whatever may echo it later (a server, an HTTP library's error), the CLI never shows it.
    register_secret(token)
    if debug:
        enable_debug_log()
    if target == "local" or target.startswith("local:"):
        return _open_local(target, project_root)
    if _URL_TARGET.match(target):
        try:
            userinfo = httpx.URL(target).userinfo
        except httpx.InvalidURL as exc:
            raise TargetError(f"invalid workspace URL: {exc}") from None
        if userinfo:
            # Not echoed: the part before "@" is likely a secret.
            raise TargetError(
                f"a workspace URL cannot hold credentials; put the token in ${token_env} instead"
            )
        if not token:
            raise MissingTokenError(target, token_env)
        return AttioClient(target.rstrip("/"), token)
    raise UsageError(f"unknown workspace target '{target}': {_TARGET_HELP}")


def _open_local(target: str, project_root: Path) -> AttioClient:
    _, has_path, raw_path = target.partition(":")
    if has_path and not raw_path:
        raise UsageError(f"'local:' needs a path, e.g. local:state/dev.db ({_TARGET_HELP})")
    if raw_path == ":memory:":  # a throwaway workspace, e.g. for a dry run
        db = ":memory:"
    else:
        if "\x00" in raw_path:
            raise TargetError("a local: workspace path cannot hold a NUL character")
        path = project_root / (raw_path or LOCAL_DB)
        db = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AttioError(
                f"cannot create {display_path(path.parent)} for the local workspace: "
                f"{exc.strerror or exc}"
            ) from None
    try:
        # Never deliver webhooks from here: a plan or apply must not POST to the URLs of the
        # webhooks it manages (they are often real receivers).
        emulator = Emulator(EmulatorConfig(db=db, deliver_webhooks=False))
    except (sqlite3.Error, OSError) as exc:
        shown = db if db == ":memory:" else display_path(db)
        raise AttioError(f"cannot open the local workspace {shown}: {exc}") from None
    # No token (the embedded workspace checks none) and no rate limit: nothing to protect.
    return AttioClient(
        LOCAL_BASE_URL,
        transport=_LocalTransport(app=emulator),
        read_rate=None,
        write_rate=None,
        on_close=emulator.close,
    )


class _LocalTransport(httpx.WSGITransport):
    """The in-process transport, with SQLite trouble (a locked or full database) reported as
    a failed connection, as a server would, instead of escaping as a raw sqlite3 error."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except sqlite3.Error as exc:
            raise httpx.TransportError(f"local workspace database error: {exc}") from exc


_DEBUG_HANDLER_NAME = "schemactl-debug"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is logged: test runners and click's
    CliRunner replace it, and a handler holding the old stream would write to a closed one."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _RedactingFormatter(logging.Formatter):
    """Formats as usual, then hides every registered secret (should a message hold one)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def enable_debug_log() -> None:
    """Send the client's request log (method, path, status, timing, retries) to stderr."""
    logger = logging.getLogger("schemactl.attio")
    logger.setLevel(logging.DEBUG)
    if not any(h.get_name() == _DEBUG_HANDLER_NAME for h in logger.handlers):
        handler = _StderrHandler()
        handler.set_name(_DEBUG_HANDLER_NAME)
        handler.setFormatter(_RedactingFormatter("debug: attio: %(message)s"))
        logger.addHandler(handler)


__all__ = [
    "DEFAULT_TOKEN_ENV",
    "LOCAL_BASE_URL",
    "LOCAL_DB",
    "enable_debug_log",
    "open_client",
    "resolve_token",
    "token_variable",
]
