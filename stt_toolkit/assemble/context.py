"""Conditioning a chunk on the text before it, as Whisper does inside one long file.

Whisper transcribing a long file feeds each 30 s window the text of the windows before it as
a prompt (``condition_on_previous_text``): names keep their spelling and style stays the same.
Chunks sent on their own lose that. With ``condition_on_previous``, each chunk waits for the
chunk before it and is prompted with the user's prompt, then the end of what was said before
the chunk starts (words in the overlap are left out, so the prompt does not echo audio the
chunk hears itself). Pure logic; :func:`stt_toolkit.run.chunks.transcribe_chunks` does the waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..core.options import TranscribeOptions
from ..core.records import ChunkResult, Segment
from .timeline import TimeMap

#: How much earlier text goes into a prompt: about a sentence (25 tokens). Longer prompts made
#: tiny.en skip ahead more often on conversation (BENCHMARKS.md); Whisper allows 224 tokens.
CONTEXT_CHARS = 100
# A segment decoded at a high fallback temperature, or one that loops, is not passed on:
# Whisper drops its context for the same reason (a bad decode would seed the next one).
_MAX_TEMPERATURE = 0.5
_MAX_COMPRESSION = 2.4


def _usable(segment: Segment) -> bool:
    return ((segment.temperature or 0.0) <= _MAX_TEMPERATURE
            and (segment.compression_ratio or 0.0) <= _MAX_COMPRESSION)


def text_before(result: ChunkResult, start: float) -> str:
    """The words of ``result`` said before ``start`` (seconds, file time), and after its last
    segment unfit to pass on.

    Words count by their midpoints; a result without word timestamps gives its segments that
    end by ``start``. Times in ``result`` are chunk-relative.
    """
    until = TimeMap.of(result.chunk).to_local(start)
    floor = max((s.end for s in result.segments if s.start < until and not _usable(s)), default=float("-inf"))
    if result.words:
        parts = [w.word for w in result.words if floor <= (w.start + w.end) / 2 < until]
    else:
        parts = [s.text for s in result.segments if s.start >= floor and s.end <= until]
    return " ".join(" ".join(p.strip() for p in parts).split())


def previous_text(done: Sequence[ChunkResult], start: float, max_chars: int = CONTEXT_CHARS) -> str:
    """The end of the text before ``start``, from the latest answered chunk that has any.

    At most ``max_chars`` characters, cut at a word; empty when nothing was said before.
    """
    for result in reversed(done):
        if result.chunk.start_seconds >= start:
            continue
        text = text_before(result, start)
        if text:
            return tail(text, max_chars)
    return ""


def tail(text: str, max_chars: int) -> str:
    """The end of ``text``, at most ``max_chars`` characters, starting at a word."""
    return text if len(text) <= max_chars else text[-max_chars:].split(" ", 1)[-1]


def join_prompt(user_prompt: str | None, context: str) -> str | None:
    """The user's prompt followed by ``context`` (``None`` when both are empty)."""
    return " ".join(p for p in (user_prompt or "", context) if p) or None


def with_context(options: TranscribeOptions, context: str) -> TranscribeOptions:
    """``options`` whose prompt is the user's prompt followed by ``context``."""
    return replace(options, prompt=join_prompt(options.prompt, context)) if context else options
