"""Webhook delivery: match committed events to subscriptions, sign, POST in the background, retry.

Attio sends one event per request: `{"webhook_id", "events": [event]}`, signed with
`Attio-Signature` (and `X-Attio-Signature`) = hex HMAC-SHA256 of the raw body keyed with the
webhook's secret, with an `Idempotency-Key` that stays the same across retries. A non-2xx answer
or a failed connection is retried with growing delays; when the attempts run out the webhook's
status becomes `degraded`.

Each target URL has its own worker thread (a *lane*), so one slow or failing receiver never
holds up deliveries to another. Requests never wait for delivery: they only queue it.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from schemactl.emulator.webhooks import is_loopback

# Attio retries up to 10 times over about three days; a sandbox doubles from 1 s, caps the wait at
# a minute and so gives up after about five minutes.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 60, 60, 60, 60)
DEFAULT_TIMEOUT = 5.0
USER_AGENT = "schemactl-emulator (Attio-compatible webhooks)"
# Statuses that still receive events; Attio stops only at `inactive`.
_RECEIVING = ("active", "degraded")
# How long close() waits for the lanes in total; a lane stuck in a POST is a daemon thread and
# is left to finish its (short-timeout) request on its own.
_CLOSE_BUDGET = 1.0

StatusOf = Callable[[str], "str | None"]
SetStatus = Callable[[str, str], None]


class Message(NamedTuple):
    """What one webhook is sent for one event."""

    webhook_id: str
    target_url: str
    secret: str
    body: bytes


@dataclass(order=True)
class Job:
    """One message for one webhook: the exact bytes to send, and its attempts so far."""

    due: float
    seq: int
    webhook_id: str = field(compare=False)
    target_url: str = field(compare=False)
    secret: str = field(compare=False)
    body: bytes = field(compare=False)
    idempotency_key: str = field(compare=False)
    attempts: int = field(default=0, compare=False)


# --- matching ------------------------------------------------------------------------------


def event_payload(event: Mapping[str, Any], actor: Mapping[str, Any]) -> dict[str, Any]:
    """An event as Attio sends it: `event_type`, `id`, any event-specific fields, `actor`."""
    return {**event, "actor": dict(actor)}


def field_value(event: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`id.list_id`, `actor.type`); None where the path is absent."""
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def filter_matches(spec: Mapping[str, Any] | None, event: Mapping[str, Any]) -> bool:
    """A subscription filter (`{"$and"|"$or": [conditions]}`, or None for all) against an event."""
    if spec is None:
        return True
    ((combinator, conditions),) = spec.items()
    results = (_condition_holds(condition, event) for condition in conditions)
    return all(results) if combinator == "$and" else any(results)


