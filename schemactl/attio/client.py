"""The Attio REST client: auth, timeouts, pagination, rate limits, retries and error mapping.

Whatever answers at the workspace URL is not trusted to be Attio: every attempt has a deadline
(a server that trickles bytes cannot hold a request), a reply's size is capped, a success whose
body is not Attio's JSON is an error, and whatever a server says reaches an error message only
stripped of control characters, without the token, and cut short.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import re
import ssl
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, TypeVar
from urllib.parse import quote

import httpcore
import httpx

from schemactl import __version__
from schemactl.attio.errors import (
    AttioApiError,
    AttioError,
    AttioResponseError,
    AttioTransportError,
    InsecureTransportError,
    api_error_class,
)
from schemactl.attio.ratelimit import RateLimiter, reset_seconds, retry_after_seconds
from schemactl.errors import REDACTED

log = logging.getLogger("schemactl.attio")

DEFAULT_USER_AGENT = f"schemactl/{__version__}"
# Retries of reads after a 5xx or a lost connection, and of 429s that name no wait: 0.25 s,
# doubling, at most 8 s, each drawn from the upper half of its interval so that concurrent
# workers do not retry in lockstep.
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 8.0
# The longest single wait a 429 may ask for; a longer one is cut short and the retry will tell.
MAX_RATE_LIMIT_WAIT_SECONDS = 60.0
# The longest one attempt may take, from connecting to the last byte of the reply, whatever the
# server does: per-operation timeouts alone let a server that sends a byte now and then (or
# endless headers) hold a request for ever.
DEFAULT_ATTEMPT_TIMEOUT_SECONDS = 120.0
# The largest reply read. Schema replies are well under a megabyte; more is not Attio.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 2**20
# Of an error reply, only the start is read: it is shown as an excerpt, or parsed if it is JSON.
_ERROR_BODY_BYTES = 64 * 2**10
_ERROR_EXCERPT_CHARS = 200
_MESSAGE_CHARS = 500  # Attio's own error message (theirs are a sentence or two)
_CODE_CHARS = 64  # Attio's error code and type (`slug_conflict`, `invalid_request_error`)
# What an error message never shows of a server's text: control characters (Cc), invisible
# format characters such as bidi overrides (Cf), and lone surrogates (Cs).
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs"))
# A timeout within this of the attempt's deadline is the deadline's.
_DEADLINE_SLACK_SECONDS = 0.01
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?")
# What an API token can hold: visible ASCII, no spaces (anything else is a pasting accident).
_TOKEN_TEXT = re.compile(r"^[\x21-\x7e]+$")

Params = Mapping[str, str | int | bool]
Item = TypeVar("Item")
Result = TypeVar("Result")


def segment(text: str) -> str:
    """User text (an option or status title) as ONE path segment, percent-encoded.

    Titles may hold spaces, `/`, `?`, `#` or emoji; every such character is encoded, so
    `f"objects/deals/attributes/stage/statuses/{segment('Won 🎉')}"` addresses that status.
    `.` and `..` are encoded too: HTTP clients would otherwise resolve them as "this folder"
    and "parent folder" and address a different endpoint.
    """
    if not text:
        raise ValueError("a path segment cannot be empty")
    if text in (".", ".."):
        return text.replace(".", "%2E")
    return quote(text, safe="")


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: `localhost`, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AttioClient:
    """One Attio workspace over HTTP (or an in-process transport), thread-safe.

    `base_url` ends in `/v2`; methods take paths relative to it (`"objects"`,
    `f"objects/{slug}/attributes"`). Encode user text in paths with `segment()`.

    Reads (GET) and writes (everything else) pass the client-side rate limiter. A 429 was not
    processed by Attio, so any request is retried after the wait it names. Reads are also
    retried on 5xx, lost connections, timeouts and unreadable successes (together at most
    `max_read_retries` times); writes never are, because a write's reply can be lost after it
    committed: the caller re-reads and decides. Every attempt, retries included, is counted in
    `request_counts`.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        attempt_timeout: float = DEFAULT_ATTEMPT_TIMEOUT_SECONDS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        read_rate: float | None = 100.0,
        write_rate: float | None = 25.0,
        max_workers: int = 8,
        max_read_retries: int = 5,
        max_rate_limit_retries: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = DEFAULT_USER_AGENT,
        limiter: RateLimiter | None = None,
        wall_clock: Callable[[], float] = time.time,
        on_close: Callable[[], None] | None = None,
    ):
        """`read_rate`/`write_rate` None: no client-side limit; `limiter` replaces both.

        `timeout` bounds each network operation (connecting, each send, each wait for bytes);
        `attempt_timeout` one whole attempt, from connecting to the reply's last byte (both in
        real seconds, whatever `clock` says). A success larger than `max_response_bytes` is an
        error. Retries and rate-limit waits come on top of both, each bounded by its count.
        `wall_clock` (epoch seconds) reads `Retry-After` dates and `X-RateLimit-Reset`;
        `clock` (monotonic) paces the limiter. `on_close` runs once, after the HTTP client is
        closed (e.g. to close an in-process workspace).
        """
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if max_read_retries < 0 or max_rate_limit_retries < 0:
            raise ValueError("retry counts cannot be negative")
        if not (timeout > 0 and attempt_timeout > 0):
            raise ValueError("timeouts must be positive")
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be at least 1")
        url = _parse_base_url(base_url)
        if token is not None:
            if not _TOKEN_TEXT.match(token):
                # The value is never echoed: it is (nearly) a secret.
                raise AttioError(
                    "the Attio API token is empty or holds spaces or non-ASCII characters; "
                    "check the variable it was read from"
                )
            if url.scheme == "http" and not is_loopback(url.host):
                raise InsecureTransportError(
                    f"refusing to send an API token over plain http:// to {url.host}; use "
                    "https:// (plain http is allowed only to localhost, 127.0.0.0/8 and ::1)"
                )
        self.base_url = str(url).rstrip("/")
        self.max_workers = max_workers
        self.max_read_retries = max_read_retries
        self.max_rate_limit_retries = max_rate_limit_retries
        self.timeout = timeout
        self.attempt_timeout = attempt_timeout
        self.max_response_bytes = max_response_bytes
        self._token = token
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._on_close = on_close
        self._limiter = limiter or RateLimiter(read_rate, write_rate, clock=clock, sleep=sleep)
        self._jitter = random.Random()
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._closed = False
        headers = {"Accept": "application/json", "User-Agent": user_agent}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            # A redirect is reported, not followed: Attio does not redirect API calls, and the
            # token must never go to whatever host a redirect names.
            follow_redirects=False,
        )
        _install_deadlines(self._http)

    def __repr__(self) -> str:
        return f"AttioClient({self.base_url!r})"

    # --- the API -----------------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None) -> Any:
        """The body's `data`; the whole body when it has none (`/v2/self` is flat)."""
        return self._request("GET", path, params=params)

    def get_all(self, path: str, params: Params | None = None, *, page_size: int = 500) -> list:
        """Every item of a `limit`/`offset` listing, page by page.

        Attio gives no total count: the listing ends at the first page shorter than `limit`
        (so an exact multiple costs one more, empty, page). Webhooks allow at most 100 a page.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        items: list[Any] = []
        while True:
            page = self.get(path, {**(params or {}), "limit": page_size, "offset": len(items)})
            if not isinstance(page, list):
                raise AttioError(
                    f"expected a list from GET {path}, got {type(page).__name__}; "
                    "is this a listing endpoint?"
                )
            items.extend(page)
            # Longer than asked for: the endpoint ignores `limit`, so that was everything.
            if len(page) != page_size:
                return items

    def post(self, path: str, data: Any) -> Any:
        """Create: sends `{"data": data}`, returns the response's `data`."""
        return self._request("POST", path, body={"data": data})

    def patch(self, path: str, data: Any) -> Any:
        """Update: sends `{"data": data}`, returns the response's `data`."""
        return self._request("PATCH", path, body={"data": data})

    def delete(self, path: str) -> Any:
        """Delete (webhooks only, in the schema API); Attio answers `{}`."""
        return self._request("DELETE", path)

    def query(self, path: str, body: dict[str, Any]) -> Any:
        """A records or entries query (`filter`, `limit`, … at the top of the body, unwrapped).

        Sent as POST, but it changes nothing: it takes the read budget, and is retried like a
        read after a 5xx or a lost connection.
        """
        return self._request("POST", path, body=body, read=True)

    def map_reads(self, fn: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
        """`[fn(item) for item in items]`, run on at most `max_workers` threads, in order.

        On an error nothing new is started, the running calls finish, and the error of the
        earliest failed item (in `items` order) is raised.
        """
        work = list(items)
        workers = min(self.max_workers, len(work))
        if workers <= 1:
            return [fn(item) for item in work]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attio-read") as pool:
            futures = [pool.submit(fn, item) for item in work]
            _, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
        # Leaving the `with` waited for the calls already running.
        for future in futures:
            if not future.cancelled():
                error = future.exception()
                if error is not None:
                    raise error
        return [future.result() for future in futures]

    @property
    def request_counts(self) -> Counter[str]:
        """Requests sent, retries included, by `METHOD /v2/path` as sent (no query string)."""
        with self._counts_lock:
            return Counter(self._counts)

    @property
    def total_requests(self) -> int:
        with self._counts_lock:
            return sum(self._counts.values())

    def close(self) -> None:
        """Close the connections (and whatever `on_close` releases); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._http.close()
        finally:
            if self._on_close is not None:
                self._on_close()

    def __enter__(self) -> AttioClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- one request, with its retries ----------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        read: bool = False,
    ) -> Any:
        request = self._build(method, path, params, body)
        sent_path = request.url.raw_path.decode("ascii").partition("?")[0]
        key = f"{method} {sent_path}"
        is_write = method != "GET" and not read
        # Attio's only successes without a `data` wrapper: `/v2/self`, and a delete's `{}`.
        flat = method == "DELETE" or path.strip("/") == "self"
        read_retries = rate_limit_retries = 0
        while True:
            self._limiter.acquire(write=is_write)
            with self._counts_lock:
                self._counts[key] += 1
            started = self._clock()
            deadline = time.monotonic() + self.attempt_timeout
            status: int | None = None
            try:
                response, content = self._attempt(request, deadline)
                status = response.status_code
                log.debug("%s -> %d in %.0f ms", key, status, (self._clock() - started) * 1000)
                if status == 429:
                    if rate_limit_retries < self.max_rate_limit_retries:
                        rate_limit_retries += 1
                        wait_seconds = self._rate_limit_wait(response.headers, rate_limit_retries)
                        self._wait(wait_seconds, key, f"rate-limit retry {rate_limit_retries}")
                        continue
                    raise self._api_error(
                        response,
                        content,
                        method,
                        sent_path,
                        f"gave up after {rate_limit_retries} retries",
                    )
                if status >= 500 and not is_write and read_retries < self.max_read_retries:
                    read_retries += 1
                    self._wait(self._backoff(read_retries), key, f"retry {read_retries}")
                    continue
                if not 200 <= status < 300:
                    note = ""
                    if status >= 500 and is_write:
                        note = "the write may have been applied: re-read before retrying it"
                    elif read_retries:
                        note = f"after {read_retries + 1} attempts"
                    raise self._api_error(response, content, method, sent_path, note)
                return self._payload(response, content, flat)
            except (httpx.RequestError, OSError) as exc:
                # OSError: an in-process app's dropped connection (ConnectionResetError).
                detail = self._describe_failure(exc, deadline)
                retryable, sent = True, not _never_sent(exc)
            except _Unusable as exc:
                # A success whose body cannot be used: for a write, it may have been applied.
                status = exc.status
                detail, retryable, sent = exc.detail, exc.retryable, True
            log.debug("%s -> %s", key, detail)
            if not is_write and retryable and read_retries < self.max_read_retries:
                read_retries += 1
                self._wait(self._backoff(read_retries), key, f"retry {read_retries}")
                continue
            if read_retries:
                detail += f" (after {read_retries + 1} attempts)"
            if status is None:
                raise AttioTransportError(
                    method=method,
                    path=sent_path,
                    detail=detail,
                    may_have_committed=is_write and sent,
                ) from None  # the cause's text may quote a garbled reply, token and all
            raise AttioResponseError(
                method=method,
                path=sent_path,
                status=status,
                detail=detail,
                may_have_committed=is_write,
            ) from None

    def _attempt(self, request: httpx.Request, deadline: float) -> tuple[httpx.Response, bytes]:
        """Send `request` once; the response and its body (all of a success, the start of an
        error), received by `deadline` (`time.monotonic()`)."""
        outer, _deadline.at = _deadline.at, deadline
        try:
            response = self._http.send(request, stream=True)
            try:
                return response, self._read_body(response, deadline)
            finally:
                response.close()
        finally:
            _deadline.at = outer

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        status = response.status_code
        success = 200 <= status < 300
        limit = self.max_response_bytes if success else _ERROR_BODY_BYTES
        too_large = _Unusable(
            status, f"the body is larger than {_size(limit)}; stopped reading it", retryable=False
        )
        declared = response.headers.get("Content-Length", "")
        if success and declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    if success:
                        raise too_large
                    break  # of an error, the start is enough
                # Sockets are bounded by the deadline as they wait; this catches transports
                # whose sockets are not (see _install_deadlines).
                if time.monotonic() >= deadline:
                    raise httpx.ReadTimeout("the attempt's deadline passed")
        except httpx.RequestError:
            if success:
                raise
            # An error reply cut short still says what its status says.
        return bytes(body[:limit])

    def _build(self, method: str, path: str, params: Params | None, body: Any) -> httpx.Request:
        relative = httpx.URL(path)
        # Only paths under base_url: the token must never follow a full URL to another host.
        if relative.scheme or relative.host:
            raise ValueError(f"expected a path relative to {self.base_url}, not {path!r}")
        return self._http.build_request(method, path.lstrip("/"), params=params, json=body)

    def _wait(self, seconds: float, key: str, why: str) -> None:
        log.debug("%s: %s in %.2f s", key, why, seconds)
        self._sleep(seconds)

    def _backoff(self, retry: int) -> float:
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (retry - 1))
        return self._jitter.uniform(ceiling / 2, ceiling)

    def _rate_limit_wait(self, headers: httpx.Headers, retry: int) -> float:
        """What the 429 asks for: `Retry-After` (seconds or HTTP date), else
        `X-RateLimit-Reset` (epoch seconds), else a short backoff."""
        now = self._wall_clock()
        wanted = retry_after_seconds(headers.get("Retry-After"), now)
        if wanted is None:
            wanted = reset_seconds(headers.get("X-RateLimit-Reset"), now)
        # A time already past (clocks differ) says nothing useful: back off instead.
        if wanted is None or wanted <= 0:
            return self._backoff(retry)
        return min(wanted, MAX_RATE_LIMIT_WAIT_SECONDS)

    # --- bodies --------------------------------------------------------------------------------

    def _payload(self, response: httpx.Response, content: bytes, flat: bool) -> Any:
        """A success's `data` (the whole object for `flat` endpoints); _Unusable if there is
        none: whatever answered 2xx with an empty, non-JSON or other-shaped body is not Attio,
        or not all of its reply arrived."""
        status = response.status_code
        if not content.strip():
            raise _Unusable(status, "the body is empty")
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            kind = _media_type(response)
            shown = f" ({self._clean(kind, 40)})" if kind and kind != "application/json" else ""
            raise _Unusable(
                status, f"the body is not JSON{shown}: {self._excerpt(content)}"
            ) from None
        if isinstance(body, dict):
            data = body.get("data")
            if isinstance(data, dict | list):
                return data
            if flat and "data" not in body:
                return body
        raise _Unusable(
            status, f'the body is not Attio\'s (no "data" object or list): {self._excerpt(content)}'
        )

    def _api_error(
        self, response: httpx.Response, content: bytes, method: str, path: str, note: str = ""
    ) -> AttioApiError:
        status = response.status_code
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            error_type, code = body.get("type"), body.get("code")
            return api_error_class(status)(
                status=status,
                method=method,
                path=path,
                message=self._clean(body["message"], _MESSAGE_CHARS) or "(no message)",
                error_type=self._optional_text(error_type, _CODE_CHARS),
                code=self._optional_text(code, _CODE_CHARS),
                note=note,
            )
        # Not Attio's error shape: a proxy's page, an empty body, a redirect.
        reason = self._clean(response.reason_phrase, 80) or "no reason given"
        excerpt = self._excerpt(content)
        message = f"{reason}; the body is not Attio's JSON error" + (
            f": {excerpt}" if excerpt else " (empty)"
        )
        location = response.headers.get("Location")
        if 300 <= status < 400 and location:
            message += f"; redirected to {self._clean(location, _ERROR_EXCERPT_CHARS)}"
        return api_error_class(status)(
            status=status, method=method, path=path, message=message, note=note
        )

    def _describe_failure(self, exc: BaseException, deadline: float) -> str:
        """One line on what went wrong with the connection: for a timeout, which wait ran out."""
        name = type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            limit = _seconds(self.timeout)
            if time.monotonic() >= deadline - _DEADLINE_SLACK_SECONDS:
                what = f"no complete reply within {_seconds(self.attempt_timeout)}"
            elif isinstance(exc, httpx.ConnectTimeout):
                what = f"no connection within {limit}; nothing was sent"
            elif isinstance(exc, httpx.WriteTimeout):
                what = f"the request could not be sent within {limit}"
            elif isinstance(exc, httpx.PoolTimeout):
                what = f"no free connection within {limit}"
            else:
                what = f"nothing received for {limit}"
            return f"{name}: timed out: {what}"
        text = self._clean(str(exc), _ERROR_EXCERPT_CHARS)
        return f"{name}: {text}" if text else name

    def _optional_text(self, value: Any, limit: int) -> str | None:
        """A string field of Attio's error, cleaned; None if absent, not text, or blank."""
        return (self._clean(value, limit) or None) if isinstance(value, str) else None

    def _excerpt(self, content: bytes) -> str:
        """The start of a body that is not Attio's, as one short line of visible text."""
        token = self._token or ""
        # Enough to fill the excerpt once control characters go, and to hold a whole token.
        head = content[: 8 * _ERROR_EXCERPT_CHARS + 4 * len(token)]
        text = self._visible(head.decode("utf-8", errors="replace"))
        if len(head) < len(content) and token:
            # The cut may have split a token the redaction could not recognise: its start
            # would be in these last characters.
            text = text[: max(0, len(text) - len(token))] + "…"
        return _shorten(text, _ERROR_EXCERPT_CHARS)

    def _clean(self, text: str, limit: int) -> str:
        """Server-sent `text`, safe to show on one line, at most `limit` characters."""
        return _shorten(self._visible(text), limit)

    def _visible(self, text: str) -> str:
        """`text` without terminal escapes, control or format characters (whitespace runs
        become one space), and without the token."""
        text = _ANSI_ESCAPE.sub("", text)
        text = "".join(
            c for c in text if c.isspace() or unicodedata.category(c) not in _HIDDEN_CATEGORIES
        )
        # Only now: a token split by control characters is whole again.
        return self._redact(" ".join(text.split()))

    def _redact(self, text: str) -> str:
        """`text` without the token, should a server or exception have echoed it."""
        return text.replace(self._token, REDACTED) if self._token else text


class _Unusable(Exception):
    """A success (2xx) whose body cannot be used; `retryable`: a read may try again."""

    def __init__(self, status: int, detail: str, *, retryable: bool = True):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retryable = retryable


# --- deadlines: no attempt outlives its attempt_timeout, however slowly bytes arrive ----------


class _Deadline(threading.local):
    at: float | None = None  # time.monotonic() by which this thread's attempt must end


_deadline = _Deadline()


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout`, cut to what is left of this thread's attempt; raises `expired` if nothing is."""
    if _deadline.at is None:
        return timeout
    left = _deadline.at - time.monotonic()
    if left <= 0:
        raise expired("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait ends by the deadline of the attempt using it."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Opens _DeadlineStreams; connecting, too, ends by the attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _install_deadlines(http: httpx.Client) -> None:
    """Make every socket wait of `http`'s own connections end by the attempt's deadline.

    httpx has no public hook for this, so the network backend of each connection pool (the
    direct one, and those of proxies from the environment) is wrapped where it is found.
    Transports without one (an in-process app) are left as they are; a reply's body is still
    checked against the deadline between chunks.
    """
    transports = [getattr(http, "_transport", None), *getattr(http, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, _DeadlineBackend
        ):
            pool._network_backend = _DeadlineBackend(backend)


# --- small helpers ----------------------------------------------------------------------------


def _parse_base_url(base_url: str) -> httpx.URL:
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise AttioError(f"not a usable Attio API URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise AttioError("an Attio API URL starts with https:// (or http:// to this machine)")
    return url


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("Content-Type", "").partition(";")[0].strip().lower()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"


def _never_sent(exc: BaseException) -> bool:
    """Whether the request certainly never left: no connection was made."""
    return isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | ConnectionRefusedError
    )


__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT_SECONDS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_USER_AGENT",
    "AttioClient",
    "is_loopback",
    "segment",
]
