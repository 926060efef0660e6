"""The client-side rate limiter: even pacing, separate or shared budgets, thread safety."""

from __future__ import annotations

import itertools
import sys
import threading
import time

import pytest

from schemactl.attio.ratelimit import RateLimiter, TokenBucket


class FakeTime:
    """A clock that moves only when someone sleeps; every sleep is recorded."""

    def __init__(self, now: float = 1000.0):
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _limiter(fake: FakeTime, *args, **kwargs) -> RateLimiter:
    return RateLimiter(*args, clock=fake.clock, sleep=fake.sleep, **kwargs)


def test_requests_are_spaced_evenly_at_the_rate():
    fake = FakeTime()
    limiter = _limiter(fake, 5.0, 5.0)
    for _ in range(6):
        limiter.acquire(write=False)
    assert fake.sleeps == pytest.approx([0.2] * 5)
    assert fake.now == pytest.approx(1001.0)


def test_defaults_are_attios_100_reads_and_25_writes_a_second():
    fake = FakeTime()
    limiter = _limiter(fake)
    for _ in range(101):
        limiter.acquire(write=False)
    assert sum(fake.sleeps) == pytest.approx(1.0)
    fake.sleeps.clear()
    for _ in range(26):
        limiter.acquire(write=True)
    # The writes' budget was untouched by the reads: its first write did not wait.
    assert len(fake.sleeps) == 25
    assert sum(fake.sleeps) == pytest.approx(1.0)


def test_reads_and_writes_have_separate_budgets():
    fake = FakeTime()
    limiter = _limiter(fake, 1.0, 1.0)
    assert limiter.acquire(write=False) == 0.0
    assert limiter.acquire(write=True) == 0.0  # a read does not spend the write budget
    assert limiter.acquire(write=False) == pytest.approx(1.0)
    assert not limiter.shares_budget


def test_seed_profile_shares_ten_a_second_between_reads_and_writes():
    fake = FakeTime()
    limiter = RateLimiter.profile("seed", clock=fake.clock, sleep=fake.sleep)
    assert limiter.shares_budget
    for i in range(20):
        limiter.acquire(write=i % 2 == 0)
    assert sum(fake.sleeps) == pytest.approx(1.9)
    assert fake.sleeps == pytest.approx([0.1] * 19)


def test_real_profile_matches_attio_and_off_never_waits():
    fake = FakeTime()
    real = RateLimiter.profile("real", clock=fake.clock, sleep=fake.sleep)
    for _ in range(26):
        real.acquire(write=True)
    assert sum(fake.sleeps) == pytest.approx(1.0)
    off = RateLimiter.profile("off", clock=fake.clock, sleep=fake.sleep)
    fake.sleeps.clear()
    for _ in range(1000):
        assert off.acquire(write=True) == 0.0
    assert fake.sleeps == []
    with pytest.raises(ValueError, match="unknown rate-limit profile"):
        RateLimiter.profile("fast")


def test_a_quiet_spell_saves_up_at_most_the_burst():
    fake = FakeTime()
    limiter = _limiter(fake, 10.0, None, burst=3)
    fake.now += 60  # a long quiet spell
    for _ in range(3):
        assert limiter.acquire(write=False) == 0.0
    assert limiter.acquire(write=False) == pytest.approx(0.1)
    assert limiter.acquire(write=True) == 0.0  # writes unlimited


def test_a_clock_stepping_back_mints_no_tokens():
    fake = FakeTime()
    limiter = _limiter(fake, 1.0, None)
    limiter.acquire(write=False)
    fake.now -= 100
    assert limiter.acquire(write=False) == pytest.approx(1.0)


def test_concurrent_callers_each_reserve_their_own_slot():
    # Whoever asks, each reservation is ready one interval after the previous one: the ready
    # times (what a caller's clock read, plus its wait) are evenly spaced and never shared.
    # The clock creeps forward and yields to other threads on every reading (and threads
    # switch as often as the interpreter allows), so a reservation that is not atomic would
    # lose a token and hand two callers one slot.
    seen = threading.local()
    now = [100.0]
    clock_lock = threading.Lock()

    def creeping_clock() -> float:
        time.sleep(0)
        with clock_lock:
            now[0] += 1e-6
            seen.now = now[0]
        time.sleep(0)
        return seen.now

    limiter = RateLimiter(10.0, 10.0, clock=creeping_clock, sleep=lambda _seconds: None)
    ready: list[float] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait(timeout=5)
        for _ in range(25):
            wait = limiter.acquire(write=False)
            ready.append(seen.now + wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)
    finally:
        sys.setswitchinterval(interval)
    ready.sort()
    assert len(ready) == 200
    gaps = [later - earlier for earlier, later in itertools.pairwise(ready)]
    assert gaps == pytest.approx([0.1] * 199, abs=1e-6)


@pytest.mark.parametrize(("rate", "capacity"), [(0, 1), (-5, 1), (10, 0.5)])
def test_nonsense_budgets_are_refused(rate, capacity):
    with pytest.raises(ValueError):
        TokenBucket(rate, capacity, clock=lambda: 0.0)
