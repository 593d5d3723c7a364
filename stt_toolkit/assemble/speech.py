"""A transcript and the voice-activity map (pure).

* :func:`restore_skipped`: a transcript of the audio sent, with non-speech left out, back in
  the file's own time by the one :class:`~stt_toolkit.core.speech.SkipMap`; a segment whose
  words lie on both sides of a stretch left out is split there, so no segment, word or cue
  spans audio that was not sent.
* :func:`flag_non_speech`: a segment whose words lie wholly in non-speech is flagged
  ``non_speech_text`` (left out of the text and subtitles unless hallucinations are kept),
  for every engine.
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
#: A word shorter than this (seconds) was timed by a decoder that lost track of time.
COLLAPSED_SECONDS = 0.05


def restore_skipped(transcript: Transcript, skips: SkipMap, duration: float) -> Transcript:
    """``transcript`` (of the sent audio) in the time of the file of ``duration`` seconds."""
    segments = [part for s in transcript.segments for part in _restored(s, skips)]
    chunks = tuple(dataclasses.replace(c, start=skips.to_file(c.start), end=_end(skips, c.end))
                   for c in transcript.chunks)
    unheard = tuple(part for a, b in transcript.unheard_speech for part in _parts(skips, a, b))
    return dataclasses.replace(transcript, duration=duration, segments=tuple(make_monotonic(segments)),
                               chunks=chunks, unheard_speech=unheard, skipped=skips.skipped)


def _end(skips: SkipMap, end: float) -> float:
    """The end of a stretch in file time: at a joint, the end of the piece before it."""
    return skips.to_file(end, _piece_before(skips, end))


def _parts(skips: SkipMap, start: float, end: float) -> Iterator[tuple[float, float]]:
    """A stretch of the sent audio in file time, one part a piece it touches (never across a
    stretch left out)."""
    for index in range(skips.piece_at(start), _piece_before(skips, end) + 1):
        a, b = skips.to_file(start, index), skips.to_file(end, index)
        if b > a:
            yield round(a, 3), round(b, 3)


def _piece_before(skips: SkipMap, seconds: float) -> int:
    """The piece that holds ``seconds``, the earlier one at a joint."""
    return skips.piece_at(max(0.0, seconds - 1 / skips.sample_rate))


def _restored(segment: Segment, skips: SkipMap) -> Iterator[Segment]:
    if not segment.words:  # kept in one piece, the one its start is in
        piece = _piece_before(skips, segment.start)
        yield dataclasses.replace(segment, start=skips.to_file(segment.start, piece),
                                  end=skips.to_file(segment.end, piece))
        return
    groups: list[tuple[int, list[Word]]] = []
    for word in segment.words:
        # by its start, the earlier piece at a joint: the joint lies in the non-speech kept
        # around speech, and a word timed there (Whisper's late or zero-length last word)
        # ends the speech before it
        piece = _piece_before(skips, word.start)
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
    """``transcript`` with every segment that lies wholly outside ``speech`` (by more than
    :data:`NEAR_SPEECH_SECONDS`) flagged ``non_speech_text``. A segment with a word in speech
    is speech: Whisper times a sentence's last words late, or all at one instant, and they
    are real words. Words shorter than :data:`COLLAPSED_SECONDS` say nothing of where they
    were said and count only with the words around them."""
    segments = tuple(_flagged(s) if _made_up(s, speech) else s for s in transcript.segments)
    if segments == transcript.segments:
        return transcript
    return dataclasses.replace(transcript, segments=segments)


def _outside(start: float, end: float, speech: Sequence[Span]) -> bool:
    a, b = start - NEAR_SPEECH_SECONDS, end + NEAR_SPEECH_SECONDS
    return not any(s < b and a < e for s, e in speech)


def _made_up(segment: Segment, speech: Sequence[Span]) -> bool:
    if not segment.text.strip():
        return False
    if not segment.words:
        return _outside(segment.start, segment.end, speech)
    timed = [w for w in segment.words if w.end - w.start >= COLLAPSED_SECONDS] or list(segment.words)
    return all(_outside(w.start, w.end, speech) for w in timed)


def _flagged(segment: Segment) -> Segment:
    return segment if NON_SPEECH_TEXT in segment.flags else dataclasses.replace(
        segment, flags=(*segment.flags, NON_SPEECH_TEXT))
