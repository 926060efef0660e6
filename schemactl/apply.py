"""Execute a plan: walk its dependency graph, concurrently where changes are independent.

Every change ends done, failed (with Attio's code and message) or skipped (a change it needs
failed, or the run was interrupted). Writes never duplicate: a create that meets 409
slug_conflict adopts the existing item when it matches; a write whose reply was lost is checked
against a fresh read before it is tried again. Because each change is checked this way and
plan reads the live state again, a run that stops half way converges when it is re-run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal

from schemactl.address import Address
from schemactl.attio import codec
from schemactl.attio.client import AttioClient
from schemactl.attio.errors import (
    AttioApiError,
    AttioConflict,
    AttioError,
    AttioNotFound,
    AttioTransportError,
)
from schemactl.attio.requests import (
    ApiRequest,
    UnresolvedError,
    archive_request,
    create_request,
    path_of,
    resolve_refs,
    update_request,
)
from schemactl.plan.changes import Change, Plan
from schemactl.plan.fields import fields_of

Status = Literal["done", "failed", "skipped"]
_ID_KEYS = {
    "object": "object_id",
    "list": "list_id",
    "attribute": "attribute_id",
    "option": "option_id",
    "status": "status_id",
    "webhook": "webhook_id",
}


@dataclass(frozen=True)
class Outcome:
    """How one change ended."""

    change: Change
    status: Status
    message: str = ""
    seconds: float = 0.0


class ChangeFailed(Exception):
    """A change could not be made; the message is safe to show."""


@dataclass
class ExecutionReport:
    """Every change's outcome, in the order they finished."""

    outcomes: list[Outcome]
    interrupted: bool = False

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0


