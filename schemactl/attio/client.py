"""The Attio REST client: auth, timeouts, pagination, rate limits, retries and error mapping."""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from schemactl import __version__
from schemactl.attio.errors import (
    AttioApiError,
    AttioError,
    AttioTransportError,
    InsecureTransportError,
    api_error_class,
)
from schemactl.attio.ratelimit import RateLimiter, reset_seconds, retry_after_seconds

log = logging.getLogger("schemactl.attio")

DEFAULT_USER_AGENT = f"schemactl/{__version__}"
# Retries of reads after a 5xx or a lost connection, and of 429s that name no wait: 0.25 s,
# doubling, at most 8 s, each drawn from the upper half of its interval so that concurrent
# workers do not retry in lockstep.
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 8.0
# The longest single wait a 429 may ask for; a longer one is cut short and the retry will tell.
MAX_RATE_LIMIT_WAIT_SECONDS = 60.0
_REDACTED = "[redacted]"
_ERROR_EXCERPT_CHARS = 200
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
    retried on 5xx and lost connections (together at most `max_read_retries` times); writes
    never are, because a write's reply can be lost after it committed: the caller re-reads and
    decides. Every attempt, retries included, is counted in `request_counts`.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
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

        `wall_clock` (epoch seconds) reads `Retry-After` dates and `X-RateLimit-Reset`;
        `clock` (monotonic) paces the limiter. `on_close` runs once, after the HTTP client is
        closed (e.g. to close an in-process workspace).
        """
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if max_read_retries < 0 or max_rate_limit_retries < 0:
            raise ValueError("retry counts cannot be negative")
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
            # A redirect is reported, not followed: Attio does not redirect API calls.
            follow_redirects=False,
        )

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
        read_retries = rate_limit_retries = 0
        while True:
            self._limiter.acquire(write=is_write)
            with self._counts_lock:
                self._counts[key] += 1
            started = self._clock()
            try:
                response = self._http.send(request)
            except (httpx.RequestError, OSError) as exc:
                # OSError: an in-process app's dropped connection (ConnectionResetError).
                detail = self._redact(_describe(exc))
                log.debug("%s -> %s", key, detail)
                if not is_write and read_retries < self.max_read_retries:
                    read_retries += 1
                    self._wait(self._backoff(read_retries), key, f"retry {read_retries}")
                    continue
                if read_retries:
                    detail += f" (after {read_retries + 1} attempts)"
                raise AttioTransportError(
                    method=method,
                    path=sent_path,
                    detail=detail,
                    may_have_committed=is_write and not _never_sent(exc),
                ) from exc
            status = response.status_code
            log.debug("%s -> %d in %.0f ms", key, status, (self._clock() - started) * 1000)
            if status == 429:
                if rate_limit_retries < self.max_rate_limit_retries:
                    rate_limit_retries += 1
                    wait_seconds = self._rate_limit_wait(response.headers, rate_limit_retries)
                    self._wait(wait_seconds, key, f"rate-limit retry {rate_limit_retries}")
                    continue
                raise self._api_error(
                    response, method, sent_path, f"gave up after {rate_limit_retries} retries"
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
                raise self._api_error(response, method, sent_path, note)
            return self._payload(response, method, sent_path)

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

    def _payload(self, response: httpx.Response, method: str, path: str) -> Any:
        if not response.content.strip():
            return None
        try:
            body = response.json()
        except ValueError:
            raise AttioError(
                f"Attio answered {method} {path} with {response.status_code} "
                "but the body is not JSON"
            ) from None
        if isinstance(body, dict) and "data" in body:
            return body["data"]
        return body

    def _api_error(
        self, response: httpx.Response, method: str, path: str, note: str = ""
    ) -> AttioApiError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            error_type, code = body.get("type"), body.get("code")
            return api_error_class(status)(
                status=status,
                method=method,
                path=path,
                message=self._redact(body["message"]),
                error_type=self._redact(error_type) if isinstance(error_type, str) else None,
                code=self._redact(code) if isinstance(code, str) else None,
                note=note,
            )
        # Not Attio's error shape: a proxy's page, an empty body, a redirect.
        reason = response.reason_phrase or "no reason given"
        excerpt = " ".join(response.text.split())[:_ERROR_EXCERPT_CHARS]
        message = f"{reason}; the body is not Attio's JSON error" + (
            f": {excerpt}" if excerpt else " (empty)"
        )
        if 300 <= status < 400 and "Location" in response.headers:
            message += f"; redirected to {response.headers['Location']}"
        return api_error_class(status)(
            status=status, method=method, path=path, message=self._redact(message), note=note
        )

    def _redact(self, text: str) -> str:
        """`text` without the token, should a server or exception have echoed it."""
        return text.replace(self._token, _REDACTED) if self._token else text


def _parse_base_url(base_url: str) -> httpx.URL:
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise AttioError(f"not a usable Attio API URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise AttioError("an Attio API URL starts with https:// (or http:// to this machine)")
    return url


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _never_sent(exc: BaseException) -> bool:
    """Whether the request certainly never left: no connection was made."""
    return isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | ConnectionRefusedError
    )


__all__ = ["DEFAULT_USER_AGENT", "AttioClient", "is_loopback", "segment"]
