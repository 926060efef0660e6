"""A webhook receiver for tests: a threaded HTTP server on a free loopback port that records
every request, can fail the first N of them or hold them until released, and checks signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WAIT = 10.0  # generous: deliveries run on background threads


@dataclass(frozen=True)
class Received:
    """One request as it arrived: path, headers (lower-cased names), raw body, arrival time."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> dict[str, Any]:
        """The single event of an Attio delivery."""
        (event,) = self.json()["events"]
        return event

    def signed_with(self, secret: str) -> bool:
        """Whether `Attio-Signature` is the hex HMAC-SHA256 of exactly these body bytes."""
        expected = hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("attio-signature", ""))


class Receiver:
    """Use as a context manager; `url` is where it listens, `received` what has arrived."""

    def __init__(self, *, fail_first: int = 0, fail_status: int = 500):
        self.fail_first = fail_first  # answer this many requests with `fail_status`
        self.fail_status = fail_status
        self.release = threading.Event()  # while `hold` is set, requests wait for this
        self.hold = False
        self._received: list[Received] = []
        self._arrived = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    @property
    def received(self) -> list[Received]:
        with self._arrived:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = WAIT) -> list[Received]:
        """The first `count` requests, waiting for them to arrive; fails after `timeout`."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self._received) >= count, timeout)
            got = list(self._received)
        assert arrived, f"expected {count} request(s) within {timeout}s, got {len(got)}"
        return got[:count]

    def _record(self, request: Received) -> int:
        """Store a request; the status to answer it with."""
        with self._arrived:
            self._received.append(request)
            self._arrived.notify_all()
            failing = len(self._received) <= self.fail_first
        return self.fail_status if failing else 200

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(WAIT)


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver._record(Received(self.path, headers, body, time.monotonic()))
            if receiver.hold:
                receiver.release.wait(WAIT * 3)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler
