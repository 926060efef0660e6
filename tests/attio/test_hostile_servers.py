"""AttioClient against hostile servers: real sockets on loopback, answering byte by byte.

Each test starts a tiny TCP server on a free port that misbehaves in one way: it stalls,
resets the connection, cuts a reply short, answers HTML or JSON of the wrong shape, sends a
huge body, trickles bytes, or redirects elsewhere. The client must raise its own error with a
precise one-line message (no token, no control characters, short), within a bounded time;
retry reads a bounded number of times; and never send a write twice.

Nothing of schemactl is mocked. Timeouts are the client's own parameters, made short; only
the waits between retries are skipped.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from schemactl.attio.client import AttioClient
from schemactl.attio.errors import (
    AttioApiError,
    AttioAuthError,
    AttioError,
    AttioResponseError,
    AttioTransportError,
)

TOKEN = "hostile-canary-3e8c-DO-NOT-PRINT"
TIMEOUT = 0.3  # each network operation
ATTEMPT_TIMEOUT = 0.6  # one whole attempt
READ_RETRIES = 2  # so a read is tried 3 times
MAY_HAVE_APPLIED = "(the write may have been applied: re-read the workspace before retrying it)"
# How long a stalling server holds a connection at most (the test is over long before).
STALL_SECONDS = 15.0


# --- the hostile server ----------------------------------------------------------------------


@dataclass
class Request:
    """One HTTP request as the server read it off the socket."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Conn:
    """One accepted connection, driven byte by byte by a behaviour."""

    def __init__(self, sock: socket.socket, server: HostileServer):
        self.sock = sock
        self.server = server

    def request(self) -> Request:
        """Read one request (head and Content-Length body) and record it."""
        self.sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the client closed the connection")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        while len(body) < int(headers.get("content-length", "0")):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            body += chunk
        request = Request(method, target, headers, body)
        self.server.requests.append(request)
        return request

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN (SO_LINGER with a zero timeout)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def stall(self) -> None:
        """Hold the connection open and say nothing (until the server is closed)."""
        self.server.stopped.wait(STALL_SECONDS)

    def trickle(self, data: bytes, interval: float = 0.05) -> None:
        """Send `data` one byte at a time, `interval` apart: each wait is short, all is long."""
        for byte in data:
            if self.server.stopped.wait(interval):
                return
            self.sock.sendall(bytes([byte]))


Behaviour = Callable[[Conn], None]


@dataclass
class HostileServer:
    """A TCP server on 127.0.0.1 that runs `behaviour` on every connection, in a thread."""

    behaviour: Behaviour
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                self.connections += 1
                self._open.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            self.behaviour(Conn(sock, self))
        except OSError:  # the client gave up first: that is the point of most behaviours
            pass
        finally:
            sock.close()

    def close(self) -> None:
        self.stopped.set()
        self._listener.close()
        with self._lock:
            for sock in self._open:
                sock.close()


@pytest.fixture
def hostile() -> Iterator[Callable[[Behaviour], HostileServer]]:
    """`hostile(behaviour)`: a new hostile server; every one is closed at the end."""
    servers: list[HostileServer] = []

    def start(behaviour: Behaviour) -> HostileServer:
        server = HostileServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def reply(status: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """An HTTP/1.1 reply, byte for byte: exactly the headers given, plus Connection: close."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode("latin-1") + body


def sized(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    return reply(status, body, {"Content-Type": content_type, "Content-Length": str(len(body))})


def answering(data: bytes) -> Behaviour:
    """Read the request, send `data`, close."""

    def behaviour(conn: Conn) -> None:
        conn.request()
        conn.send(data)

    return behaviour


# --- the client and how it is called -----------------------------------------------------------


def client_for(server: HostileServer | str, **options: Any) -> AttioClient:
    """The real client, with short timeouts; its waits between retries are skipped."""
    url = server if isinstance(server, str) else server.url
    settings: dict[str, Any] = {
        "timeout": TIMEOUT,
        "attempt_timeout": ATTEMPT_TIMEOUT,
        "max_read_retries": READ_RETRIES,
        "read_rate": None,
        "write_rate": None,
        "sleep": lambda _seconds: None,
    }
    return AttioClient(url, TOKEN, **(settings | options))


KINDS = ("read", "write")


def call(client: AttioClient, kind: str) -> Any:
    if kind == "read":
        return client.get("objects")
    return client.post("objects", {"api_slug": "projects", "singular_noun": "Project"})


def expected_attempts(kind: str) -> int:
    return 1 + READ_RETRIES if kind == "read" else 1


def fail(client: AttioClient, kind: str, error: type[AttioError] = AttioError) -> AttioError:
    """The error `kind` of call raises, checked to be showable as it is."""
    with client, pytest.raises(error) as caught:
        call(client, kind)
    assert_one_clean_line(str(caught.value))
    return caught.value


def assert_one_clean_line(text: str) -> None:
    """One line of visible text, not too long, without the token."""
    assert TOKEN not in text
    assert all(c.isprintable() for c in text), repr(text)
    assert len(text) < 700, text


def request_line(kind: str) -> str:
    return "GET /v2/objects" if kind == "read" else "POST /v2/objects"


def ending(kind: str, text: str) -> str:
    """How a message ends: reads tell how many attempts; writes that they may have landed."""
    if kind == "read":
        return f"{text} (after {expected_attempts(kind)} attempts)"
    return f"{text} {MAY_HAVE_APPLIED}"


@pytest.fixture
def elapsed() -> Iterator[Callable[[], float]]:
    started = time.monotonic()
    yield lambda: time.monotonic() - started


# --- 1. a server that accepts, then says nothing -------------------------------------------------


def stall_before_headers(conn: Conn) -> None:
    conn.request()
    conn.stall()


def stall_mid_body(conn: Conn) -> None:
    conn.request()
    conn.send(reply("200 OK", b'{"data": [{"api_slug": "peo', {"Content-Length": "4096"}))
    conn.stall()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("behaviour", [stall_before_headers, stall_mid_body])
def test_a_server_that_stops_answering_times_out_naming_the_request(
    hostile, elapsed, behaviour, kind
):
    server = hostile(behaviour)

    error = fail(client_for(server), kind, AttioTransportError)

    assert str(error) == ending(
        kind,
        f"could not reach Attio on {request_line(kind)}: "
        f"ReadTimeout: timed out: nothing received for {TIMEOUT} s",
    )
    assert error.may_have_committed is (kind == "write")
    assert len(server.requests) == expected_attempts(kind)
    assert elapsed() < expected_attempts(kind) * TIMEOUT + 2


# --- 2. no server, or one that resets the connection ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_connection_is_retried_for_reads_and_says_nothing_was_sent(kind):
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]  # free, and nothing listens once it is closed
    client = client_for(f"http://127.0.0.1:{port}/v2")

    error = fail(client, kind, AttioTransportError)

    assert re.fullmatch(
        f"could not reach Attio on {request_line(kind)}: ConnectError: "
        r"\[Errno \d+\] Connection refused"
        + (f" \\(after {expected_attempts(kind)} attempts\\)" if kind == "read" else ""),
        str(error),
    )
    assert error.may_have_committed is False  # nothing was sent, so nothing to re-read
    assert client.total_requests == expected_attempts(kind)


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs past a backlog")
@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_never_accepted_times_out_and_nothing_was_sent(elapsed, kind):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # never accepted; once its queue is full, new SYNs go unanswered
        port = listener.getsockname()[1]
        queued = [socket.socket() for _ in range(3)]
        for sock in queued:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        try:
            error = fail(client_for(f"http://127.0.0.1:{port}/v2"), kind, AttioTransportError)
        finally:
            for sock in queued:
                sock.close()

    assert str(error) == (
        f"could not reach Attio on {request_line(kind)}: ConnectTimeout: timed out: no "
        f"connection within {TIMEOUT} s; nothing was sent"
        + (f" (after {expected_attempts(kind)} attempts)" if kind == "read" else "")
    )
    assert error.may_have_committed is False
    assert elapsed() < expected_attempts(kind) * TIMEOUT + 2


def reset_on_accept(conn: Conn) -> None:
    conn.reset()


def reset_after_request(conn: Conn) -> None:
    conn.request()
    conn.reset()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("behaviour", [reset_on_accept, reset_after_request])
def test_a_reset_connection_is_a_transport_error_and_no_write_is_sent_twice(
    hostile, behaviour, kind
):
    server = hostile(behaviour)

    error = fail(client_for(server), kind, AttioTransportError)

    assert str(error).startswith(f"could not reach Attio on {request_line(kind)}: ")
    # Which the client sees first, the reset or the end of the stream, is the kernel's race.
    assert "Connection reset by peer" in str(error) or (
        "RemoteProtocolError: Server disconnected without sending a response." in str(error)
    )
    assert server.connections == expected_attempts(kind)
    # A reset that arrives while the connection is being set up (ConnectError) comes before
    # anything was sent. Any later one may come after the server read the request: a write
    # may have landed, and the caller must re-read.
    never_sent = ": ConnectError: " in str(error)
    assert not never_sent or behaviour is reset_on_accept
    assert error.may_have_committed is (kind == "write" and not never_sent)
    if error.may_have_committed:
        assert str(error).endswith(MAY_HAVE_APPLIED)
    if kind == "read":
        assert str(error).endswith(f" (after {expected_attempts(kind)} attempts)")


# --- 3. a reply cut short ------------------------------------------------------------------------


CUT_SHORT = {
    "closes-after-headers": (
        reply("200 OK", b"", {"Content-Type": "application/json", "Content-Length": "512"}),
        "RemoteProtocolError: peer closed connection without sending complete message body "
        "(received 0 bytes, expected 512)",
    ),
    "content-length-larger-than-body": (
        reply("200 OK", b'{"data": [', {"Content-Length": "512"}),
        "RemoteProtocolError: peer closed connection without sending complete message body "
        "(received 10 bytes, expected 512)",
    ),
    "chunked-encoding-cut": (
        reply("200 OK", b'a\r\n{"data": [\r\n20\r\n{"api', {"Transfer-Encoding": "chunked"}),
        "RemoteProtocolError: peer closed connection without sending complete message body "
        "(incomplete chunked read)",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CUT_SHORT)
def test_a_reply_cut_short_is_never_taken_for_an_answer(hostile, case, kind):
    data, detail = CUT_SHORT[case]
    server = hostile(answering(data))

    error = fail(client_for(server), kind, AttioTransportError)

    assert str(error) == ending(kind, f"could not reach Attio on {request_line(kind)}: {detail}")
    assert error.may_have_committed is (kind == "write")
    assert len(server.requests) == expected_attempts(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_a_reply_that_ends_after_its_headers_is_an_empty_body_not_a_success(hostile, kind):
    # No Content-Length: the body runs until the connection closes, which it does at once.
    # Before, this returned None as if it were Attio's answer.
    server = hostile(answering(reply("200 OK", headers={"Content-Type": "application/json"})))

    error = fail(client_for(server), kind, AttioResponseError)

    assert str(error) == ending(
        kind, f"Attio answered {request_line(kind)} with 200 but the body is empty"
    )
    assert (error.status, error.may_have_committed) == (200, kind == "write")
    assert len(server.requests) == expected_attempts(kind)


# --- 4. a success that is not Attio's ------------------------------------------------------------


NOT_ATTIO = {
    "captive-portal": (
        sized(
            "200 OK",
            b"<!DOCTYPE html>\n<html><head><title>Sign in to Airport WiFi</title></head>\n"
            b"<body>Accept the terms to continue</body></html>",
            "text/html; charset=utf-8",
        ),
        "the body is not JSON (text/html): <!DOCTYPE html> <html><head><title>Sign in to "
        "Airport WiFi</title></head> <body>Accept the terms to continue</body></html>",
    ),
    "plain-text-with-terminal-escapes": (
        sized("200 OK", b"\x1b[2J\x1b[31mmaintenance\x1b[0m\x07 back\tsoon\r\n", "text/plain"),
        "the body is not JSON (text/plain): maintenance back soon",
    ),
    "json-without-data": (
        sized("200 OK", b'{"objects": []}'),
        'the body is not Attio\'s (no "data" object or list): {"objects": []}',
    ),
    "json-list": (
        sized("200 OK", b"[1, 2, 3]"),
        'the body is not Attio\'s (no "data" object or list): [1, 2, 3]',
    ),
    "data-is-a-string": (
        sized("200 OK", b'{"data": "ok"}'),
        'the body is not Attio\'s (no "data" object or list): {"data": "ok"}',
    ),
    "json-nested-too-deep": (
        sized("200 OK", b"[" * 100_000 + b"]" * 100_000),
        "the body is not JSON: " + "[" * 199 + "…",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", NOT_ATTIO)
def test_a_success_that_is_not_attios_json_is_an_error_with_an_excerpt(hostile, case, kind):
    data, detail = NOT_ATTIO[case]
    server = hostile(answering(data))

    error = fail(client_for(server), kind, AttioResponseError)

    assert str(error) == ending(kind, f"Attio answered {request_line(kind)} with 200 but {detail}")
    # A write answered 200 by something else may or may not have reached Attio: re-read it.
    assert error.may_have_committed is (kind == "write")
    assert len(server.requests) == expected_attempts(kind)


def test_a_flat_success_is_attios_only_for_self_and_deletes(hostile):
    server = hostile(answering(sized("200 OK", b'{"workspace_slug": "acme"}')))
    with client_for(server) as client:
        assert client.get("self") == {"workspace_slug": "acme"}
        assert client.delete("webhooks/x") == {"workspace_slug": "acme"}
        with pytest.raises(AttioResponseError, match='no "data"'):
            client.get("objects/people")


# --- 5. error pages that are not Attio's ---------------------------------------------------------

BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
PROXY_PAGES = {
    "502-from-a-proxy": (
        sized("502 Bad Gateway", BAD_GATEWAY_PAGE, "text/html"),
        "Attio API error 502 on {request}: Bad Gateway; the body is not Attio's JSON error: "
        "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad "
        "Gateway</h1></center> <hr><center>nginx</center> </body> </html>",
    ),
    "503-cut-short": (
        reply("503 Service Unavailable", b"<html>Service Unavail", {"Content-Length": "900"}),
        "Attio API error 503 on {request}: Service Unavailable; the body is not Attio's JSON "
        "error: <html>Service Unavail",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", PROXY_PAGES)
def test_a_proxys_error_page_keeps_its_status_and_shows_an_excerpt(hostile, case, kind):
    data, message = PROXY_PAGES[case]
    server = hostile(answering(data))

    error = fail(client_for(server), kind, AttioApiError)

    note = (
        f"after {expected_attempts(kind)} attempts"
        if kind == "read"
        else "the write may have been applied: re-read before retrying it"
    )
    assert str(error) == message.format(request=request_line(kind)) + f" ({note})"
    assert (error.code, error.type) == (None, None)
    assert len(server.requests) == expected_attempts(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_a_4xx_page_is_not_retried_and_its_excerpt_is_short_and_clean(hostile, kind):
    def waf_page(conn: Conn) -> None:
        request = conn.request()
        # A firewall page that echoes the request's headers, token included, among escapes.
        page = (
            "<html>\x1b]0;pwned\x07<body>Request blocked.\n\n"
            f"\u202eAuthorization: {request.headers['authorization']}\x00\n" + "x" * 50_000
        ).encode()
        conn.send(sized("403 Forbidden", page, "text/html"))

    server = hostile(waf_page)

    error = fail(client_for(server), kind, AttioAuthError)

    assert str(error).startswith(
        f"Attio API error 403 on {request_line(kind)}: Forbidden; the body is not Attio's "
        "JSON error: <html><body>Request blocked. Authorization: Bearer [redacted] xxxx"
    )
    assert str(error).endswith("x…")
    assert len(error.message) < 300
    assert len(server.requests) == 1  # a 4xx is an answer: never retried


@pytest.mark.parametrize("padding", range(1600, 1800, 16))
def test_an_excerpt_never_shows_the_start_of_a_token_it_cut(hostile, padding):
    # Invisible padding, then the token: wherever the excerpt's source is cut, no part of the
    # token may show once the padding is gone.
    page = b"\x00" * padding + f"Bearer {TOKEN}".encode() + b" and more" * 50
    server = hostile(answering(sized("401 Unauthorized", page, "text/plain")))

    error = fail(client_for(server), "read", AttioAuthError)

    assert TOKEN[:6] not in str(error)


def test_attios_own_error_fields_are_cleaned_too(hostile):
    def echo(conn: Conn) -> None:
        request = conn.request()
        token = request.headers["authorization"].removeprefix("Bearer ")
        body = {
            "status_code": 400,
            "type": "invalid_request_error",
            "code": "validation\x1b[1m_type\n",
            # The token split by a NUL is the token again once control characters go.
            "message": f"bad value\r\nfor {token[:5]}\x00{token[5:]}: " + "y" * 5000,
        }
        conn.send(sized("400 Bad Request", json.dumps(body).encode()))

    server = hostile(echo)

    error = fail(client_for(server), "write", AttioApiError)

    assert error.code == "validation_type"
    assert error.message.startswith("bad value for [redacted]: yyyy")
    assert len(error.message) == 500 and error.message.endswith("…")


# --- 6. huge bodies -------------------------------------------------------------------------------


def endless(status: str, content_length: str | None) -> Behaviour:
    """A reply whose body goes on until the client stops reading (64 MiB at most)."""

    def behaviour(conn: Conn) -> None:
        conn.request()
        headers = {"Content-Type": "application/json"}
        if content_length:
            headers["Content-Length"] = content_length
        conn.send(reply(status, b'{"data": [', headers))
        block = b'"' + b"x" * 65_534 + b'",'
        for _ in range(1024):
            if conn.server.stopped.is_set():
                return
            conn.send(block)

    return behaviour


@pytest.mark.parametrize(
    ("status", "content_length"),
    [("200 OK", "68719476736"), ("200 OK", None), ("500 Internal Server Error", None)],
    ids=["declared-64-gib", "undeclared", "error-page"],
)
def test_a_huge_body_is_not_read_whole(hostile, status, content_length):
    server = hostile(endless(status, content_length))
    tracemalloc.start()
    try:
        with (
            client_for(server, max_response_bytes=2**20) as client,
            pytest.raises(AttioError) as caught,
        ):
            client.get("objects")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_one_clean_line(str(caught.value))
    assert peak < 8 * 2**20  # the body offered is 64 MiB
    if status.startswith("200"):
        assert str(caught.value) == (
            "Attio answered GET /v2/objects with 200 but the body is larger than 1 MiB; stopped "
            "reading it"
        )
        assert len(server.requests) == 1  # it would be as large again: not retried
    else:
        assert isinstance(caught.value, AttioApiError) and caught.value.status == 500
        assert len(caught.value.message) < 300


# --- 7. a server that trickles ----------------------------------------------------------------


def trickle_body(conn: Conn) -> None:
    conn.request()
    conn.send(reply("200 OK", headers={"Content-Length": "4096"}))
    conn.trickle(b" " * 4096)


def trickle_headers(conn: Conn) -> None:
    conn.request()
    conn.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 4096)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("behaviour", [trickle_body, trickle_headers])
def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(
    hostile, elapsed, behaviour, kind
):
    # Each byte comes well within TIMEOUT; without a deadline for the whole attempt, one
    # attempt would take 4096 x 0.05 s, three minutes and more.
    server = hostile(behaviour)

    error = fail(client_for(server), kind, AttioTransportError)

    assert str(error) == ending(
        kind,
        f"could not reach Attio on {request_line(kind)}: "
        f"ReadTimeout: timed out: no complete reply within {ATTEMPT_TIMEOUT} s",
    )
    assert len(server.requests) == expected_attempts(kind)
    assert elapsed() < expected_attempts(kind) * ATTEMPT_TIMEOUT + 2


# --- 8. a redirect to another host -------------------------------------------------------------


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_redirect_is_reported_and_the_token_never_follows_it(hostile, status, kind):
    elsewhere = hostile(answering(sized("200 OK", b'{"data": []}')))
    for host in ("localhost", "127.0.0.1"):  # another origin: another host, or another port
        location = f"http://{host}:{elsewhere.port}/v2/objects"
        server = hostile(answering(reply(status, headers={"Location": location})))

        error = fail(client_for(server), kind, AttioApiError)

        assert str(error) == (
            f"Attio API error {status[:3]} on {request_line(kind)}: {status[4:]}; the body is "
            f"not Attio's JSON error (empty); redirected to {location}"
        )
        assert len(server.requests) == 1
    assert elsewhere.connections == 0  # nothing at all reached the other origin


def test_the_token_goes_only_to_the_workspace_url(hostile):
    server = hostile(answering(sized("200 OK", b'{"data": []}')))
    with client_for(server) as client:
        client.get("objects")
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.target == "/v2/objects"


# --- 9. bounds on the parameters themselves ------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"attempt_timeout": -1}, {"max_response_bytes": 0}],
    ids=["timeout", "attempt-timeout", "max-response-bytes"],
)
def test_timeouts_and_the_size_cap_must_be_positive(options):
    with pytest.raises(ValueError):
        AttioClient("http://127.0.0.1:1/v2", TOKEN, **options)
