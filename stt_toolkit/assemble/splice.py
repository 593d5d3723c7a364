"""Putting what a second request found into a transcript: the stretch of segments it
replaces, and the words it repeats from just outside that stretch (pure). Shared by gap
filling and flagged retries."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.records import Segment, Word
from .merge import normalize_word


@dataclass(frozen=True)
class Span:
    """Segments ``first`` to ``last`` (indices, inclusive) and the stretch of the file, in
    seconds, whose words a second request may replace."""

    first: int
    last: int
    start: float
    end: float


def neighbours(segments: Sequence[Segment], span: Span) -> tuple[Segment | None, Segment | None]:
    """The segments just before and just after ``span`` (``None`` at either end)."""
    return (segments[span.first - 1] if span.first else None,
            segments[span.last + 1] if span.last + 1 < len(segments) else None)


def without_echoes(new: list[Segment], before: Segment | None, after: Segment | None) -> list[Segment]:
    """``new`` without a first word that repeats the word just before the span, or a last word
    that repeats the word just after it (timestamps at a cut are a few tenths of a second off)."""
    words = [w for s in new for w in s.words]
    drop: set[int] = set()
    if words and before is not None and before.words and _same(words[0], before.words[-1]):
        drop.add(id(words[0]))
    if words and after is not None and after.words and _same(words[-1], after.words[0]):
        drop.add(id(words[-1]))
    if not drop:
        return new
    out = []
    for segment in new:
        kept = tuple(w for w in segment.words if id(w) not in drop)
        if kept:
            out.append(dataclasses.replace(segment, words=kept, start=kept[0].start, end=kept[-1].end,
                                           text="".join(w.word for w in kept)))
    return out


def _same(a: Word, b: Word) -> bool:
    return normalize_word(a.word) == normalize_word(b.word) and abs(a.start - b.start) < 1.0


def splice(segments: Sequence[Segment], replacements: Sequence[tuple[Span, list[Segment]]]) -> list[Segment]:
    """``segments`` with each span's segments replaced by its new ones (pure)."""
    by_first = {span.first: (span.last, new) for span, new in replacements}
    out: list[Segment] = []
    index = 0
    while index < len(segments):
        if index in by_first:
            last, new = by_first[index]
            out.extend(new)
            index = last + 1
        else:
            out.append(segments[index])
            index += 1
    return out
