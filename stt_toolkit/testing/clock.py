"""A timer that runs faster than real time, for tests of minute- and hour-long rate windows."""

from __future__ import annotations

import asyncio
import time

from ..engines.limits import Timer


class FastTimer(Timer):
    """Time that passes ``speed`` times faster than real time: ``now()`` is the monotonic
    clock times ``speed`` and ``sleep(s)`` waits ``s / speed`` real seconds. Give the same
    timer to :class:`~stt_toolkit.engines.ApiEngine` and to
    :class:`~stt_toolkit.testing.FakeWhisperServer`, and a 60 s window lasts 60 / speed s."""

    def __init__(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed

    def now(self) -> float:
        """Monotonic seconds, ``speed`` times faster than real ones."""
        return time.monotonic() * self.speed

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this timer's time."""
        await asyncio.sleep(seconds / self.speed)
