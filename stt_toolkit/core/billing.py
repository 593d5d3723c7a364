"""What transcription costs: the one place for the billing rules (pure).

Every request to a billing engine is billed for at least :data:`MIN_BILLED_SECONDS` of
audio, to the model that answered it; :data:`PRICE_PER_HOUR` prices each model (Groq's
prices from the API facts; a model not listed counts as free). :class:`Usage` is the one
record of what was sent and billed, kept by each engine as a running total and by each
:class:`~stt_toolkit.Transcript` for its file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Every request is billed for at least this many seconds of audio.
MIN_BILLED_SECONDS = 10.0
#: Price per billed audio hour in US dollars, by model.
PRICE_PER_HOUR: Mapping[str, float] = {
    "whisper-large-v3": 0.111, "whisper-large-v3-turbo": 0.04, "distil-whisper-large-v3-en": 0.02}


def billed_seconds(audio_seconds: float) -> float:
    """The seconds one request for ``audio_seconds`` of audio is billed for."""
    return max(MIN_BILLED_SECONDS, audio_seconds)


def cost(seconds_by_model: Mapping[str, float], prices: Mapping[str, float] = PRICE_PER_HOUR) -> float:
    """US dollars for billed seconds, by model, at ``prices`` (per hour)."""
    return sum(prices.get(model, 0.0) * seconds / 3600 for model, seconds in seconds_by_model.items())


@dataclass(frozen=True)
class Usage:
    """What was sent and billed: audio seconds sent, seconds billed (by model too), requests
    made (every attempt), retries, and requests that failed. ``abandoned_requests`` were given
    up on after they were sent (a stalled answer, cut at its deadline): the server may bill
    them all the same, for ``possibly_billed_seconds`` in all (not in ``billed_seconds``)."""

    audio_seconds: float = 0.0
    billed_seconds: float = 0.0
    requests: int = 0
    retries: int = 0
    #: ``billed_seconds`` by model (a retry model may be priced differently).
    billed_by_model: dict[str, float] = field(default_factory=dict)
    failed_requests: int = 0
    abandoned_requests: int = 0
    possibly_billed_seconds: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return total((self, other))

    def seconds_by_model(self, default_model: str | None = None) -> dict[str, float]:
        """``billed_by_model``, with seconds not attributed to a model (a transcript written
        before they were) counted as ``default_model``'s."""
        seconds = dict(self.billed_by_model)
        rest = round(self.billed_seconds - sum(seconds.values()), 3)
        if rest > 0 and default_model:
            seconds[default_model] = seconds.get(default_model, 0.0) + rest
        return seconds

    def cost(self, prices: Mapping[str, float] = PRICE_PER_HOUR, default_model: str | None = None) -> float:
        """Dollars for the billed seconds at ``prices`` (see :meth:`seconds_by_model`)."""
        return cost(self.seconds_by_model(default_model), prices)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Usage:
        """Rebuild from :func:`dataclasses.asdict` output, ignoring fields it does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]


def answered(model: str, audio_seconds: float, bills: bool, attempts: int = 1, abandoned: int = 0) -> Usage:
    """The usage of one request for ``audio_seconds`` of audio answered after ``attempts``
    tries (billed once, only when the engine ``bills``), ``abandoned`` of which were given up
    on after they were sent (possibly billed each). A result taken from the resume cache has
    ``attempts`` 0: nothing was sent or billed for it now."""
    if attempts == 0:
        return Usage()
    billed = billed_seconds(audio_seconds) if bills else 0.0
    return Usage(audio_seconds=audio_seconds, billed_seconds=billed, requests=attempts, retries=attempts - 1,
                 billed_by_model={model: billed} if billed else {}, abandoned_requests=abandoned,
                 possibly_billed_seconds=abandoned * billed)


def total(usages: Iterable[Usage]) -> Usage:
    """The sum of ``usages`` (rounded to the millisecond once, at the end)."""
    usages = list(usages)
    by_model: dict[str, float] = {}
    for usage in usages:
        for model, seconds in usage.billed_by_model.items():
            by_model[model] = by_model.get(model, 0.0) + seconds
    return Usage(round(sum(u.audio_seconds for u in usages), 3), round(sum(u.billed_seconds for u in usages), 3),
                 sum(u.requests for u in usages), sum(u.retries for u in usages),
                 {m: round(s, 3) for m, s in by_model.items()}, sum(u.failed_requests for u in usages),
                 sum(u.abandoned_requests for u in usages),
                 round(sum(u.possibly_billed_seconds for u in usages), 3))
