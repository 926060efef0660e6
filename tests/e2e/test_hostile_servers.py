"""The CLI against hostile servers: exit 1, one clear line, bounded time, nothing half-written.

`plan` and `apply` run in process against a `--workspace` URL on loopback where a raw-socket
server misbehaves (stalls, resets, cuts replies short, answers HTML, trickles, redirects).
Then `apply` runs through a raw-socket proxy in front of a real served emulator that forwards
every request but corrupts some replies byte by byte: each run must end with nothing written
twice, and a re-run (once the proxy behaves) must converge to an empty plan.

Nothing of schemactl is mocked: the client the CLI opens is the real one, given short
timeouts through its own parameters, and no waits between retries.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemactl.attio import targets
from schemactl.attio.client import AttioClient
from schemactl.emulator import Emulator, EmulatorConfig
from tests.attio.test_hostile_servers import (
    BAD_GATEWAY_PAGE,
    Behaviour,
    Conn,
    HostileServer,
    Request,
    answering,
    reply,
    sized,
    stall_before_headers,
    trickle_body,
)
from tests.e2e.conftest import CANARY_TOKEN, Run, ServedEmulator, copy_example, schemactl

TOKEN_ENV = {"ATTIO_API_TOKEN": CANARY_TOKEN}
TIMEOUT = 0.3
ATTEMPT_TIMEOUT = 0.6
READ_RETRIES = 2
NO_CHANGES = "No changes. The workspace matches the manifests."


@pytest.fixture
def client_settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The options of every client the CLI opens (a test may change them): short timeouts,
    few retries, no waits between them, no client-side rate limit."""
    settings: dict[str, Any] = {
        "timeout": TIMEOUT,
        "attempt_timeout": ATTEMPT_TIMEOUT,
        "max_read_retries": READ_RETRIES,
        "read_rate": None,
        "write_rate": None,
        "sleep": lambda _seconds: None,
    }

    def client(base: str, token: str | None = None, **options: Any) -> AttioClient:
        return AttioClient(base, token, **(settings | options))

    monkeypatch.setattr(targets, "AttioClient", client)
    return settings


