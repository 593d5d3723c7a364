"""Recover speech a decoder skipped: stretches with speech energy but no words.

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

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunking import EnergyProfile, measure_energy
from .engines.base import Engine, TranscribeOptions
from .merge import make_monotonic
from .quality import QualityOptions, flag_segments, spoken_text, summarize
from .retry import RetrySpan, splice, without_echoes
from .spans import charge, clip_segment, try_transcribe_span
from .transcript import Transcript
from .types import Segment, Word


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
                     options: GapOptions = GapOptions()) -> list[tuple[float, float]]:
    """(start, end) of every wordless stretch that sounds like speech (pure)."""
    loud = _loudness(words, profile, options)
    if loud is None:
        return []
    edges = [(0.0, words[0].start), *((a.end, b.start) for a, b in zip(words, words[1:])), (words[-1].end, duration)]
    return [(start, end) for start, end in edges
            if end - start > options.min_gap and loud(start, end) >= options.loud_share]


def find_stretched(segments: Sequence[Segment], profile: EnergyProfile,
                   options: GapOptions = GapOptions()) -> list[RetrySpan]:
    """Segments holding a word longer than ``max_word`` over speech-loud audio (pure)."""
    loud = _loudness([w for s in segments for w in s.words], profile, options)
    if loud is None:
        return []
    spans = []
    for index, segment in enumerate(segments):
        if any(w.end - w.start > options.max_word and loud(w.start, w.end) >= options.loud_share
               for w in segment.words):
            spans.append(RetrySpan(index, index, segment.words[0].start, segment.words[-1].end))
    return spans


async def fill_gaps(transcript: Transcript, flac: str | Path, engine: Engine, options: TranscribeOptions,
                    quality: QualityOptions = QualityOptions(), gap_options: GapOptions = GapOptions(),
                    profile: EnergyProfile | None = None) -> Transcript:
    """The transcript with the words found by transcribing each speech-like gap again, and
    each segment with a stretched word redone (sent concurrently; the engine bounds the
    requests in flight). ``profile`` is the file's energy curve, measured here if not given."""
    if profile is None:
        profile = await asyncio.to_thread(measure_energy, flac)
    gaps = find_speech_gaps(transcript.words, profile, transcript.duration, gap_options)
    spans = [(max(0.0, s - gap_options.pad), min(transcript.duration, e + gap_options.pad)) for s, e in gaps]

    async def recover(number: int, start: float, end: float) -> list[Segment] | None:
        lo, hi = spans[number]
        answer = await try_transcribe_span(flac, engine, options, lo, hi, profile.sample_rate, number)
        if answer is None:
            return None
        found = []
        for segment in answer:
            clipped = clip_segment(segment, start, end, f"gap {start:.1f}-{end:.1f}")
            if _confident(segment, gap_options) and clipped and len(clipped.words) >= gap_options.min_words:
                found.append(clipped)
        return found

    redo = _redo_stretched(transcript, flac, engine, options, profile, gap_options, first_number=len(gaps))
    answers, (redone, redo_sent) = await asyncio.gather(
        asyncio.gather(*(recover(n, s, e) for n, (s, e) in enumerate(gaps))), redo)
    answered = [span for span, found in zip(spans, answers) if found is not None] + redo_sent
    if not answered:
        return transcript
    added = [segment for found in answers if found for segment in found]
    kept = splice(transcript.segments, [(span, list(flag_segments(new, quality))) for span, new in redone])
    segments = make_monotonic(sorted([*kept, *flag_segments(added, quality)], key=lambda s: s.start))
    # every answered request is counted (and billed), also those that found nothing to add
    return dataclasses.replace(transcript, segments=tuple(segments), text=spoken_text(segments, quality),
                               usage=charge(transcript.usage, answered, engine, options),
                               quality=summarize(segments, transcript.duration))


def mark_unheard(transcript: Transcript, profile: EnergyProfile, gap_options: GapOptions = GapOptions()) -> Transcript:
    """The transcript with every stretch that sounds like speech but has no words (by the
    rule that decides gap filling, :func:`find_speech_gaps`) noted in ``quality``: whatever
    the engine, speech is never lost without a word to the user (pure)."""
    unheard = find_speech_gaps(transcript.words, profile, transcript.duration, gap_options)
    quality = dataclasses.replace(transcript.quality,
                                  unheard_speech=tuple((round(a, 3), round(b, 3)) for a, b in unheard))
    return dataclasses.replace(transcript, quality=quality)


async def _redo_stretched(transcript: Transcript, flac: str | Path, engine: Engine, options: TranscribeOptions,
                          profile: EnergyProfile, gap_options: GapOptions, first_number: int,
                          ) -> tuple[list[tuple[RetrySpan, list[Segment]]], list[tuple[float, float]]]:
    """Each segment with a stretched word transcribed again: the replacements that found
    more words, and the seconds sent by every answered request."""
    segments = transcript.segments
    stretched = find_stretched(segments, profile, gap_options)
    context = gap_options.context_seconds

    async def redo(number: int, span: RetrySpan) -> tuple[RetrySpan, list[Segment] | None, tuple[float, float]] | None:
        sent = (max(0.0, span.start - context), min(transcript.duration, span.end + context))
        answer = await try_transcribe_span(flac, engine, options, *sent, profile.sample_rate, first_number + number)
        if answer is None:
            return None
        label = f"redo {span.start:.1f}-{span.end:.1f}"
        new = [c for s in answer if _confident(s, gap_options) and (c := clip_segment(s, span.start, span.end, label))]
        new = without_echoes(new, segments[span.first - 1] if span.first else None,
                             segments[span.last + 1] if span.last + 1 < len(segments) else None)
        more = sum(len(s.words) for s in new) >= len(segments[span.first].words) + gap_options.min_words
        return span, (new if more else None), sent

    results = [r for r in await asyncio.gather(*(redo(n, s) for n, s in enumerate(stretched))) if r]
    return [(span, new) for span, new, _ in results if new is not None], [sent for _, _, sent in results]


def _confident(segment: Segment, options: GapOptions) -> bool:
    no_speech = segment.no_speech_prob if segment.no_speech_prob is not None else 0.0
    logprob = segment.avg_logprob if segment.avg_logprob is not None else 0.0
    silent = no_speech > options.max_no_speech or (no_speech > options.doubtful_no_speech
                                                   and logprob < options.sure_logprob)
    return logprob >= options.min_logprob and not silent