class Executor:
    """Runs a plan's changes against one workspace."""

    def __init__(
        self,
        client: AttioClient,
        plan: Plan,
        ids: dict[Address, str],
        *,
        parallelism: int = 8,
        on_outcome: Callable[[Outcome], None] = lambda _outcome: None,
        on_secret: Callable[[Address, str, dict[str, Any]], None] = lambda *_args: None,
        stop: threading.Event | None = None,
    ):
        self.client = client
        self.plan = plan
        self.parallelism = max(1, parallelism)
        self.on_outcome = on_outcome
        self.on_secret = on_secret
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()
        self.ids = dict(ids)
        # Ids survive renames, so children of a renamed item are reachable at their new
        # addresses from the start, whatever order the renames run in.
        for change in plan.changes:
            if change.renamed_from is not None:
                self._alias(change.renamed_from, change.address)

    def _alias(self, old: Address, new: Address) -> None:
        for address, live_id in list(self.ids.items()):
            if address.is_within(old):
                self.ids[Address(new.parts + address.parts[len(old.parts) :])] = live_id

    # --- scheduling ----------------------------------------------------------------------

    def run(self) -> ExecutionReport:
        changes = {c.address: c for c in self.plan.changes}
        waiting = {a: {d for d in c.depends_on if d in changes} for a, c in changes.items()}
        dependents: dict[Address, list[Address]] = {a: [] for a in changes}
        for address, needs in waiting.items():
            for needed in needs:
                dependents[needed].append(address)
        order = {c.address: i for i, c in enumerate(self.plan.changes)}
        outcomes: list[Outcome] = []
        finished: set[Address] = set()
        ready = [a for a, needs in waiting.items() if not needs]
        running: dict[Future[Outcome], Address] = {}

        def finish(outcome: Outcome) -> None:
            outcomes.append(outcome)
            finished.add(outcome.change.address)
            self.on_outcome(outcome)

        def skip_dependents(address: Address, why: str) -> None:
            for dependent in dependents[address]:
                if dependent not in finished:
                    finish(Outcome(changes[dependent], "skipped", why))
                    skip_dependents(dependent, why)

        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            while ready or running:
                ready.sort(key=order.__getitem__)
                while ready and len(running) < self.parallelism and not self.stop.is_set():
                    address = ready.pop(0)
                    if address in finished:
                        continue
                    running[pool.submit(self._run_one, changes[address])] = address
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    address = running.pop(future)
                    outcome = future.result()
                    finish(outcome)
                    if outcome.status == "done":
                        for dependent in dependents[address]:
                            waiting[dependent].discard(address)
                            if not waiting[dependent] and dependent not in finished:
                                ready.append(dependent)
                    else:
                        skip_dependents(address, f"skipped: {address} was not applied")
        interrupted = self.stop.is_set()
        for change in self.plan.changes:
            if change.address not in finished:
                why = "skipped: interrupted" if interrupted else "skipped"
                finish(Outcome(change, "skipped", why))
        return ExecutionReport(outcomes, interrupted)

    def _run_one(self, change: Change) -> Outcome:
        started = time.monotonic()
        try:
            message = self.apply_change(change)
        except ChangeFailed as exc:
            return Outcome(change, "failed", str(exc), time.monotonic() - started)
        except AttioError as exc:
            return Outcome(change, "failed", str(exc), time.monotonic() - started)
        except UnresolvedError as exc:
            return Outcome(change, "failed", f"cannot apply: {exc}", time.monotonic() - started)
        except Exception as exc:  # a bug of ours must not lose the report of everything else
            message = f"internal error ({type(exc).__name__}: {exc}); run again with --debug"
            return Outcome(change, "failed", message, time.monotonic() - started)
        return Outcome(change, "done", message, time.monotonic() - started)

    # --- one change ----------------------------------------------------------------------

    def apply_change(self, change: Change) -> str:
        """Make one change; return a note for the report. Raises ChangeFailed."""
        if change.action == "manual":
            raise ChangeFailed("manual change: the API cannot make it; see the plan's steps")
        with self._lock:
            ids = dict(self.ids)
        if change.action == "create":
            return self._create(change, ids)
        if change.action in ("archive", "delete"):
            request = archive_request(change.address, ids)
            return self._write(change, request, lambda: self._gone(change))
        existing = change.renamed_from or change.address
        # Attributes, options and statuses can be archived; a rename or unarchive restores them.
        restore = change.action in ("unarchive", "rename") and change.address.kind in (
            "attribute",
            "option",
            "status",
        )
        request = update_request(
            change.address, existing, change.before or {}, change.after or {}, ids, restore=restore
        )
        return self._write(change, request, lambda: self._matches(change))

    def _create(self, change: Change, ids: dict[Address, str]) -> str:
        request = create_request(change.address, change.after or {}, ids)
        # The first attempt, and one retry if a re-read shows it did not land. The retry is
        # checked like the first: its reply can be lost too, and a timed-out first attempt can
        # still land after the re-read (then the retry meets it as a 409).
        for retry in (False, True):
            try:
                data = self._send(request)
                break
            except AttioConflict as exc:
                if self._matches(change):
                    return "adopted the existing item, which already matches"
                if self._probe(change.address) is None:
                    # Nothing is at this address: another item holds the slug or name.
                    raise ChangeFailed(
                        f"{exc}; no {change.address.kind} is at {change.address}, so another "
                        "item holds that slug or name: rename one of them"
                    ) from None
                raise ChangeFailed(
                    f"{exc}; it exists with different settings: run plan again to see how"
                ) from None
            except (AttioTransportError, AttioApiError) as exc:
                if not _maybe_committed(exc):
                    raise
                if self._checked(lambda: self._matches(change), exc):
                    if change.address.kind == "webhook":
                        # Attio shows a webhook's secret once, in the create's reply.
                        return (
                            "the reply was lost, but the webhook was created; its secret was "
                            "only in that reply and was not saved"
                        )
                    return "the reply was lost, but the item was created"
                if retry:
                    raise
        self._record_id(change.address, data)
        if change.address.kind == "webhook" and isinstance(data, dict) and data.get("secret"):
            self.on_secret(change.address, data["secret"], data)
        return ""

    def _write(self, change: Change, request: ApiRequest, landed: Callable[[], bool]) -> str:
        # As for a create: one retry after a re-read, and the retry's lost reply re-read too.
        for retry in (False, True):
            try:
                self._send(request)
                break
            except (AttioTransportError, AttioApiError) as exc:
                if not _maybe_committed(exc):
                    raise
                if self._checked(landed, exc):
                    return "the reply was lost, but the change was made"
                if retry:
                    raise
        return ""

    @staticmethod
    def _checked(landed: Callable[[], bool], lost: AttioError) -> bool:
        """Whether a write whose reply was `lost` landed, by a re-read; if the re-read fails
        too, the change fails saying both, since whether it was made is unknown."""
        try:
            return landed()
        except AttioError as exc:
            raise ChangeFailed(
                f"{lost}; re-reading to see whether it was made failed too ({exc}); "
                "run plan to see where it stands"
            ) from None

    def _send(self, request: ApiRequest) -> Any:
        if request.method == "POST":
            return self.client.post(request.path, request.body or {})
        if request.method == "PATCH":
            return self.client.patch(request.path, request.body or {})
        return self.client.delete(request.path)

    def _record_id(self, address: Address, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("id"), dict):
            live_id = data["id"].get(_ID_KEYS[address.kind])
            if live_id:
                with self._lock:
                    self.ids[address] = live_id

    # --- checking what is live -----------------------------------------------------------

    def _matches(self, change: Change) -> bool:
        """Whether the live item at the change's address is now what the change wants."""
        found = self._probe(change.address)
        if found is None:
            return False
        raw, item = found
        wanted = change.after or {}
        if change.address.kind == "webhook":
            with self._lock:
                ids = dict(self.ids)
            try:
                subscriptions = resolve_refs(wanted.get("subscriptions", []), ids)
            except UnresolvedError:
                return False
            same = _same_subscriptions(raw.get("subscriptions", []), subscriptions)
        else:
            same = fields_of(item) == wanted and not getattr(item, "is_archived", False)
        if same:
            self._record_id(change.address, raw)
        return same

    def _gone(self, change: Change) -> bool:
        found = self._probe(change.address)
        return found is None or bool(getattr(found[1], "is_archived", False))

    def _probe(self, address: Address) -> tuple[dict[str, Any], Any] | None:
        """A fresh read of one item: its raw body and its model, or None if it is not there."""
        with self._lock:
            ids = dict(self.ids)
        kind = address.kind
        try:
            if kind == "webhook":
                hooks = self.client.get_all("webhooks", page_size=100)
                raw = next((h for h in hooks if h.get("target_url") == address.name), None)
                return None if raw is None else (raw, codec.decode_webhook(raw, {}))
            if kind in ("object", "list"):
                raw = self.client.get(f"{address.parts[0][0]}/{address.name}")
                decoded = codec.decode_object(raw) if kind == "object" else codec.decode_list(raw)
                return raw, decoded
            parent = path_of(address.parent, ids) if address.parent else ""
            if kind == "attribute":
                raw = self.client.get(f"{parent}/attributes/{address.name}")
                # Every object this run can mean is in `ids` (read, or created by this run).
                slugs = {i: a.name for a, i in ids.items() if a.kind == "object"}
                return raw, codec.decode_attribute(raw, slugs)
            collection = "options" if kind == "option" else "statuses"
            items = self.client.get(f"{parent}/{collection}", {"show_archived": "true"})
            raw = next((i for i in items if i.get("title") == address.name), None)
            if raw is None:
                return None
            decode = codec.decode_option if kind == "option" else codec.decode_status
            return raw, decode(raw)
        # Only a 404 means "not there", the answer that lets a write be sent again: any other
        # failed read (a 5xx after the client's retries) propagates, and the change fails.
        except (UnresolvedError, AttioNotFound):
            return None


def _maybe_committed(exc: AttioError) -> bool:
    """A lost reply, or a server error, may hide a write that landed."""
    if isinstance(exc, AttioTransportError):
        return exc.may_have_committed
    return isinstance(exc, AttioApiError) and exc.status >= 500


def _same_subscriptions(live: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    def key(subscription: dict[str, Any]) -> str:
        shown = {"event_type": subscription.get("event_type"), "filter": subscription.get("filter")}
        return json.dumps(shown, sort_keys=True)

    return sorted(map(key, live)) == sorted(map(key, wanted))
