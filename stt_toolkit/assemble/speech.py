"""A transcript and the voice-activity map (pure).

* :func:`restore_skipped`: a transcript of the audio sent, with non-speech left out, back in
  the file's own time by the one :class:`~stt_toolkit.core.speech.SkipMap`; a segment whose
  words lie on both sides of a stretch left out is split there, so no segment, word or cue
  spans audio that was not sent.
* :func:`flag_non_speech`: words that lie wholly in non-speech become a segment of their own
  flagged ``non_speech_text`` (left out of the text and subtitles unless hallucinations are
  kept), for every engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from ..core.flags import NON_SPEECH_TEXT
from ..core.records import Segment, Word, words_text
from ..core.speech import SkipMap, Span
from ..core.transcript import Transcript
from .timeline import make_monotonic

#: Words this close to speech (seconds) count as speech: Silero's edges are tight and Whisper's
#: word times are rough.
NEAR_SPEECH_SECONDS = 0.3


def restore_skipped(transcript: Transcript, skips: SkipMap, duration: float) -> Transcript:
    """``transcript`` (of the sent audio) in the time of the file of ``duration`` seconds."""
    segments = [part for s in transcript.segments for part in _restored(s, skips)]
    chunks = tuple(dataclasses.replace(c, start=skips.to_file(c.start), end=_end(skips, c.end))
                   for c in transcript.chunks)
    unheard = tuple((skips.to_file(a), _end(skips, b)) for a, b in transcript.unheard_speech)
    return dataclasses.replace(transcript, duration=duration, segments=tuple(make_monotonic(segments)),
                               chunks=chunks, unheard_speech=unheard, skipped=skips.skipped)


def _end(skips: SkipMap, end: float) -> float:
    """The end of a stretch in file time: at a joint, the end of the piece before it."""
    return skips.to_file(end, skips.piece_at(max(0.0, end - 1 / skips.sample_rate)))


def _end_in(skips: SkipMap, start: float, end: float) -> float:
    """``end`` in file time, kept in the piece of ``start``."""
    return skips.to_file(end, skips.piece_at(start))


def _restored(segment: Segment, skips: SkipMap) -> Iterator[Segment]:
    if not segment.words:
        yield dataclasses.replace(segment, start=skips.to_file(segment.start),
                                  end=_end_in(skips, segment.start, segment.end))
        return
    groups: list[tuple[int, list[Word]]] = []
    for word in segment.words:
        piece = skips.piece_at((word.start + word.end) / 2)
        moved = dataclasses.replace(word, start=skips.to_file(word.start, piece), end=skips.to_file(word.end, piece))
        if groups and groups[-1][0] == piece:
            groups[-1][1].append(moved)
        else:
            groups.append((piece, [moved]))
    for index, (piece, words) in enumerate(groups):
        start = skips.to_file(segment.start, piece) if index == 0 else words[0].start
        end = skips.to_file(segment.end, piece) if index == len(groups) - 1 else words[-1].end
        text = segment.text if len(groups) == 1 else words_text(words)
        yield dataclasses.replace(segment, start=min(start, words[0].start), end=max(end, words[-1].end),
                                  words=tuple(words), text=text)


def flag_non_speech(transcript: Transcript, speech: Sequence[Span]) -> Transcript:
    """``transcript`` with every run of words that lies wholly outside ``speech`` (by more
    than :data:`NEAR_SPEECH_SECONDS`) split off and flagged ``non_speech_text``; a segment
    without words is flagged whole when it lies outside."""
    segments = [part for s in transcript.segments for part in _split_non_speech(s, speech)]
    if len(segments) == len(transcript.segments) and all(
            a.flags == b.flags for a, b in zip(segments, transcript.segments)):
        return transcript
    return dataclasses.replace(transcript, segments=tuple(make_monotonic(segments)))


def _outside(start: float, end: float, speech: Sequence[Span]) -> bool:
    a, b = start - NEAR_SPEECH_SECONDS, end + NEAR_SPEECH_SECONDS
    return not any(s < b and a < e for s, e in speech)


def _split_non_speech(segment: Segment, speech: Sequence[Span]) -> Iterator[Segment]:
    if not segment.words:
        if _outside(segment.start, segment.end, speech) and segment.text.strip():
            yield _flagged(segment)
        else:
            yield segment
        return
    runs: list[tuple[bool, list[Word]]] = []
    for word in segment.words:
        outside = _outside(word.start, word.end, speech)
        if runs and runs[-1][0] == outside:
            runs[-1][1].append(word)
        else:
            runs.append((outside, [word]))
    if len(runs) == 1:
        yield _flagged(segment) if runs[0][0] else segment
        return
    for index, (outside, words) in enumerate(runs):
        start = segment.start if index == 0 else words[0].start
        end = segment.end if index == len(runs) - 1 else words[-1].end
        part = dataclasses.replace(segment, start=min(start, words[0].start), end=max(end, words[-1].end),
                                   words=tuple(words), text=words_text(words))
        yield _flagged(part) if outside else part


def _flagged(segment: Segment) -> Segment:
    return segment if NON_SPEECH_TEXT in segment.flags else dataclasses.replace(
        segment, flags=(*segment.flags, NON_SPEECH_TEXT))

