"""Recover speech a decoder skipped: stretches with speech energy but no words.

Whisper sometimes drops a few sentences inside a window (most often near the start of a
chunk); no neighbouring chunk may have heard them either. After the merge, every gap between
words longer than ``min_gap`` seconds whose frames are mostly as loud as the file's speech is
transcribed again on its own, and the words found inside it are added.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunking import EnergyProfile, measure_energy
from .engines.base import Engine, TranscribeOptions
from .merge import make_monotonic
from .quality import QualityOptions, flag_segments, spoken_text, summarize
from .spans import charge, clip_segment, try_transcribe_span
from .transcript import Transcript
from .types import Segment, Word


@dataclass(frozen=True)
class GapOptions:
    """A gap is re-transcribed when it lasts over ``min_gap`` seconds and at least
    ``loud_share`` of its frames are within ``margin_db`` of the typical loudness of words.
    What comes back is added only when the model is sure of it: at least ``min_words``
    words, ``no_speech_prob`` at most ``max_no_speech``, ``avg_logprob`` at least
    ``min_logprob`` (isolated short windows otherwise yield stray words such as "and")."""

    min_gap: float = 2.0
    loud_share: float = 0.3
    margin_db: float = 20.0
    pad: float = 0.3
    min_words: int = 2
    max_no_speech: float = 0.3
    min_logprob: float = -0.8


def find_speech_gaps(words: Sequence[Word], profile: EnergyProfile, duration: float,
                     options: GapOptions = GapOptions()) -> list[tuple[float, float]]:
    """(start, end) of every wordless stretch that sounds like speech (pure)."""
    if not words or len(profile.db) == 0:
        return []
    rate = profile.sample_rate / profile.frame_length

    def frames(start: float, end: float) -> np.ndarray:
        return profile.db[max(0, int(start * rate)):max(0, int(end * rate)) + 1]

    peaks = [float(f.max()) for w in words if len(f := frames(w.start, w.end))]
    if not peaks:
        return []
    threshold = float(np.median(peaks)) - options.margin_db
    edges = [(0.0, words[0].start), *((a.end, b.start) for a, b in zip(words, words[1:])), (words[-1].end, duration)]
    gaps = []
    for start, end in edges:
        if end - start > options.min_gap and len(f := frames(start, end)):
            if float(np.mean(f > threshold)) >= options.loud_share:
                gaps.append((start, end))
    return gaps


async def fill_gaps(transcript: Transcript, flac: str | Path, engine: Engine, options: TranscribeOptions,
                    quality: QualityOptions = QualityOptions(), gap_options: GapOptions = GapOptions()) -> Transcript:
    """The transcript with the words found by transcribing each speech-like gap again (the
    gaps are sent concurrently; the engine bounds the requests in flight)."""
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

    answers = await asyncio.gather(*(recover(n, s, e) for n, (s, e) in enumerate(gaps)))
    answered = [span for span, found in zip(spans, answers) if found is not None]
    if not answered:
        return transcript
    added = [segment for found in answers if found for segment in found]
    segments = make_monotonic(sorted([*transcript.segments, *flag_segments(added, quality)], key=lambda s: s.start))
    # every answered request is counted (and billed), also those that found nothing to add
    return dataclasses.replace(transcript, segments=tuple(segments), text=spoken_text(segments, quality),
                               usage=charge(transcript.usage, answered, getattr(engine, "bills", False)),
                               quality=summarize(segments, transcript.duration))


def _confident(segment: Segment, options: GapOptions) -> bool:
    no_speech = segment.no_speech_prob if segment.no_speech_prob is not None else 0.0
    logprob = segment.avg_logprob if segment.avg_logprob is not None else 0.0
    return no_speech <= options.max_no_speech and logprob >= options.min_logprob
