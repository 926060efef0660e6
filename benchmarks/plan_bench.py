#!/usr/bin/env python
"""Plan benchmark (not a test): how long `plan` takes on a large workspace, how much memory it
needs, and whether it sends no more requests than Attio's API makes necessary.

What it does, in order:

1. Generates a large workspace (by default 50 custom objects x 100 attributes, 500 of them
   select/status attributes with 10 options/statuses each, 20 lists, 10 webhooks) and writes it
   straight into an emulator database through the emulator's own handlers (validated, but with
   no HTTP in between). Building is not measured.
2. Writes two temporary projects whose manifests are generated from the same description:
   `no-changes` declares exactly that workspace; `changes` declares it with a known set of
   differences (creates, updates, renames, new options and statuses, a type change, a webhook
   change, undeclared attributes).
3. Measures the CPU time (time.process_time) of compare + order + render (text, JSON, Markdown)
   on the in-memory models, with repeats; the goal is under 1 s for 5,000 attributes.
4. Serves the database over real HTTP on 127.0.0.1 (a free port), once per rate-limit mode,
   and times `schemactl.engine.make_plan()` against it: wall time, peak memory (tracemalloc,
   in a separate run), and the reads the server counted (GET /_emulator/requests), compared
   with the minimum the API allows.

Run `python benchmarks/plan_bench.py --help` for the options, and see benchmarks/README.md for
what every number means.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import gc
import json
import logging
import multiprocessing
import os
import platform
import pstats
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Runnable from a checkout without installing: the repository root goes on the path.
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import yaml  # noqa: E402

from schemactl import engine  # noqa: E402
from schemactl import model as m  # noqa: E402
from schemactl.attio import targets  # noqa: E402
from schemactl.attio.client import AttioClient  # noqa: E402
from schemactl.attio.read import ReadScope, read_workspace  # noqa: E402
from schemactl.emulator import Emulator, EmulatorConfig  # noqa: E402
from schemactl.emulator import attributes as em_attributes  # noqa: E402
from schemactl.emulator import choices as em_choices  # noqa: E402
from schemactl.emulator import lists as em_lists  # noqa: E402
from schemactl.emulator import objects as em_objects  # noqa: E402
from schemactl.emulator import webhooks as em_webhooks  # noqa: E402
from schemactl.emulator.server import build_server  # noqa: E402
from schemactl.manifest.build import title_from_slug  # noqa: E402
from schemactl.plan.build import build_plan  # noqa: E402
from schemactl.plan.changes import Plan  # noqa: E402
from schemactl.plan.compare import compare  # noqa: E402
from schemactl.plan.order import order  # noqa: E402
from schemactl.plan.render_json import render_json  # noqa: E402
from schemactl.plan.render_markdown import render_markdown  # noqa: E402
from schemactl.plan.render_text import render_text  # noqa: E402

_T0 = time.perf_counter()
TOKEN_ENV = "SCHEMACTL_BENCH_TOKEN"
ENVIRONMENT = "bench"
# Attio's page sizes, as the API documents them (schemactl.attio.read uses the same).
ATTRIBUTE_PAGE = 500
WEBHOOK_PAGE = 100
# Attio's published read budget.
READS_PER_SECOND = 100
CPU_GOAL_SECONDS = 1.0

# Non-choice attribute types, cycled through (select and status are placed separately).
PLAIN_TYPES = (
    "text",
    "number",
    "checkbox",
    "currency",
    "date",
    "timestamp",
    "rating",
    "record-reference",
    "actor-reference",
    "location",
    "domain",
    "email-address",
    "phone-number",
)
LIST_ATTRIBUTE_TYPES = ("text", "number", "date", "checkbox", "actor-reference", "rating")

# The read endpoints plan uses, by the emulator's OpenAPI path template.
SELF = "GET /v2/self"
OBJECTS = "GET /v2/objects"
LISTS = "GET /v2/lists"
ATTRIBUTES = "GET /v2/{target}/{identifier}/attributes"
OPTIONS = "GET /v2/{target}/{identifier}/attributes/{attribute}/options"
STATUSES = "GET /v2/{target}/{identifier}/attributes/{attribute}/statuses"
WEBHOOKS = "GET /v2/webhooks"


def quiet_server_log() -> None:
    """werkzeug logs every request to stderr; that is noise here, and costs the server time."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def log(message: str) -> None:
    print(f"[plan_bench {time.perf_counter() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- the workspace, as manifest data ------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    objects: int
    attributes: int
    choice_attributes: int
    choices: int
    lists: int
    list_attributes: int
    webhooks: int


def object_slug(i: int) -> str:
    return f"bench_object_{i:03d}"


def list_slug(j: int) -> str:
    return f"bench_list_{j:02d}"


def webhook_url(w: int) -> str:
    return f"https://hooks.example.com/bench/{w:03d}"


def make_spec(sizes: Sizes) -> dict[str, Any]:
    """The whole workspace as manifest data (what the YAML says, key for key)."""
    objects: dict[str, Any] = {}
    choice_total = min(sizes.choice_attributes, sizes.objects * sizes.attributes)
    base, extra = divmod(choice_total, sizes.objects) if sizes.objects else (0, 0)
    for i in range(sizes.objects):
        slug = object_slug(i)
        n_choice = base + (1 if i < extra else 0)
        attributes: dict[str, Any] = {}
        for k in range(sizes.attributes):
            if k < n_choice:
                kind = "select" if k % 2 == 0 else "status"
                a_slug = f"{kind}_{k:03d}"
                attribute: dict[str, Any] = {"type": kind}
                if kind == "select":
                    attribute["options"] = [f"Option {c + 1}" for c in range(sizes.choices)]
                    if k % 4 == 0:
                        attribute["is_multiselect"] = True
                else:
                    attribute["statuses"] = [
                        _status(c, sizes.choices) for c in range(sizes.choices)
                    ]
            else:
                kind = PLAIN_TYPES[(k + i) % len(PLAIN_TYPES)]
                a_slug = f"{kind.replace('-', '_')}_{k:03d}"
                attribute = {"type": kind}
                _plain_extras(attribute, kind, i, k)
            if k % 3 == 0:
                attribute["title"] = f"Field {k} of object {i}"
            if k % 5 == 0:
                attribute["description"] = f"Benchmark attribute {k} of {slug}."
            if k % 7 == 0:
                attribute["is_required"] = True
            attributes[a_slug] = attribute
        objects[slug] = {
            "singular_noun": f"Bench item {i}",
            "plural_noun": f"Bench items {i}",
            "attributes": attributes,
        }
    lists: dict[str, Any] = {}
    for j in range(sizes.lists):
        parent = object_slug(j % sizes.objects) if sizes.objects else "companies"
        declared: dict[str, Any] = {"name": f"Bench list {j}", "parent_object": parent}
        if j % 2 == 0:
            declared["workspace_access"] = "full-access"
        if sizes.list_attributes:
            declared["attributes"] = {
                f"{t.replace('-', '_')}_{k:02d}": {"type": t}
                for k in range(sizes.list_attributes)
                for t in [LIST_ATTRIBUTE_TYPES[k % len(LIST_ATTRIBUTE_TYPES)]]
            }
        lists[list_slug(j)] = declared
    webhooks = [_webhook(w, sizes) for w in range(sizes.webhooks)]
    spec: dict[str, Any] = {"objects": objects, "lists": lists, "webhooks": webhooks}
    return spec


def _status(c: int, count: int) -> Any:
    title = f"Stage {c + 1}"
    if c == count - 1:
        return {"title": title, "celebration_enabled": True}
    if c % 3 == 1:
        return {"title": title, "target_time_in_status": "P14D"}
    return title


def _plain_extras(attribute: dict[str, Any], kind: str, i: int, k: int) -> None:
    if kind == "currency":
        attribute["currency"] = {
            "default_currency_code": "USD" if k % 2 else "EUR",
            "display_type": "symbol",
        }
    elif kind == "record-reference":
        attribute["allowed_objects"] = ["companies"] if i == 0 else [object_slug(i - 1)]
        if k % 2:
            attribute["is_multiselect"] = True
    elif kind in ("email-address", "phone-number", "domain") and k % 2:
        attribute["is_multiselect"] = True
    elif kind == "actor-reference" and k % 2:
        attribute["default_value"] = {"type": "dynamic", "template": "current-user"}
    elif kind in ("date", "timestamp") and k % 2:
        attribute["default_value"] = {"type": "dynamic", "template": "P1M"}
    elif kind == "text" and k % 3 == 0:
        attribute["is_unique"] = True


def _webhook(w: int, sizes: Sizes) -> dict[str, Any]:
    subscriptions: list[dict[str, Any]] = [{"event_type": "object-attribute.updated"}]
    if sizes.objects:
        subscriptions.append(_filtered("record.created", "id.object_id", object_address(w, sizes)))
    if sizes.lists:
        target = f"lists/{list_slug(w % sizes.lists)}"
        subscriptions.append(_filtered("list-entry.created", "id.list_id", target))
    return {"target_url": webhook_url(w), "subscriptions": subscriptions}


def object_address(w: int, sizes: Sizes) -> str:
    return f"objects/{object_slug(w % sizes.objects)}"


def _filtered(event: str, field: str, address: str) -> dict[str, Any]:
    condition = {"field": field, "operator": "equals", "value": {"ref": address}}
    return {"event_type": event, "filter": {"$and": [condition]}}


def changed_spec(spec: dict[str, Any], sizes: Sizes) -> tuple[dict[str, Any], Counter[str], int]:
    """`spec` with a known set of differences; also the plan summary and unmanaged count that
    those differences must produce (checked after every plan)."""
    s = copy.deepcopy(spec)
    expected: Counter[str] = Counter()
    unmanaged = 0
    objects = s["objects"]
    slugs = [object_slug(i) for i in range(sizes.objects)]
    touched: set[tuple[str, str]] = set()

    def pick(kinds: tuple[str, ...], start: int) -> Iterator[tuple[str, str]]:
        """(object, attribute) of one of `kinds`, one per object from `start` on, untouched."""
        for n in range(len(slugs)):
            obj = slugs[(start + n) % len(slugs)]
            for a_slug, attribute in objects[obj]["attributes"].items():
                if attribute["type"] in kinds and (obj, a_slug) not in touched:
                    touched.add((obj, a_slug))
                    yield obj, a_slug
                    break

    plain = tuple(t for t in PLAIN_TYPES if t not in ("record-reference",))
    # A new object with ten attributes, one of them a select with options.
    new_attributes: dict[str, Any] = {f"note_{k}": {"type": "text"} for k in range(9)}
    new_attributes["kind"] = {"type": "select", "options": [f"Kind {c}" for c in range(10)]}
    objects["bench_new_object"] = {
        "singular_noun": "New bench item",
        "plural_noun": "New bench items",
        "attributes": new_attributes,
    }
    expected["create"] += 1 + 10 + 10
    # Titles changed: 20 updates.
    for obj, a_slug in _take(pick(plain, 0), 20):
        objects[obj]["attributes"][a_slug]["title"] = f"Retitled {a_slug}"
        expected["update"] += 1
    # New attributes on existing objects: 10 creates.
    for n in range(min(10, len(slugs))):
        obj = slugs[(20 + n) % len(slugs)]
        if "added_field" in objects[obj]["attributes"]:
            continue
        objects[obj]["attributes"]["added_field"] = {"type": "number"}
        touched.add((obj, "added_field"))
        expected["create"] += 1
    # One more option on 10 selects, one more status on 5 status attributes.
    for obj, a_slug in _take(pick(("select",), 0), 10):
        objects[obj]["attributes"][a_slug]["options"].append("Option new")
        expected["create"] += 1
    for obj, a_slug in _take(pick(("status",), 10), 5):
        objects[obj]["attributes"][a_slug]["statuses"].append("Stage new")
        expected["create"] += 1
    # Two attributes renamed in place.
    for obj, a_slug in _take(pick(("text", "number"), 30), 2):
        attributes = objects[obj]["attributes"]
        renamed = {**attributes.pop(a_slug), "renamed_from": a_slug}
        attributes[f"{a_slug}_renamed"] = renamed
        touched.add((obj, f"{a_slug}_renamed"))
        expected["rename"] += 1
    # Five attributes no longer declared: unmanaged (no pruning).
    for obj, a_slug in _take(pick(plain, 32), 5):
        del objects[obj]["attributes"][a_slug]
        unmanaged += 1
    # A type change Attio cannot make in place: a manual change.
    for obj, a_slug in _take(pick(("text",), 37), 1):
        attribute = objects[obj]["attributes"][a_slug]
        attribute["type"] = "number"
        attribute.pop("is_unique", None)
        expected["manual"] += 1
    # One webhook subscribes to one more event; a new webhook.
    if s["webhooks"]:
        s["webhooks"][0]["subscriptions"].append({"event_type": "record.deleted"})
        expected["update"] += 1
    s["webhooks"].append(
        {
            "target_url": "https://hooks.example.com/bench/new",
            "subscriptions": [{"event_type": "record.created"}],
        }
    )
    expected["create"] += 1
    # A new list with two attributes.
    s["lists"]["bench_list_new"] = {
        "name": "New bench list",
        "parent_object": slugs[0] if slugs else "companies",
        "attributes": {"owner": {"type": "actor-reference"}, "due": {"type": "date"}},
    }
    expected["create"] += 3
    return s, expected, unmanaged


def _take(items: Iterator[Any], n: int) -> list[Any]:
    out = []
    for item in items:
        if len(out) == n:
            break
        out.append(item)
    return out


# --- writing the workspace into the emulator ------------------------------------------------------


def build_database(db: Path, spec: dict[str, Any]) -> dict[str, int]:
    """Create everything in `spec` through the emulator's handlers, in one transaction."""
    emulator = Emulator(EmulatorConfig(db=str(db), id_seed=20261128))
    ws = emulator.workspace
    ids: dict[str, str] = {}
    try:
        with emulator.store.transaction():
            for obj in ws.store.all("object"):
                ids[f"objects/{obj['api_slug']}"] = obj["id"]["object_id"]
            for slug, declared in spec["objects"].items():
                created = em_objects.create_object(
                    ws,
                    {
                        "data": {
                            "api_slug": slug,
                            "singular_noun": declared["singular_noun"],
                            "plural_noun": declared["plural_noun"],
                        }
                    },
                )
                ids[f"objects/{slug}"] = created["id"]["object_id"]
            for slug, declared in spec["objects"].items():
                for a_slug, attribute in declared.get("attributes", {}).items():
                    _create_attribute(ws, "objects", ids[f"objects/{slug}"], a_slug, attribute)
            for slug, declared in spec["lists"].items():
                created = em_lists.create_list(
                    ws,
                    {
                        "data": {
                            "name": declared["name"],
                            "api_slug": slug,
                            "parent_object": declared["parent_object"],
                            "workspace_access": declared.get("workspace_access", "full-access"),
                            "workspace_member_access": [],
                        }
                    },
                )
                ids[f"lists/{slug}"] = created["id"]["list_id"]
                for a_slug, attribute in declared.get("attributes", {}).items():
                    _create_attribute(ws, "lists", ids[f"lists/{slug}"], a_slug, attribute)
            for hook in spec["webhooks"]:
                subscriptions = [
                    {
                        "event_type": sub["event_type"],
                        "filter": _ids_for_refs(sub.get("filter"), ids),
                    }
                    for sub in hook["subscriptions"]
                ]
                em_webhooks.create_webhook(
                    ws, {"data": {"target_url": hook["target_url"], "subscriptions": subscriptions}}
                )
        return emulator.store.counts()
    finally:
        emulator.close()


def _create_attribute(
    ws: Any, target: str, parent_id: str, slug: str, spec: dict[str, Any]
) -> None:
    config: dict[str, Any] = {}
    if "currency" in spec:
        config["currency"] = spec["currency"]
    if "allowed_objects" in spec:
        config["record_reference"] = {"allowed_objects": spec["allowed_objects"]}
    body: dict[str, Any] = {
        "title": spec.get("title") or title_from_slug(slug),
        "description": spec.get("description"),
        "api_slug": slug,
        "type": spec["type"],
        "is_required": spec.get("is_required", False),
        "is_unique": spec.get("is_unique", False),
        "is_multiselect": spec.get("is_multiselect", False),
        "config": config,
    }
    if "default_value" in spec:
        body["default_value"] = spec["default_value"]
    created = em_attributes.create_attribute(ws, target, parent_id, {"data": body})
    attribute_id = created["id"]["attribute_id"]
    for option in spec.get("options", ()):
        em_choices.create_choice(
            ws, "option", target, parent_id, attribute_id, {"data": {"title": option}}
        )
    for status in spec.get("statuses", ()):
        data = {"title": status} if isinstance(status, str) else dict(status)
        em_choices.create_choice(ws, "status", target, parent_id, attribute_id, {"data": data})


def _ids_for_refs(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return ids[value["ref"]]
        return {k: _ids_for_refs(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_ids_for_refs(v, ids) for v in value]
    return value


# --- the projects ---------------------------------------------------------------------------------


def write_project(directory: Path, spec: dict[str, Any]) -> int:
    """Manifests for `spec`, one file per object plus lists.yaml and webhooks.yaml."""
    manifests = directory / "manifests"
    manifests.mkdir(parents=True)
    files = 0
    for slug, declared in spec["objects"].items():
        _dump(manifests / f"{slug}.yaml", {"objects": {slug: declared}})
        files += 1
    if spec["lists"]:
        _dump(manifests / "lists.yaml", {"lists": spec["lists"]})
        files += 1
    if spec["webhooks"]:
        _dump(manifests / "webhooks.yaml", {"webhooks": spec["webhooks"]})
        files += 1
    point_project(directory, "http://127.0.0.1:1/v2")
    return files


def point_project(directory: Path, url: str) -> None:
    """(Re)write schemactl.yaml so the bench environment's workspace is `url`."""
    (directory / "schemactl.yaml").write_text(
        "version: 1\n"
        "manifests: [manifests/]\n"
        f"default_environment: {ENVIRONMENT}\n"
        "environments:\n"
        f"  {ENVIRONMENT}:\n"
        f"    workspace: {url}\n"
        f"    token_env: {TOKEN_ENV}\n",
        encoding="utf-8",
    )


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )


# --- the minimum number of reads ------------------------------------------------------------------


def minimum_reads(state: dict[str, Any], spec: dict[str, Any]) -> dict[str, int]:
    """The fewest reads that can plan `spec` against the workspace in `state`, by endpoint.

    1 GET /self + 1 GET /objects + 1 GET /lists (neither is paginated); for every declared
    object or list that exists (by slug, else by renamed_from) its attributes, archived ones
    included, in pages of 500 (Attio gives no total, so the listing ends at the first page shorter
    than 500: n attributes take n // 500 + 1 pages); one options or statuses call per declared
    select/status attribute that exists as a select/status attribute (archived ones included,
    in one unpaginated call); and the webhooks in pages of 100 (w // 100 + 1).
    """
    resources = state["resources"]
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for attribute in resources["attribute"]:
        by_parent.setdefault(attribute["id"]["object_id"], []).append(attribute)
    counts = Counter({SELF: 1, OBJECTS: 1, LISTS: 1})
    for kind, id_key in (("object", "object_id"), ("list", "list_id")):
        live = {r["api_slug"]: r for r in resources[kind]}
        for slug, declared in spec[f"{kind}s"].items():
            parent = live.get(slug) or live.get(declared.get("renamed_from") or "")
            if parent is None:
                continue
            live_attributes = by_parent.get(parent["id"][id_key], [])
            counts[ATTRIBUTES] += len(live_attributes) // ATTRIBUTE_PAGE + 1
            by_slug = {a["api_slug"]: a for a in live_attributes}
            for a_slug, attribute in (declared.get("attributes") or {}).items():
                if attribute.get("type") not in ("select", "status"):
                    continue
                found = by_slug.get(a_slug) or by_slug.get(attribute.get("renamed_from") or "")
                if found is not None and found["type"] in ("select", "status"):
                    counts[OPTIONS if found["type"] == "select" else STATUSES] += 1
    counts[WEBHOOKS] += len(resources["webhook"]) // WEBHOOK_PAGE + 1
    return dict(sorted(counts.items()))


# --- serving --------------------------------------------------------------------------------------


class Served:
    """The database served over real HTTP on 127.0.0.1, in a thread or a child process."""

    def __init__(self, db: Path, rate_limit: str, token: str, where: str):
        self.db, self.rate_limit, self.token, self.where = db, rate_limit, token, where
        self.url = ""
        self._stop: Callable[[], None] = lambda: None

    def __enter__(self) -> Served:
        if self.where == "thread":
            emulator = Emulator(
                EmulatorConfig(
                    db=str(self.db), tokens={self.token: None}, rate_limit=self.rate_limit
                )
            )
            server = build_server(emulator, "127.0.0.1", 0)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            port = server.port

            def stop() -> None:
                server.shutdown()
                server.server_close()
                thread.join(timeout=10)
                emulator.close()

        else:
            context = multiprocessing.get_context("spawn")
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_serve_in_child,
                args=(str(self.db), self.rate_limit, self.token, child_end),
                daemon=True,
            )
            process.start()
            port = parent_end.recv()

            def stop() -> None:
                parent_end.send("stop")
                process.join(timeout=10)
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=5)

        self.url = f"http://127.0.0.1:{port}/v2"
        self._stop = stop
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def control(self, method: str, name: str) -> dict[str, Any]:
        base = self.url.removesuffix("/v2")
        response = httpx.request(method, f"{base}/_emulator/{name}", timeout=60)
        response.raise_for_status()
        return response.json()["data"]


