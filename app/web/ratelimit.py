"""A small in-memory sliding-window limiter (one process; enough to slow password guessing)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` hits per key within `window` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        """True when the key has used up its allowance in the current window."""
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def hit(self, key: str) -> None:
        """Count one attempt for the key."""
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
            self._prune(now)

    def reset(self, key: str) -> None:
        """Forget a key (after a successful sign-in)."""
        with self._lock:
            self._hits.pop(key, None)

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest counted attempt leaves the window."""
        with self._lock:
            hits = self._recent(key, self.clock())
            return max(1, int(hits[0] + self.window - self.clock()) + 1) if hits else 0

    def _prune(self, now: float) -> None:
        # Keep memory bounded under a spray of distinct keys.
        if len(self._hits) > 10_000:
            for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                del self._hits[key]
