"""`schemactl apply` under faults: writes never duplicate, and every run converges.

The emulator is served over real HTTP, with its own fault injection (429, 500, 503, a write
committed and then its connection dropped) and, in front of it, a small WSGI layer (`Wire`)
that records every Attio request and can make the faults the emulator cannot: a reply lost
after the commit behind a proxy (502), a process killed after its k-th write, Ctrl-C at a
chosen moment. Nothing of schemactl is mocked: only the client's waits are made instant.

Every scenario ends with `plan --detailed-exitcode` exiting 0, after at most one re-run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from schemactl import apply as schemactl_apply
from schemactl.address import Address
from schemactl.apply import ExecutionReport, Executor
from schemactl.attio import targets
from schemactl.attio.client import AttioClient
from schemactl.attio.ratelimit import RateLimiter
from schemactl.cli import apply as cli_apply
from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.emulator.faults import Faults
from schemactl.emulator.server import base_url, build_server
from schemactl.engine import ApplySession, prepare_apply
from tests.e2e.conftest import (
    CANARY_TOKEN,
    TOKEN_VARIABLE,
    Run,
    copy_example,
    schemactl,
    write_project,
)

TOKEN_ENV = {TOKEN_VARIABLE: CANARY_TOKEN}
# The emulator's clock, and the client's: an injected 429 asks to wait until NOW + 1 (Attio
# sends an HTTP date, the next second), which the client reads as exactly RETRY_AFTER seconds.
NOW = 1_800_000_000.0
CLIENT_NOW = NOW + 0.25
RETRY_AFTER = 0.75
NO_CHANGES = "No changes. The workspace matches the manifests."
DROPPED = 0  # Exchange.status of a request whose connection was dropped before any reply
ROUNDS_HOOK = "https://hooks.dev.example.com/attio/rounds"
PIPELINE_HOOK = "https://hooks.dev.example.com/attio/deal-pipeline"


# --- the wire: every Attio request, recorded, and interfered with on demand --------------------


@dataclass
class Exchange:
    """One Attio request as the server saw it, and how it was answered."""

    method: str
    path: str  # as sent: ids, percent-encoding and all; no query string
    body: Any
    status: int | None = None  # None while in flight; DROPPED: no reply at all

    @property
    def is_write(self) -> bool:
        # POST …/query reads (the archive in-use check), as Attio counts it.
        return self.method != "GET" and not self.path.endswith("/query")

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two writes the same write."""
        return self.method, self.path, json.dumps(self.body, sort_keys=True)


Reply = tuple[str, list[tuple[str, str]], bytes]
# Given the exchange and `forward` (runs it on the emulator, i.e. commits a write), the reply
# to send, or None to drop the connection instead.
Intercept = Callable[[Exchange, Callable[[], Reply]], Reply | None]