def _serve_in_child(db: str, rate_limit: str, token: str, conn: Any) -> None:
    quiet_server_log()
    emulator = Emulator(EmulatorConfig(db=db, tokens={token: None}, rate_limit=rate_limit))
    server = build_server(emulator, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    conn.send(server.port)
    with contextlib.suppress(EOFError):
        conn.recv()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    emulator.close()


@contextlib.contextmanager
def client_options(**overrides: Any) -> Iterator[None]:
    """Clients that open_client makes get these AttioClient options (the benchmark's own
    switch: the library has no setting for them). Used for `off` (no client-side pacing) and
    for profiling (one worker, so cProfile sees every call)."""
    original = targets.AttioClient

    class Configured(AttioClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**overrides, **kwargs})

    targets.AttioClient = Configured  # type: ignore[misc]
    try:
        yield
    finally:
        targets.AttioClient = original  # type: ignore[misc]


class _RetryCounter(logging.Handler):
    """Counts the client's own "rate-limit retry" and "retry" log lines (429s and 5xx)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.rate_limited = 0
        self.other = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "rate-limit retry" in text:
            self.rate_limited += 1
        elif ": retry " in text:
            self.other += 1


@contextlib.contextmanager
def counting_retries() -> Iterator[_RetryCounter]:
    logger = logging.getLogger("schemactl.attio")
    counter = _RetryCounter()
    old_level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)


# --- measuring plan -------------------------------------------------------------------------------


MODES = {
    # server limit, client options, what it shows
    "real": ("real", {}, "server enforces 100 reads/s; client as shipped (paced at 100 reads/s)"),
    "off": ("off", {"read_rate": None, "write_rate": None}, "no server limit, no client pacing"),
    "off-paced": ("off", {}, "no server limit; client as shipped (paced at 100 reads/s)"),
}


def plan_once(project: Path, served: Served, options: dict[str, Any]) -> dict[str, Any]:
    served.control("DELETE", "requests")
    gc.collect()
    with client_options(**options), counting_retries() as retries:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = engine.make_plan(project, ENVIRONMENT)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    reached = served.control("GET", "requests")
    return {
        "wall_s": wall,
        "process_cpu_s": cpu,
        "reads": reached["reads"],
        "writes": reached["writes"],
        "by_endpoint": reached["counts"],
        "client_requests": result.requests,
        "retries_429": retries.rate_limited,
        "retries_other": retries.other,
        "plan": result.plan,
    }


def plan_peak_memory(project: Path, served: Served, options: dict[str, Any]) -> int:
    served.control("DELETE", "requests")
    gc.collect()
    with client_options(**options):
        tracemalloc.start()
        try:
            engine.make_plan(project, ENVIRONMENT)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak


def measure_plans(
    args: argparse.Namespace,
    db: Path,
    token: str,
    projects: dict[str, Path],
    specs: dict[str, dict[str, Any]],
    expectations: dict[str, tuple[Counter[str], int]],
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # Peak memory is measured once per scenario (tracemalloc makes a run several times slower):
    # in mode `off` when it is run, else in the last mode.
    memory_mode = "off" if "off" in args.modes else args.modes[-1]
    for mode in args.modes:
        server_limit, options, meaning = MODES[mode]
        with Served(db, server_limit, token, args.server) as served:
            log(f"mode {mode}: serving at {served.url} ({args.server})")
            state = served.control("GET", "state")
            for scenario, project in projects.items():
                point_project(project, served.url)
                minimum = minimum_reads(state, specs[scenario])
                runs = []
                for n in range(args.repeats):
                    run = plan_once(project, served, options)
                    log(
                        f"  {scenario} run {n + 1}/{args.repeats}: {run['wall_s']:.2f} s, "
                        f"{run['reads']} reads (minimum {sum(minimum.values())})"
                    )
                    runs.append(run)
                measure_memory = args.memory and mode == memory_mode
                peak = plan_peak_memory(project, served, options) if measure_memory else None
                if peak is not None:
                    log(f"  {scenario} peak memory: {peak / 2**20:.1f} MiB")
                rows.append(
                    _plan_row(mode, meaning, scenario, runs, peak, minimum, expectations[scenario])
                )
    return rows


def _plan_row(
    mode: str,
    meaning: str,
    scenario: str,
    runs: list[dict[str, Any]],
    peak: int | None,
    minimum: dict[str, int],
    expected: tuple[Counter[str], int],
) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    last = runs[-1]
    plan: Plan = last["plan"]
    expected_summary = {k: v for k, v in expected[0].items() if v}
    got_summary = {k: v for k, v in plan.summary.items() if v}
    reads = [r["reads"] for r in runs]
    minimum_total = sum(minimum.values())
    return {
        "mode": mode,
        "mode_meaning": meaning,
        "scenario": scenario,
        "runs": len(runs),
        "wall_s_median": statistics.median(walls),
        "wall_s_min": min(walls),
        "wall_s_max": max(walls),
        "process_cpu_s_median": statistics.median(r["process_cpu_s"] for r in runs),
        "peak_memory_mib": None if peak is None else peak / 2**20,
        "reads": reads,
        "writes": [r["writes"] for r in runs],
        "client_requests": [r["client_requests"] for r in runs],
        "retries_429": [r["retries_429"] for r in runs],
        "retries_other": [r["retries_other"] for r in runs],
        "minimum_reads": minimum_total,
        "minimum_by_endpoint": minimum,
        # The run with the most reads: where any excess shows.
        "reads_by_endpoint": max(runs, key=lambda r: r["reads"])["by_endpoint"],
        "reads_equal_minimum": all(n == minimum_total for n in reads)
        and all(r["writes"] == 0 for r in runs),
        "budget_floor_s": (minimum_total - 1) / READS_PER_SECOND,
        "changes": len(plan.changes),
        "summary": got_summary,
        "unmanaged": len(plan.unmanaged),
        "plan_as_expected": got_summary == expected_summary and len(plan.unmanaged) == expected[1],
        "expected_summary": expected_summary,
        "expected_unmanaged": expected[1],
    }


# --- compare + order + render CPU -----------------------------------------------------------------


def read_in_process(db: str, desired: m.Workspace) -> Any:
    """The live model as plan reads it, from the emulator in process (not measured)."""
    emulator = Emulator(EmulatorConfig(db=db))
    client = AttioClient(
        "http://emulator/v2",
        transport=httpx.WSGITransport(app=emulator),
        read_rate=None,
        write_rate=None,
        on_close=emulator.close,
    )
    with client:
        return read_workspace(client, ReadScope.for_desired(desired))


STAGES = ("compare", "order", "build_plan", "render_text", "render_json", "render_markdown")


def pipeline_once(desired: m.Workspace, live: Any) -> tuple[dict[str, float], Plan]:
    times: dict[str, float] = {}
    clock = time.process_time
    t = clock()
    comparison = compare(desired, live.workspace)
    times["compare"] = clock() - t
    t = clock()
    order(comparison.changes)
    times["order"] = clock() - t
    t = clock()
    plan = build_plan(desired, live.workspace, live.ids, environment=ENVIRONMENT)
    times["build_plan"] = clock() - t
    for name, render in (
        ("render_text", render_text),
        ("render_json", render_json),
        ("render_markdown", render_markdown),
    ):
        t = clock()
        render(plan)
        times[name] = clock() - t
    # build_plan is compare + order + ref resolution: the total counts it, not its parts again.
    times["total"] = times["build_plan"] + sum(
        times[f"render_{r}"] for r in ("text", "json", "markdown")
    )
    return times, plan


def measure_cpu(
    args: argparse.Namespace, cases: dict[str, tuple[m.Workspace, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for name, (desired, live) in cases.items():
        samples: list[dict[str, float]] = []
        plan: Plan | None = None
        for _ in range(args.cpu_repeats):
            gc.collect()
            times, plan = pipeline_once(desired, live)
            samples.append(times)
        assert plan is not None
        medians = {k: statistics.median(s[k] for s in samples) for k in (*STAGES, "total")}
        attributes = sum(len(p.attributes) for p in (*desired.objects, *desired.lists))
        rows.append(
            {
                "case": name,
                "declared_attributes": attributes,
                "live_attributes": sum(
                    len(p.attributes) for p in (*live.workspace.objects, *live.workspace.lists)
                ),
                "changes": len(plan.changes),
                "summary": {k: v for k, v in plan.summary.items() if v},
                "unmanaged": len(plan.unmanaged),
                "repeats": args.cpu_repeats,
                "median_cpu_s": medians,
                "total_cpu_s_all": [s["total"] for s in samples],
                "under_goal": medians["total"] < CPU_GOAL_SECONDS,
            }
        )
        log(f"cpu {name}: total {medians['total']:.3f} s CPU (median of {args.cpu_repeats})")
    return rows


# --- profiles -------------------------------------------------------------------------------------


def profile_rows(profiler: cProfile.Profile, top: int) -> dict[str, Any]:
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(filename)}:{line}({name})",
                "calls": nc,
                "self_s": tt,
                "cumulative_s": ct,
            }
        )
    by_self = sorted(rows, key=lambda r: r["self_s"], reverse=True)[:top]
    by_cumulative = sorted(rows, key=lambda r: r["cumulative_s"], reverse=True)[:top]
    return {"total_s": total, "by_self": by_self, "by_cumulative": by_cumulative}


def _short(filename: str) -> str:
    """A file name without this machine's directories: package-relative where possible."""
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/schemactl/", "/lib/python"):
        if marker in path:
            _, _, tail = path.rpartition(marker)
            if marker == "/schemactl/":
                return "schemactl/" + tail
            if marker == "/lib/python":
                return "stdlib/" + tail.partition("/")[2]
            return tail
    return path.rsplit("/", 1)[-1]


