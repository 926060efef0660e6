"""Load benchmark (not a test): many concurrent clients against `schemactl emulator serve`.

The emulator runs as its own process (`--rate-limit off --no-webhook-delivery`, a SQLite file,
one token) on a free loopback port. Each client is a thread with its own connection; it first
makes its own object (with attributes of several types and select options) and a list of that
object, then sends its share of a weighted mix of reads and writes to them: record creates,
updates and deletes, list entries, notes, tasks, new attributes and options, record reads and
filtered queries, and two refusals the API must give (a deleted record's 404 and a duplicate
unique value's 409). Clients never touch each other's object, so each one knows exactly what the
server must hold and checks every answer against it.

While the load runs, a watcher checks whole-workspace snapshots for a write seen half done.
Afterwards the harness checks that nothing went wrong: no 5xx, no status other than the one
expected, no lost write (everything acknowledged is there), no duplicate (counts match exactly,
ids are unique), the server counted exactly the requests sent, and that after a restart on the
same database file the workspace is identical and readable. It reports throughput and latency
percentiles per kind of request.

    python benchmarks/load_bench.py                        # 20 clients, 20,000 requests
    python benchmarks/load_bench.py --clients 8 --requests 1500 --json

The same harness, smaller, is the CI test tests/load/test_serve_load.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TOKEN = "load-bench-token"
START_DEADLINE = 30.0  # seconds for the server to announce its URL
STOP_DEADLINE = 30.0  # seconds for it to exit after SIGTERM; longer counts as a hang
REQUEST_TIMEOUT = 120.0  # per request: only a hung server takes this long
URL = re.compile(r"(http://\S+/v2)\b")

# Kinds of request and their default weights (percent of the load): reads, writes, and the two
# refusals the API must give.
DEFAULT_MIX: dict[str, float] = {
    "list_objects": 4,
    "list_attributes": 4,
    "get_record": 17,
    "query_records": 12,
    "query_entries": 5,
    "list_notes": 5,
    "get_task": 5,
    "create_record": 14,
    "update_record": 10,
    "delete_record": 3,
    "create_entry": 5,
    "create_note": 5,
    "create_task": 4,
    "update_task": 2,
    "create_attribute": 1,
    "create_option": 2,
    "get_deleted_record": 1,  # expects 404
    "duplicate_unique": 1,  # expects 409
}
READ_KINDS = frozenset(
    {
        "list_objects",
        "list_attributes",
        "get_record",
        "query_records",
        "query_entries",
        "list_notes",
        "get_task",
        "get_deleted_record",
    }
)
# Each client's object starts with these attributes (besides the three system ones).
SETUP_ATTRIBUTES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("name", "text", {}, False),
    ("score", "number", {}, False),
    ("stage", "select", {}, False),
    ("active", "checkbox", {}, False),
    ("due", "date", {}, False),
    (
        "amount",
        "currency",
        {"currency": {"default_currency_code": "EUR", "display_type": "symbol"}},
        False,
    ),
    ("email", "email-address", {}, True),
    ("rating", "rating", {}, False),
]
SYSTEM_ATTRIBUTES = ("record_id", "created_at", "created_by")
SETUP_OPTIONS = ("Lead", "Qualified", "Won")
EXTRA_TYPES = ("text", "number", "checkbox", "date")


# --- the server ----------------------------------------------------------------------------------


class Server:
    """`python -m schemactl emulator serve --port 0 …` in a subprocess; `url` is its base URL.

    Its stderr (werkzeug's access log and any traceback) goes to a file, never to an unread
    pipe, which would block the server once full.
    """

    def __init__(self, db: Path, log: Path, cwd: Path | None = None):
        self.log = log
        self._log = log.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "schemactl",
                "emulator",
                "serve",
                "--port",
                "0",
                "--db",
                str(db),
                "--token",
                TOKEN,
                "--rate-limit",
                "off",
                "--no-webhook-delivery",
            ],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_DEADLINE
        seen: list[str] = []
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                break
            seen.append(line)
            found = URL.search(line)
            if found:
                return found.group(1)
        self.process.kill()
        self.process.wait()
        self._log.close()
        raise RuntimeError(f"the emulator announced no URL: stdout={seen!r}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU the server process has used so far (Linux; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int | None:
        """SIGTERM, then the exit code; None if it had to be killed (it hung)."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        finally:
            self._reader.join(timeout=5)
            self._log.close()


# --- statistics ----------------------------------------------------------------------------------


@dataclass
class Stats:
    """What one client saw; merged over clients at the end (no locking while running)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)  # "kind status" -> count
    expected_4xx: Counter[str] = field(default_factory=Counter)  # "kind status" -> count
    server_errors: list[str] = field(default_factory=list)  # 5xx, with the body's start
    unexpected: list[str] = field(default_factory=list)  # any other status not expected
    transport_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # answers that contradict the writes
    sent: int = 0  # every Attio request, setup and checks included
    sent_writes: int = 0

    def merge(self, other: Stats) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.statuses.update(other.statuses)
        self.expected_4xx.update(other.expected_4xx)
        self.server_errors += other.server_errors
        self.unexpected += other.unexpected
        self.transport_errors += other.transport_errors
        self.mismatches += other.mismatches
        self.sent += other.sent
        self.sent_writes += other.sent_writes


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean_ms": 1000 * sum(ordered) / len(ordered) if ordered else math.nan,
        "p50_ms": 1000 * percentile(ordered, 50),
        "p90_ms": 1000 * percentile(ordered, 90),
        "p99_ms": 1000 * percentile(ordered, 99),
        "max_ms": 1000 * ordered[-1] if ordered else math.nan,
    }


class Api:
    """One connection to the server, timing and checking every request it sends."""

    def __init__(self, url: str, stats: Stats, label: str):
        self.http = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=REQUEST_TIMEOUT,
        )
        self.stats = stats
        self.label = label
        self.measure = False  # latencies are kept for the load phase only

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        expect: int = 200,
    ) -> Any:
        """The JSON answer, or None when the status was not `expect` (recorded as a problem
        unless it was expected) or the request failed."""
        self.stats.sent += 1
        if method != "GET" and not path.endswith("/query"):
            self.stats.sent_writes += 1
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            self.stats.transport_errors.append(f"{self.label} {kind} {method} {path}: {exc!r}")
            return None
        elapsed = time.perf_counter() - started
        status = response.status_code
        if self.measure:
            self.stats.latencies.setdefault(kind, []).append(elapsed)
            self.stats.statuses[f"{kind} {status}"] += 1
        if status != expect:
            where = f"{self.label} {kind} {method} {path} -> {status}: {response.text[:300]}"
            (self.stats.server_errors if status >= 500 else self.stats.unexpected).append(where)
            return None
        if expect != 200:
            self.stats.expected_4xx[f"{kind} {status}"] += 1
        try:
            return response.json()
        except ValueError:
            self.stats.mismatches.append(f"{self.label} {kind} {path}: not JSON")
            return None


# --- one client ----------------------------------------------------------------------------------


@dataclass
class RecordState:
    name: str
    score: int
    stage: str
    email: str


@dataclass
class TaskState:
    record_id: str | None  # the linked record, None once it was deleted
    is_completed: bool


class Client:
    """One simulated user: its own object and list, and exactly what it wrote to them."""

    def __init__(
        self,
        index: int,
        url: str,
        requests: int,
        mix: dict[str, float],
        seed: int,
        member_email: str,
    ):
        self.index = index
        self.slug = f"load_c{index:03d}"
        self.list_slug = f"load_l{index:03d}"
        self.requests = requests
        self.kinds = [k for k, w in mix.items() if w > 0]
        self.weights = [mix[k] for k in self.kinds]
        self.rng = random.Random(seed * 1_000_003 + index)
        self.member_email = member_email
        self.stats = Stats()
        self.api = Api(url, self.stats, f"client {index}")
        self.object_id = ""
        self.list_id = ""
        self.attribute_slugs: list[str] = [*SYSTEM_ATTRIBUTES]
        self.list_attribute_slugs: list[str] = []
        self.options: list[str] = []
        self.records: dict[str, RecordState] = {}
        self.deleted: list[str] = []
        self.entries: dict[str, tuple[str, int]] = {}  # entry id -> (record id, priority)
        self.notes: dict[str, str] = {}  # note id -> record id
        self.tasks: dict[str, TaskState] = {}
        self.created_ids: list[tuple[str, str]] = []  # (kind, id) of every create answered
        self.counter = 0
        self.done = 0
        self.ops: dict[str, Callable[[], None]] = {
            kind: getattr(self, f"op_{kind}") for kind in DEFAULT_MIX
        }

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def mismatch(self, text: str) -> None:
        self.stats.mismatches.append(f"client {self.index}: {text}")

    # --- setup (not measured) ---

    def setup(self) -> bool:
        api = self.api
        made = api.call(
            "setup",
            "POST",
            "/objects",
            {
                "data": {
                    "api_slug": self.slug,
                    "singular_noun": f"Load item {self.index}",
                    "plural_noun": f"Load items {self.index}",
                }
            },
        )
        if made is None:
            return False
        self.object_id = made["data"]["id"]["object_id"]
        self.created_ids.append(("object", self.object_id))
        for api_slug, attribute_type, config, unique in SETUP_ATTRIBUTES:
            if not self._create_attribute(
                "setup", "objects", self.slug, api_slug, attribute_type, config, unique
            ):
                return False
            self.attribute_slugs.append(api_slug)
        for title in SETUP_OPTIONS:
            if not self._create_option("setup", title):
                return False
        made = api.call(
            "setup",
            "POST",
            "/lists",
            {
                "data": {
                    "name": f"Load list {self.index}",
                    "api_slug": self.list_slug,
                    "parent_object": self.slug,
                    "workspace_access": "full-access",
                    "workspace_member_access": [],
                }
            },
        )
        if made is None:
            return False
        self.list_id = made["data"]["id"]["list_id"]
        self.created_ids.append(("list", self.list_id))
        if not self._create_attribute(
            "setup", "lists", self.list_slug, "priority", "number", {}, False
        ):
            return False
        self.list_attribute_slugs.append("priority")
        return True

    def _create_attribute(
        self,
        kind: str,
        target: str,
        parent: str,
        api_slug: str,
        attribute_type: str,
        config: dict[str, Any],
        unique: bool,
    ) -> bool:
        made = self.api.call(
            kind,
            "POST",
            f"/{target}/{parent}/attributes",
            {
                "data": {
                    "title": api_slug.replace("_", " ").title(),
                    "description": None,
                    "api_slug": api_slug,
                    "type": attribute_type,
                    "is_required": False,
                    "is_unique": unique,
                    "is_multiselect": False,
                    "config": config,
                }
            },
        )
        if made is None:
            return False
        self.created_ids.append(("attribute", made["data"]["id"]["attribute_id"]))
        return True

    def _create_option(self, kind: str, title: str) -> bool:
        made = self.api.call(
            kind,
            "POST",
            f"/objects/{self.slug}/attributes/stage/options",
            {"data": {"title": title}},
        )
        if made is None:
            return False
        self.created_ids.append(("option", made["data"]["id"]["option_id"]))
        self.options.append(title)
        return True

    # --- the load ---

    def run_load(self) -> None:
        self.api.measure = True
        while self.done < self.requests:
            kind = self.rng.choices(self.kinds, self.weights)[0]
            self.ops[kind]()
            self.done += 1
        self.api.measure = False

    def _some_record(self) -> str | None:
        return self.rng.choice(list(self.records)) if self.records else None

    def _record_values(self, number: int) -> tuple[dict[str, Any], RecordState]:
        rng = self.rng
        state = RecordState(
            name=f"Item {self.index}-{number}",
            score=rng.randrange(1000),
            stage=rng.choice(self.options),
            email=f"item{number}.c{self.index}@load.example",
        )
        values = {
            "name": state.name,
            "score": state.score,
            "stage": state.stage,
            "active": rng.random() < 0.5,
            "due": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "amount": round(rng.uniform(0, 10_000), 2),
            "email": state.email,
            "rating": rng.randrange(6),
        }
        return values, state

    def _check_record(self, where: str, shown: dict[str, Any], record_id: str) -> None:
        """A record as the server shows it must hold what this client last wrote."""
        want = self.records[record_id]
        values = shown.get("values", {})
        got = (
            _first(values.get("name"), "value"),
            _first(values.get("score"), "value"),
            _first(values.get("stage"), "option", "title"),
            _first(values.get("email"), "email_address"),
        )
        if got != (want.name, want.score, want.stage, want.email) or (
            shown["id"]["record_id"] != record_id
        ):
            self.mismatch(f"{where} {record_id}: {got!r} != {want!r}")

    def op_list_objects(self) -> None:
        answer = self.api.call("list_objects", "GET", "/objects")
        if answer is not None and self.slug not in {o["api_slug"] for o in answer["data"]}:
            self.mismatch(f"list_objects lacks {self.slug}")

    def op_list_attributes(self) -> None:
        answer = self.api.call("list_attributes", "GET", f"/objects/{self.slug}/attributes")
        if answer is not None:
            got = [a["api_slug"] for a in answer["data"]]
            if got != self.attribute_slugs:
                self.mismatch(f"list_attributes {got} != {self.attribute_slugs}")

    def op_get_record(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        answer = self.api.call("get_record", "GET", f"/objects/{self.slug}/records/{record_id}")
        if answer is not None:
            self._check_record("get_record", answer["data"], record_id)

    def op_query_records(self) -> None:
        if self.rng.random() < 0.5:
            threshold = self.rng.randrange(1000)
            body: dict[str, Any] = {
                "filter": {"score": {"$gte": threshold}},
                "sorts": [{"attribute": "score", "direction": "desc"}],
            }
            want = {r for r, s in self.records.items() if s.score >= threshold}
        else:
            stage = self.rng.choice(self.options)
            body = {"filter": {"stage": stage}}
            want = {r for r, s in self.records.items() if s.stage == stage}
        body["limit"] = 1_000_000
        answer = self.api.call("query_records", "POST", f"/objects/{self.slug}/records/query", body)
        if answer is None:
            return
        got = [r["id"]["record_id"] for r in answer["data"]]
        if len(got) != len(set(got)) or set(got) != want:
            self.mismatch(
                f"query_records {body['filter']}: {len(got)} ids, {len(want)} expected, "
                f"missing {sorted(want - set(got))[:3]}, extra {sorted(set(got) - want)[:3]}"
            )
        scores = [_first(r["values"].get("score"), "value") for r in answer["data"]]
        if "sorts" in body and scores != sorted(scores, reverse=True):
            self.mismatch(f"query_records not sorted by score: {scores[:10]}")

    def op_query_entries(self) -> None:
        threshold = self.rng.randrange(100)
        answer = self.api.call(
            "query_entries",
            "POST",
            f"/lists/{self.list_slug}/entries/query",
            {"filter": {"priority": {"$gte": threshold}}, "limit": 1_000_000},
        )
        if answer is None:
            return
        want = {e for e, (_, p) in self.entries.items() if p >= threshold}
        got = [e["id"]["entry_id"] for e in answer["data"]]
        if len(got) != len(set(got)) or set(got) != want:
            self.mismatch(f"query_entries >= {threshold}: {len(got)} ids, {len(want)} expected")

    def op_list_notes(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        answer = self.api.call(
            "list_notes",
            "GET",
            "/notes",
            params={"parent_object": self.slug, "parent_record_id": record_id, "limit": 50},
        )
        if answer is None:
            return
        want = {n for n, r in self.notes.items() if r == record_id}
        got = {n["id"]["note_id"] for n in answer["data"]}
        if (got != want) if len(want) <= 50 else not got <= want:
            self.mismatch(f"list_notes of {record_id}: {len(got)} notes, {len(want)} expected")

    def op_get_task(self) -> None:
        if not self.tasks:
            self.op_create_task()
            return
        task_id = self.rng.choice(list(self.tasks))
        answer = self.api.call("get_task", "GET", f"/tasks/{task_id}")
        if answer is None:
            return
        want = self.tasks[task_id]
        task = answer["data"]
        linked = [link["target_record_id"] for link in task["linked_records"]]
        if linked != ([want.record_id] if want.record_id else []) or (
            task["is_completed"] != want.is_completed
        ):
            self.mismatch(f"get_task {task_id}: {linked} {task['is_completed']} != {want}")

    def op_create_record(self) -> None:
        number = self.next_number()
        values, state = self._record_values(number)
        answer = self.api.call(
            "create_record", "POST", f"/objects/{self.slug}/records", {"data": {"values": values}}
        )
        if answer is None:
            return
        record_id = answer["data"]["id"]["record_id"]
        if answer["data"]["id"]["object_id"] != self.object_id:
            self.mismatch(f"create_record answered a record of another object: {record_id}")
        if record_id in self.records:
            self.mismatch(f"create_record answered an existing id {record_id}")
        self.created_ids.append(("record", record_id))
        self.records[record_id] = state
        self._check_record("create_record", answer["data"], record_id)

    def op_update_record(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        state = self.records[record_id]
        new = RecordState(
            name=f"{state.name.split(' v')[0]} v{self.next_number()}",
            score=self.rng.randrange(1000),
            stage=self.rng.choice(self.options),
            email=state.email,
        )
        answer = self.api.call(
            "update_record",
            "PATCH",
            f"/objects/{self.slug}/records/{record_id}",
            {"data": {"values": {"name": new.name, "score": new.score, "stage": new.stage}}},
        )
        if answer is None:
            return
        self.records[record_id] = new
        self._check_record("update_record", answer["data"], record_id)

    def op_delete_record(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        answer = self.api.call(
            "delete_record", "DELETE", f"/objects/{self.slug}/records/{record_id}"
        )
        if answer is None:
            return
        if answer != {}:
            self.mismatch(f"delete_record answered {answer!r}")
        # What the API documents a delete takes with it: entries and notes; task links.
        del self.records[record_id]
        self.deleted.append(record_id)
        self.entries = {e: v for e, v in self.entries.items() if v[0] != record_id}
        self.notes = {n: r for n, r in self.notes.items() if r != record_id}
        for task in self.tasks.values():
            if task.record_id == record_id:
                task.record_id = None

    def op_create_entry(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        priority = self.rng.randrange(100)
        answer = self.api.call(
            "create_entry",
            "POST",
            f"/lists/{self.list_slug}/entries",
            {
                "data": {
                    "parent_record_id": record_id,
                    "parent_object": self.slug,
                    "entry_values": {"priority": priority},
                }
            },
        )
        if answer is None:
            return
        entry = answer["data"]
        entry_id = entry["id"]["entry_id"]
        if entry["parent_record_id"] != record_id or entry["id"]["list_id"] != self.list_id:
            self.mismatch(f"create_entry answered {entry['id']} for {record_id}")
        if _first(entry["entry_values"].get("priority"), "value") != priority:
            self.mismatch(f"create_entry {entry_id}: priority is not {priority}")
        self.created_ids.append(("entry", entry_id))
        self.entries[entry_id] = (record_id, priority)

    def op_create_note(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        number = self.next_number()
        answer = self.api.call(
            "create_note",
            "POST",
            "/notes",
            {
                "data": {
                    "parent_object": self.slug,
                    "parent_record_id": record_id,
                    "title": f"Note {self.index}-{number}",
                    "format": "markdown",
                    "content": f"# Call {number}\n\n**Client** {self.index} wrote this.",
                }
            },
        )
        if answer is None:
            return
        note = answer["data"]
        if note["parent_record_id"] != record_id or note["parent_object"] != self.slug:
            self.mismatch(f"create_note answered {note['id']} for {record_id}")
        self.created_ids.append(("note", note["id"]["note_id"]))
        self.notes[note["id"]["note_id"]] = record_id

    def op_create_task(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        number = self.next_number()
        assign = self.rng.random() < 0.5
        answer = self.api.call(
            "create_task",
            "POST",
            "/tasks",
            {
                "data": {
                    "content": f"[{self.slug}] follow up {number}",
                    "format": "plaintext",
                    "deadline_at": f"2027-01-{self.rng.randrange(1, 29):02d}T09:00:00Z",
                    "is_completed": False,
                    "linked_records": [{"target_object": self.slug, "target_record_id": record_id}],
                    "assignees": (
                        [{"workspace_member_email_address": self.member_email}] if assign else []
                    ),
                }
            },
        )
        if answer is None:
            return
        task_id = answer["data"]["id"]["task_id"]
        self.created_ids.append(("task", task_id))
        self.tasks[task_id] = TaskState(record_id=record_id, is_completed=False)

    def op_update_task(self) -> None:
        if not self.tasks:
            self.op_create_task()
            return
        task_id = self.rng.choice(list(self.tasks))
        completed = not self.tasks[task_id].is_completed
        answer = self.api.call(
            "update_task", "PATCH", f"/tasks/{task_id}", {"data": {"is_completed": completed}}
        )
        if answer is None:
            return
        self.tasks[task_id].is_completed = completed
        if answer["data"]["is_completed"] is not completed:
            self.mismatch(f"update_task {task_id} answered is_completed {not completed}")

    def op_create_attribute(self) -> None:
        number = self.next_number()
        api_slug = f"extra_{number}"
        attribute_type = EXTRA_TYPES[number % len(EXTRA_TYPES)]
        if self._create_attribute(
            "create_attribute", "objects", self.slug, api_slug, attribute_type, {}, False
        ):
            self.attribute_slugs.append(api_slug)

    def op_create_option(self) -> None:
        self._create_option("create_option", f"Stage {self.next_number()}")

    def op_get_deleted_record(self) -> None:
        if not self.deleted:
            self.op_get_record()
            return
        record_id = self.rng.choice(self.deleted)
        self.api.call(
            "get_deleted_record", "GET", f"/objects/{self.slug}/records/{record_id}", expect=404
        )

    def op_duplicate_unique(self) -> None:
        record_id = self._some_record()
        if record_id is None:
            self.op_create_record()
            return
        values, _ = self._record_values(self.next_number())
        values["email"] = self.records[record_id].email.upper()  # compared normalised
        self.api.call(
            "duplicate_unique",
            "POST",
            f"/objects/{self.slug}/records",
            {"data": {"values": values}},
            expect=409,
        )


def _first(items: Any, *path: str) -> Any:
    """The first value's field at `path` (None when the attribute holds no value)."""
    if not items:
        return None
    found = items[0]
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    return found


# --- whole-workspace snapshots ------------------------------------------------------------------


def snapshot_problems(state: dict[str, Any]) -> list[str]:
    """What no committed workspace can show: counts that disagree with the resources listed,
    an id listed twice, or a child whose parent is gone (a record's delete takes its entries,
    notes and task links with it in the same transaction)."""
    resources = state["resources"]
    found: list[str] = []
    for kind, items in resources.items():
        if state["counts"].get(kind, 0) != len(items):
            found.append(f"{kind}: counted {state['counts'].get(kind, 0)}, listed {len(items)}")
    ids = Counter(
        json.dumps(r["id"], sort_keys=True) for items in resources.values() for r in items
    )
    found += [f"listed twice: {i}" for i, n in ids.items() if n > 1][:5]
    objects = {o["id"]["object_id"] for o in resources["object"]}
    lists = {lst["id"]["list_id"] for lst in resources["list"]}
    attributes = {a["id"]["attribute_id"] for a in resources["attribute"]}
    records = {r["id"]["record_id"] for r in resources["record"]}
    orphans = [
        *(
            f"attribute {a['id']['attribute_id']}"
            for a in resources["attribute"]
            if a["id"]["object_id"] not in objects | lists
        ),
        *(
            f"option {o['id']['option_id']}"
            for o in resources["option"]
            if o["id"]["attribute_id"] not in attributes
        ),
        *(
            f"record {r['id']['record_id']}"
            for r in resources["record"]
            if r["id"]["object_id"] not in objects
        ),
        *(
            f"entry {e['id']['entry_id']}"
            for e in resources["entry"]
            if e["parent_record_id"] not in records or e["id"]["list_id"] not in lists
        ),
        *(
            f"note {n['id']['note_id']}"
            for n in resources["note"]
            if n["parent_record_id"] not in records
        ),
        *(
            f"task {t['id']['task_id']}"
            for t in resources["task"]
            if any(link["target_record_id"] not in records for link in t["linked_records"])
        ),
    ]
    found += [f"{orphan} has lost its parent" for orphan in orphans[:5]]
    return found


class Watcher:
    """Takes whole-workspace snapshots (`GET /_emulator/state`) while the load runs, each
    checked with `snapshot_problems`: a write seen half done would show there."""

    def __init__(self, control: str, interval: float):
        self.control = control
        self.interval = interval
        self.snapshots = 0
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        # The first snapshot is taken at once, so every run checks at least one.
        with httpx.Client(timeout=REQUEST_TIMEOUT) as http:
            while True:
                self._snapshot(http)
                if self._stop.wait(self.interval):
                    return

    def _snapshot(self, http: httpx.Client) -> None:
        try:
            response = http.get(f"{self.control}/_emulator/state")
            if response.status_code != 200:
                self.problems.append(f"state snapshot -> {response.status_code}")
                return
            found = snapshot_problems(response.json()["data"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            self.problems.append(f"state snapshot failed: {exc!r}")
            return
        self.snapshots += 1
        self.problems += [f"snapshot {self.snapshots}: {p}" for p in found]


# --- the run -------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    clients: int
    requests: int
    mix: dict[str, float]
    seed: int
    setup_s: float
    load_s: float
    stats: Stats
    problems: list[str]
    checks: dict[str, Any]
    counts_before: dict[str, int]
    counts_after: dict[str, int]

    @property
    def load_requests(self) -> int:
        return sum(len(v) for v in self.stats.latencies.values())

    @property
    def throughput(self) -> float:
        return self.load_requests / self.load_s if self.load_s else math.nan

    def latency_table(self) -> dict[str, dict[str, float]]:
        table = {
            kind: summarize(self.stats.latencies[kind]) for kind in sorted(self.stats.latencies)
        }
        table["reads"] = summarize(
            [v for k, vs in self.stats.latencies.items() if k in READ_KINDS for v in vs]
        )
        table["writes"] = summarize(
            [v for k, vs in self.stats.latencies.items() if k not in READ_KINDS for v in vs]
        )
        table["all"] = summarize([v for vs in self.stats.latencies.values() for v in vs])
        return table

    def as_json(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "requests": self.requests,
            "mix": self.mix,
            "seed": self.seed,
            "setup_s": round(self.setup_s, 3),
            "load_s": round(self.load_s, 3),
            "throughput_rps": round(self.throughput, 1),
            "latency": {
                k: {m: None if math.isnan(v) else round(v, 2) for m, v in row.items()}
                for k, row in self.latency_table().items()
            },
            "statuses": dict(sorted(self.stats.statuses.items())),
            "expected_4xx": dict(sorted(self.stats.expected_4xx.items())),
            "checks": self.checks,
            "counts_before": self.counts_before,
            "counts_after": self.counts_after,
            "problems": self.problems,
        }


def share(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal integers."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run(
    clients: int = 20,
    requests: int = 20_000,
    mix: dict[str, float] | None = None,
    seed: int = 1,
    workdir: Path | None = None,
    cwd: Path | None = None,
    watch_interval: float = 1.0,
    progress: Callable[[str], None] = lambda _: None,
) -> LoadResult:
    """Serve, load, check, restart, check again; always stops what it started.

    `watch_interval`: seconds between whole-workspace snapshots during the load (0: none).
    """
    mix = dict(DEFAULT_MIX if mix is None else mix)
    with tempfile.TemporaryDirectory(prefix="load-bench-") as scratch:
        where = workdir or Path(scratch)
        return _run(clients, requests, mix, seed, where, cwd, watch_interval, progress)


def _run(
    clients: int,
    requests: int,
    mix: dict[str, float],
    seed: int,
    workdir: Path,
    cwd: Path | None,
    watch_interval: float,
    progress: Callable[[str], None],
) -> LoadResult:
    db = workdir / "load.db"
    log = workdir / "server.log"
    problems: list[str] = []
    checks: dict[str, Any] = {}
    driver = Stats()
    server = Server(db, log, cwd)
    stopped = False
    try:
        api = Api(server.url, driver, "driver")
        control = server.url.removesuffix("/v2")
        counts_before = _state(control)["counts"]
        member = api.call("setup", "GET", "/workspace_members")
        member_email = member["data"][0]["email_address"]
        pool = [
            Client(i, server.url, n, mix, seed, member_email)
            for i, n in enumerate(share(requests, clients))
        ]
        timing = _drive(server, control, pool, watch_interval, checks, problems, progress)

        progress("checking")
        problems += _check_resources(api, control, pool, counts_before, checks)
        counted = _requests_counted(control)
        sent = driver.sent + sum(c.stats.sent for c in pool)
        sent_writes = driver.sent_writes + sum(c.stats.sent_writes for c in pool)
        checks["requests_sent"] = sent
        checks["requests_counted"] = counted["reads"] + counted["writes"]
        checks["writes_sent"] = sent_writes
        checks["writes_counted"] = counted["writes"]
        if (checks["requests_counted"], counted["writes"]) != (sent, sent_writes):
            problems.append(
                f"the server counted {checks['requests_counted']} requests "
                f"({counted['writes']} writes); {sent} were sent ({sent_writes} writes)"
            )
        before_restart = _state(control)
        problems += [f"final state: {p}" for p in snapshot_problems(before_restart)]
        api.close()

        progress("restarting the server on the same database")
        code = server.stop()
        stopped = True
        checks["exit_code"] = code
        if code != 0:
            problems.append(f"the server exited with {code} on SIGTERM (None: it hung)")
        server = Server(db, log, cwd)
        stopped = False
        control = server.url.removesuffix("/v2")
        after_restart = _state(control)
        checks["state_identical_after_restart"] = after_restart == before_restart
        if after_restart != before_restart:
            problems.append("the workspace differs after a restart on the same database")
        api = Api(server.url, driver, "driver after restart")
        checks["records_readable_after_restart"] = _check_records(api, pool, problems)
        api.close()
        code = server.stop()
        stopped = True
        checks["exit_code_after_restart"] = code
        if code != 0:
            problems.append(f"the restarted server exited with {code} (None: it hung)")
        checks["integrity_check"] = _integrity(db)
        if checks["integrity_check"] != "ok":
            problems.append(f"SQLite integrity_check: {checks['integrity_check']}")
    finally:
        if not stopped:
            server.stop()

    stats = Stats()
    stats.merge(driver)
    for client in pool:
        stats.merge(client.stats)
    log_text = log.read_text(errors="replace")
    checks["server_tracebacks"] = log_text.count("Traceback (most recent call last)")
    checks["server_5xx_logged"] = len(re.findall(r'" 5\d\d ', log_text))
    if checks["server_tracebacks"] or checks["server_5xx_logged"]:
        problems.append(
            f"server log: {checks['server_tracebacks']} tracebacks, "
            f"{checks['server_5xx_logged']} 5xx responses"
        )
    checks["5xx"] = len(stats.server_errors)
    checks["unexpected_status"] = len(stats.unexpected)
    checks["transport_errors"] = len(stats.transport_errors)
    checks["read_mismatches"] = len(stats.mismatches)
    for label, found in (
        ("5xx", stats.server_errors),
        ("unexpected status", stats.unexpected),
        ("transport error", stats.transport_errors),
        ("mismatch", stats.mismatches),
    ):
        problems += [f"{label}: {text}" for text in found[:20]]
        if len(found) > 20:
            problems.append(f"… and {len(found) - 20} more of {label}")
    return LoadResult(
        clients=clients,
        requests=requests,
        mix=mix,
        seed=seed,
        setup_s=timing.get("setup", math.nan),
        load_s=timing.get("load", math.nan),
        stats=stats,
        problems=problems,
        checks=checks,
        counts_before=counts_before,
        counts_after=after_restart["counts"],
    )


def _drive(
    server: Server,
    control: str,
    pool: list[Client],
    watch_interval: float,
    checks: dict[str, Any],
    problems: list[str],
    progress: Callable[[str], None],
) -> dict[str, float]:
    """Every client sets up, then all start the load together; the watcher runs meanwhile.
    Returns the setup's and the load's wall times."""
    timing: dict[str, float] = {}
    barrier = threading.Barrier(len(pool) + 1)
    failures: list[str] = []

    def work(client: Client) -> None:
        try:
            ready = client.setup()
        except Exception as exc:  # a harness bug or a malformed answer: report, go on
            failures.append(f"client {client.index} setup: {exc!r}")
            ready = False
        if not ready:
            failures.append(f"client {client.index}: setup failed, no load sent")
        barrier.wait()
        if ready:
            try:
                client.run_load()
            except Exception as exc:
                failures.append(f"client {client.index} load: {exc!r}")

    progress(f"setting up {len(pool)} clients")
    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in pool]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    barrier.wait()
    timing["setup"] = time.perf_counter() - started
    progress(f"load: {sum(c.requests for c in pool)} requests from {len(pool)} clients")
    watcher = Watcher(control, watch_interval) if watch_interval > 0 else None
    if watcher is not None:
        watcher.start()
    server_cpu, own_cpu = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    timing["load"] = time.perf_counter() - started
    own_cpu = time.process_time() - own_cpu
    server_cpu_after = server.cpu_seconds()
    if watcher is not None:
        watcher.stop()
        checks["snapshots_during_load"] = watcher.snapshots
        checks["inconsistent_snapshots"] = len(watcher.problems)
        problems += watcher.problems[:20]
    checks["server_cpu_s"] = (
        round(server_cpu_after - server_cpu, 2)
        if server_cpu is not None and server_cpu_after is not None
        else None
    )
    checks["clients_cpu_s"] = round(own_cpu, 2)
    for client in pool:
        client.api.close()
    problems += failures
    return timing


def _state(control: str) -> dict[str, Any]:
    return httpx.get(f"{control}/_emulator/state", timeout=REQUEST_TIMEOUT).json()["data"]


def _requests_counted(control: str) -> dict[str, Any]:
    return httpx.get(f"{control}/_emulator/requests", timeout=REQUEST_TIMEOUT).json()["data"]


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def _check_resources(
    api: Api,
    control: str,
    pool: list[Client],
    counts_before: dict[str, int],
    checks: dict[str, Any],
) -> list[str]:
    """Everything acknowledged is stored once, and nothing else was added."""
    problems: list[str] = []
    state = _state(control)
    resources = state["resources"]
    # Ids answered by creates are unique across all clients and kinds.
    created = [pair for c in pool for pair in c.created_ids]
    ids = Counter(resource_id for _, resource_id in created)
    duplicated = [i for i, n in ids.items() if n > 1]
    checks["ids_created"] = len(created)
    checks["duplicate_ids"] = len(duplicated)
    if duplicated:
        problems.append(f"{len(duplicated)} ids answered more than once, e.g. {duplicated[:3]}")

    lost = extra = 0
    expected_added: Counter[str] = Counter()
    attributes_by_parent: dict[str, list[str]] = {}
    for attribute in resources["attribute"]:
        attributes_by_parent.setdefault(attribute["id"]["object_id"], []).append(
            attribute["api_slug"]
        )
    options_by_owner: dict[str, list[str]] = {}
    for option in resources["option"]:
        options_by_owner.setdefault(option["id"]["attribute_id"], []).append(option["title"])
    for client in pool:
        if not client.object_id or not client.list_id:
            continue
        owned = {
            "record": (
                {
                    r["id"]["record_id"]
                    for r in resources["record"]
                    if r["id"]["object_id"] == client.object_id
                },
                set(client.records),
            ),
            "entry": (
                {
                    e["id"]["entry_id"]
                    for e in resources["entry"]
                    if e["id"]["list_id"] == client.list_id
                },
                set(client.entries),
            ),
            "note": (
                {
                    n["id"]["note_id"]
                    for n in resources["note"]
                    if n["parent_record_id"] in set(client.records) | set(client.deleted)
                },
                set(client.notes),
            ),
            "task": (
                {
                    t["id"]["task_id"]
                    for t in resources["task"]
                    if t["content_plaintext"].startswith(f"[{client.slug}]")
                },
                set(client.tasks),
            ),
        }
        for kind, (stored, acknowledged) in owned.items():
            missing, unexpected = acknowledged - stored, stored - acknowledged
            lost += len(missing)
            extra += len(unexpected)
            if missing or unexpected:
                problems.append(
                    f"client {client.index} {kind}s: {len(missing)} acknowledged but missing, "
                    f"{len(unexpected)} stored but never acknowledged"
                )
        tasks = {t["id"]["task_id"]: t for t in resources["task"]}
        for task_id, want in client.tasks.items():
            task = tasks.get(task_id)
            if task is None:
                continue
            linked = [link["target_record_id"] for link in task["linked_records"]]
            if linked != ([want.record_id] if want.record_id else []) or (
                task["is_completed"] != want.is_completed
            ):
                problems.append(f"client {client.index} task {task_id}: {linked} != {want}")
        slugs = attributes_by_parent.get(client.object_id, [])
        if slugs != client.attribute_slugs:
            problems.append(
                f"client {client.index} attributes: {slugs} != {client.attribute_slugs}"
            )
        list_slugs = attributes_by_parent.get(client.list_id, [])
        if list_slugs != client.list_attribute_slugs:
            problems.append(f"client {client.index} list attributes: {list_slugs}")
        stage_id = next(
            (
                a["id"]["attribute_id"]
                for a in resources["attribute"]
                if a["id"]["object_id"] == client.object_id and a["api_slug"] == "stage"
            ),
            None,
        )
        titles = options_by_owner.get(stage_id or "", [])
        if titles != client.options:
            problems.append(
                f"client {client.index} options: {len(titles)} stored, "
                f"{len(client.options)} acknowledged"
            )
        expected_added["object"] += 1
        expected_added["list"] += 1
        expected_added["attribute"] += len(client.attribute_slugs) + len(
            client.list_attribute_slugs
        )
        expected_added["option"] += len(client.options)
        expected_added["record"] += len(client.records)
        expected_added["entry"] += len(client.entries)
        expected_added["note"] += len(client.notes)
        expected_added["task"] += len(client.tasks)
    checks["lost_writes"] = lost
    checks["unacknowledged_resources"] = extra
    expected_counts = dict(counts_before)
    for kind, n in expected_added.items():
        expected_counts[kind] = expected_counts.get(kind, 0) + n
    checks["counts_expected"] = dict(sorted(expected_counts.items()))
    checks["counts_match"] = state["counts"] == expected_counts
    if not checks["counts_match"]:
        problems.append(f"counts {state['counts']} != expected {expected_counts}")
    checks["records_readable"] = _check_records(api, pool, problems)
    return problems


def _check_records(api: Api, pool: list[Client], problems: list[str]) -> bool:
    """Each client's records, read back through the API, hold the last values written."""
    good = True
    for client in pool:
        if not client.object_id:
            continue
        answer = api.call(
            "verify", "POST", f"/objects/{client.slug}/records/query", {"limit": 1_000_000}
        )
        if answer is None:
            good = False
            continue
        got = {r["id"]["record_id"]: r for r in answer["data"]}
        if len(got) != len(answer["data"]) or set(got) != set(client.records):
            problems.append(
                f"client {client.index}: {len(got)} records read back, {len(client.records)} "
                "acknowledged"
            )
            good = False
            continue
        before = len(client.stats.mismatches)
        for record_id, shown in got.items():
            client._check_record("read back", shown, record_id)
        if len(client.stats.mismatches) != before:
            problems += client.stats.mismatches[before:]
            del client.stats.mismatches[before:]
            good = False
    return good


# --- reporting -----------------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, float]:
    """`kind=weight,…` over the default mix; a weight of 0 leaves a kind out."""
    mix = dict(DEFAULT_MIX)
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, weight = item.partition("=")
        if not sep or kind not in DEFAULT_MIX:
            raise argparse.ArgumentTypeError(
                f"{item!r}: expected KIND=WEIGHT with KIND one of {', '.join(DEFAULT_MIX)}"
            )
        mix[kind] = float(weight)
    if sum(mix.values()) <= 0:
        raise argparse.ArgumentTypeError("the mix has no weight left")
    return mix


def render(result: LoadResult) -> str:
    lines = [
        f"Load: {result.clients} clients, {result.requests} requests, seed {result.seed}; "
        f"server: its own process, --rate-limit off --no-webhook-delivery, SQLite file",
        f"Setup (not measured): each client's object, {len(SETUP_ATTRIBUTES)} attributes, "
        f"{len(SETUP_OPTIONS)} options, a list and its attribute, in {result.setup_s:.1f} s",
        f"Load: {result.load_requests} requests in {result.load_s:.1f} s = "
        f"{result.throughput:.0f} requests/s",
        f"CPU during the load: server {_cpu(result.checks.get('server_cpu_s'), result.load_s)}, "
        f"clients {_cpu(result.checks.get('clients_cpu_s'), result.load_s)}",
        "",
        f"{'kind':<20} {'count':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  "
        "statuses",
        "-" * 80,
    ]
    by_kind: dict[str, list[str]] = {}
    for key, n in sorted(result.stats.statuses.items()):
        kind, status = key.rsplit(" ", 1)
        by_kind.setdefault(kind, []).append(f"{status}:{n}")
    for kind, row in result.latency_table().items():
        if kind == "reads":
            lines.append("-" * 80)
        lines.append(
            f"{kind:<20} {row['count']:>6} {row['p50_ms']:>8.1f} {row['p90_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['max_ms']:>8.1f}  {' '.join(by_kind.get(kind, []))}"
        )
    c = result.checks
    lines += [
        "",
        "Checks",
        f"  5xx responses                 {c.get('5xx')}",
        f"  unexpected statuses           {c.get('unexpected_status')}",
        f"  transport errors              {c.get('transport_errors')}",
        "  expected 4xx                  "
        + (", ".join(f"{k}: {n}" for k, n in sorted(result.stats.expected_4xx.items())) or "none"),
        f"  answers contradicting writes  {c.get('read_mismatches')}",
        f"  lost writes                   {c.get('lost_writes')}",
        f"  stored, never acknowledged    {c.get('unacknowledged_resources')}",
        f"  ids answered twice            {c.get('duplicate_ids')} of {c.get('ids_created')}",
        f"  counts match exactly          {_yes(c.get('counts_match'))}",
        f"  snapshots during the load     {c.get('snapshots_during_load', 'none taken')}, "
        f"{c.get('inconsistent_snapshots', 0)} problems",
        f"  requests counted / sent       {c.get('requests_counted')} / {c.get('requests_sent')} "
        f"(writes {c.get('writes_counted')} / {c.get('writes_sent')})",
        f"  server log                    {c.get('server_tracebacks')} tracebacks, "
        f"{c.get('server_5xx_logged')} 5xx",
        f"  after restart                 state identical "
        f"{_yes(c.get('state_identical_after_restart'))}, records readable "
        f"{_yes(c.get('records_readable_after_restart'))}, exit codes {c.get('exit_code')} "
        f"and {c.get('exit_code_after_restart')}, integrity {c.get('integrity_check')}",
        "",
        "Counts before: " + ", ".join(f"{k} {n}" for k, n in result.counts_before.items()),
        "Counts after:  " + ", ".join(f"{k} {n}" for k, n in result.counts_after.items()),
        "",
        "Result: " + ("PASS" if not result.problems else f"FAIL ({len(result.problems)} problems)"),
        *(f"  {p}" for p in result.problems),
    ]
    return "\n".join(line.rstrip() for line in lines)


def _cpu(seconds: float | None, wall: float) -> str:
    if seconds is None:
        return "unknown"
    return f"{seconds:.1f} s ({100 * seconds / wall:.0f}% of one core)"


def _yes(value: Any) -> str:
    return "yes" if value is True else "NO" if value is False else str(value)


def describe_machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, httpx {httpx.__version__}, "
        f"SQLite {sqlite3.sqlite_version}; load average before: "
        + " ".join(f"{x:.2f}" if isinstance(x, float) else x for x in load)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (threads)")
    parser.add_argument("--requests", type=int, default=20_000, help="requests in all clients")
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=dict(DEFAULT_MIX),
        metavar="KIND=WEIGHT,…",
        help="change weights of the default mix (0 leaves a kind out)",
    )
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="whole-workspace snapshot checks during the load (0: none)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the database and server log")
    args = parser.parse_args()
    if args.clients < 1 or args.requests < args.clients:
        parser.error("need at least one client and one request per client")
    machine = describe_machine()
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-")) if args.keep else None
    result = run(
        args.clients,
        args.requests,
        args.mix,
        args.seed,
        workdir,
        watch_interval=args.watch_interval,
        progress=lambda text: print(text, file=sys.stderr, flush=True),
    )
    if args.json:
        print(json.dumps({"machine": machine, **result.as_json()}, indent=2))
    else:
        print(f"Machine: {machine}")
        print(render(result))
    if workdir is not None:
        print(f"kept: {workdir}", file=sys.stderr)
    sys.exit(1 if result.problems else 0)


if __name__ == "__main__":
    main()