def passthrough(_exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
    return forward()


class Wire:
    """WSGI middleware in front of the emulator (control endpoints pass untouched)."""

    def __init__(self, app: Emulator):
        self.app = app
        self.log: list[Exchange] = []
        self.intercept: Intercept = passthrough
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("PATH_INFO", "").startswith("/v2/"):
            return self.app(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        path = environ.get("REQUEST_URI", environ["PATH_INFO"]).partition("?")[0]
        decoded = json.loads(raw) if raw.strip() else None
        # Writes carry `{"data": …}`; queries (records/query, entries/query) a bare body.
        body = decoded.get("data", decoded) if isinstance(decoded, dict) else decoded
        exchange = Exchange(environ["REQUEST_METHOD"], path, body)
        with self._lock:
            self.log.append(exchange)

        def forward() -> Reply:
            captured: list[Any] = []
            chunks = self.app(
                environ, lambda status, headers, *_: captured.extend([status, headers])
            )
            return captured[0], captured[1], b"".join(chunks)

        reply = self.intercept(exchange, forward)
        # The emulator's own drop_after_commit shuts the socket and answers an empty 500.
        if reply is None or (reply[0].startswith("500") and not reply[2]):
            exchange.status = DROPPED
            with contextlib.suppress(OSError):
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            start_response("500 INTERNAL SERVER ERROR", [("Content-Length", "0")])
            return [b""]
        exchange.status = int(reply[0][:3])
        start_response(reply[0], reply[1])
        return [reply[2]]

    def writes(self) -> list[Exchange]:
        with self._lock:
            return [e for e in self.log if e.is_write]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()


@dataclass
class Served:
    """An emulator on a loopback port behind a Wire; its URL ends in /v2."""

    url: str
    emulator: Emulator
    wire: Wire
    faults: Faults

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v2")

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.root}/_emulator/state", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def raw(self, method: str, path: str, data: Any = None) -> httpx.Response:
        """One Attio API call made by hand, as another user of the workspace would."""
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        body = None if data is None else {"data": data}
        return httpx.request(method, f"{self.url}/{path}", json=body, headers=headers, timeout=10)

    def heal(self) -> None:
        """The outage is over: no more injected faults or interference."""
        self.faults.rate_429 = self.faults.rate_500 = self.faults.rate_503 = 0.0
        self.faults.drop_after_commit = 0.0
        self.wire.intercept = passthrough


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """`serve(faults)`: a new emulator served over HTTP; every one is stopped at the end."""
    started: list[tuple[Any, threading.Thread, Emulator]] = []

    def start(faults: Faults | None = None) -> Served:
        faults = faults or Faults()
        emulator = Emulator(
            EmulatorConfig(
                tokens={CANARY_TOKEN: None}, rate_limit="off", faults=faults, clock=lambda: NOW
            )
        )
        wire = Wire(emulator)
        server = build_server(wire, "127.0.0.1", 0)  # type: ignore[arg-type]
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        started.append((server, thread, emulator))
        return Served(base_url(server), emulator, wire, faults)

    try:
        yield start
    finally:
        for server, thread, emulator in started:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            emulator.close()


@pytest.fixture(autouse=True)
def waits(isolated: None, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client the CLI opens, with instant waits, each recorded (429s and backoffs only).

    The real client, with its real retry rules; only time is injected: its `sleep`, the wall
    clock it reads Retry-After dates with, and a rate limiter that paces without waiting.
    """
    recorded: list[float] = []

    def client(base: str, token: str | None = None, **options: Any) -> AttioClient:
        limiter = RateLimiter(100.0, 25.0, sleep=lambda _seconds: None)
        return AttioClient(
            base,
            token,
            sleep=recorded.append,
            wall_clock=lambda: CLIENT_NOW,
            limiter=limiter,
            **options,
        )

    monkeypatch.setattr(targets, "AttioClient", client)
    monkeypatch.setenv(TOKEN_VARIABLE, CANARY_TOKEN)
    return recorded


# --- projects, runs and the workspace's state ---------------------------------------------------


def project_for(example: str, tmp_path: Path, served: Served) -> Path:
    """A copy of examples/EXAMPLE whose dev environment is the served emulator."""
    project = copy_example(example, tmp_path)
    config = yaml.safe_load((project / "schemactl.yaml").read_text())
    config["environments"]["dev"].update(workspace=served.url, token_env=TOKEN_VARIABLE)
    (project / "schemactl.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return project


def apply(project: Path, *args: str) -> Run:
    return schemactl("-C", project, "apply", "--auto-approve", *args, env=TOKEN_ENV)


def planned(project: Path, *args: str) -> list[dict[str, Any]]:
    """The changes a fresh plan shows (in plan order)."""
    run = schemactl("-C", project, "plan", "--format", "json", *args, env=TOKEN_ENV)
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)["changes"]


def assert_converged(project: Path, *args: str) -> None:
    run = schemactl("-C", project, "plan", "--detailed-exitcode", *args, env=TOKEN_ENV)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.last_line == NO_CHANGES


def closing_line(run: Run) -> str:
    return next(line for line in run.stdout.splitlines() if line.startswith("Apply "))


def statuses(run: Run) -> dict[str, tuple[str, str]]:
    """address -> (status, message) from apply's plain progress lines (no terminal)."""
    found = {}
    for line in run.stdout.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("done", "failed", "skipped"):
            address, _, message = rest.strip()[2:].partition(": ")
            found[address] = (status, message)
    return found


def identities(state: dict[str, Any]) -> Counter[tuple[str, ...]]:
    """Each stored item by what makes it unique to a user: slug, title, or a webhook's URL.

    Attio refuses a second object, list, attribute, option or status with the same slug or
    title, so only webhooks could ever repeat; a repeated key of any kind is a duplicate.
    """
    resources = state["resources"]
    keys: Counter[tuple[str, ...]] = Counter()
    for item in resources["object"] + resources["list"]:
        keys[("object" if "object_id" in item["id"] else "list", item["api_slug"])] += 1
    for item in resources["attribute"]:
        parent = item["id"].get("object_id") or item["id"]["list_id"]
        keys[("attribute", parent, item["api_slug"])] += 1
    for kind in ("option", "status"):
        for item in resources[kind]:
            keys[(kind, item["id"]["attribute_id"], item["title"])] += 1
    for item in resources["webhook"]:
        keys[("webhook", item["target_url"])] += 1
    return keys


def assert_no_duplicates(served: Served, expected_counts: dict[str, int] | None = None) -> None:
    state = served.state()
    repeated = [key for key, n in identities(state).items() if n > 1]
    assert repeated == [], f"stored more than once: {repeated}"
    if expected_counts is not None:
        assert state["counts"] == expected_counts


@pytest.fixture(scope="module")
def clean_counts(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, int]]:
    """The emulator's resource counts once EXAMPLE is applied with no faults (computed once)."""
    cache: dict[str, dict[str, int]] = {}

    def counts(example: str) -> dict[str, int]:
        if example not in cache:
            root = tmp_path_factory.mktemp(f"clean-{example}")
            project = copy_example(example, root)
            db = root / "clean.db"
            run = schemactl("-C", project, "--workspace", f"local:{db}", "apply", "--auto-approve")
            assert run.exit_code == 0, run.stdout + run.stderr
            emulator = Emulator(EmulatorConfig(db=str(db)))
            try:
                cache[example] = emulator.store.counts()
            finally:
                emulator.close()
        return cache[example]

    return counts


# --- 1. 429: Attio did not process it, so it is retried after Retry-After ----------------------

EXAMPLE_NAMES = ("startup-crm", "vc-dealflow")


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_thirty_percent_429_applies_everything_once_with_no_failures(
    example, tmp_path, serve, waits, clean_counts
):
    served = serve(Faults(seed=7, rate_429=0.3))
    project = project_for(example, tmp_path, served)
    changes = planned(project)
    served.wire.clear()
    waits.clear()

    run = apply(project)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert closing_line(run) == f"Apply complete: {len(changes)} done, 0 failed, 0 skipped."
    writes = served.wire.writes()
    refused = [e for e in writes if e.status == 429]
    assert len(refused) >= len(changes) // 10, "the fault injection should have bitten"
    # A 429'd write was not processed: it is sent again as it was, and lands exactly once.
    landed = Counter(e.key for e in writes if e.status == 200)
    assert len(landed) == len(changes) and set(landed.values()) == {1}
    assert {e.key for e in refused} <= set(landed)
    # Every 429 (reads too) was waited out for exactly what its Retry-After date asked.
    all_refused = [e for e in served.wire.log if e.status == 429]
    assert waits == [RETRY_AFTER] * len(all_refused)
    assert_no_duplicates(served, clean_counts(example))
    assert_converged(project)


# --- 2. every write commits, then its connection drops ----------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_writes_whose_reply_is_always_lost_are_rechecked_never_repeated(
    example, tmp_path, serve, clean_counts
):
    served = serve(Faults(seed=3, drop_after_commit=1.0))
    project = project_for(example, tmp_path, served)
    changes = planned(project)
    served.wire.clear()

    run = apply(project)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert closing_line(run) == f"Apply complete: {len(changes)} done, 0 failed, 0 skipped."
    writes = served.wire.writes()
    # One write per change, each dropped after it committed, and none sent again: the
    # executor re-read the item and found it there (webhooks, which no slug protects, too).
    assert len(writes) == len(changes)
    assert {e.status for e in writes} == {DROPPED}
    assert len({e.key for e in writes}) == len(writes)
    outcomes = statuses(run)
    assert {c["address"] for c in changes} == set(outcomes)
    # A webhook's secret is shown once, in the reply that was lost: the report says so.
    hooks = {a for a in outcomes if a.startswith("webhooks/")}
    assert len(hooks) == (2 if example == "vc-dealflow" else 0)
    assert {outcomes[a][1] for a in hooks} <= {
        "the reply was lost, but the webhook was created; its secret was only in that reply "
        "and was not saved"
    }
    assert {outcomes[a][1] for a in set(outcomes) - hooks} == {
        "the reply was lost, but the item was created"
    }
    assert_no_duplicates(served, clean_counts(example))
    state_hooks = [h["target_url"] for h in served.state()["resources"]["webhook"]]
    assert sorted(state_hooks) == sorted(
        c["address"].removeprefix("webhooks/") for c in changes if c["address"].startswith("web")
    )
    assert_converged(project)