@pytest.fixture
def hostile(client_settings) -> Iterator[Callable[[Behaviour], HostileServer]]:
    servers: list[HostileServer] = []

    def start(behaviour: Behaviour) -> HostileServer:
        servers.append(HostileServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def cli(project: Path, workspace: str, *args: str) -> Run:
    """`schemactl -C PROJECT --workspace URL ARGS`, with the token in ATTIO_API_TOKEN."""
    return schemactl("-C", project, "--workspace", workspace, *args, env=TOKEN_ENV)


def timed(project: Path, workspace: str, *args: str) -> tuple[Run, float]:
    started = time.monotonic()
    run = cli(project, workspace, *args)  # also asserts: no traceback
    return run, time.monotonic() - started


def assert_failed_with(run: Run, message: str) -> None:
    """Exit 1 with `message` as the last line on stderr, and the token nowhere."""
    assert run.exit_code == 1, run.stdout + run.stderr
    assert run.stderr.splitlines()[-1] == message, run.stderr
    assert CANARY_TOKEN not in run.stdout + run.stderr


# --- plan and apply against a server that is not Attio ----------------------------------------


def redirect_elsewhere(conn: Conn) -> None:
    conn.request()
    conn.send(reply("302 Found", headers={"Location": "http://localhost:9/v2/self"}))


HOSTILE = {
    "stalls": (
        stall_before_headers,
        "could not reach Attio on GET /v2/self: ReadTimeout: timed out: nothing received for "
        f"{TIMEOUT} s (after 3 attempts)",
    ),
    "trickles": (
        trickle_body,
        "could not reach Attio on GET /v2/self: ReadTimeout: timed out: no complete reply "
        f"within {ATTEMPT_TIMEOUT} s (after 3 attempts)",
    ),
    "cuts-the-reply-short": (
        answering(reply("200 OK", b'{"data": {"workspace', {"Content-Length": "300"})),
        "could not reach Attio on GET /v2/self: RemoteProtocolError: peer closed connection "
        "without sending complete message body (received 20 bytes, expected 300) (after 3 "
        "attempts)",
    ),
    "proxy-error-page": (
        answering(sized("502 Bad Gateway", BAD_GATEWAY_PAGE, "text/html")),
        "Attio API error 502 on GET /v2/self: Bad Gateway; the body is not Attio's JSON error: "
        "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad "
        "Gateway</h1></center> <hr><center>nginx</center> </body> </html> (after 3 attempts)",
    ),
    "captive-portal": (
        answering(sized("200 OK", b"<html><body>Log in to continue</body></html>", "text/html")),
        "Attio answered GET /v2/self with 200 but the body is not JSON (text/html): "
        "<html><body>Log in to continue</body></html> (after 3 attempts)",
    ),
    "redirects": (
        redirect_elsewhere,
        "Attio API error 302 on GET /v2/self: Found; the body is not Attio's JSON error "
        "(empty); redirected to http://localhost:9/v2/self",
    ),
}


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
@pytest.mark.parametrize("case", HOSTILE)
def test_plan_and_apply_against_a_hostile_server_exit_1_with_one_clear_line(
    hostile, tmp_path, case, command
):
    behaviour, message = HOSTILE[case]
    server = hostile(behaviour)
    project = copy_example("startup-crm", tmp_path)

    run, seconds = timed(project, server.url, *command)

    assert_failed_with(run, message)
    assert seconds < 3 * ATTEMPT_TIMEOUT + 3
    assert {r.method for r in server.requests} <= {"GET"}  # it never got as far as a write


def test_plan_against_nothing_listening_says_connection_refused(client_settings, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]  # free, and nothing listens once it is closed
    project = copy_example("startup-crm", tmp_path)

    run = cli(project, f"http://127.0.0.1:{port}/v2", "plan")

    assert run.exit_code == 1
    assert run.stderr.startswith("could not reach Attio on GET /v2/self: ConnectError: ")
    assert run.stderr.rstrip().endswith("Connection refused (after 3 attempts)")


# --- apply through a proxy that corrupts some replies -------------------------------------------


@dataclass
class Exchange:
    """One request through the proxy, and what became of it."""

    request: Request
    fault: str | None = None
    forwarded: bool = False

    @property
    def is_write(self) -> bool:
        return self.request.method != "GET" and not self.request.target.endswith("/query")

    @property
    def key(self) -> tuple[str, str, bytes]:
        return self.request.method, self.request.target, self.request.body


# A fault's name, given the exchange; None: forward the reply as it is.
Policy = Callable[[Exchange, list[Exchange]], str | None]
# Faults made after the request reached the emulator (a write committed), and one before.
AFTER_FORWARDING = (
    "reset",
    "closes-after-headers",
    "content-length-larger-than-body",
    "chunked-cut",
    "html-200",
    "json-without-data",
    "bad-gateway",
    "stall",
)
NEVER_FORWARDED = "portal-without-forwarding"


class CorruptingProxy:
    """A raw-socket HTTP proxy in front of the served emulator.

    Each request is read off the socket, forwarded (unless its fault says otherwise), and its
    reply written back byte by byte: as the emulator sent it, or corrupted as `policy` says.
    """

    def __init__(self, upstream: str):
        self.upstream = httpx.Client(base_url=upstream, timeout=10)
        self.log: list[Exchange] = []
        self.policy: Policy = lambda _exchange, _log: None
        self._lock = threading.Lock()
        self.server = HostileServer(self._serve)

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.server.close()
        self.upstream.close()

    def writes_forwarded(self) -> Counter[tuple[str, str, bytes]]:
        with self._lock:
            return Counter(e.key for e in self.log if e.is_write and e.forwarded)

    def _serve(self, conn: Conn) -> None:
        exchange = Exchange(conn.request())
        with self._lock:
            exchange.fault = self.policy(exchange, self.log)
            self.log.append(exchange)
        if exchange.fault == NEVER_FORWARDED:
            conn.send(sized("200 OK", b"<html>Sign in to the hotel WiFi</html>", "text/html"))
            return
        request = exchange.request
        headers = {k: v for k, v in request.headers.items() if k not in ("host", "connection")}
        response = self.upstream.request(
            request.method, request.target, content=request.body, headers=headers
        )
        exchange.forwarded = True
        status = f"{response.status_code} {response.reason_phrase}"
        kind = response.headers.get("Content-Type", "application/json")
        fault = exchange.fault
        if fault is None:
            conn.send(sized(status, response.content, kind))
        elif fault == "reset":
            conn.reset()
        elif fault == "closes-after-headers":
            conn.send(reply(status, headers={"Content-Length": str(len(response.content))}))
        elif fault == "content-length-larger-than-body":
            cut = response.content[: len(response.content) // 2]
            conn.send(reply(status, cut, {"Content-Length": str(len(response.content))}))
        elif fault == "chunked-cut":
            half = response.content[: len(response.content) // 2]
            chunk = f"{len(response.content):x}\r\n".encode() + half
            conn.send(reply(status, chunk, {"Transfer-Encoding": "chunked"}))
        elif fault == "html-200":
            conn.send(sized("200 OK", b"<html><body>Please wait</body></html>", "text/html"))
        elif fault == "json-without-data":
            conn.send(sized("200 OK", b'{"ok": true}'))
        elif fault == "bad-gateway":
            conn.send(sized("502 Bad Gateway", BAD_GATEWAY_PAGE, "text/html"))
        elif fault == "stall":
            conn.stall()
        else:
            raise AssertionError(f"unknown fault {fault}")


@pytest.fixture
def proxy(served: ServedEmulator, client_settings) -> Iterator[CorruptingProxy]:
    # More room than against a server that is all hostile: the emulator answers real work.
    client_settings.update(timeout=1.0, attempt_timeout=5.0, max_read_retries=5)
    corrupting = CorruptingProxy(served.root)
    yield corrupting
    corrupting.close()


def corrupt_some(faults: tuple[str, ...], every_write: int, every_read: int) -> Policy:
    """Corrupt every `every_write`-th new write and every `every_read`-th new read, cycling
    through `faults`; a request seen before (a retry, a re-read) passes, so every run can
    finish, and whether each write landed is for the executor's re-read to find out."""
    counts = Counter[str]()

    def policy(exchange: Exchange, log: list[Exchange]) -> str | None:
        if any(e.key == exchange.key for e in log):
            return None
        kind = "write" if exchange.is_write else "read"
        counts[kind] += 1
        if counts[kind] % (every_write if kind == "write" else every_read):
            return None
        counts["fault"] += 1
        return faults[counts["fault"] % len(faults)]

    return policy


def clean_counts(example: str, tmp_path: Path) -> dict[str, int]:
    """What the emulator holds once `example` is applied with nothing in the way."""
    db = tmp_path / "clean.db"
    project = copy_example(example, tmp_path / "clean")
    run = schemactl("-C", project, "--workspace", f"local:{db}", "apply", "--auto-approve")
    assert run.exit_code == 0, run.stdout + run.stderr
    emulator = Emulator(EmulatorConfig(db=str(db)))
    try:
        return emulator.store.counts()
    finally:
        emulator.close()


def assert_converged(project: Path, url: str) -> None:
    run = cli(project, url, "plan", "--detailed-exitcode")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.last_line == NO_CHANGES


@pytest.mark.parametrize("example", ["startup-crm", "vc-dealflow"])
def test_apply_through_a_proxy_corrupting_some_replies_lands_each_write_once(
    served, proxy, tmp_path, example
):
    project = copy_example(example, tmp_path)
    # Every other write's reply is corrupted, each way in turn (once it never reaches the
    # emulator); every fifth read's, the first time it is asked.
    proxy.policy = corrupt_some((*AFTER_FORWARDING, NEVER_FORWARDED), every_write=2, every_read=5)

    run = cli(project, proxy.url, "apply", "--auto-approve")

    assert run.exit_code == 0, run.stdout + run.stderr
    faults = Counter(e.fault for e in proxy.log if e.fault)
    assert set(faults) == {*AFTER_FORWARDING, NEVER_FORWARDED}, "every fault should have bitten"
    assert "Apply complete: " in run.stdout and " 0 failed, 0 skipped." in run.stdout
    assert "the reply was lost, but the item was created" in run.stdout
    # No write was sent twice, except the one that never arrived: re-read, then sent again.
    forwarded = proxy.writes_forwarded()
    assert set(forwarded.values()) == {1}
    assert served.emulator.store.counts() == clean_counts(example, tmp_path)
    proxy.policy = lambda _exchange, _log: None
    assert_converged(project, proxy.url)


def test_apply_through_a_proxy_that_breaks_mid_way_fails_cleanly_and_a_rerun_converges(
    served, proxy, tmp_path
):
    project = copy_example("startup-crm", tmp_path)

    def breaks_after_three_writes(exchange: Exchange, log: list[Exchange]) -> str | None:
        # From the third write on, every reply is the proxy's 502 page (writes still land).
        writes = sum(1 for e in log if e.is_write) + exchange.is_write
        return "bad-gateway" if writes >= 3 else None

    proxy.policy = breaks_after_three_writes

    run, seconds = timed(project, proxy.url, "apply", "--auto-approve")

    assert run.exit_code == 1, run.stdout + run.stderr
    assert CANARY_TOKEN not in run.stdout + run.stderr
    failures = run.stderr.splitlines()
    assert failures, run.stdout
    for line in failures:
        assert ": Attio API error 502 on " in line, line
        assert "Bad Gateway; the body is not Attio's JSON error: <html>" in line, line
    # A write whose reply was lost, and whose re-read failed too, says both.
    assert any(
        "; re-reading to see whether it was made failed too (Attio API error 502 on GET" in line
        and line.endswith("run plan to see where it stands")
        for line in failures
    ), failures
    assert seconds < 30
    landed = proxy.writes_forwarded()
    assert set(landed.values()) == {1}  # a failed write's re-read failed too: not sent again

    proxy.policy = lambda _exchange, _log: None
    rerun = cli(project, proxy.url, "apply", "--auto-approve")
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert served.emulator.store.counts() == clean_counts("startup-crm", tmp_path)
    assert_converged(project, proxy.url)
