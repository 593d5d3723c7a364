"""The names of the quality flags a segment can carry, and which of them doubt the
recognition itself (pure). Set by :mod:`stt_toolkit.assemble.quality`; read by the
transcript's text, the writers and the summaries."""

from __future__ import annotations

from collections.abc import Iterable

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


def shown(flags: Iterable[str], keep_hallucinations: bool) -> bool:
    """Whether a segment with ``flags`` belongs in the text and the subtitles: every segment
    but a flagged silence hallucination, unless hallucinations are kept (the one rule)."""
    return keep_hallucinations or SILENCE_HALLUCINATION not in flags
