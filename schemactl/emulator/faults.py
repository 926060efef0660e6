"""Deterministic fault injection for tests: errors, latency, and writes whose reply is lost."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class DroppedConnection(ConnectionResetError):
    """The write was committed, then the connection dropped before any reply was sent."""


@dataclass
class Faults:
    """Probabilities per request, drawn from one seeded generator so a run can be repeated.

    Faults apply to Attio endpoints only, never to `/_emulator/` control endpoints. `sleep` is
    how added latency is spent; tests may pass their own to observe it without waiting.
    """

    seed: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    latency_seconds: float = 0.0
    drop_after_commit: float = 0.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def active(self) -> bool:
        return any(
            (
                self.rate_429,
                self.rate_500,
                self.rate_503,
                self.latency_seconds,
                self.drop_after_commit,
            )
        )

    def draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def error_status(self) -> int | None:
        """429, 500 or 503 by their probabilities, or None to let the request through."""
        roll = self.draw()
        for status, rate in ((429, self.rate_429), (500, self.rate_500), (503, self.rate_503)):
            if roll < rate:
                return status
            roll -= rate
        return None

    def should_drop(self) -> bool:
        return self.drop_after_commit > 0 and self.draw() < self.drop_after_commit

    def delay(self) -> None:
        if self.latency_seconds > 0:
            self.sleep(self.latency_seconds)