def profile_plan(args: argparse.Namespace, db: Path, token: str, project: Path) -> dict[str, Any]:
    """cProfile of make_plan, served in the configured way with no limit and no pacing, and
    one client worker so that every client call runs on the profiled thread."""
    options = {"read_rate": None, "write_rate": None, "max_workers": 1}
    with Served(db, "off", token, args.server) as served:
        point_project(project, served.url)
        engine.make_plan(project, ENVIRONMENT)  # warm-up (imports, caches)
        profiler = cProfile.Profile()
        with client_options(**options):
            wall0 = time.perf_counter()
            profiler.enable()
            engine.make_plan(project, ENVIRONMENT)
            profiler.disable()
            wall = time.perf_counter() - wall0
    rows = profile_rows(profiler, args.profile_top)
    rows["wall_s"] = wall
    return rows


def profile_cpu(desired: m.Workspace, live: Any, top: int) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.enable()
    pipeline_once(desired, live)
    profiler.disable()
    return profile_rows(profiler, top)


def time_load(project: Path, repeats: int) -> float:
    """Median wall time of loading and validating the manifests alone (engine.load_desired)."""
    walls = []
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        engine.load_desired(project, ENVIRONMENT)
        walls.append(time.perf_counter() - t)
    return statistics.median(walls)


