"""The learnt deadline of a request (the one rule; pure, no I/O, no event loop).

One hung request must not hold a run for as long as a server keeps it ("The Tail at Scale",
Dean and Barroso, CACM 2013). Each request that is answered with a transcript teaches
:class:`Deadlines` how long the server takes; a request waiting much longer than that is
given up on and sent again.

What is learnt is the wait for the answer once the request's last byte has been sent (the
upload itself is held only to the conservative deadline, which allows for the slowest upload,
:meth:`~stt_toolkit.core.options.ApiOptions.deadline`). A server's wait grows with the audio
(about 0.3 s + audio / 216 at Groq), so a wait is learnt per *reference second*: the audio's
seconds plus :data:`OVERHEAD_SECONDS` for what every request costs whatever its length. The
deadline of a request of ``s`` audio seconds is then::

    max(floor, multiplier * quantile(waits per reference second, percentile) * (s + OVERHEAD_SECONDS))

doubled for each time this chunk was already given up on (a server that slowed down for
everyone is waited for longer, not cut in a loop), and never beyond the conservative
deadline, which is the only one until ``min_samples`` requests have answered.

Near a run's end, when a slot is free and no request waits for one, a request still waiting
after :meth:`Deadlines.hedge_after` (1.5 x the percentile wait, at least the floor) gets a
second copy ("hedged", as in the paper); the first answer wins, the other is cancelled.
"""

from __future__ import annotations

import math
from collections import deque

#: The audio seconds a request's fixed costs (connection, queue, the model's start) count for.
OVERHEAD_SECONDS = 30.0
#: A late request near a run's end gets a second copy once it waits this many times the
#: percentile wait (at least the floor); see :meth:`Deadlines.hedge_after`.
HEDGE_MULTIPLIER = 1.5
#: The most recent answered requests the quantile is taken over (a server that slows down is
#: followed within this many answers).
WINDOW = 256


class Deadlines:
    """Learns the waits of answered requests and says how long the next one may wait.

    ``percentile`` (0 to 1) of the recent waits per reference second, times ``multiplier``,
    scaled to the request's audio, at least ``floor_seconds``; ``None`` (the conservative
    deadline alone) until ``min_samples`` waits are known.
    """

    def __init__(self, percentile: float = 0.95, multiplier: float = 3.0, floor_seconds: float = 2.0,
                 min_samples: int = 8, window: int = WINDOW) -> None:
        if not 0.0 < percentile <= 1.0 or multiplier < 1.0 or floor_seconds < 0.0 or min_samples < 1 or window < 1:
            raise ValueError("percentile in (0, 1], multiplier >= 1, floor >= 0, min_samples and window >= 1")
        self.percentile = percentile
        self.multiplier = multiplier
        self.floor_seconds = floor_seconds
        self.min_samples = min_samples
        self._waits: deque[float] = deque(maxlen=max(window, min_samples))

    @property
    def samples(self) -> int:
        """How many waits are known (at most the window)."""
        return len(self._waits)

    @property
    def learnt(self) -> bool:
        """Whether enough requests have answered for a learnt deadline."""
        return len(self._waits) >= self.min_samples

    def record(self, wait_seconds: float, audio_seconds: float) -> None:
        """Learn the wait of a request for ``audio_seconds`` that was answered with a transcript."""
        if math.isfinite(wait_seconds) and wait_seconds >= 0 and math.isfinite(audio_seconds):
            self._waits.append(wait_seconds / reference_seconds(audio_seconds))

    def expected(self, audio_seconds: float) -> float | None:
        """The ``percentile`` wait for a request of ``audio_seconds`` (None before ``min_samples``)."""
        if not self.learnt:
            return None
        return quantile(self._waits, self.percentile) * reference_seconds(audio_seconds)

    def deadline(self, audio_seconds: float, given_up: int = 0) -> float | None:
        """Seconds a request for ``audio_seconds`` may wait after its upload, when this chunk
        was given up on ``given_up`` times before; None while nothing is learnt (the
        conservative deadline, the cap, is the caller's)."""
        expected = self.expected(audio_seconds)
        if expected is None:
            return None
        return max(self.floor_seconds, self.multiplier * expected) * 2.0 ** min(given_up, 30)

    def hedge_after(self, audio_seconds: float, given_up: int = 0) -> float | None:
        """Seconds after its upload when a request for ``audio_seconds`` still unanswered may
        get a second copy ("hedged", near a run's end): :data:`HEDGE_MULTIPLIER` times the
        percentile wait, at least the floor, doubled like :meth:`deadline`, and never after
        it; None while nothing is learnt."""
        expected, deadline = self.expected(audio_seconds), self.deadline(audio_seconds, given_up)
        if expected is None or deadline is None:
            return None
        return min(deadline, max(self.floor_seconds, HEDGE_MULTIPLIER * expected) * 2.0 ** min(given_up, 30))


def reference_seconds(audio_seconds: float) -> float:
    """The size a wait is learnt in: the audio's seconds plus :data:`OVERHEAD_SECONDS`."""
    return max(0.0, audio_seconds) + OVERHEAD_SECONDS


def quantile(values: deque[float] | list[float], fraction: float) -> float:
    """The nearest-rank quantile of ``values`` (not empty): the smallest value with at least
    ``fraction`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
