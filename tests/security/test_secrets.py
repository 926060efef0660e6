"""No API token and no webhook secret ever shows: not in output, files, logs or tracebacks.

Every command that touches a token or a webhook secret runs against an emulator served over
real HTTP that accepts only the suite's canary token (read from the variable the project names
in `token_env`), with and without --debug, on good paths and on error paths: a refused token
(401), a dropped connection, a stale plan, and server errors that quote the token back. Then
nothing the runs printed, logged, raised or wrote may hold the canary, the refused canary, or
any webhook secret the emulator handed out; only the secrets file holds those, and only its
owner may read it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner
from werkzeug.serving import BaseWSGIServer, make_server

from schemactl.attio.client import AttioClient
from schemactl.attio.errors import (
    AttioAuthError,
    AttioError,
    AttioTransportError,
    MissingTokenError,
)
from schemactl.attio.targets import enable_debug_log, open_client
from schemactl.cli.main import cli
from schemactl.emulator import Emulator, EmulatorConfig, Faults
from schemactl.engine import make_plan
from schemactl.errors import REDACTED, redact, register_secret
from schemactl.history import AuditLog
from tests.conftest import (
    SUITE_CANARY_TOKEN,
    SUITE_TOKEN_VARIABLE,
    find_leaks,
    tree_files,
    tree_leaks,
)

REPO = Path(__file__).resolve().parents[2]
# A token the server refuses: it must not show either.
REFUSED_CANARY = "refused-canary-token-4b7d19e2c5"
TOKENS = {"the canary token": SUITE_CANARY_TOKEN, "the refused canary token": REFUSED_CANARY}
TRACEBACK = "Traceback (most recent call last)"
# What the developer's shell may hold and the CLI reads; none of it may steer these runs.
AMBIENT = (
    "ATTIO_API_TOKEN",
    "ATTIO_TOKEN_PROD",
    "NO_COLOR",
    "SCHEMACTL_DEBUG",
    "SCHEMACTL_ENV",
    "SCHEMACTL_WORKSPACE",
)
MANIFEST = """\
objects:
  projects:
    singular_noun: Project
    plural_noun: Projects
    attributes:
      stage: {type: select, options: [Planned, Active]}
webhooks:
  - target_url: https://hooks.example.com/attio/created
    subscriptions: [{event_type: record.created}]
"""
MORE = """\
objects:
  clients:
    singular_noun: Client
    plural_noun: Clients
webhooks:
  - target_url: https://hooks.example.com/attio/updated
    subscriptions: [{event_type: record.updated}]
"""


# --- an emulator over HTTP, behind a gate that can misbehave ---------------------------------


class Gate:
    """A careless proxy before the emulator: when told to, it answers with a 500 quoting the
    request's Authorization header back, in Attio's JSON error shape for webhooks and as an
    HTML page for everything else; writes only, or reads too."""

    def __init__(self, app: Emulator):
        self.app = app
        self.echo_writes = False
        self.echo_reads = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        is_read = method == "GET" or path.endswith("/query")
        if path.startswith("/v2/") and (self.echo_reads if is_read else self.echo_writes):
            quoted = environ.get("HTTP_AUTHORIZATION", "")
            if path == "/v2/webhooks":
                error = {"status_code": 500, "type": "server_error", "code": "internal_error"}
                body = json.dumps(error | {"message": f"upstream refused {quoted}"}).encode()
                kind = "application/json"
            else:
                body = f"<html><body><h1>Proxy error</h1><p>{quoted}</p></body></html>".encode()
                kind = "text/html"
            start_response("500 Internal Server Error", [("Content-Type", kind)])
            return [body]
        return self.app(environ, start_response)


@dataclass
class Served:
    """The emulator, its gate and its URL (ending in /v2)."""

    url: str
    emulator: Emulator
    gate: Gate

    def secrets(self) -> dict[str, str]:
        """Every webhook secret the emulator ever handed out, from its private store."""
        with self.emulator.store.snapshot():
            hooks = self.emulator.store.all("webhook")
        return {f"the secret of webhook {h['target_url']}": h["_secret"] for h in hooks}

    def call(self, method: str, path: str, data: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {SUITE_CANARY_TOKEN}"}
        body = None if data is None else {"data": data}
        response = httpx.request(method, f"{self.url}/{path}", json=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]


def _serve(app: Callable[..., Any]) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return server, thread


@pytest.fixture
def served() -> Iterator[Served]:
    """An emulator on a free loopback port that accepts the suite's canary token only."""
    emulator = Emulator(
        EmulatorConfig(tokens={SUITE_CANARY_TOKEN: None}, rate_limit="off", workspace_slug="acme")
    )
    gate = Gate(emulator)
    try:
        server, thread = _serve(gate)
        try:
            yield Served(f"http://127.0.0.1:{server.port}/v2", emulator, gate)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
    finally:
        emulator.close()


