"""AttioClient against the real emulator (in process): pagination, rate limits, retries, errors.

httpx.MockTransport stands in only for faults the emulator cannot make: non-JSON bodies,
timeouts, a refused connection, and 429s with hand-written headers.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from schemactl.attio.client import AttioClient, is_loopback, segment
from schemactl.attio.errors import (
    AttioApiError,
    AttioAuthError,
    AttioConflict,
    AttioError,
    AttioNotFound,
    AttioRateLimited,
    AttioTransportError,
    InsecureTransportError,
)
from schemactl.attio.ratelimit import RateLimiter
from schemactl.emulator import Emulator, EmulatorConfig, Faults
from schemactl.emulator.server import build_server
from schemactl.errors import SchemactlError

BASE = "https://attio.test/v2"
# A token no test should ever find in an error, a repr or a log line.
CANARY = "canary-7Fq2-DO-NOT-PRINT-9xZ"
T0 = 1_700_000_000.25  # epoch seconds, a quarter into a second


class FakeTime:
    """One clock for the emulator, the limiter and Retry-After dates; only sleeping moves it."""

    def __init__(self, now: float = T0):
        self.now = now
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_app(time: FakeTime) -> Iterator[Callable[..., Emulator]]:
    """Emulators on the fake clock, closed after the test."""
    made: list[Emulator] = []

    def make(**config: Any) -> Emulator:
        app = Emulator(EmulatorConfig(id_seed=11, clock=time.clock, **config))
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


@pytest.fixture
def app(make_app) -> Emulator:
    return make_app()


def connect(
    app: Any, time: FakeTime, token: str | None = None, base_url: str = BASE, **options: Any
) -> AttioClient:
    """An AttioClient on `app` (an emulator, or any WSGI app) with the fake clock."""
    transport = options.pop("transport", None) or httpx.WSGITransport(app=app)
    return AttioClient(
        base_url,
        token,
        transport=transport,
        sleep=time.sleep,
        clock=time.clock,
        wall_clock=time.clock,
        **options,
    )


def reached(app: Emulator) -> dict[str, Any]:
    """What the emulator saw, from its control endpoint: counts by template, reads, writes."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://control") as http:
        return http.get("/_emulator/requests").json()["data"]


