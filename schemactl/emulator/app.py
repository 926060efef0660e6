"""The emulator's WSGI application: auth, rate limits, faults, counters and error mapping."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from schemactl.emulator import delivery, errors, members
from schemactl.emulator.faults import DroppedConnection, Faults
from schemactl.emulator.ratelimit import RateLimiter, rate_limited
from schemactl.emulator.routes import ALL_SCOPES, build_map
from schemactl.emulator.routing import Route
from schemactl.emulator.seed import seed
from schemactl.emulator.store import Store
from schemactl.emulator.workspace import KINDS, Workspace, public

MAX_BODY_BYTES = 1024 * 1024


@dataclass
class EmulatorConfig:
    """How an emulated workspace behaves. The defaults suit the embedded, local workspace."""

    db: str = ":memory:"
    # token -> its scopes (None: every scope). No tokens at all: no authentication required.
    tokens: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    rate_limit: str = "off"
    faults: Faults = field(default_factory=Faults)
    id_seed: int | None = None
    workspace_name: str = "Local workspace"
    workspace_slug: str = "local"
    enable_optional_objects: bool = True
    clock: Callable[[], float] = time.time
    # POST events to webhook target URLs. Off by default: the embedded workspace that plan and
    # apply use must never call out to real URLs. `schemactl emulator serve` turns it on.
    deliver_webhooks: bool = False
    # Waits before each retry of a failed delivery; attempts = 1 + len(webhook_retry_delays),
    # after which the webhook is marked degraded.
    webhook_retry_delays: tuple[float, ...] = delivery.DEFAULT_RETRY_DELAYS
    webhook_timeout: float = delivery.DEFAULT_TIMEOUT  # seconds per delivery request


def parse_token(spec: str) -> tuple[str, frozenset[str] | None]:
    """`TOKEN` (every scope) or `TOKEN:scope1,scope2`."""
    token, sep, scopes = spec.partition(":")
    if not sep:
        return token, None
    return token, frozenset(s.strip() for s in scopes.split(",") if s.strip())


def _has_scope(granted: frozenset[str] | None, needed: str) -> bool:
    if granted is None:
        return True
    if needed in granted:
        return True
    family, _, level = needed.partition(":")
    return level == "read" and f"{family}:read-write" in granted


class Emulator:
    """An Attio-compatible workspace as a WSGI application."""

    def __init__(self, config: EmulatorConfig | None = None):
        self.config = config or EmulatorConfig()
        self.store = Store(self.config.db)
        self.workspace = Workspace(self.store, random.Random(self.config.id_seed))
        self.limiter = RateLimiter(self.config.rate_limit, clock=self.config.clock)
        self.url_map, self.routes = build_map()
        self._counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self.started_at = int(self.config.clock())
        self.dispatcher = (
            delivery.Dispatcher(
                status_of=self._webhook_status,
                set_status=self._set_webhook_status,
                retry_delays=self.config.webhook_retry_delays,
                timeout=self.config.webhook_timeout,
            )
            if self.config.deliver_webhooks
            else None
        )
        with self.store.transaction():
            if self.store.is_empty():
                self._seed()

    def _seed(self) -> None:
        seed(
            self.workspace,
            name=self.config.workspace_name,
            slug=self.config.workspace_slug,
            enable_optional_objects=self.config.enable_optional_objects,
        )

    def reset(self) -> None:
        """Back to a new workspace; counters restart and queued deliveries are dropped too."""
        if self.dispatcher is not None:
            self.dispatcher.discard_pending()
        with self.store.transaction():
            self.store.clear()
            # The same ids as a new emulator with this config: a reset run repeats exactly.
            self.workspace.rng = random.Random(self.config.id_seed)
            self._seed()
        with self._count_lock:
            self._counts.clear()

    def request_counts(self) -> dict[str, Any]:
        with self._count_lock:
            counts = dict(sorted(self._counts.items()))
        reads = sum(n for key, n in counts.items() if not self._is_write_endpoint(key))
        return {"counts": counts, "reads": reads, "writes": sum(counts.values()) - reads}

    def _is_write_endpoint(self, endpoint: str) -> bool:
        route = self.routes.get(endpoint)
        return route is not None and route.is_write

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Queue the events of a committed write for every webhook subscribed to them.

        Only matching happens here, on the caller's thread; the POSTs are made in the
        background, so the request that caused the events never waits for a receiver.
        """
        if self.dispatcher is None or not events:
            return
        with self.store.snapshot():
            hooks = self.store.all("webhook")
            # Every API write is made with the (one) emulated token.
            actor = {"type": "api-token", "id": self.workspace.token_actor_id()}
        self.dispatcher.submit(delivery.messages_for(hooks, events, actor))

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is queued, waiting to retry or in flight; False on timeout."""
        return self.dispatcher is None or self.dispatcher.wait_idle(timeout)

    def _webhook_status(self, webhook_id: str) -> str | None:
        try:
            with self.store.snapshot():
                hook = self.store.get("webhook", webhook_id)
        except sqlite3.ProgrammingError:  # closed while a delivery was in flight
            return None
        return hook["status"] if hook else None

    def _set_webhook_status(self, webhook_id: str, status: str) -> None:
        try:
            with self.store.transaction():
                hook = self.store.get("webhook", webhook_id)
                if hook is not None and hook["status"] != status:
                    self.store.update("webhook", webhook_id, hook | {"status": status})
        except sqlite3.ProgrammingError:  # closed while a delivery was in flight
            pass

    def close(self) -> None:
        """Stop delivering (promptly; undelivered events are dropped), then close the store."""
        if self.dispatcher is not None:
            self.dispatcher.close()
        self.store.close()

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        environ["PATH_INFO"] = _pep3333_path(environ.get("PATH_INFO", ""))
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except DroppedConnection:
            connection = environ.get("werkzeug.socket")
            if connection is None:
                raise  # in-process: the caller sees the connection fail
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            response = Response(b"", status=500)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, params = adapter.match()
        except NotFound:
            return _error(errors.not_found(f"No route for {request.method} {request.path}."))
        except MethodNotAllowed:
            return _error(
                errors.ApiError(
                    405, "method_not_allowed", f"{request.method} is not allowed on {request.path}."
                )
            )
        except HTTPException as exc:  # e.g. a redirect werkzeug would suggest
            return _error(
                errors.ApiError(exc.code or 400, "invalid_request", exc.description or "")
            )
        if endpoint.startswith("control "):
            return self._control(endpoint, request)
        route = self.routes.get(endpoint)
        try:
            return self._attio(request, endpoint, route, params)
        except errors.ApiError as exc:
            return _error(exc)

    def _attio(
        self, request: Request, endpoint: str, route: Route | None, params: dict[str, str]
    ) -> Response:
        is_write = route is not None and route.is_write
        with self._count_lock:
            self._counts[endpoint] += 1
        token, scopes = self._authenticate(request)
        for needed in route.required_scopes(params) if route else ():
            if not _has_scope(scopes, needed):
                raise errors.ApiError(
                    403, "unauthorized", f"This token is missing the scope {needed}."
                )
        verdict = self.limiter.check(token, is_write)
        if not verdict.allowed:
            return _error(rate_limited(), verdict.headers)
        faults = self.config.faults
        if faults.active:
            faults.delay()
            status = faults.error_status()
            if status == 429:  # as Attio sends it: an HTTP date, the next second
                retry = {"Retry-After": formatdate(int(self.config.clock()) + 1, usegmt=True)}
                return _error(rate_limited(), retry)
            if status is not None:
                return _error(
                    errors.ApiError(
                        status,
                        "internal_error" if status == 500 else "service_unavailable",
                        "Injected fault.",
                        "server_error",
                    )
                )
        body = _read_body(request) if request.method not in ("GET", "HEAD") else None
        query = dict(request.args)
        if route is None:  # /v2/self
            with self.store.snapshot():
                data = members.describe_token(
                    self.workspace,
                    sorted(scopes if scopes is not None else ALL_SCOPES),
                    self.started_at,
                )
            return _json(data, 200, verdict.headers)
        if is_write:
            with self.store.transaction():
                self.workspace.take_events()  # none may survive an earlier, failed write
                data = route.handler(self.workspace, query, body, **params)
                events = self.workspace.take_events()
            self.deliver(events)
            if faults.should_drop():
                raise DroppedConnection("write committed, connection dropped")
        else:
            with self.store.snapshot():
                data = route.handler(self.workspace, query, body, **params)
        return _json(data if not route.wrap else {"data": data}, 200, verdict.headers)

    def _authenticate(self, request: Request) -> tuple[str, frozenset[str] | None]:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not self.config.tokens:
            return token or "anonymous", None
        if scheme.lower() != "bearer" or not token:
            raise errors.ApiError(
                401, "unauthorized", "Missing API token: send 'Authorization: Bearer <token>'."
            )
        if token not in self.config.tokens:
            raise errors.ApiError(401, "unauthorized", "The API token is invalid or revoked.")
        return token, self.config.tokens[token]

    def _control(self, endpoint: str, request: Request) -> Response:
        _, method, name = endpoint.split(" ")
        if name == "reset":
            self.reset()
            return _json({"data": {"reset": True}}, 200)
        if name == "requests":
            if method == "DELETE":
                with self._count_lock:
                    self._counts.clear()
            return _json({"data": self.request_counts()}, 200)
        with self.store.snapshot():
            state = {
                "workspace": self.store.get_meta("workspace"),
                "counts": self.store.counts(),
                # Without the emulator's private keys: a webhook's secret, record values' storage.
                "resources": {kind: [public(r) for r in self.store.all(kind)] for kind in KINDS},
            }
        return _json({"data": state}, 200)


def _pep3333_path(path: str) -> str:
    """PATH_INFO as PEP 3333 wants it: the raw bytes spelled as latin-1.

    Real servers do that; httpx's in-process WSGITransport hands over the path already decoded
    (`Won 🎉`). Text that is not latin-1, or whose latin-1 bytes are not UTF-8, was decoded.
    """
    try:
        path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path.encode("utf-8", errors="surrogatepass").decode("latin-1")
    return path


def _read_body(request: Request) -> Any:
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise errors.ApiError(
            413, "payload_too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes."
        )
    raw = request.get_data(cache=False)  # werkzeug reads at most Content-Length
    if len(raw) > MAX_BODY_BYTES:
        raise errors.ApiError(
            413, "payload_too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes."
        )
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise errors.validation("The request body is not valid JSON.") from None


def _json(data: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False),
        status=status,
        headers=dict(headers or {}),
        content_type="application/json",
    )


def _error(error: errors.ApiError, headers: Mapping[str, str] | None = None) -> Response:
    return _json(error.body(), error.status, headers)
