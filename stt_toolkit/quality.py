"""Stage 5: flag low-quality segments from Whisper's own signals (pure).

Servers compute ``avg_logprob``, ``no_speech_prob`` and ``compression_ratio`` per 30 s
decoding window, so neighbouring segments often share them: a flag says the window looked
doubtful, no more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .transcript import QualitySummary
from .types import Segment

FAILED_DECODE = "failed_decode"
LOW_CONFIDENCE = "low_confidence"
NO_SPEECH = "no_speech"
SILENCE_HALLUCINATION = "silence_hallucination"
REPETITION = "repetition"
TIMING = "timing"
BOUNDARY = "boundary"
#: Every flag, in the order they are reported.
FLAGS = (FAILED_DECODE, LOW_CONFIDENCE, NO_SPEECH, SILENCE_HALLUCINATION, REPETITION, TIMING, BOUNDARY)
#: Flags that describe timing or the merge, not the recognition: too common to count or note.
INFORMATIONAL = frozenset({TIMING, BOUNDARY})


def notable_flags(flags: Iterable[str]) -> tuple[str, ...]:
    """The flags that say the recognition itself is doubtful (all but :data:`INFORMATIONAL`)."""
    return tuple(f for f in flags if f not in INFORMATIONAL)


@dataclass(frozen=True)
class QualityOptions:
    """Thresholds (Whisper's defaults) and whether flagged hallucinations leave the text."""

    failed_logprob: float = -1.0
    low_logprob: float = -0.5
    no_speech_prob: float = 0.6
    compression_ratio: float = 2.4
    drop_silence_hallucinations: bool = True


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


def summarize(segments: Sequence[Segment], duration: float) -> QualitySummary:
    """Share of ``duration`` covered by segments carrying each flag, and by any flag."""
    if duration <= 0:
        return QualitySummary()
    share = {flag: sum(s.end - s.start for s in segments if flag in s.flags) / duration for flag in FLAGS}
    flagged = [s for s in segments if s.flags]
    return QualitySummary(
        flagged_share={k: round(min(1.0, v), 6) for k, v in share.items() if v > 0},
        any_flag_share=round(min(1.0, sum(s.end - s.start for s in flagged) / duration), 6),
        flagged_segments=sum(1 for s in segments if notable_flags(s.flags)),
    )


def spoken_text(segments: Iterable[Segment], options: QualityOptions = QualityOptions()) -> str:
    """The transcript text, leaving out silence hallucinations unless told to keep them."""
    parts = [s.text.strip() for s in segments
             if s.text.strip() and not (options.drop_silence_hallucinations and SILENCE_HALLUCINATION in s.flags)]
    return " ".join(parts)
