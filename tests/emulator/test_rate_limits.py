"""Rate-limit profiles, timed by a fake clock: Attio's real limits, the seed reference's, none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.emulator.ratelimit import RateLimiter
from tests.emulator.conftest import make_client
from tests.emulator.helpers import ok

ATTIO_429 = {
    "status_code": 429,
    "type": "rate_limit_error",
    "code": "rate_limit_exceeded",
    "message": "Rate limit exceeded, please try again later",
}
# A minute boundary (divisible by 60), so "the same minute" is unambiguous below.
T0 = 1_700_000_040
assert T0 % 60 == 0


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> None:
        self.now = now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 0.25)


def _emulator(clock: FakeClock, profile: str) -> Emulator:
    return Emulator(
        EmulatorConfig(rate_limit=profile, clock=clock, tokens={"alice": None, "bob": None})
    )


@pytest.fixture
def real(clock) -> Iterator[Emulator]:
    app = _emulator(clock, "real")
    yield app
    app.close()


@pytest.fixture
def seed(clock) -> Iterator[Emulator]:
    app = _emulator(clock, "seed")
    yield app
    app.close()


def _create(http: httpx.Client, n: int) -> httpx.Response:
    slug = f"thing_{n}"
    return http.post(
        "/v2/objects",
        json={"data": {"api_slug": slug, "singular_noun": f"T{n}", "plural_noun": f"Ts{n}"}},
    )


def _assert_attio_429(response: httpx.Response, retry_at: int) -> None:
    assert response.status_code == 429
    assert response.json() == ATTIO_429
    retry_after = parsedate_to_datetime(response.headers["Retry-After"])
    assert retry_after == datetime.fromtimestamp(retry_at, UTC)
    assert not any(h.lower().startswith("x-ratelimit") for h in response.headers)


# --- real -----------------------------------------------------------------------------------


def test_real_101st_read_in_a_second_is_429_until_the_next_second(real, clock):
    with make_client(real, token="alice") as http:
        for n in range(100):
            clock.set(T0 + 0.25 + n * 0.007)  # all within [T0, T0 + 1)
            response = http.get("/v2/objects")
            assert response.status_code == 200, (n, response.text)
            assert "Retry-After" not in response.headers
        _assert_attio_429(http.get("/v2/objects"), T0 + 1)
        clock.set(T0 + 0.999)
        _assert_attio_429(http.get("/v2/objects/people"), T0 + 1)
        clock.set(T0 + 1.0)
        assert http.get("/v2/objects").status_code == 200


def test_real_26th_write_in_a_second_is_429_and_not_applied(real, clock):
    with make_client(real, token="alice") as http:
        for n in range(25):
            ok(_create(http, n))
        clock.set(T0 + 0.9)
        refused = _create(http, 25)
        _assert_attio_429(refused, T0 + 1)
        clock.set(T0 + 1.5)
        slugs = {o["api_slug"] for o in ok(http.get("/v2/objects"))}
        assert "thing_24" in slugs
        assert "thing_25" not in slugs  # a 429 was not processed: safe to retry
        ok(_create(http, 25))


def test_real_reads_and_writes_have_separate_budgets(real, clock):
    with make_client(real, token="alice") as http:
        for n in range(25):
            ok(_create(http, n))
        _assert_attio_429(_create(http, 99), T0 + 1)
        for _ in range(100):  # writes exhausted, reads untouched
            assert http.get("/v2/objects").status_code == 200
        _assert_attio_429(http.get("/v2/objects"), T0 + 1)


def test_real_tokens_have_separate_budgets(real, clock):
    with make_client(real, token="alice") as alice, make_client(real, token="bob") as bob:
        for _ in range(100):
            assert alice.get("/v2/lists").status_code == 200
        for n in range(25):
            ok(_create(alice, n))
        _assert_attio_429(alice.get("/v2/lists"), T0 + 1)
        _assert_attio_429(_create(alice, 50), T0 + 1)
        assert bob.get("/v2/lists").status_code == 200
        ok(_create(bob, 51))


def test_real_each_second_starts_a_fresh_budget(real, clock):
    with make_client(real, token="alice") as http:
        for second in range(3):
            clock.set(T0 + second + 0.5)
            for n in range(25):
                ok(_create(http, second * 100 + n))
            _assert_attio_429(_create(http, second * 100 + 99), T0 + second + 1)


def test_unauthenticated_requests_do_not_spend_a_budget(real, clock):
    with make_client(real) as anonymous, make_client(real, token="alice") as alice:
        for _ in range(150):
            assert anonymous.get("/v2/objects").status_code == 401
        assert alice.get("/v2/objects").status_code == 200


# --- seed -----------------------------------------------------------------------------------


def _limits(response: httpx.Response) -> tuple[int, int, int]:
    headers = response.headers
    return (
        int(headers["X-RateLimit-Limit"]),
        int(headers["X-RateLimit-Remaining"]),
        int(headers["X-RateLimit-Reset"]),
    )


def test_seed_headers_count_down_and_the_11th_request_is_429(seed, clock):
    with make_client(seed, token="alice") as http:
        seen = []
        for n in range(10):
            response = http.get("/v2/objects") if n % 2 else _create(http, n)
            assert response.status_code == 200, response.text
            seen.append(_limits(response))
        assert seen == [(10, 9 - n, T0 + 1) for n in range(10)]
        refused = http.get("/v2/objects")
        assert refused.status_code == 429
        assert refused.json() == ATTIO_429
        assert _limits(refused) == (10, 0, T0 + 1)
        clock.set(T0 + 1.01)
        again = http.get("/v2/objects")
        assert again.status_code == 200
        assert _limits(again) == (10, 9, T0 + 2)


def test_seed_tokens_have_separate_budgets(seed, clock):
    with make_client(seed, token="alice") as alice, make_client(seed, token="bob") as bob:
        for _ in range(10):
            assert alice.get("/v2/objects").status_code == 200
        assert alice.get("/v2/objects").status_code == 429
        response = bob.get("/v2/objects")
        assert response.status_code == 200
        assert _limits(response)[1] == 9


def test_seed_caps_any_60_seconds_at_600(seed, clock):
    """10 requests in each of 60 seconds use up the minute; the 61st second must wait."""
    with make_client(seed, token="alice") as http:
        for second in range(60):
            clock.set(T0 + second + 0.5)
            for _ in range(10):
                assert http.get("/v2/lists").status_code == 200
        # T0 + 60 starts a new second and a new clock minute, yet 600 were sent in the last 60 s.
        clock.set(T0 + 60.25)
        refused = http.get("/v2/lists")
        assert refused.status_code == 429
        assert refused.json() == ATTIO_429
        assert _limits(refused) == (600, 0, T0 + 61)
        # Once the first second's requests are 60 s old, there is room again.
        clock.set(T0 + 60.5)
        allowed = http.get("/v2/lists")
        assert allowed.status_code == 200
        assert _limits(allowed)[:2] == (10, 9)


def test_seed_remaining_reports_the_tighter_limit():
    clock = FakeClock(T0 + 0.5)
    limiter = RateLimiter("seed", clock=clock, seed_per_second=10, seed_per_minute=15)
    verdicts = []
    for second in range(3):
        clock.set(T0 + second + 0.5)
        verdicts.extend(limiter.check("t", is_write=False) for _ in range(10))
    allowed = [v for v in verdicts if v.allowed]
    assert len(allowed) == 15
    # The first second's own budget is the tighter one; in the next, the rolling minute's.
    assert [
        (v.headers["X-RateLimit-Limit"], v.headers["X-RateLimit-Remaining"]) for v in allowed
    ] == [("10", str(9 - n)) for n in range(10)] + [("15", str(4 - n)) for n in range(5)]
    assert not verdicts[15].allowed
    assert verdicts[15].headers["X-RateLimit-Limit"] == "15"
    assert verdicts[15].headers["X-RateLimit-Remaining"] == "0"
    assert verdicts[15].headers["X-RateLimit-Reset"] == str(T0 + 61)


# --- off ------------------------------------------------------------------------------------


def test_off_never_limits(clock):
    app = _emulator(clock, "off")
    try:
        with make_client(app, token="alice", check=False) as http:
            statuses = {http.get("/v2/objects").status_code for _ in range(900)}
            statuses |= {_create(http, n).status_code for n in range(100)}
            assert statuses == {200}
            last = http.get("/v2/objects")
        assert not any(h.lower().startswith(("x-ratelimit", "retry-after")) for h in last.headers)
    finally:
        app.close()


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile"):
        RateLimiter("fast")


def test_control_endpoints_are_not_rate_limited(real, clock):
    with make_client(real, token="alice") as http:
        for _ in range(100):
            http.get("/v2/objects")
        assert http.get("/v2/objects").status_code == 429
        for _ in range(200):
            assert http.get("/_emulator/requests").status_code == 200
        assert http.get("/_emulator/requests").json()["data"]["reads"] == 101