# --- output ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpus_usable": usable,
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
    }


def print_table(report: dict[str, Any]) -> None:
    out = sys.stdout
    mach, sizes, built = report["machine"], report["sizes"], report["built"]
    print(
        f"Machine: {mach['cpus_usable']} CPUs ({mach['cpu_model'] or 'unknown model'}), "
        f"{mach['implementation']} {mach['python']}, {mach['platform']}",
        file=out,
    )
    print(f"Date: {report['date']}  server: {report['server']}", file=out)
    print(
        f"Workspace: {sizes['objects']} objects x {sizes['attributes']} attributes "
        f"({sizes['choice_attributes']} select/status with {sizes['choices']} options/statuses "
        f"each), {sizes['lists']} lists x {sizes['list_attributes']} attributes, "
        f"{sizes['webhooks']} webhooks",
        file=out,
    )
    print(
        "Emulator database: "
        + ", ".join(f"{kind}: {n}" for kind, n in built["counts"].items())
        + f" (built in {built['seconds']:.1f} s, not measured)",
        file=out,
    )
    print(
        "Manifests: "
        + ", ".join(f"{k} {n} files" for k, n in built["manifest_files"].items())
        + "; load + validate alone "
        + ", ".join(f"{k} {v:.2f} s" for k, v in report["load_desired_s"].items()),
        file=out,
    )
    print(file=out)
    print("plan (engine.make_plan over HTTP)", file=out)
    header = (
        f"{'mode':<10} {'scenario':<11} {'wall median':>11} {'min-max':>13} {'cpu':>7} "
        f"{'peak MiB':>8} {'reads':>6} {'minimum':>7} {'equal':>5} {'429s':>5} {'floor':>7} "
        f"{'changes':>7} {'expected':>8}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for row in report["plans"]:
        reads = row["reads"]
        shown_reads = str(reads[0]) if len(set(reads)) == 1 else f"{min(reads)}-{max(reads)}"
        peak = "-" if row["peak_memory_mib"] is None else f"{row['peak_memory_mib']:.1f}"
        print(
            f"{row['mode']:<10} {row['scenario']:<11} {row['wall_s_median']:>9.2f} s "
            f"{row['wall_s_min']:>5.2f}-{row['wall_s_max']:<5.2f}s "
            f"{row['process_cpu_s_median']:>5.2f} s {peak:>8} {shown_reads:>6} "
            f"{row['minimum_reads']:>7} "
            f"{'yes' if row['reads_equal_minimum'] else 'NO':>5} {sum(row['retries_429']):>5} "
            f"{row['budget_floor_s']:>5.2f} s {row['changes']:>7} "
            f"{'yes' if row['plan_as_expected'] else 'NO':>8}",
            file=out,
        )
    if report["plans"]:
        minimum = report["plans"][0]["minimum_by_endpoint"]
        print(
            "minimum reads by endpoint: "
            + ", ".join(f"{key.removeprefix('GET ')} {n}" for key, n in minimum.items()),
            file=out,
        )
    for row in report["plans"]:
        if not row["reads_equal_minimum"]:
            print(
                f"  {row['mode']}/{row['scenario']}: reads by endpoint in the run with the most "
                f"reads ({max(row['reads'])}), where they differ from the minimum:",
                file=out,
            )
            keys = sorted(set(row["reads_by_endpoint"]) | set(row["minimum_by_endpoint"]))
            for key in keys:
                got = row["reads_by_endpoint"].get(key, 0)
                want = row["minimum_by_endpoint"].get(key, 0)
                if got != want:
                    print(f"    {key}: {got} (minimum {want})", file=out)
        if not row["plan_as_expected"]:
            print(
                f"  {row['mode']}/{row['scenario']}: plan {row['summary']} + "
                f"{row['unmanaged']} unmanaged; expected {row['expected_summary']} + "
                f"{row['expected_unmanaged']} unmanaged",
                file=out,
            )
    print(file=out)
    print("compare + order + render, CPU seconds (time.process_time), medians", file=out)
    header = (
        f"{'case':<14} {'attrs':>5} {'changes':>7} {'compare':>8} {'order':>7} {'build':>7} "
        f"{'text':>7} {'json':>7} {'markdown':>8} {'total':>7} {'total min-max':>13} {'< 1 s':>5}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for row in report["cpu"]:
        t, totals = row["median_cpu_s"], row["total_cpu_s_all"]
        print(
            f"{row['case']:<14} {row['declared_attributes']:>5} {row['changes']:>7} "
            f"{t['compare']:>8.3f} {t['order']:>7.3f} {t['build_plan']:>7.3f} "
            f"{t['render_text']:>7.3f} {t['render_json']:>7.3f} {t['render_markdown']:>8.3f} "
            f"{t['total']:>7.3f} {min(totals):>6.3f}-{max(totals):<6.3f} "
            f"{'yes' if row['under_goal'] else 'NO':>5}",
            file=out,
        )
    print("  total = build_plan (compare + order + refs) + the three renders", file=out)
    for name, prof in report.get("profiles", {}).items():
        print(file=out)
        extra = f", wall {prof['wall_s']:.2f} s" if "wall_s" in prof else ""
        print(f"profile: {name} (profiled time {prof['total_s']:.2f} s{extra})", file=out)
        for title, key in (("by self time", "by_self"), ("by cumulative time", "by_cumulative")):
            print(f"  top {len(prof[key])} {title}:", file=out)
            for r in prof[key]:
                print(
                    f"    {r['self_s']:>7.3f} self {r['cumulative_s']:>7.3f} cum "
                    f"{r['calls']:>9} calls  {r['function']}",
                    file=out,
                )


def _jsonable(report: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(report, default=str))


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark schemactl plan on a large emulated workspace (not a test).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--objects", type=int, default=50, help="custom objects")
    p.add_argument("--attributes", type=int, default=100, help="attributes per custom object")
    p.add_argument(
        "--choice-attributes",
        type=int,
        default=500,
        help="how many of the object attributes are select/status (half each), spread evenly",
    )
    p.add_argument("--choices", type=int, default=10, help="options or statuses per select/status")
    p.add_argument("--lists", type=int, default=20, help="lists")
    p.add_argument("--list-attributes", type=int, default=0, help="attributes per list")
    p.add_argument("--webhooks", type=int, default=10, help="webhooks")
    p.add_argument("--repeats", type=int, default=3, help="timed plans per mode and scenario")
    p.add_argument("--cpu-repeats", type=int, default=5, help="repeats of compare+order+render")
    p.add_argument(
        "--modes",
        default="real,off",
        help=f"comma-separated plan modes: {', '.join(MODES)}",
    )
    p.add_argument(
        "--server",
        choices=("thread", "process"),
        default="thread",
        help="serve the emulator in a thread of this process, or in a child process (then "
        "plan's CPU time and peak memory exclude the server's own work)",
    )
    p.add_argument("--no-memory", dest="memory", action="store_false", help="skip tracemalloc runs")
    p.add_argument("--profile", action="store_true", help="also cProfile plan and the CPU pipeline")
    p.add_argument("--profile-top", type=int, default=15, help="functions shown per profile")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    args.modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    unknown = [mode for mode in args.modes if mode not in MODES]
    if unknown:
        p.error(f"unknown mode(s) {', '.join(unknown)}; use {', '.join(MODES)}")
    if args.objects < 1 or args.attributes < 0 or args.repeats < 1 or args.cpu_repeats < 1:
        p.error("--objects and the repeat counts must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_server_log()
    sizes = Sizes(
        args.objects,
        args.attributes,
        args.choice_attributes,
        args.choices,
        args.lists,
        args.list_attributes,
        args.webhooks,
    )
    started = time.perf_counter()
    token = secrets.token_hex(16)
    os.environ[TOKEN_ENV] = token
    tmp = tempfile.mkdtemp(prefix="schemactl-plan-bench-")
    root = Path(tmp)
    try:
        spec = make_spec(sizes)
        changed, expected, unmanaged = changed_spec(spec, sizes)
        specs = {"no-changes": spec, "changes": changed}
        expectations = {"no-changes": (Counter(), 0), "changes": (expected, unmanaged)}

        db = root / "workspace.db"
        t = time.perf_counter()
        counts = build_database(db, spec)
        build_seconds = time.perf_counter() - t
        log(f"built the workspace in {build_seconds:.1f} s: {counts}")

        projects = {name: root / name for name in specs}
        files = {name: write_project(project, specs[name]) for name, project in projects.items()}
        load_times = {name: time_load(project, 3) for name, project in projects.items()}
        log("manifest load: " + ", ".join(f"{k} {v:.2f} s" for k, v in load_times.items()))

        # In-memory models for the CPU measurement (nothing here is timed).
        desired = {
            name: engine.load_desired(p, ENVIRONMENT).manifests.workspace
            for name, p in projects.items()
        }
        live = read_in_process(str(db), desired["changes"])
        fresh = read_in_process(":memory:", desired["no-changes"])
        cases = {
            "no-changes": (desired["no-changes"], live),
            "changes": (desired["changes"], live),
            "all-new": (desired["no-changes"], fresh),
        }
        cpu_rows = measure_cpu(args, cases)

        plan_rows = measure_plans(args, db, token, projects, specs, expectations)

        profiles: dict[str, Any] = {}
        if args.profile:
            log("profiling make_plan (changes) ...")
            profiles["make_plan, changes (no limit, no pacing, 1 client worker)"] = profile_plan(
                args, db, token, projects["changes"]
            )
            for name in ("changes", "all-new"):
                log(f"profiling compare+order+render ({name}) ...")
                profiles[f"compare+order+render, {name}"] = profile_cpu(
                    *cases[name], args.profile_top
                )

        report = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "command": "python benchmarks/plan_bench.py "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": machine(),
            "server": args.server,
            "sizes": sizes.__dict__,
            "built": {"counts": counts, "seconds": build_seconds, "manifest_files": files},
            "load_desired_s": load_times,
            "plans": plan_rows,
            "cpu": cpu_rows,
            "profiles": profiles,
            "benchmark_seconds": time.perf_counter() - started,
        }
        if args.json:
            json.dump(_jsonable(report), sys.stdout, indent=2)
            print()
        else:
            print_table(report)
            print(f"\nbenchmark took {report['benchmark_seconds']:.0f} s", file=sys.stdout)
        return 0
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
