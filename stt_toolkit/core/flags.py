"""The names of the quality flags a segment can carry, and which of them doubt the
recognition itself (pure). Set by :mod:`stt_toolkit.assemble.quality`; read by the
transcript's text, the writers and the summaries."""

from __future__ import annotations

from collections.abc import Iterable

FAILED_DECODE = "failed_decode"
LOW_CONFIDENCE = "low_confidence"
NO_SPEECH = "no_speech"
SILENCE_HALLUCINATION = "silence_hallucination"
NON_SPEECH_TEXT = "non_speech_text"
REPETITION = "repetition"
TIMING = "timing"
BOUNDARY = "boundary"
#: Every flag, in the order they are reported.
FLAGS = (FAILED_DECODE, LOW_CONFIDENCE, NO_SPEECH, SILENCE_HALLUCINATION, NON_SPEECH_TEXT, REPETITION, TIMING,
         BOUNDARY)
#: Flags of text made up where nobody speaks: left out of the text and the subtitles.
MADE_UP = frozenset({SILENCE_HALLUCINATION, NON_SPEECH_TEXT})
#: Flags that describe timing or the merge, not the recognition: too common to count or note.
INFORMATIONAL = frozenset({TIMING, BOUNDARY})


def notable_flags(flags: Iterable[str]) -> tuple[str, ...]:
    """The flags that say the recognition itself is doubtful (all but :data:`INFORMATIONAL`)."""
    return tuple(f for f in flags if f not in INFORMATIONAL)


def shown(flags: Iterable[str], keep_hallucinations: bool) -> bool:
    """Whether a segment with ``flags`` belongs in the text and the subtitles: every segment
    but text made up where nobody speaks (:data:`MADE_UP`), unless hallucinations are kept
    (the one rule)."""
    return keep_hallucinations or MADE_UP.isdisjoint(flags)
