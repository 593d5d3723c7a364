"""Times: the one map from a chunk's clock to the file's, and the rules that keep a
transcript's timeline sound (monotonic, words inside their stretch) (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.records import Chunk, Segment, Word


@dataclass(frozen=True)
class TimeMap:
    """Chunk-local seconds to file seconds, for audio that starts ``offset`` seconds into
    the file (a chunk, or a stretch sent again). The one place times are shifted, as
    faster-whisper's ``SpeechTimestampsMap`` is."""

    offset: float

    @classmethod
    def of(cls, chunk: Chunk) -> TimeMap:
        """The map of a planned (or split) chunk."""
        return cls(chunk.start / chunk.sample_rate)

    def to_file(self, seconds: float) -> float:
        """A chunk-local time in file time."""
        return seconds + self.offset

    def to_local(self, seconds: float) -> float:
        """A file time in chunk-local time."""
        return seconds - self.offset

    def word(self, word: Word) -> Word:
        """``word`` in file time."""
        return dataclasses.replace(word, start=word.start + self.offset, end=word.end + self.offset)

    def segment(self, segment: Segment, chunk: str | None = None) -> Segment:
        """``segment`` and its words in file time (``chunk`` names its source, if given)."""
        shifted = dataclasses.replace(segment, start=segment.start + self.offset, end=segment.end + self.offset,
                                      words=tuple(self.word(w) for w in segment.words))
        return dataclasses.replace(shifted, chunk=chunk) if chunk is not None else shifted


def make_monotonic(segments: Sequence[Segment]) -> list[Segment]:
    """Clamp times so that they never decrease, words never overlap and ids run from 0."""
    out: list[Segment] = []
    clock = 0.0
    for index, segment in enumerate(segments):
        words = []
        start = max(segment.start, clock)
        word_clock = start
        for word in segment.words:
            w_start = max(word.start, word_clock)
            w_end = max(word.end, w_start)
            words.append(dataclasses.replace(word, start=w_start, end=w_end))
            word_clock = w_end
        end = max(segment.end, start, word_clock)
        out.append(dataclasses.replace(segment, id=index, start=start, end=end, words=tuple(words)))
        clock = words[-1].end if words else start
    return out


def clip_segment(segment: Segment, start: float, end: float, label: str) -> Segment | None:
    """The part of ``segment`` whose words have their midpoint inside ``start``-``end``
    (a segment without words is kept whole if its own midpoint is inside); ``None`` if none is."""
    if not segment.words:
        inside = start <= (segment.start + segment.end) / 2 <= end and bool(segment.text.strip())
        return dataclasses.replace(segment, chunk=label) if inside else None
    words = tuple(w for w in segment.words if start <= (w.start + w.end) / 2 <= end)
    if not words:
        return None
    return dataclasses.replace(segment, start=words[0].start, end=words[-1].end, words=words,
                               text="".join(w.word for w in words), chunk=label)