def _condition_holds(condition: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    equal = field_value(event, condition["field"]) == condition["value"]
    return equal if condition["operator"] == "equals" else not equal


def subscribed(webhook: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether any of the webhook's subscriptions takes this event."""
    return any(
        sub["event_type"] == event["event_type"] and filter_matches(sub["filter"], event)
        for sub in webhook["subscriptions"]
    )


def body_for(webhook_id: str, event: Mapping[str, Any]) -> bytes:
    """The raw request body; these exact bytes are signed."""
    document = {"webhook_id": webhook_id, "events": [event]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """Attio's signature: hex HMAC-SHA256 of the body, keyed with the webhook's secret."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def messages_for(
    webhooks: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]],
    actor: Mapping[str, Any],
) -> list[Message]:
    """A message for every event each receiving webhook is subscribed to, in event order.

    A webhook stored without a secret (made before secrets were kept) cannot be signed for,
    so it is skipped.
    """
    hooks = [h for h in webhooks if h.get("status") in _RECEIVING and h.get("_secret")]
    found = []
    for event in events:
        sent = event_payload(event, actor)
        for hook in hooks:
            if subscribed(hook, sent):
                webhook_id = hook["id"]["webhook_id"]
                body = body_for(webhook_id, sent)
                found.append(Message(webhook_id, hook["target_url"], hook["_secret"], body))
    return found


# --- sending -------------------------------------------------------------------------------


class Dispatcher:
    """Queues jobs on per-target lanes; tracks how many are unfinished so callers can wait."""

    def __init__(
        self,
        *,
        status_of: StatusOf,
        set_status: SetStatus,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.status_of = status_of
        self.set_status = set_status
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.stopping = threading.Event()
        self._lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._unfinished = 0
        self._idle = threading.Condition(self._lock)

    def submit(self, messages: Iterable[Message]) -> None:
        """Queue each message for its first attempt now."""
        now = time.monotonic()
        with self._lock:
            if self.stopping.is_set():
                return
            for message in messages:
                key = str(uuid.uuid4())  # per message, not from the workspace's seeded ids
                job = Job(now, next(self._seq), *message, idempotency_key=key)
                self._unfinished += 1
                self._lane(message.target_url).push(job)

    def _lane(self, url: str) -> _Lane:
        lane = self._lanes.get(url)
        if lane is None:
            lane = self._lanes[url] = _Lane(self, url)
            lane.start()
        return lane

    def reschedule(self, job: Job) -> bool:
        """After a failed attempt: set the next one's due time, or give up (False)."""
        if job.attempts > len(self.retry_delays):
            return False
        job.due = time.monotonic() + self.retry_delays[job.attempts - 1]
        job.seq = next(self._seq)
        return True

    def finished(self, count: int = 1) -> None:
        with self._lock:
            self._unfinished -= count
            if not self._unfinished:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued, waiting to retry or in flight; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._unfinished, timeout)

    def discard_pending(self) -> None:
        """Forget every queued message and retry (a reset workspace has no webhooks)."""
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            self.finished(lane.clear())

    def close(self) -> None:
        """Stop every lane promptly; undelivered messages are dropped."""
        with self._lock:
            self.stopping.set()
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.wake()
        deadline = time.monotonic() + _CLOSE_BUDGET
        for lane in lanes:
            lane.join(max(0.0, deadline - time.monotonic()))


class _Lane(threading.Thread):
    """The worker for one target URL: its jobs by due time, sent one at a time."""

    def __init__(self, dispatcher: Dispatcher, url: str):
        super().__init__(name=f"webhook-delivery {url}", daemon=True)
        self.dispatcher = dispatcher
        self.url = url
        self._heap: list[Job] = []
        self._ready = threading.Condition()

    def push(self, job: Job) -> None:
        with self._ready:
            heapq.heappush(self._heap, job)
            self._ready.notify()

    def clear(self) -> int:
        with self._ready:
            dropped, self._heap = len(self._heap), []
            return dropped

    def wake(self) -> None:
        with self._ready:
            self._ready.notify_all()

    def run(self) -> None:
        # Environment proxies are for the outside world; a loopback receiver is reached directly.
        trust_env = not is_loopback(urlsplit(self.url).hostname)
        with httpx.Client(timeout=self.dispatcher.timeout, trust_env=trust_env) as client:
            while (job := self._next()) is not None:
                self._attempt(client, job)

    def _next(self) -> Job | None:
        stopping = self.dispatcher.stopping
        with self._ready:
            while not stopping.is_set():
                wait = self._heap[0].due - time.monotonic() if self._heap else None
                if wait is not None and wait <= 0:
                    return heapq.heappop(self._heap)
                self._ready.wait(wait)
        return None

    def _attempt(self, client: httpx.Client, job: Job) -> None:
        dispatcher = self.dispatcher
        status = dispatcher.status_of(job.webhook_id)
        if status not in _RECEIVING:  # deleted (or inactive) since the event
            dispatcher.finished()
            return
        job.attempts += 1
        delivered = _post(client, job)
        if dispatcher.stopping.is_set():
            return
        if delivered:
            if status == "degraded":  # the receiver is healthy again
                dispatcher.set_status(job.webhook_id, "active")
            dispatcher.finished()
        elif dispatcher.reschedule(job):
            self.push(job)
        else:  # out of attempts, as Attio marks it
            dispatcher.set_status(job.webhook_id, "degraded")
            dispatcher.finished()


def _post(client: httpx.Client, job: Job) -> bool:
    signature = sign(job.secret, job.body)
    headers = {
        "Content-Type": "application/json",
        "Attio-Signature": signature,
        "X-Attio-Signature": signature,
        "Idempotency-Key": job.idempotency_key,
        "User-Agent": USER_AGENT,
    }
    try:
        response = client.post(job.target_url, content=job.body, headers=headers)
    except Exception:  # any failure to send (refused, reset, timeout, bad URL) is a retry
        return False
    return response.is_success
