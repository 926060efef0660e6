"""Rate-limit profiles: Attio's real limits, the simplified reference's, or none."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate

from schemactl.emulator.errors import ApiError

PROFILES = ("real", "seed", "off")


@dataclass
class Verdict:
    """Whether a request may go ahead, and the headers to send either way."""

    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RateLimiter:
    """Per-token budgets, timed by `clock` (epoch seconds; tests pass a fake one).

    `real`: 100 reads/s and 25 writes/s per token in whole-second windows; a 429 carries
    `Retry-After` as an HTTP date, the start of the next second, as Attio sends it.
    `seed`: 10 requests/s (whole-second windows) and 600 in any 60 seconds (a rolling window:
    with fixed minutes, 10/s could never reach 600), with `X-RateLimit-Limit/Remaining/Reset`
    headers on every response. `off`: no limit.
    """

    profile: str = "off"
    clock: Callable[[], float] = time.time
    reads_per_second: int = 100
    writes_per_second: int = 25
    seed_per_second: int = 10
    seed_per_minute: int = 600
    _counts: dict[tuple[str, str, int], int] = field(default_factory=dict)
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown rate-limit profile {self.profile!r}; use one of {PROFILES}")

    def check(self, token: str, is_write: bool) -> Verdict:
        if self.profile == "off":
            return Verdict(True)
        now = self.clock()
        second = math.floor(now)
        with self._lock:
            self._forget_before(second)
            if self.profile == "real":
                kind = "write" if is_write else "read"
                limit = self.writes_per_second if is_write else self.reads_per_second
                used = self._counts.get((token, kind, second), 0)
                if used >= limit:
                    return Verdict(False, {"Retry-After": formatdate(second + 1, usegmt=True)})
                self._counts[(token, kind, second)] = used + 1
                return Verdict(True)
            return self._seed(token, now, second)

    def _seed(self, token: str, now: float, second: int) -> Verdict:
        recent = self._recent.setdefault(token, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        per_second = self._counts.get((token, "seed", second), 0)
        if len(recent) >= self.seed_per_minute:
            # Free again once the oldest request in the window is 60 seconds old.
            return Verdict(False, _seed_headers(self.seed_per_minute, 0, recent[0] + 60))
        if per_second >= self.seed_per_second:
            return Verdict(False, _seed_headers(self.seed_per_second, 0, second + 1))
        self._counts[(token, "seed", second)] = per_second + 1
        recent.append(now)
        left_in_second = self.seed_per_second - per_second - 1
        left_in_minute = self.seed_per_minute - len(recent)
        if left_in_minute < left_in_second:
            headers = _seed_headers(self.seed_per_minute, left_in_minute, recent[0] + 60)
        else:
            headers = _seed_headers(self.seed_per_second, left_in_second, second + 1)
        return Verdict(True, headers)

    def _forget_before(self, second: int) -> None:
        """Drop past seconds' counters now and then, so a long run keeps its memory flat."""
        if len(self._counts) > 10_000:
            for key in [k for k in self._counts if k[2] < second]:
                del self._counts[key]
        if len(self._recent) > 1_000:  # without configured tokens, any token is its own budget
            for token in [
                t for t, times in self._recent.items() if not times or times[-1] <= second - 60
            ]:
                del self._recent[token]


def _seed_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": str(math.ceil(reset)),
    }


def rate_limited() -> ApiError:
    return ApiError(429, "rate_limit_exceeded", "Rate limit exceeded, please try again later")