@pytest.fixture
def garbling() -> Iterator[str]:
    """A server that answers every request with a malformed status line quoting the request's
    Authorization header, as a broken proxy might; its URL (ending in /v2)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection, contextlib.suppress(OSError):
                connection.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                quoted = [
                    line for line in request.split(b"\r\n") if line.lower().startswith(b"author")
                ]
                connection.sendall(b"HTTP/1.1 5OO " + b"".join(quoted) + b"\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v2"
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


# --- projects, runs, and what they showed ---------------------------------------------------


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The suite's canary token in its variable, nothing ambient; --debug logging undone after."""
    assert os.environ.get(SUITE_TOKEN_VARIABLE) == SUITE_CANARY_TOKEN
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("schemactl.attio")
    level, handlers = logger.level, list(logger.handlers)
    try:
        yield
    finally:
        logger.setLevel(level)
        for handler in logger.handlers[:]:
            if handler not in handlers:
                logger.removeHandler(handler)


def write_project(root: Path, url: str) -> Path:
    """Environments dev and stage, both at `url`, their token in the suite's variable."""
    (root / "manifests").mkdir(parents=True)
    environment = {"workspace": url, "token_env": SUITE_TOKEN_VARIABLE}
    project = {
        "version": 1,
        "manifests": ["manifests/"],
        "default_environment": "dev",
        "environments": {"dev": environment, "stage": dict(environment)},
    }
    (root / "schemactl.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    (root / "manifests" / "main.yaml").write_text(MANIFEST)
    return root


@pytest.fixture
def project(
    tmp_path: Path,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> Path:
    """A project on the served emulator, as the working directory; schemactl's log captured."""
    caplog.set_level(logging.DEBUG, logger="schemactl")
    root = write_project(tmp_path / "project", served.url)
    monkeypatch.chdir(root)
    return root


@dataclass
class Seen:
    """What the CLI showed, by where it showed it; `debug` puts --debug before every command."""

    debug: bool
    texts: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, expect: int = 0, env: dict[str, str] | None = None) -> Any:
        argv = ["--debug", *args] if self.debug else list(args)
        label = f"`schemactl {' '.join(argv)}` (run {len(self.texts) // 2 + 1})"
        result = CliRunner().invoke(cli, argv, env=env)
        self.texts[f"stdout of {label}"] = result.stdout
        self.texts[f"stderr of {label}"] = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == expect, f"{label} exited {result.exit_code}: {result.stderr}"
        return result


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every record of the schemactl loggers: formatted, and its raw arguments."""
    raw = [f"{r.name} {r.msg!r} {r.args!r}" for r in caplog.records]
    return caplog.text + "\n".join(raw)


def assert_nothing_shows(
    seen: Seen, caplog: pytest.LogCaptureFixture, root: Path, secrets: dict[str, str]
) -> None:
    """No token and no webhook secret in output, log records, or any file under `root`; the
    secrets file (which must hold the secrets) may hold no token, and its owner alone reads it."""
    secrets_file = root / ".schemactl" / "secrets.json"
    files = tree_files(root)
    sources: dict[str, str | bytes] = {**seen.texts, "the schemactl log records": log_text(caplog)}
    sources |= {f"file {p.relative_to(root)}": d for p, d in files.items() if p != secrets_file}
    leaks = find_leaks(sources, TOKENS | secrets)
    if secrets_file in files:
        leaks += find_leaks({"the secrets file": files[secrets_file]}, TOKENS)
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert not leaks, "shown where it must never be: " + "; ".join(leaks)


# --- every command, good paths --------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_commands_show_no_token_and_no_webhook_secret(
    project: Path, served: Served, caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    seen = Seen(debug)
    seen.run("validate")
    listed = seen.run("environments")
    assert f"token from ${SUITE_TOKEN_VARIABLE}" in listed.stdout
    for output_format in ("text", "json", "markdown"):
        seen.run("plan", "--format", output_format)
    seen.run("plan", "-o", "plans/first.json")
    applied = seen.run("apply", "--auto-approve")
    assert "New webhook secrets were saved" in applied.stdout
    (project / "manifests" / "more.yaml").write_text(MORE)
    seen.run("plan", "--detailed-exitcode", "-o", "plans/second.json", expect=2)
    seen.run("apply", "plans/second.json")
    seen.run("plan", "--detailed-exitcode")
    seen.run("export", "-o", "exported")
    seen.run("diff", "--from", "dev", "--to", "stage", "--format", "markdown")

    secrets = served.secrets()
    assert len(secrets) == 2
    saved = json.loads((project / ".schemactl" / "secrets.json").read_text())
    assert sorted(entry["secret"] for entry in saved.values()) == sorted(secrets.values())
    written = {str(p.relative_to(project)) for p in tree_files(project)}
    assert {"plans/first.json", "plans/second.json", "exported/webhooks.yaml"} <= written
    assert sum(name.startswith(".schemactl/history/") for name in written) == 2
    assert caplog.records, "the request log was not captured, so it was not checked"
    if debug:
        assert any("debug: attio: GET /v2/self -> 200" in t for t in seen.texts.values())
    assert_nothing_shows(seen, caplog, project, secrets)


# --- every command, error paths -------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_error_paths_show_no_token_and_no_webhook_secret(
    project: Path, served: Served, caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    seen = Seen(debug)
    peek = project / "manifests" / "peek.yaml"
    peek.write_text(
        "objects:\n  peeks:\n    singular_noun: Peek\n"
        f"    plural_noun: \"{{{{ getenv('{SUITE_TOKEN_VARIABLE}') }}}}\"\n"
    )
    refused_read = seen.run("validate", expect=1)
    assert f"getenv() cannot read {SUITE_TOKEN_VARIABLE}" in refused_read.stderr
    peek.unlink()

    refused = {SUITE_TOKEN_VARIABLE: REFUSED_CANARY}
    for command in (
        ("plan",),
        ("apply", "--auto-approve"),
        ("export", "-o", "exported"),
        ("diff", "--from", "dev", "--to", "stage"),
    ):
        run = seen.run(*command, env=refused, expect=1)
        assert "Attio API error 401" in run.stderr
        assert (TRACEBACK in run.stderr) is debug

    # The workspace moves on between plan and apply.
    seen.run("plan", "-o", "stale.json")
    served.call(
        "POST", "objects", {"api_slug": "projects", "singular_noun": "P", "plural_noun": "Ps"}
    )
    stale = seen.run("apply", "stale.json", expect=1)
    assert "the saved plan is stale" in stale.stderr
    assert (TRACEBACK in stale.stderr) is debug

    # Every write is made, then the connection drops before its reply: a secret is lost.
    served.emulator.config.faults = Faults(drop_after_commit=1.0)
    dropped = seen.run("apply", "--auto-approve")
    served.emulator.config.faults = Faults()
    assert "its secret was only in that reply and was not saved" in dropped.stdout

    # Server errors that quote the token back: on writes (each change fails), then on reads.
    (project / "manifests" / "more.yaml").write_text(MORE)
    served.gate.echo_writes = True
    echoed = seen.run("apply", "--auto-approve", expect=1)
    assert echoed.stderr.count(f"Bearer {REDACTED}") == 2
    if debug:  # reads are retried first: once is enough, where a traceback shows
        served.gate.echo_reads = True
        failed = seen.run("plan", expect=1)
        assert "Attio API error 500" in failed.stderr and TRACEBACK in failed.stderr
    served.gate.echo_writes = served.gate.echo_reads = False

    secrets = served.secrets()
    assert len(secrets) == 1
    assert not (project / ".schemactl" / "secrets.json").exists()
    assert caplog.records, "the request log was not captured, so it was not checked"
    assert_nothing_shows(seen, caplog, project, secrets)


def test_debug_output_hides_a_token_a_garbled_reply_quoted(
    tmp_path: Path, garbling: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The HTTP library's error quotes the broken reply, token and all, and rides along as the
    cause of ours: --debug prints it, but never the token."""
    caplog.set_level(logging.DEBUG, logger="schemactl")
    root = write_project(tmp_path / "garbled", garbling)
    seen = Seen(debug=True)
    failed = seen.run("-C", str(root), "plan", expect=1)
    assert "RemoteProtocolError: illegal status line" in failed.stderr
    assert f"Bearer {REDACTED}" in failed.stderr and TRACEBACK in failed.stderr
    assert_nothing_shows(seen, caplog, root, {})


# --- `schemactl emulator serve` ----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_emulator_serve_shows_no_token_and_no_webhook_secret(tmp_path: Path, debug: bool) -> None:
    command = [sys.executable, "-m", "schemactl", *(["--debug"] if debug else [])]
    command += ["emulator", "serve", "--port", "0", "--rate-limit", "off"]
    command += ["--no-webhook-delivery", "--token", SUITE_CANARY_TOKEN]
    environment = {k: v for k, v in os.environ.items() if k not in AMBIENT}
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=environment | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    secret = ""
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = banner.partition(" at ")[2].split()[0]
        bearer = {"Authorization": f"Bearer {SUITE_CANARY_TOKEN}"}
        assert httpx.get(f"{url}/self", headers=bearer, timeout=10).status_code == 200
        stranger = {"Authorization": f"Bearer {REFUSED_CANARY}"}
        assert httpx.get(f"{url}/objects", headers=stranger, timeout=10).status_code == 401
        hook = {"target_url": "https://hooks.example.com/attio", "subscriptions": []}
        created = httpx.post(f"{url}/webhooks", json={"data": hook}, headers=bearer, timeout=10)
        secret = created.json()["data"]["secret"]
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert "Stopped." in stdout
    assert "POST /v2/webhooks" in stderr  # the request log, which is checked too
    shown = {"stdout of emulator serve": banner + stdout, "stderr of emulator serve": stderr}
    leaks = find_leaks(shown, TOKENS | {"the webhook's secret": secret})
    assert not leaks, "shown where it must never be: " + "; ".join(leaks)


# --- objects and errors, as Python callers see them --------------------------------------------


def described(label: str, error: BaseException) -> dict[str, str]:
    return {
        f"str of {label}": str(error),
        f"repr of {label}": repr(error),
        f"traceback of {label}": "".join(traceback.format_exception(error)),
    }


def test_clients_errors_and_tracebacks_hide_the_token(
    project: Path, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_client(served.url, project_root=project, token=SUITE_CANARY_TOKEN) as client:
        assert client.get("self")["workspace_slug"] == "acme"
        shown = {"repr of a client": repr(client), "str of a client": str(client)}
        served.emulator.config.faults = Faults(drop_after_commit=1.0)
        hook = {"target_url": "https://hooks.example.com/lost", "subscriptions": []}
        with pytest.raises(AttioTransportError) as lost:
            client.post("webhooks", hook)
        served.emulator.config.faults = Faults()
    shown |= described("a lost reply's error", lost.value)
    with (
        open_client(served.url, project_root=project, token=REFUSED_CANARY) as stranger,
        pytest.raises(AttioAuthError) as refused,
    ):
        stranger.get("objects")
    shown |= described("a refused token's error", refused.value)
    closed = socket.create_server(("127.0.0.1", 0))
    nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/v2"
    closed.close()
    with (
        AttioClient(nowhere, SUITE_CANARY_TOKEN, max_read_retries=0) as client,
        pytest.raises(AttioTransportError) as unreachable,
    ):
        client.get("self")
    shown |= described("an unreachable server's error", unreachable.value)
    shown |= described("a missing token's error", MissingTokenError(served.url, "X"))
    monkeypatch.setenv(SUITE_TOKEN_VARIABLE, REFUSED_CANARY)
    with pytest.raises(AttioAuthError) as planned:
        make_plan(project)
    shown |= described("make_plan's error", planned.value)

    secrets = served.secrets()
    assert len(secrets) == 1  # the lost reply's webhook was made: its secret exists
    leaks = find_leaks(shown, TOKENS | secrets)
    assert not leaks, "shown where it must never be: " + "; ".join(leaks)


def _proxy_page(_environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A proxy's HTML error page quoting the token where the client cuts its excerpt."""
    page = "p" * 182 + f" Bearer {SUITE_CANARY_TOKEN} </p>"
    start_response("502 Bad Gateway", [("Content-Type", "text/html")])
    return [page.encode()]


def test_an_error_excerpt_cut_inside_the_token_shows_none_of_it() -> None:
    """The excerpt of a proxy's page ends inside the quoted token: the token goes first."""
    transport = httpx.WSGITransport(app=_proxy_page)
    client = AttioClient(
        "https://attio.test/v2", SUITE_CANARY_TOKEN, transport=transport, max_read_retries=0
    )
    with client, pytest.raises(AttioError) as caught:
        client.get("self")
    assert "Bad Gateway" in str(caught.value)
    assert SUITE_CANARY_TOKEN[:10] not in str(caught.value)


# --- leaks that were found, and stay fixed ---------------------------------------------------


def test_the_exception_chain_hides_a_token_a_garbled_reply_quoted(garbling: str) -> None:
    with AttioClient(garbling, SUITE_CANARY_TOKEN, max_read_retries=0) as client:
        try:
            client.get("self")
        except AttioTransportError:
            shown = {"traceback.format_exc()": traceback.format_exc()}
    assert "illegal status line" in shown["traceback.format_exc()"]
    leaks = find_leaks(shown, TOKENS)
    assert not leaks, "shown where it must never be: " + "; ".join(leaks)


def test_environments_hides_a_token_pasted_into_a_workspace_url(tmp_path: Path) -> None:
    root = write_project(tmp_path / "pasted", f"https://me:{SUITE_CANARY_TOKEN}@api.attio.com/v2")
    try:
        listed = Seen(debug=False).run("-C", str(root), "environments")
    finally:
        shutil.rmtree(root)  # the suite's own check would find the pasted token in it
    assert "api.attio.com/v2" in listed.stdout
    leaks = find_leaks({"stdout of environments": listed.stdout}, TOKENS)
    assert not leaks, "shown where it must never be: " + "; ".join(leaks)


# --- what hides a secret that slipped through -----------------------------------------------


def test_the_debug_log_hides_registered_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    echoed = "echoed-" + os.urandom(8).hex()
    register_secret(echoed)
    enable_debug_log()
    logging.getLogger("schemactl.attio").debug("GET /v2/self -> %s", f"Bearer {echoed}")
    shown = capsys.readouterr().err
    assert f"debug: attio: GET /v2/self -> Bearer {REDACTED}" in shown
    assert echoed not in shown


def test_the_audit_log_hides_registered_secrets(tmp_path: Path) -> None:
    echoed = "echoed-" + os.urandom(8).hex()
    register_secret(echoed)
    audit = AuditLog(tmp_path, environment="dev", workspace={"slug": "acme"})
    audit.write({"event": "change", "message": f"Attio said: Bearer {echoed} is revoked"})
    records = [json.loads(line) for line in audit.path.read_text().splitlines()]
    assert records[-1]["message"] == f"Attio said: Bearer {REDACTED} is revoked"


def test_short_values_are_not_hidden() -> None:
    """A few characters would be hidden everywhere they occur, garbling every message."""
    register_secret("abc")
    assert redact("abc and abcdef") == "abc and abcdef"


# --- the checks themselves can fail ---------------------------------------------------------


def test_the_scanner_finds_planted_secrets(tmp_path: Path) -> None:
    planted_token = "planted-token-" + os.urandom(8).hex()
    planted_secret = os.urandom(32).hex()
    root = tmp_path / "planted"
    history = root / ".schemactl" / "history"
    history.mkdir(parents=True)
    try:
        (root / ".schemactl" / "secrets.json").write_text(
            json.dumps(
                {
                    "webhooks/https://h.example.com": {
                        "webhook_id": "c9f1",
                        "target_url": "https://h.example.com",
                        "secret": planted_secret,
                        "captured_at": "2025-01-01T00:00:00Z",
                    }
                }
            )
        )
        (root / ".schemactl" / "local.db").write_bytes(
            b"SQLite format 3\x00" + planted_secret.encode()
        )
        (history / "run.jsonl").write_text(json.dumps({"message": planted_token}))
        (root / "plan.json").write_text(json.dumps({"after": {"secret": planted_secret}}))
        (root / "clean.yaml").write_text("objects: {}\n")
        leaks = tree_leaks(root, {"the planted token": planted_token})
        assert sorted(leaks) == sorted(
            [
                "the planted token in .schemactl/history/run.jsonl",
                "webhook secret saved in .schemactl/secrets.json in plan.json",
            ]
        )
    finally:
        shutil.rmtree(root)  # or the suite's own check finds them too
    try:
        raise RuntimeError(f"refused {planted_token}")
    except RuntimeError:
        raised = traceback.format_exc()
    needles = {"the planted token": planted_token}
    assert find_leaks({"a traceback": raised, "a log": "nothing"}, needles) == [
        "the planted token in a traceback"
    ]


INNER_TESTS = f"""
import logging
import os

TOKEN = os.environ["{SUITE_TOKEN_VARIABLE}"]


def test_prints_it():
    print("sending", TOKEN)


def test_logs_it():
    logging.getLogger("schemactl.attio").warning("sending %s", TOKEN)


def test_writes_it(tmp_path):
    (tmp_path / "audit.jsonl").write_text(TOKEN)


def test_shows_nothing():
    print("nothing to see")
"""


def test_the_suite_check_fails_tests_that_show_a_canary(tmp_path: Path) -> None:
    """The root conftest, as a plugin of a small session: it must fail what shows its token."""
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    environment = dict(os.environ, COLUMNS="1000")  # summary lines whole
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), environment.get("PYTHONPATH")) if p
    )
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["-rA", "-q", "--basetemp", str(inner / "tmp"), "test_inner.py"]
    try:
        completed = subprocess.run(
            command, cwd=inner, env=environment, capture_output=True, text=True, timeout=60
        )
    finally:
        shutil.rmtree(inner / "tmp", ignore_errors=True)  # it holds the token
    summary = [line for line in completed.stdout.splitlines() if " test_inner.py::" in line]
    expected = {
        "FAILED test_inner.py::test_prints_it": "in Captured stdout call",
        "FAILED test_inner.py::test_logs_it": "in Captured log call",
        "PASSED test_inner.py::test_writes_it": "",
        "ERROR test_inner.py::test_shows_nothing": "test_writes_it0/audit.jsonl",
    }
    for start, detail in expected.items():
        assert any(line.startswith(start) and detail in line for line in summary), summary
    assert completed.returncode == 1
    assert "tests.conftest.SUITE_CANARY_TOKEN in" in completed.stdout
