"""Recover speech a decoder skipped: which stretches have speech energy but no words, and
what a second decode of them adds (pure; :func:`stt_toolkit.run.repairs.fill_gaps` sends them).

Whisper sometimes drops a few sentences inside a window (most often near the start of a
chunk); no neighbouring chunk may have heard them either. After the merge, every gap between
words longer than ``min_gap`` seconds whose frames are mostly as loud as the file's speech is
transcribed again on its own, and the words found inside it are added.

Often the decoder leaves no gap but stretches one word over the speech it lost ("but the"
with "the" lasting 4.5 s over "first Bible actually dated, which also was printed at"). A
segment holding a word longer than ``max_word`` seconds over speech-loud audio is transcribed
again whole (with context audio around it) and replaced when the new decode is confident
and has at least ``min_words`` more words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.options import QualityOptions
from ..core.records import EnergyProfile, Segment, Word
from ..core.transcript import Transcript
from .quality import flag_segments
from .splice import Span, neighbours, splice, without_echoes
from .timeline import clip_segment, make_monotonic


@dataclass(frozen=True)
class GapOptions:
    """A gap is re-transcribed when it lasts over ``min_gap`` seconds and at least
    ``loud_share`` of its frames are within ``margin_db`` of the typical loudness of words.
    What comes back is added only when the model is sure of it: at least ``min_words``
    words, ``avg_logprob`` at least ``min_logprob``, and not taken for silence: not
    ``no_speech_prob`` over ``max_no_speech``, nor over ``doubtful_no_speech`` with
    ``avg_logprob`` under ``sure_logprob`` (isolated short windows otherwise yield stray words
    such as "and", and confident text where the model hears no speech is Whisper's typical
    hallucination). A redo's window starts with the pause before the lost speech: tiny.en gave
    clearly heard sentences (``avg_logprob`` -0.3 to -0.46) ``no_speech_prob`` 0.2 to 0.66 there,
    and the former single limit of 0.3 dropped all but the last seconds of a recovered stretch.
    A word longer than ``max_word`` seconds over speech-loud audio makes its segment be sent
    again with ``context_seconds`` of audio on either side."""

    min_gap: float = 2.0
    loud_share: float = 0.3
    margin_db: float = 20.0
    pad: float = 0.3
    min_words: int = 2
    max_no_speech: float = 0.8
    doubtful_no_speech: float = 0.6
    min_logprob: float = -0.8
    sure_logprob: float = -0.5
    max_word: float = 2.5
    context_seconds: float = 2.0


def _loudness(words: Sequence[Word], profile: EnergyProfile,
              options: GapOptions) -> Callable[[float, float], float] | None:
    """A function giving the share of frames in a stretch that are as loud as speech (frames
    within ``margin_db`` of the words' median peak); ``None`` without words or audio."""
    if not words or len(profile.db) == 0:
        return None
    rate = profile.sample_rate / profile.frame_length

    def frames(start: float, end: float) -> np.ndarray:
        return profile.db[max(0, int(start * rate)):max(0, int(end * rate)) + 1]

    peaks = [float(f.max()) for w in words if len(f := frames(w.start, w.end))]
    if not peaks:
        return None
    threshold = float(np.median(peaks)) - options.margin_db
    return lambda start, end: float(np.mean(f > threshold)) if len(f := frames(start, end)) else 0.0


def find_speech_gaps(words: Sequence[Word], profile: EnergyProfile, duration: float,
                     options: GapOptions = GapOptions(),
                     speech: Sequence[tuple[float, float]] | None = None) -> list[tuple[float, float]]:
    """(start, end) of every wordless stretch that sounds like speech (pure): as loud as the
    words, and, given the voice-activity map's ``speech`` stretches, ``loud_share`` of it
    speech by that map too (noise, hum and music are loud without being speech)."""
    loud = _loudness(words, profile, options)
    if loud is None:
        return []
    edges = [(0.0, words[0].start), *((a.end, b.start) for a, b in zip(words, words[1:])), (words[-1].end, duration)]
    return [(start, end) for start, end in edges
            if end - start > options.min_gap and loud(start, end) >= options.loud_share
            and (speech is None or _overlap(start, end, speech) >= options.loud_share * (end - start))]


def _overlap(start: float, end: float, spans: Sequence[tuple[float, float]]) -> float:
    return sum(max(0.0, min(end, b) - max(start, a)) for a, b in spans)


def find_stretched(segments: Sequence[Segment], profile: EnergyProfile,
                   options: GapOptions = GapOptions()) -> list[Span]:
    """Segments holding a word longer than ``max_word`` over speech-loud audio (pure)."""
    loud = _loudness([w for s in segments for w in s.words], profile, options)
    if loud is None:
        return []
    spans = []
    for index, segment in enumerate(segments):
        if any(w.end - w.start > options.max_word and loud(w.start, w.end) >= options.loud_share
               for w in segment.words):
            spans.append(Span(index, index, segment.words[0].start, segment.words[-1].end))
    return spans


def mark_unheard(transcript: Transcript, profile: EnergyProfile, gap_options: GapOptions = GapOptions(),
                 speech: Sequence[tuple[float, float]] | None = None) -> Transcript:
    """The transcript with every stretch that sounds like speech but has no words (by the
    rule that decides gap filling, :func:`find_speech_gaps`, with the voice-activity map's
    ``speech`` if given) noted in ``quality``: whatever the engine, speech is never lost
    without a word to the user (pure)."""
    unheard = find_speech_gaps(transcript.words, profile, transcript.duration, gap_options, speech)
    return dataclasses.replace(transcript, unheard_speech=tuple((round(a, 3), round(b, 3)) for a, b in unheard))


def _confident(segment: Segment, options: GapOptions) -> bool:
    no_speech = segment.no_speech_prob if segment.no_speech_prob is not None else 0.0
    logprob = segment.avg_logprob if segment.avg_logprob is not None else 0.0
    silent = no_speech > options.max_no_speech or (no_speech > options.doubtful_no_speech
                                                   and logprob < options.sure_logprob)
    return logprob >= options.min_logprob and not silent


def padded(gap: tuple[float, float], duration: float, options: GapOptions = GapOptions()) -> tuple[float, float]:
    """The seconds sent for a gap: the gap and ``pad`` on either side."""
    return max(0.0, gap[0] - options.pad), min(duration, gap[1] + options.pad)


def redo_window(span: Span, duration: float, options: GapOptions = GapOptions()) -> tuple[float, float]:
    """The seconds sent for a segment with a stretched word: it and ``context_seconds`` around."""
    return max(0.0, span.start - options.context_seconds), min(duration, span.end + options.context_seconds)


def found_in_gap(answer: Sequence[Segment], gap: tuple[float, float],
                 options: GapOptions = GapOptions()) -> list[Segment]:
    """The confident segments of ``answer`` (file time) clipped to the gap, with enough words."""
    start, end = gap
    found = []
    for segment in answer:
        clipped = clip_segment(segment, start, end, f"gap {start:.1f}-{end:.1f}")
        if _confident(segment, options) and clipped and len(clipped.words) >= options.min_words:
            found.append(clipped)
    return found


def redone(answer: Sequence[Segment], span: Span, segments: Sequence[Segment],
           options: GapOptions = GapOptions()) -> list[Segment] | None:
    """What a second decode of a segment with a stretched word replaces it with: its confident
    words inside the span, none repeating a neighbour, when they are at least ``min_words``
    more than the segment had; else ``None`` (the segment stays)."""
    label = f"redo {span.start:.1f}-{span.end:.1f}"
    new = [c for s in answer if _confident(s, options) and (c := clip_segment(s, span.start, span.end, label))]
    new = without_echoes(new, *neighbours(segments, span))
    more = sum(len(s.words) for s in new) >= len(segments[span.first].words) + options.min_words
    return new if more else None


def with_found(transcript: Transcript, added: Sequence[Segment], replaced: Sequence[tuple[Span, list[Segment]]],
               quality: QualityOptions = QualityOptions()) -> Transcript:
    """``transcript`` with the gaps' segments ``added`` and the stretched segments
    ``replaced``, flagged, in time order, times made monotonic."""
    kept = splice(transcript.segments, [(span, list(flag_segments(new, quality))) for span, new in replaced])
    segments = make_monotonic(sorted([*kept, *flag_segments(added, quality)], key=lambda s: s.start))
    return dataclasses.replace(transcript, segments=tuple(segments))