MODEL_V1 = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          budget:
            type: currency
            currency: {default_currency_code: USD, display_type: symbol}
          stage:
            type: status
            statuses: [Planned, {title: Active, target_time_in_status: P14D}]
          tags: {type: select, is_multiselect: true, options: [Enterprise, Pilot, Legacy]}
          owner_note: {type: text}
    lists:
      key_accounts: {name: Key Accounts, parent_object: companies, workspace_access: full-access}
    webhooks:
      - target_url: https://hooks.example.com/attio
        subscriptions:
          - event_type: list-entry.created
            filter:
              $and: [{field: id.list_id, operator: equals, value: {ref: lists/key_accounts}}]
      - target_url: https://hooks.example.com/old
        subscriptions: [{event_type: record.created}]
    """
# Every kind of write but create: updates, renames, an unarchive, archives and a delete.
MODEL_V2 = """
    objects:
      projects:
        singular_noun: Project
        plural_noun: Projects
        attributes:
          budget:
            title: Budget (USD)
            type: currency
            currency: {default_currency_code: USD, display_type: symbol}
          stage:
            type: status
            statuses: [Planned, {title: Active, target_time_in_status: P7D}]
          tags:
            type: select
            is_multiselect: true
            options: [Enterprise, {title: Trial, renamed_from: Pilot}]
          notes: {type: text, renamed_from: owner_note}
    lists:
      key_accounts: {name: Key accounts, parent_object: companies, workspace_access: full-access}
    webhooks:
      - target_url: https://hooks.example.com/attio
        subscriptions:
          - event_type: list-entry.created
            filter:
              $and: [{field: id.list_id, operator: equals, value: {ref: lists/key_accounts}}]
          - {event_type: list-entry.deleted}
    """


def small_project(root: Path, served: Served, model: str) -> Path:
    environment = {
        "workspace": served.url,
        "token_env": TOKEN_VARIABLE,
        "policy": {"allow_delete_webhooks": True},
    }
    return write_project(root, {"model.yaml": model}, {"dev": environment})


def test_updates_renames_archives_and_deletes_whose_reply_is_lost_are_not_repeated(tmp_path, serve):
    served = serve(Faults(seed=5))
    project = small_project(tmp_path / "project", served, MODEL_V1)
    assert apply(project).exit_code == 0
    archived = served.raw(
        "PATCH", "objects/projects/attributes/tags/options/Enterprise", {"is_archived": True}
    )
    assert archived.status_code == 200, archived.text
    small_project(tmp_path / "project", served, MODEL_V2)
    changes = planned(project, "--prune")
    assert Counter(c["action"] for c in changes) == {
        "update": 4,
        "rename": 2,
        "unarchive": 1,
        "archive": 1,
        "delete": 1,
    }
    served.faults.drop_after_commit = 1.0
    served.wire.clear()

    run = apply(project, "--prune")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert closing_line(run) == f"Apply complete: {len(changes)} done, 0 failed, 0 skipped."
    writes = served.wire.writes()
    assert len(writes) == len(changes), [(e.method, e.path) for e in writes]
    assert {e.status for e in writes} == {DROPPED}
    assert {m for _, m in statuses(run).values()} == {"the reply was lost, but the change was made"}
    assert_no_duplicates(served)
    served.heal()
    assert_converged(project, "--prune")


# --- 3. 5xx, failed re-reads, late writes: re-read before any retry, never assume -----------

BAD_GATEWAY: Reply = ("502 BAD GATEWAY", [("Content-Type", "text/html")], b"<h1>502</h1>")


def lose_replies_behind_a_proxy(every: int) -> Intercept:
    """A proxy that forwards writes (they commit) but answers every `every`-th one that
    succeeded with its own 502: Attio's reply is lost."""
    succeeded = 0
    lock = threading.Lock()

    def intercept(exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
        nonlocal succeeded
        reply = forward()
        if not exchange.is_write or not reply[0].startswith("200"):
            return reply
        with lock:
            succeeded += 1
            lose = succeeded % every == 0
        return BAD_GATEWAY if lose else reply

    return intercept


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_5xx_writes_are_rechecked_and_only_those_that_did_not_land_are_retried(
    example, tmp_path, serve, clean_counts
):
    # 500 and 503 from Attio itself (nothing was written), and 502 from a proxy after Attio
    # committed the write.
    served = serve(Faults(seed=11, rate_500=0.1, rate_503=0.1))
    served.wire.intercept = lose_replies_behind_a_proxy(every=6)
    project = project_for(example, tmp_path, served)
    changes = planned(project)
    served.wire.clear()

    run = apply(project)

    writes = served.wire.writes()
    outcomes = statuses(run)
    done = [a for a, (status, _) in outcomes.items() if status == "done"]
    failed = {a: m for a, (status, m) in outcomes.items() if status == "failed"}
    assert run.exit_code == (1 if failed else 0), run.stdout + run.stderr
    assert len(outcomes) == len(changes)
    answers = {e.status for e in writes}
    assert 502 in answers and answers & {500, 503}, "the faults should have bitten"
    assert answers <= {200, 500, 502, 503}
    # A write that landed (behind a 502 too) is never sent again; one Attio refused with a 5xx
    # is retried at most once, after a re-read showed it had not landed.
    attempts: dict[tuple[str, str, str], list[int | None]] = {}
    for exchange in writes:
        attempts.setdefault(exchange.key, []).append(exchange.status)
    for key, sequence in attempts.items():
        assert len(sequence) <= 2, (key, sequence)
        assert all(answer in (500, 503) for answer in sequence[:-1]), (key, sequence)
    # Every change reported done landed; a failed one landed only if the re-read that would
    # have found it failed too (reads get the injected 5xx as well), and then it was not sent
    # again.
    landed = sum(1 for e in writes if e.status in (200, 502))
    reread_failed = [a for a, message in failed.items() if " on GET " in message]
    assert len(done) <= landed <= len(done) + len(reread_failed), failed
    assert all(" 50" in message for message in failed.values()), failed
    assert_no_duplicates(served)

    served.heal()
    rerun = apply(project)
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    left = len(changes) - landed
    if left:
        assert closing_line(rerun) == f"Apply complete: {left} done, 0 failed, 0 skipped."
    else:
        assert rerun.last_line == NO_CHANGES
    assert_no_duplicates(served, clean_counts(example))
    assert_converged(project)


ATTIO_503: Reply = (
    "503 SERVICE UNAVAILABLE",
    [("Content-Type", "application/json")],
    json.dumps(
        {
            "status_code": 503,
            "type": "api_error",
            "code": "service_unavailable",
            "message": "Try again later.",
        }
    ).encode(),
)
ATTIO_500: Reply = (
    "500 INTERNAL SERVER ERROR",
    [("Content-Type", "application/json")],
    json.dumps(
        {
            "status_code": 500,
            "type": "api_error",
            "code": "internal_error",
            "message": "Something went wrong.",
        }
    ).encode(),
)
OLD_HOOK = "https://hooks.example.com/old"


def test_a_write_whose_re_read_fails_too_is_not_sent_again(tmp_path, serve):
    # The webhook's create commits and its connection drops; then listing webhooks fails for
    # longer than the client retries reads. Not knowing is not "not there": a webhook has no
    # slug to make Attio refuse a second one, so a blind retry would store it twice.
    served = serve()
    project = small_project(tmp_path / "project", served, MODEL_V1)
    outage = threading.Event()

    def intercept(exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
        if exchange.method == "GET" and exchange.path == "/v2/webhooks" and outage.is_set():
            return ATTIO_503
        reply = forward()
        if exchange.method == "POST" and (exchange.body or {}).get("target_url") == OLD_HOOK:
            outage.set()
            return None
        return reply

    served.wire.intercept = intercept

    run = apply(project)

    assert run.exit_code == 1, run.stdout + run.stderr
    status, message = statuses(run)[f"webhooks/{OLD_HOOK}"]
    assert status == "failed"
    assert "503 service_unavailable on GET /v2/webhooks" in message
    sent = [e.status for e in served.wire.writes() if (e.body or {}).get("target_url") == OLD_HOOK]
    assert sent == [DROPPED]
    assert_no_duplicates(served)
    served.heal()
    assert_converged(project)


def test_a_write_that_lands_after_its_re_read_is_adopted_by_the_retry(tmp_path, serve):
    # A request that timed out can still be sitting in a queue: here the object's create is
    # held (the client sees its connection drop) and lands just after the client's re-read
    # found nothing. The one retry then meets it as a 409, and adopts it, since it matches.
    served = serve()
    project = small_project(tmp_path / "project", served, MODEL_V1)
    held: list[Callable[[], Reply]] = []  # the first create, not yet processed
    lock = threading.Lock()

    def intercept(exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
        with lock:
            if (exchange.method, exchange.path) == ("POST", "/v2/objects") and not held:
                held.append(forward)
                return None
            reply = forward()
            if exchange.path == "/v2/objects/projects" and len(held) == 1:
                held[0]()  # the re-read has answered "not there": the held create lands now
                held.append(forward)
            return reply

    served.wire.intercept = intercept
    changes = planned(project)
    served.wire.clear()

    run = apply(project)

    assert run.exit_code == 0, run.stdout + run.stderr
    assert statuses(run)["objects/projects"] == (
        "done",
        "adopted the existing item, which already matches",
    )
    about_projects = [
        (e.method, e.path, e.status)
        for e in served.wire.log
        if e.path == "/v2/objects/projects" or (e.method, e.path) == ("POST", "/v2/objects")
    ]
    assert about_projects == [
        ("POST", "/v2/objects", DROPPED),
        ("GET", "/v2/objects/projects", 404),
        ("POST", "/v2/objects", 409),
        ("GET", "/v2/objects/projects", 200),
    ]
    assert closing_line(run) == f"Apply complete: {len(changes)} done, 0 failed, 0 skipped."
    assert_no_duplicates(served)
    assert_converged(project)


# --- 4. killed after the k-th write: a re-run applies exactly what is left -----------------------


def schemactl_popen(project: Path, *args: str) -> subprocess.Popen[str]:
    """`python -m schemactl -C PROJECT ARGS` in a real process, with only the token variable."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("ATTIO_", "SCHEMACTL_"))
    }
    return subprocess.Popen(
        [sys.executable, "-m", "schemactl", "-C", str(project), *args],
        cwd=project.parent,
        env={**environment, **TOKEN_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("k", [1, 5, 17, 40])
def test_an_apply_killed_after_its_kth_write_converges_on_the_next_run(
    k, tmp_path, serve, clean_counts
):
    # A real `schemactl apply` process, killed (SIGKILL: no report, no cleanup) the moment its
    # k-th write has committed, before the reply reaches it; writes still on their way are
    # cut off unprocessed, as they would be by a process that is gone.
    served = serve()
    project = project_for("vc-dealflow", tmp_path, served)
    changes = planned(project)
    victim: list[subprocess.Popen[str]] = []
    started = threading.Event()
    lock = threading.Lock()
    landed: list[str] = []  # the status lines of the writes that reached the emulator

    def intercept(exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
        if not exchange.is_write:
            return forward()
        with lock:
            if len(landed) >= k:
                return None
            reply = forward()
            landed.append(reply[0])
            if len(landed) == k and started.wait(10):
                victim[0].kill()
                victim[0].wait(10)
            return reply

    served.wire.intercept = intercept
    victim.append(schemactl_popen(project, "apply", "--auto-approve"))
    started.set()
    _, stderr = victim[0].communicate(timeout=60)

    assert victim[0].returncode == -signal.SIGKILL, stderr
    assert len(landed) == k
    assert {status[:3] for status in landed} == {"200"}
    left = planned(project)
    assert len(left) == len(changes) - k
    assert {c["address"] for c in left} < {c["address"] for c in changes}
    served.heal()
    served.wire.clear()

    rerun = apply(project)

    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert closing_line(rerun) == f"Apply complete: {len(changes) - k} done, 0 failed, 0 skipped."
    assert len(served.wire.writes()) == len(changes) - k
    assert_no_duplicates(served, clean_counts("vc-dealflow"))
    assert_converged(project)


# --- 5. Ctrl-C: requests in flight finish, nothing new starts, the rest is reported skipped ------


@pytest.mark.parametrize("parallelism", [1, 8])
def test_ctrl_c_finishes_the_writes_in_flight_then_stops_with_exit_130(
    parallelism, tmp_path, serve, monkeypatch
):
    # A real SIGINT, delivered to the main thread (as a terminal's Ctrl-C would be) while the
    # 10th write is on the server; its reply waits until the CLI's handler has asked the
    # executor to stop, so that write is certainly in flight when Ctrl-C lands.
    k = 10
    served = serve()
    project = project_for("vc-dealflow", tmp_path, served)
    changes = planned(project)
    executors: list[Executor] = []
    scheduled_after_stop: list[Any] = []

    class Observed(Executor):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            executors.append(self)

    class WatchedPool(ThreadPoolExecutor):
        """The executor's worker pool, noting any change handed to it after Ctrl-C."""

        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            if executors[0].stop.is_set():
                scheduled_after_stop.append(args)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(cli_apply, "Executor", Observed)
    monkeypatch.setattr(schemactl_apply, "ThreadPoolExecutor", WatchedPool)
    lock = threading.Lock()
    writes: list[Exchange] = []
    interrupted: list[Exchange] = []

    def intercept(exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
        reply = forward()
        if exchange.is_write:
            with lock:
                writes.append(exchange)
                nth = len(writes)
            handler = signal.getsignal(signal.SIGINT)
            # Only into the CLI's own handler: anything else would interrupt pytest.
            if nth == k and "_stop_on_interrupt" in getattr(handler, "__qualname__", ""):
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
                if executors[0].stop.wait(10):
                    interrupted.append(exchange)
        return reply

    served.wire.intercept = intercept

    run = apply(project, "--parallelism", str(parallelism))

    assert interrupted, "the CLI's SIGINT handler should have stopped the executor"
    assert run.exit_code == 130, run.stdout + run.stderr
    assert "Interrupted: finishing the requests in flight, then stopping." in run.stderr
    outcomes = statuses(run)
    done = {a for a, (status, _) in outcomes.items() if status == "done"}
    skipped = {a for a, (status, _) in outcomes.items() if status == "skipped"}
    assert done | skipped == {c["address"] for c in changes}
    assert {outcomes[a][1] for a in skipped} == {"skipped: interrupted"}
    # The interrupted write finished; besides it, only changes already running did (with one
    # at a time, none), and nothing was scheduled after Ctrl-C.
    assert interrupted[0].status == 200
    assert len(done) == len(writes) >= k
    assert scheduled_after_stop == []
    if parallelism == 1:
        assert len(writes) == k
    assert closing_line(run) == (
        f"Apply interrupted: {len(done)} done, 0 failed, {len(skipped)} skipped."
    )

    rerun = apply(project)
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert closing_line(rerun) == f"Apply complete: {len(skipped)} done, 0 failed, 0 skipped."
    assert_no_duplicates(served)
    assert_converged(project)


# --- 6. 409 slug_conflict on create: adopt what matches, fail what does not ------------------


def under(changes: list[dict[str, Any]], *prefixes: str) -> set[str]:
    """The addresses of `changes` at or under any of `prefixes`."""
    return {
        c["address"]
        for c in changes
        if any(Address.parse(c["address"]).is_within(Address.parse(p)) for p in prefixes)
    }


def run_executor(session: ApplySession) -> ExecutionReport:
    try:
        return Executor(session.client, session.plan, session.ids, parallelism=4).run()
    finally:
        session.close()


def test_a_409_adopts_an_identical_item_and_fails_a_different_one_skipping_its_dependents(
    tmp_path, serve
):
    served = serve()
    project = project_for("vc-dealflow", tmp_path, served)
    changes = planned(project)
    session = prepare_apply(project)
    # After the plan was made, someone else creates four of its items by hand: `funds` and
    # its `vintage` exactly as declared, `deal_pipeline` with another name, and an object
    # whose noun is the one `limited_partners` declares.
    made = [
        served.raw(
            "POST",
            "objects",
            {"api_slug": "funds", "singular_noun": "Fund", "plural_noun": "Funds"},
        ),
        served.raw(
            "POST",
            "objects/funds/attributes",
            {
                "title": "Vintage",
                "description": None,
                "api_slug": "vintage",
                "type": "number",
                "is_required": True,
                "is_unique": False,
                "is_multiselect": False,
                "config": {},
            },
        ),
        served.raw(
            "POST",
            "lists",
            {
                "name": "Deals",
                "api_slug": "deal_pipeline",
                "parent_object": "companies",
                "workspace_access": "full-access",
                "workspace_member_access": [],
            },
        ),
        served.raw(
            "POST",
            "objects",
            {"api_slug": "backers", "singular_noun": "Limited partner", "plural_noun": "Backers"},
        ),
    ]
    assert [r.status_code for r in made] == [200, 200, 200, 200], [r.text for r in made]
    funds_id = made[0].json()["data"]["id"]["object_id"]
    pipeline_id = made[2].json()["data"]["id"]["list_id"]
    served.wire.clear()

    report = run_executor(session)

    outcomes = {str(o.change.address): o for o in report.outcomes}
    assert set(outcomes) == {c["address"] for c in changes}
    for address in ("objects/funds", "objects/funds/attributes/vintage"):
        assert (outcomes[address].status, outcomes[address].message) == (
            "done",
            "adopted the existing item, which already matches",
        )
    different = outcomes["lists/deal_pipeline"]
    assert different.status == "failed"
    assert different.message == (
        "Attio API error 409 slug_conflict on POST /v2/lists: A list with api_slug "
        "deal_pipeline already exists.; it exists with different settings: run plan again to "
        "see how"
    )
    nouns = outcomes["objects/limited_partners"]
    assert nouns.status == "failed"
    assert nouns.message.startswith("Attio API error 409 slug_conflict on POST /v2/objects: ")
    assert nouns.message.endswith(
        "; no object is at objects/limited_partners, so another item holds that slug or name: "
        "rename one of them"
    )
    # Dependents of a failed change are skipped (the webhook names the list in its filter,
    # the LP list is a list of limited partners), and nothing else is.
    skipped = {a for a, o in outcomes.items() if o.status == "skipped"}
    assert skipped == (
        under(changes, "lists/deal_pipeline", f"webhooks/{PIPELINE_HOOK}")
        | under(changes, "objects/limited_partners", "lists/lp_relations")
    ) - {"lists/deal_pipeline", "objects/limited_partners"}
    assert {outcomes[a].message for a in skipped} == {
        "skipped: lists/deal_pipeline was not applied",
        "skipped: objects/limited_partners was not applied",
    }
    assert not report.interrupted and report.count("done") == len(changes) - len(skipped) - 2
    # One write per change that ran, the four 409s included; none for a skipped one.
    writes = served.wire.writes()
    assert len(writes) == len(changes) - len(skipped)
    assert Counter(e.status for e in writes) == {200: len(writes) - 4, 409: 4}
    about_funds = [
        (e.method, e.path, e.status)
        for e in served.wire.log
        if e.path == "/v2/objects/funds" or (e.body or {}).get("api_slug") == "funds"
    ]
    assert about_funds == [("POST", "/v2/objects", 409), ("GET", "/v2/objects/funds", 200)]
    assert not [e.path for e in served.wire.log if pipeline_id in e.path]
    assert PIPELINE_HOOK not in json.dumps([e.body for e in writes])
    # The adopted object's id was used for its new attributes.
    created = {
        a["api_slug"]
        for a in served.state()["resources"]["attribute"]
        if a["id"].get("object_id") == funds_id
    }
    assert {"vintage", "target_size", "status", "rounds"} <= created
    assert_no_duplicates(served)

    # The conflicts resolved (the list's name is what the plan fixes; the other object's noun
    # is changed by hand), a re-run applies exactly what was left.
    renamed = served.raw(
        "PATCH", "objects/backers", {"singular_noun": "Backer", "plural_noun": "Backers"}
    )
    assert renamed.status_code == 200, renamed.text
    rerun = apply(project)
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert closing_line(rerun) == (f"Apply complete: {len(skipped) + 2} done, 0 failed, 0 skipped.")
    assert statuses(rerun)["lists/deal_pipeline"][0] == "done"
    assert_no_duplicates(served)
    assert_converged(project)


# --- 7. dependents of a failed change are never attempted ----------------------------------------


def test_the_dependents_of_a_failed_change_are_skipped_without_a_request(tmp_path, serve):
    served = serve()
    project = project_for("vc-dealflow", tmp_path, served)
    changes = planned(project)

    def intercept(exchange: Exchange, forward: Callable[[], Reply]) -> Reply | None:
        if (exchange.method, exchange.path) == ("POST", "/v2/objects") and exchange.body[
            "api_slug"
        ] == "investment_rounds":
            return ATTIO_500  # before anything is written, every time
        return forward()

    served.wire.intercept = intercept
    served.wire.clear()
    httpx.delete(f"{served.root}/_emulator/requests", timeout=10)

    run = apply(project)

    assert run.exit_code == 1, run.stdout + run.stderr
    outcomes = statuses(run)
    status, message = outcomes["objects/investment_rounds"]
    assert status == "failed"
    assert message.startswith("Attio API error 500 internal_error on POST /v2/objects: ")
    dependents = under(changes, "objects/investment_rounds", f"webhooks/{ROUNDS_HOOK}") - {
        "objects/investment_rounds"
    }
    assert len(dependents) >= 10
    assert {a for a, (s, _) in outcomes.items() if s == "skipped"} == dependents
    assert {outcomes[a][1] for a in dependents} == {
        "skipped: objects/investment_rounds was not applied"
    }
    assert closing_line(run) == (
        f"Apply complete: {len(changes) - len(dependents) - 1} done, 1 failed, "
        f"{len(dependents)} skipped."
    )
    # The failed create was sent twice, each 500 followed by a re-read (not there); every
    # change that ran once, and nothing for the skipped ones: the emulator's counters agree.
    about_rounds = [
        (e.method, e.path, e.status)
        for e in served.wire.log
        if e.path == "/v2/objects/investment_rounds"
        or (e.method == "POST" and e.body.get("api_slug") == "investment_rounds")
    ]
    assert about_rounds == [
        ("POST", "/v2/objects", 500),
        ("GET", "/v2/objects/investment_rounds", 404),
        ("POST", "/v2/objects", 500),
        ("GET", "/v2/objects/investment_rounds", 404),
    ]
    expected_writes = len(changes) - len(dependents) + 1
    assert len(served.wire.writes()) == expected_writes
    counted = httpx.get(f"{served.root}/_emulator/requests", timeout=10).json()["data"]
    assert counted["writes"] == expected_writes - 2  # the two 500s never reached the emulator
    assert counted["counts"]["POST /v2/webhooks"] == 1
    assert ROUNDS_HOOK not in json.dumps([e.body for e in served.wire.writes()])
    assert_no_duplicates(served)

    served.heal()
    rerun = apply(project)
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert closing_line(rerun) == (
        f"Apply complete: {len(dependents) + 1} done, 0 failed, 0 skipped."
    )
    assert_converged(project)
