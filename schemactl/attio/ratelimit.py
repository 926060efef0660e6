"""Client-side rate limiting (token buckets for reads and writes) and reading a 429's wait."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime

# Attio's published limits: 100 reads/s and 25 writes/s per workspace.
READS_PER_SECOND = 100.0
WRITES_PER_SECOND = 25.0
# The simplified reference's limit (10 requests/s, 600/min), shared by reads and writes. Pacing
# at 10/s can never exceed 600 in any 60 seconds, so the per-minute cap needs no bucket of its own.
SEED_REQUESTS_PER_SECOND = 10.0
PROFILES = ("real", "seed", "off")
# X-RateLimit-Reset below this is a number of seconds from now, not an epoch time (2001-09-09).
_EPOCH_THRESHOLD = 1_000_000_000

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up, handed out by reservation.

    A reservation takes a token at once, even one that does not exist yet (the balance goes
    negative), and tells the caller how long to wait before that token exists. Concurrent
    callers therefore queue in order, each waiting exactly one interval after the previous, and
    nobody sleeps while holding the lock.
    """

    def __init__(self, rate: float, capacity: float, clock: Clock):
        if rate <= 0:
            raise ValueError(f"a rate must be positive, not {rate!r} (use None for no limit)")
        if capacity < 1:
            raise ValueError(f"a bucket must hold at least one token, not {capacity!r}")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before using it (0.0: use it now)."""
        with self._lock:
            now = self._clock()
            # A clock that steps back (an injected one can) must not mint tokens.
            if now > self._updated:
                refill = (now - self._updated) * self.rate
                self._tokens = min(self.capacity, self._tokens + refill)
                self._updated = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class RateLimiter:
    """Separate read and write budgets (None: that kind is not limited). Thread-safe.

    `burst` is how many requests may go out back to back after a quiet spell. It defaults to 1,
    i.e. even spacing: Attio counts requests per second window, and a bucket holding a full
    second's worth could send nearly twice the limit within one window (a saved-up burst, then
    the refill), which the server answers with 429s.
    """

    def __init__(
        self,
        read_rate: float | None = READS_PER_SECOND,
        write_rate: float | None = WRITES_PER_SECOND,
        *,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ):
        self._sleep = sleep
        self._reads = TokenBucket(read_rate, burst, clock) if read_rate is not None else None
        self._writes = TokenBucket(write_rate, burst, clock) if write_rate is not None else None

    @classmethod
    def shared(
        cls,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> RateLimiter:
        """One budget for reads and writes together."""
        limiter = cls(None, None, sleep=sleep)
        limiter._reads = limiter._writes = TokenBucket(rate, burst, clock)
        return limiter

    @classmethod
    def profile(
        cls, name: str, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> RateLimiter:
        """`real` (Attio: 100 reads/s, 25 writes/s), `seed` (10 requests/s shared) or `off`."""
        if name == "real":
            return cls(READS_PER_SECOND, WRITES_PER_SECOND, clock=clock, sleep=sleep)
        if name == "seed":
            return cls.shared(SEED_REQUESTS_PER_SECOND, clock=clock, sleep=sleep)
        if name == "off":
            return cls(None, None, clock=clock, sleep=sleep)
        raise ValueError(f"unknown rate-limit profile {name!r}; use one of {PROFILES}")

    @property
    def shares_budget(self) -> bool:
        """Whether reads and writes draw on one budget (the `seed` profile)."""
        return self._reads is not None and self._reads is self._writes

    def acquire(self, *, write: bool) -> float:
        """Wait until one more read (or write) may be sent; return the seconds waited."""
        bucket = self._writes if write else self._reads
        if bucket is None:
            return 0.0
        wait = bucket.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from now: it holds either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return when.timestamp() - now


def reset_seconds(value: str | None, now: float) -> float | None:
    """`X-RateLimit-Reset` as seconds from now (epoch seconds; small numbers are a delta)."""
    if not value:
        return None
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(reset):
        return None
    return reset - now if reset >= _EPOCH_THRESHOLD else reset


__all__ = [
    "PROFILES",
    "READS_PER_SECOND",
    "SEED_REQUESTS_PER_SECOND",
    "WRITES_PER_SECOND",
    "RateLimiter",
    "TokenBucket",
    "reset_seconds",
    "retry_after_seconds",
]
