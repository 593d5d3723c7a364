"""Client-side pacing: sliding-window limits on requests and audio seconds, a shared
pause after a 429, and the retry delays (backoff with jitter, Retry-After)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Timer:
    """Time as the pacing code sees it: monotonic seconds, and an asynchronous sleep.

    The real one by default; :class:`stt_toolkit.testing.FastTimer` runs faster, so a test
    of a minute-long window takes seconds.
    """

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this timer's time."""
        await asyncio.sleep(seconds)


REAL_TIME = Timer()
# A window a little longer than the server's (1 %, at least a second), so that upload time
# cannot squeeze two requests the client spaced a full window apart into one server window.
_WINDOW_MARGIN = 1.01
_WINDOW_MARGIN_MIN_S = 1.0


class SlidingWindow:
    """At most ``limit`` units (requests, or audio seconds) in any ``window`` seconds."""

    def __init__(self, limit: float, window: float, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        if limit <= 0:
            raise ValueError("a rate limit must be positive")
        self.limit = limit
        self.window = max(window * _WINDOW_MARGIN, window + _WINDOW_MARGIN_MIN_S)
        self._clock = clock
        self._sleep = sleep
        self._spent: deque[tuple[float, float]] = deque()
        self._lock = asyncio.Lock()

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` more units fit in the window (0 when they fit now)."""
        now = self._clock()
        while self._spent and self._spent[0][0] <= now - self.window:
            self._spent.popleft()
        used = sum(a for _, a in self._spent)
        if used + amount <= self.limit or not self._spent:
            return 0.0
        for stamp, spent in self._spent:  # oldest first: when enough has expired
            used -= spent
            if used + amount <= self.limit:
                return stamp + self.window - now
        return self._spent[-1][0] + self.window - now

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until ``amount`` fits, then record it as spent now."""
        async with self._lock:
            while (delay := self.wait_time(amount)) > 0:
                await self._sleep(delay)
            self._spent.append((self._clock(), amount))


class PauseGate:
    """A pause shared by every request of a client: after a 429, nobody sends until it ends."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._resume_at = 0.0

    def pause_for(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now (never shortens a longer pause)."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)

    def remaining(self) -> float:
        """Seconds left of the pause in force (0 when none)."""
        return max(0.0, self._resume_at - self._clock())

    async def wait(self) -> None:
        """Return once no pause is in force."""
        while (delay := self._resume_at - self._clock()) > 0:
            await self._sleep(delay)


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, or ``retry-after`` in seconds or as
    an HTTP date. ``None`` when it asks for none or the value cannot be read."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            pass
        if name == "retry-after":
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
    return None


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter for retry number ``attempt`` (1 for the first retry):
    a random wait between half and all of ``min(cap, base * 2 ** (attempt - 1))``."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)