def forget_requests(app: Emulator) -> None:
    """Clear the emulator's request counters (setup requests are not what a test counts)."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://control") as http:
        http.delete("/_emulator/requests").raise_for_status()


def scripted(*steps: httpx.Response | Exception) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering (or failing) with `steps` in turn, repeating the last one."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step

    return httpx.MockTransport(handle), seen


def new_object(slug: str) -> dict[str, str]:
    return {"api_slug": slug, "singular_noun": slug.title(), "plural_noun": f"{slug.title()}s"}


def new_attribute(slug: str, attribute_type: str = "text") -> dict[str, Any]:
    return {
        "title": slug.title(),
        "description": None,
        "api_slug": slug,
        "type": attribute_type,
        "is_required": False,
        "is_unique": False,
        "is_multiselect": False,
        "config": {},
    }


# --- requests and bodies -------------------------------------------------------------------------


def test_get_returns_data_and_self_flat(app, time):
    with connect(app, time) as client:
        slugs = {o["api_slug"] for o in client.get("objects")}
        me = client.get("self")
    assert {"people", "companies", "deals"} <= slugs
    assert me["active"] is True and "workspace_id" in me  # flat: no "data" wrapper to strip


def test_post_patch_and_delete_wrap_and_unwrap_data(app, time):
    with connect(app, time) as client:
        created = client.post("objects", new_object("projects"))
        renamed = client.patch("objects/projects", {"api_slug": "initiatives"})
        hook = client.post(
            "webhooks",
            {"target_url": "https://hooks.example.com/a", "subscriptions": []},
        )
        deleted = client.delete(f"webhooks/{hook['id']['webhook_id']}")
        assert client.get("objects/initiatives")["id"] == created["id"]
    assert created["api_slug"] == "projects"
    assert renamed["api_slug"] == "initiatives"
    assert deleted == {}


def test_headers_timeout_and_auth_only_with_a_token(time):
    transport, seen = scripted(httpx.Response(200, json={"data": []}))
    with connect(None, time, CANARY, transport=transport, timeout=12.5) as client:
        client.get("objects")
    with connect(None, time, transport=transport) as anonymous:
        anonymous.get("objects")
    with_token, without = seen
    assert with_token.headers["Authorization"] == f"Bearer {CANARY}"
    assert "Authorization" not in without.headers
    assert with_token.headers["User-Agent"].startswith("schemactl/")
    assert with_token.headers["Accept"] == "application/json"
    assert with_token.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 12.5
    )
    assert str(with_token.url) == "https://attio.test/v2/objects"


def test_a_path_must_stay_under_the_base_url(time):
    transport, seen = scripted(httpx.Response(200, json={"data": []}))
    with connect(None, time, CANARY, transport=transport) as client:
        for elsewhere in ("https://evil.example/v2/objects", "//evil.example/objects"):
            with pytest.raises(ValueError, match="relative"):
                client.get(elsewhere)
    assert seen == []


# --- pagination -------------------------------------------------------------------------------


@pytest.fixture
def ten_attributes(app, time) -> list[dict[str, Any]]:
    """`projects` with exactly 10 attributes (3 every object has, 7 of ours), unpaged."""
    with connect(app, time) as client:
        client.post("objects", new_object("projects"))
        for n in range(7):
            client.post("objects/projects/attributes", new_attribute(f"field_{n}"))
        every = client.get("objects/projects/attributes")
    assert len(every) == 10
    forget_requests(app)
    return every


@pytest.mark.parametrize(
    ("page_size", "requests"),
    [(3, 4), (4, 3), (5, 3), (10, 2), (11, 1), (500, 1), (1, 11)],
    ids=[
        "3+3+3+1",
        "4+4+2",
        "exact-multiple-5+5+0",
        "exact-10+0",
        "one-short-page",
        "default",
        "1",
    ],
)
def test_get_all_stops_at_the_first_short_page(app, time, ten_attributes, page_size, requests):
    with connect(app, time) as client:
        items = client.get_all("objects/projects/attributes", page_size=page_size)
        assert items == ten_attributes
        assert client.request_counts == Counter({"GET /v2/objects/projects/attributes": requests})
    assert reached(app)["reads"] == requests


def test_get_all_keeps_the_callers_params(app, time, ten_attributes):
    with connect(app, time) as client:
        client.patch("objects/projects/attributes/field_3", {"is_archived": True})
        live = client.get_all("objects/projects/attributes", page_size=4)
        every = client.get_all(
            "objects/projects/attributes", {"show_archived": "true"}, page_size=4
        )
    assert "field_3" not in [a["api_slug"] for a in live]
    assert [a["api_slug"] for a in every] == [a["api_slug"] for a in ten_attributes]


def test_get_all_of_an_empty_listing_is_one_request(app, time):
    with connect(app, time) as client:
        assert client.get_all("webhooks", page_size=100) == []
        assert client.total_requests == 1


def test_get_all_of_something_that_is_not_a_listing_says_so(app, time):
    with connect(app, time) as client, pytest.raises(AttioError, match="expected a list"):
        client.get_all("objects/companies")


# --- rate limits --------------------------------------------------------------------------------


def test_pacing_keeps_within_attios_real_limits(make_app, time):
    app = make_app(rate_limit="real")
    with connect(app, time) as client:
        for _ in range(150):
            client.get("objects")
        for n in range(30):
            client.post("objects", new_object(f"thing_{n}"))
        assert client.total_requests == 180
    # Not one 429: the emulator saw exactly the requests made, no retries.
    assert reached(app)["reads"] == 150 and reached(app)["writes"] == 30
    assert time.now - T0 == pytest.approx(149 * 0.01 + 29 * 0.04, abs=0.05)


def test_a_429_waits_until_its_retry_after_date(make_app, time):
    app = make_app(rate_limit="real")
    with connect(app, time, read_rate=None) as client:  # no client-side limit: overrun Attio
        for _ in range(101):
            client.get("objects")
        assert client.total_requests == 102
    # The 101st read in the second got a 429 with "Retry-After: <the next second>".
    assert time.sleeps == [pytest.approx(0.75)]
    assert reached(app)["reads"] == 102


def test_a_429_without_retry_after_waits_until_x_ratelimit_reset(make_app, time):
    app = make_app(rate_limit="seed")  # 10 requests a second, X-RateLimit-* headers, no Retry-After
    with connect(app, time, read_rate=None, write_rate=None) as client:
        for _ in range(11):
            client.get("objects")
        assert client.total_requests == 12
    assert time.sleeps == [pytest.approx(0.75)]


def test_the_seed_profile_limiter_avoids_429s_from_a_seed_server(make_app, time):
    app = make_app(rate_limit="seed")
    limiter = RateLimiter.profile("seed", clock=time.clock, sleep=time.sleep)
    with connect(app, time, limiter=limiter) as client:
        for n in range(30):
            if n % 3:
                client.get("objects")
            else:
                client.post("objects", new_object(f"thing_{n}"))
    counts = reached(app)
    assert counts["reads"] + counts["writes"] == 30
    assert time.now - T0 == pytest.approx(2.9)


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"Retry-After": "3"}, 3.0, 3.0),
        ({"Retry-After": "0.5"}, 0.5, 0.5),
        ({"Retry-After": formatdate(int(T0) + 5, usegmt=True)}, 4.75, 4.75),
        ({"X-RateLimit-Reset": str(int(T0) + 2)}, 1.75, 1.75),
        ({"X-RateLimit-Reset": "4"}, 4.0, 4.0),  # a small number is seconds from now
        ({"Retry-After": "2", "X-RateLimit-Reset": str(int(T0) + 9)}, 2.0, 2.0),
        ({"Retry-After": "3600"}, 60.0, 60.0),  # capped
        ({"Retry-After": formatdate(int(T0) - 5, usegmt=True)}, 0.125, 0.25),  # past: back off
        ({"Retry-After": "soon"}, 0.125, 0.25),
        ({"Retry-After": "nan"}, 0.125, 0.25),
        ({}, 0.125, 0.25),
    ],
    ids=[
        "seconds",
        "fraction",
        "http-date",
        "reset-epoch",
        "reset-delta",
        "retry-after-wins",
        "capped",
        "date-in-past",
        "garbage",
        "nan",
        "no-header",
    ],
)
def test_how_long_a_429_waits(time, headers, low, high):
    limited = httpx.Response(429, headers=headers, json={"code": "rate_limit_exceeded"})
    transport, seen = scripted(limited, httpx.Response(200, json={"data": ["ok"]}))
    with connect(None, time, transport=transport) as client:
        assert client.get("objects") == ["ok"]
    assert len(seen) == 2
    (waited,) = time.sleeps
    assert low - 1e-6 <= waited <= high + 1e-6


def test_a_429_storm_is_ridden_out(make_app, time):
    app = make_app(faults=Faults(seed=5, rate_429=0.3))
    with connect(app, time) as client:
        for n in range(20):
            client.post("objects", new_object(f"thing_{n}"))
        reads = [client.get("objects") for _ in range(40)]
        total = client.total_requests
    retries = total - 60
    assert retries > 10  # about 30% of ~85 attempts: the storm really happened
    seen = reached(app)
    assert seen["reads"] + seen["writes"] == total
    # Each create landed once: a 429 was not processed, so retrying it duplicated nothing.
    slugs = [o["api_slug"] for o in reads[-1]]
    assert sorted(s for s in slugs if s.startswith("thing_")) == sorted(
        f"thing_{n}" for n in range(20)
    )
    assert seen["writes"] >= 20


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rate_limit_retries_run_out(make_app, time, method):
    app = make_app(faults=Faults(rate_429=1.0))
    with (
        connect(app, time, max_rate_limit_retries=3) as client,
        pytest.raises(AttioRateLimited) as caught,
    ):
        if method == "GET":
            client.get("objects")
        else:
            client.post("objects", new_object("projects"))
    error = caught.value
    assert (error.status, error.code, error.type) == (
        429,
        "rate_limit_exceeded",
        "rate_limit_error",
    )
    assert "gave up after 3 retries" in str(error)
    assert sum(reached(app)["counts"].values()) == 4
    assert len(time.sleeps) == 3


# --- 5xx and lost connections ---------------------------------------------------------------


def _within_backoff(sleeps: list[float]) -> bool:
    """Each wait lies in the upper half of 0.25 s doubling per retry, capped at 8 s."""
    return all(
        min(8.0, 0.25 * 2**n) / 2 <= wait <= min(8.0, 0.25 * 2**n) for n, wait in enumerate(sleeps)
    )


def test_reads_ride_out_server_errors(make_app, time):
    app = make_app(faults=Faults(seed=3, rate_500=0.3, rate_503=0.2))
    with connect(app, time, read_rate=None) as client:  # every sleep is then a backoff
        for _ in range(30):
            assert client.get("objects")
        total = client.total_requests
    assert total > 40  # about half the attempts failed and were retried
    assert reached(app)["reads"] == total
    assert all(0.125 <= wait <= 8.0 for wait in time.sleeps)


def test_read_retries_run_out_with_backoff(make_app, time):
    app = make_app(faults=Faults(rate_500=1.0))
    with connect(app, time, max_read_retries=4) as client, pytest.raises(AttioApiError) as caught:
        client.get("objects")
    error = caught.value
    assert type(error) is AttioApiError
    assert (error.status, error.code, error.message) == (500, "internal_error", "Injected fault.")
    assert "after 5 attempts" in str(error)
    assert reached(app)["reads"] == 5
    assert len(time.sleeps) == 4 and _within_backoff(time.sleeps)


def test_backoff_is_capped_at_eight_seconds(make_app, time):
    app = make_app(faults=Faults(rate_503=1.0))
    with connect(app, time, max_read_retries=9) as client, pytest.raises(AttioApiError):
        client.get("objects")
    assert _within_backoff(time.sleeps)
    assert all(4.0 <= wait <= 8.0 for wait in time.sleeps[6:])


@pytest.mark.parametrize("rate", ["rate_500", "rate_503"])
def test_a_write_is_never_retried_on_a_server_error(make_app, time, rate):
    app = make_app(faults=Faults(**{rate: 1.0}))
    with connect(app, time) as client, pytest.raises(AttioApiError) as caught:
        client.post("objects", new_object("projects"))
    assert caught.value.status in (500, 503)
    assert "may have been applied" in str(caught.value)
    assert reached(app)["writes"] == 1
    assert time.sleeps == []


def test_a_write_whose_reply_was_lost_may_have_committed(make_app, time):
    app = make_app(faults=Faults(drop_after_commit=1.0))
    with connect(app, time) as client:
        with pytest.raises(AttioTransportError) as caught:
            client.post("objects", new_object("projects"))
        error = caught.value
        assert error.may_have_committed is True
        assert (error.method, error.path) == ("POST", "/v2/objects")
        assert "ConnectionReset" in str(error) or "DroppedConnection" in str(error)
        assert "re-read" in str(error)
        app.config.faults = Faults()
        assert client.get("objects/projects")["api_slug"] == "projects"  # it was applied
    assert reached(app)["counts"]["POST /v2/objects"] == 1


def test_a_dropped_reply_over_real_http_may_have_committed(make_app, time):
    app = make_app(faults=Faults(drop_after_commit=1.0), tokens={CANARY: None})
    server = build_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}/v2"
        with AttioClient(url, CANARY, sleep=time.sleep, read_rate=None) as client:
            assert client.get("objects")  # reads are never dropped
            with pytest.raises(AttioTransportError) as caught:
                client.post("objects", new_object("projects"))
            assert caught.value.may_have_committed is True
            app.config.faults = Faults()
            assert client.get("objects/projects")["api_slug"] == "projects"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert CANARY not in str(caught.value)


def test_a_non_json_error_page_still_gives_a_clear_error(time):
    page = httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1>\n</body></html>")
    transport, seen = scripted(page)
    with (
        connect(None, time, transport=transport, max_read_retries=2) as client,
        pytest.raises(AttioApiError) as caught,
    ):
        client.get("objects")
    error = caught.value
    assert (error.status, error.code, error.type) == (502, None, None)
    assert str(error).startswith("Attio API error 502 on GET /v2/objects: Bad Gateway")
    assert "<h1>502 Bad Gateway</h1>" in str(error)
    assert len(seen) == 3


def test_a_non_json_success_body_is_an_attio_error(time):
    transport, _ = scripted(httpx.Response(200, text="<html>maintenance</html>"))
    with (
        connect(None, time, transport=transport) as client,
        pytest.raises(AttioError, match="not JSON"),
    ):
        client.get("objects")


def test_a_read_timeout_is_retried_until_it_succeeds(time):
    transport, seen = scripted(
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.Response(200, json={"data": [1]}),
    )
    with connect(None, time, transport=transport) as client:
        assert client.get("objects") == [1]
    assert len(seen) == 3
    assert len(time.sleeps) == 2 and _within_backoff(time.sleeps)


def test_read_timeouts_run_out_as_a_transport_error(time):
    transport, seen = scripted(httpx.ReadTimeout("timed out"))
    with (
        connect(None, time, transport=transport, max_read_retries=2) as client,
        pytest.raises(AttioTransportError) as caught,
    ):
        client.get("objects")
    assert caught.value.may_have_committed is False
    assert "ReadTimeout" in str(caught.value) and "after 3 attempts" in str(caught.value)
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("failure", "may_have_committed"),
    [
        (httpx.ReadTimeout("timed out"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (httpx.ConnectError("[Errno 111] Connection refused"), False),  # never sent
        (httpx.ConnectTimeout("timed out"), False),
    ],
    ids=["read-timeout", "disconnected", "reset", "refused", "connect-timeout"],
)
def test_a_failed_write_is_not_retried(time, failure, may_have_committed):
    transport, seen = scripted(failure, httpx.Response(200, json={"data": {}}))
    with (
        connect(None, time, transport=transport) as client,
        pytest.raises(AttioTransportError) as caught,
    ):
        client.patch("objects/projects", {"plural_noun": "Projects"})
    assert caught.value.may_have_committed is may_have_committed
    assert (caught.value.method, caught.value.path) == ("PATCH", "/v2/objects/projects")
    assert len(seen) == 1
    assert time.sleeps == []


# --- Attio's errors -------------------------------------------------------------------------------


@pytest.fixture
def guarded(make_app) -> Emulator:
    """An emulator that wants a token: CANARY has every scope, `reader` only reads objects."""
    return make_app(tokens={CANARY: None, "reader": frozenset({"object_configuration:read"})})


def test_an_unknown_token_is_an_auth_error(guarded, time):
    with connect(guarded, time, "not-the-token") as client, pytest.raises(AttioAuthError) as caught:
        client.get("objects")
    assert (caught.value.status, caught.value.type) == (401, "auth_error")
    assert caught.value.message == "The API token is invalid or revoked."


def test_no_token_at_all_is_an_auth_error(guarded, time):
    with connect(guarded, time) as client, pytest.raises(AttioAuthError) as caught:
        client.get("objects")
    assert caught.value.status == 401
    assert "Missing API token" in caught.value.message


def test_a_missing_scope_is_a_403_auth_error(guarded, time):
    with connect(guarded, time, "reader") as client, pytest.raises(AttioAuthError) as caught:
        client.post("objects", new_object("projects"))
    error = caught.value
    assert (error.status, error.code) == (403, "unauthorized")
    assert "object_configuration:read-write" in error.message


def test_not_found_carries_attios_code_and_message(app, time):
    with connect(app, time) as client, pytest.raises(AttioNotFound) as caught:
        client.get("objects/nope")
    error = caught.value
    assert (error.status, error.code, error.type) == (404, "not_found", "invalid_request_error")
    assert error.message == 'Object with slug/ID "nope" not found.'
    assert (error.method, error.path) == ("GET", "/v2/objects/nope")


def test_a_slug_conflict_reads_as_attio_put_it(app, time):
    with connect(app, time) as client:
        client.post("objects", new_object("projects"))
        with pytest.raises(AttioConflict) as caught:
            client.post("objects", new_object("projects"))
    error = caught.value
    assert error.code == "slug_conflict"
    assert str(error) == f"Attio API error 409 slug_conflict on POST /v2/objects: {error.message}"
    assert isinstance(error, SchemactlError) and error.exit_code == 1
    assert error.lines() == [str(error)]


def test_a_validation_error_is_a_plain_api_error(app, time):
    with connect(app, time) as client, pytest.raises(AttioApiError) as caught:
        client.post("objects", {"api_slug": "projects"})
    assert type(caught.value) is AttioApiError
    assert (caught.value.status, caught.value.code) == (400, "validation_type")


# --- the token stays secret ---------------------------------------------------------------------


def _all_text(error: BaseException) -> str:
    parts = [str(error), repr(error), *map(str, error.args)]
    if isinstance(error, SchemactlError):
        parts.extend(error.lines())
    parts.extend(str(value) for value in vars(error).values())
    return "\n".join(parts)


def test_the_token_never_appears_in_errors_or_logs(make_app, time, caplog):
    caplog.set_level(logging.DEBUG, logger="schemactl.attio")
    errors: list[BaseException] = []

    def collect(action: Callable[[], object]) -> None:
        with pytest.raises(AttioError) as caught:
            action()
        errors.append(caught.value)

    stranger = make_app(tokens={"someone-else": None})
    with connect(stranger, time, CANARY) as client:
        collect(lambda: client.get("objects"))  # 401
        assert CANARY not in repr(client)
    echo = httpx.Response(
        401, json={"status_code": 401, "type": "auth_error", "code": "unauthorized",
                   "message": f"token {CANARY} is revoked"}
    )  # fmt: skip
    for failure in (
        echo,
        httpx.Response(502, text=f"proxy refused Bearer {CANARY}"),
        httpx.ConnectError(f"could not connect for {CANARY}"),
        httpx.ReadTimeout(f"timed out ({CANARY})"),
    ):
        transport, _ = scripted(failure)
        with connect(None, time, CANARY, transport=transport, max_read_retries=1) as client:
            collect(lambda client=client: client.get("objects"))
            collect(lambda client=client: client.post("objects", {}))
    collect(lambda: AttioClient("http://api.example.com/v2", CANARY))
    collect(lambda: AttioClient(BASE, f"{CANARY} "))  # a pasting accident
    assert len(errors) == 11
    for error in errors:
        assert CANARY not in _all_text(error), error
    assert "[redacted]" in str(errors[1])
    assert caplog.records and CANARY not in caplog.text


# --- plain http ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.attio.com/v2",
        "http://10.0.0.5:8787/v2",
        "http://localhost.example.com/v2",
        "http://127.0.0.1.nip.io/v2",
        "http://[2001:db8::1]/v2",
    ],
)
def test_a_token_is_refused_over_plain_http_to_another_host(time, url):
    transport, seen = scripted(httpx.Response(200, json={"data": []}))
    with pytest.raises(InsecureTransportError, match="https://"):
        connect(None, time, CANARY, base_url=url, transport=transport)
    assert seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/v2",
        "http://127.10.20.30/v2",
        "http://localhost:8787/v2",
        "http://LOCALHOST/v2",
        "http://[::1]:8787/v2",
    ],
)
def test_a_token_may_go_over_plain_http_to_this_machine(guarded, time, url):
    with connect(guarded, time, CANARY, base_url=url) as client:
        assert client.get("objects")


def test_plain_http_without_a_token_is_fine(app, time):
    with connect(app, time, base_url="http://local.schemactl/v2") as client:
        assert client.get("objects")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("128.0.0.1", False), ("0.0.0.0", False), ("example.com", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_a_base_url_must_be_http_or_https():
    with pytest.raises(AttioError, match="https://"):
        AttioClient("ftp://api.attio.com/v2")


# --- concurrency ----------------------------------------------------------------------------------


def test_map_reads_keeps_the_order_of_items(app, time):
    # Items finish in reverse: each waits until the one after it is done.
    slugs = ["people", "companies", "deals", "users", "workspaces"]
    finished = [threading.Event() for _ in slugs]

    def read(index: int) -> str:
        if index + 1 < len(slugs):
            assert finished[index + 1].wait(timeout=5)
        slug = client.get(f"objects/{slugs[index]}")["api_slug"]
        finished[index].set()
        return slug

    with connect(app, time, max_workers=len(slugs)) as client:
        assert client.map_reads(read, range(len(slugs))) == slugs


def test_map_reads_runs_exactly_max_workers_requests_at_once(make_app, time):
    workers = 4
    in_flight = 0
    most = 0
    lock = threading.Lock()
    together = threading.Barrier(workers)

    def slow_server(_seconds: float) -> None:
        # The emulator's injected latency: each request waits here until `workers` are in.
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            together.wait(timeout=5)
        finally:
            with lock:
                in_flight -= 1

    callers: set[int] = set()

    def read(slug: str) -> str:
        callers.add(threading.get_ident())
        return client.get(f"objects/{slug}")["api_slug"]

    app = make_app(faults=Faults(latency_seconds=1.0, sleep=slow_server))
    with connect(app, time, max_workers=workers) as client:
        names = client.map_reads(read, ["people", "companies", "deals", "users"] * 4)
    assert names == ["people", "companies", "deals", "users"] * 4
    assert most == workers  # the server saw `workers` requests at once, never more
    assert len(callers) == workers  # from a pool of that many threads


@pytest.mark.parametrize("workers", [1, 4])
def test_map_reads_raises_the_first_error_in_item_order(app, time, workers):
    with connect(app, time, max_workers=workers) as client:
        with pytest.raises(AttioNotFound) as caught:
            client.map_reads(
                lambda slug: client.get(f"objects/{slug}"),
                ["people", "missing_a", "companies", "missing_b"],
            )
        assert caught.value.path == "/v2/objects/missing_a"
        assert client.map_reads(client.get, []) == []


# --- counting and paths --------------------------------------------------------------------------


def test_request_counts_are_what_was_sent(make_app, time):
    app = make_app(faults=Faults(seed=1, rate_429=0.3))
    with connect(app, time) as client:
        client.get("objects")
        client.get("objects", {"show_archived": "true"})
        client.post("objects", new_object("projects"))
        client.get("objects/projects")
        client.patch(
            f"objects/deals/attributes/stage/statuses/{segment('Won 🎉')}", {"title": "Won"}
        )
        counts = client.request_counts
        total = client.total_requests
    assert set(counts) == {
        "GET /v2/objects",
        "POST /v2/objects",
        "GET /v2/objects/projects",
        "PATCH /v2/objects/deals/attributes/stage/statuses/Won%20%F0%9F%8E%89",
    }
    assert counts["GET /v2/objects"] >= 2
    assert sum(counts.values()) == total > 5  # retries after 429s count too
    seen = reached(app)
    assert seen["reads"] + seen["writes"] == total
    assert seen["counts"]["GET /v2/objects"] == counts["GET /v2/objects"]
    assert seen["counts"]["POST /v2/objects"] == counts["POST /v2/objects"]


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("High priority", "High%20priority"),
        ("B2B / B2C", "B2B%20%2F%20B2C"),
        ("Won 🎉", "Won%20%F0%9F%8E%89"),
        ("50% ?#&", "50%25%20%3F%23%26"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("v1.0", "v1.0"),
    ],
)
def test_segment_encodes_one_path_segment(text, encoded):
    assert segment(text) == encoded


def test_segment_refuses_nothing():
    with pytest.raises(ValueError, match="empty"):
        segment("")


@pytest.mark.parametrize("title", ["B2B / B2C", "Très élevé 🚀", "50% ?#&", ".."])
def test_titles_with_awkward_characters_address_their_option(app, time, title):
    options = "objects/companies/attributes/tier/options"
    with connect(app, time) as client:
        client.post("objects/companies/attributes", new_attribute("tier", "select"))
        created = client.post(options, {"title": title})
        renamed = client.patch(f"{options}/{segment(title)}", {"title": "Gold"})
        assert [o["title"] for o in client.get(options)] == ["Gold"]
    assert renamed["id"] == created["id"]
