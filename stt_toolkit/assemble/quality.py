"""Stage 5: flag low-quality segments from Whisper's own signals (pure).

Servers compute ``avg_logprob``, ``no_speech_prob`` and ``compression_ratio`` per 30 s
decoding window, so neighbouring segments often share them: a flag says the window looked
doubtful, no more. The flags' names live in :mod:`stt_toolkit.core.flags`; the summary of a
transcript's flags is :class:`~stt_toolkit.core.transcript.QualitySummary`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ..core.flags import (
    BOUNDARY,
    FAILED_DECODE,
    LOW_CONFIDENCE,
    NO_SPEECH,
    REPETITION,
    SILENCE_HALLUCINATION,
    TIMING,
)
from ..core.options import QualityOptions
from ..core.records import Segment


def segment_flags(segment: Segment, options: QualityOptions = QualityOptions()) -> tuple[str, ...]:
    """The quality flags of one segment (``boundary`` is set by the merge, and kept)."""
    flags: list[str] = []
    logprob, no_speech, ratio = segment.avg_logprob, segment.no_speech_prob, segment.compression_ratio
    if logprob is not None and logprob < options.failed_logprob:
        flags.append(FAILED_DECODE)
    if logprob is not None and logprob < options.low_logprob:
        flags.append(LOW_CONFIDENCE)
    if no_speech is not None and no_speech > options.no_speech_prob:
        flags.append(NO_SPEECH)
        if logprob is not None and logprob < options.failed_logprob:
            flags.append(SILENCE_HALLUCINATION)
    if ratio is not None and ratio > options.compression_ratio:
        flags.append(REPETITION)
    if _bad_timing(segment):
        flags.append(TIMING)
    if BOUNDARY in segment.flags:
        flags.append(BOUNDARY)
    return tuple(flags)


def _bad_timing(segment: Segment) -> bool:
    previous = None
    for word in segment.words:
        if word.end <= word.start or (previous is not None and word.start < previous):
            return True
        previous = word.start
    return False


def flag_segments(segments: Iterable[Segment], options: QualityOptions = QualityOptions()) -> tuple[Segment, ...]:
    """The segments with their ``flags`` set."""
    return tuple(dataclasses.replace(s, flags=segment_flags(s, options)) for s in segments)
