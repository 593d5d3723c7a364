"""The repairs after the merge, which send a few short extra requests: speech no chunk
transcribed (gap filling) and, opt-in, flagged segments (retries). What to send and what
to keep is decided in :mod:`stt_toolkit.assemble.gaps` and :mod:`stt_toolkit.assemble.retry`;
this module cuts each stretch out of the 16 kHz FLAC, sends it, shifts the answer to file
time and counts what it cost. A failed extra request keeps what the file has.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ..assemble import gaps, retry
from ..assemble.splice import Span
from ..assemble.timeline import TimeMap
from ..audio.encode import export_chunk
from ..audio.energy import measure_energy, sample_rate
from ..core import errors
from ..core.billing import Usage, answered, total
from ..core.options import QualityOptions, TranscribeOptions
from ..core.records import Chunk, EnergyProfile, Segment
from ..core.transcript import Transcript
from ..engines.base import Engine

log = logging.getLogger("stt_toolkit")

#: Chunk indices of extra requests start here, so they never collide with planned chunks.
EXTRA_CHUNK_INDEX = 10_000
_RETRY_NUMBERS = 1_000  # retries are numbered after the gap requests


class Answer(NamedTuple):
    """An extra request's segments (in file time), the requests it took, and how many of them
    were given up on after they were sent (possibly billed)."""

    segments: list[Segment]
    attempts: int = 1
    abandoned: int = 0


#: A stretch sent (start, end seconds) and the :class:`Answer` that came back.
Sent = tuple[tuple[float, float], Answer]


async def transcribe_span(flac: str | Path, engine: Engine, options: TranscribeOptions, start: float, end: float,
                          sample_rate: int, number: int = 0) -> Answer:
    """Transcribe ``start``-``end`` seconds of ``flac``; segments and words in file time."""
    first, last = int(start * sample_rate), int(end * sample_rate)
    if last - first < sample_rate // 10:
        return Answer([], 0)  # nothing a decoder could make sense of: nothing sent
    chunk = Chunk(EXTRA_CHUNK_INDEX + number, first, last, first, last, sample_rate)
    audio = await asyncio.to_thread(export_chunk, flac, chunk)
    result = await engine.transcribe(audio, options)
    time_map = TimeMap(start)
    return Answer([time_map.segment(s) for s in result.segments], result.attempts, result.abandoned)


async def try_transcribe_span(flac: str | Path, engine: Engine, options: TranscribeOptions, start: float,
                              end: float, sample_rate: int, number: int = 0) -> Answer | None:
    """:func:`transcribe_span` for optional extra requests: ``None`` (and a warning) when it
    fails for good, so that a file keeps what it has; fatal errors (bad key, unknown model)
    are raised."""
    try:
        return await transcribe_span(flac, engine, options, start, end, sample_rate, number)
    except errors.FATAL:
        raise
    except errors.SttError as exc:
        log.warning("extra request for %.1f-%.1f s failed, keeping the first transcription: %s",
                    start, end, exc.summary)
        return None


def charged(usage: Usage, sent: Sequence[Sent], engine: Engine, options: TranscribeOptions) -> Usage:
    """``usage`` plus one answered request per stretch ``sent`` to ``engine`` (with its retries,
    and the requests given up on after they were sent, possibly billed)."""
    model = engine.model_for(options.task)
    return total([usage, *(answered(model, end - start, engine.bills, answer.attempts, answer.abandoned)
                           for (start, end), answer in sent)])


async def fill_gaps(transcript: Transcript, flac: str | Path, engine: Engine, options: TranscribeOptions,
                    quality: QualityOptions = QualityOptions(), gap_options: gaps.GapOptions = gaps.GapOptions(),
                    profile: EnergyProfile | None = None,
                    speech: Sequence[tuple[float, float]] | None = None) -> Transcript:
    """The transcript with the words found by transcribing each speech-like gap again, and
    each segment with a stretched word redone (sent concurrently; the engine bounds the
    requests in flight). ``profile`` is the file's energy curve, measured here if not given;
    ``speech``, the voice-activity map's stretches of speech, if there is one."""
    if profile is None:
        profile = await asyncio.to_thread(measure_energy, flac)
    rate = profile.sample_rate
    found_gaps = gaps.find_speech_gaps(transcript.words, profile, transcript.duration, gap_options, speech)
    stretched = gaps.find_stretched(transcript.segments, profile, gap_options)

    async def recover(number: int, gap: tuple[float, float]) -> tuple[Sent, list[Segment]] | None:
        sent = gaps.padded(gap, transcript.duration, gap_options)
        answer = await try_transcribe_span(flac, engine, options, *sent, rate, number)
        return None if answer is None else ((sent, answer), gaps.found_in_gap(answer.segments, gap, gap_options))

    async def redo(number: int, span: Span) -> tuple[Sent, Span, list[Segment] | None] | None:
        sent = gaps.redo_window(span, transcript.duration, gap_options)
        answer = await try_transcribe_span(flac, engine, options, *sent, rate, len(found_gaps) + number)
        return None if answer is None else ((sent, answer), span,
                                            gaps.redone(answer.segments, span, transcript.segments, gap_options))

    recovered, redone = await asyncio.gather(
        asyncio.gather(*(recover(n, g) for n, g in enumerate(found_gaps))),
        asyncio.gather(*(redo(n, s) for n, s in enumerate(stretched))))
    found = [r for r in recovered if r is not None]
    remade = [r for r in redone if r is not None]
    if not found and not remade:
        return transcript
    added = [segment for _, segments in found for segment in segments]
    replaced = [(span, new) for _, span, new in remade if new is not None]
    repaired = gaps.with_found(transcript, added, replaced, quality)
    # every answered request is counted (and billed), also those that found nothing to add
    sent = [s for s, _ in found] + [s for s, _, _ in remade]
    return dataclasses.replace(repaired, usage=charged(transcript.usage, sent, engine, options))


async def retry_flagged(transcript: Transcript, flac: str | Path, engine: Engine, options: TranscribeOptions,
                        quality: QualityOptions = QualityOptions(),
                        retry_options: retry.RetryOptions = retry.RetryOptions()) -> Transcript:
    """The transcript with each run of flagged segments replaced by a retry that scored better.

    The retries are sent concurrently (the engine bounds the requests in flight); each is
    prompted with the text before it as first transcribed.
    """
    segments = transcript.segments
    spans = retry.find_retry_spans(segments, transcript.duration, retry_options)
    if not spans:
        return transcript
    rate = await asyncio.to_thread(sample_rate, flac)

    async def attempt(number: int, span: Span) -> tuple[Span, Answer, list[Segment] | None] | None:
        """``None`` if the request failed; else the span, the answer and its replacement (``None``: keep)."""
        prompt = retry.retry_prompt(options.prompt, segments[:span.first], retry_options.context_chars)
        sent = retry.sent_window(span, transcript.duration, retry_options)
        answer = await try_transcribe_span(flac, engine, dataclasses.replace(options, prompt=prompt), *sent, rate,
                                           _RETRY_NUMBERS + number)
        return None if answer is None else (span, answer, retry.replacement(answer.segments, span, segments,
                                                                            quality))

    tried = [r for r in await asyncio.gather(*(attempt(n, s) for n, s in enumerate(spans))) if r]
    repaired = retry.with_replacements(transcript, [(span, new) for span, _, new in tried if new is not None])
    sent = [(retry.sent_window(span, transcript.duration, retry_options), answer) for span, answer, _ in tried]
    return dataclasses.replace(repaired, usage=charged(transcript.usage, sent, engine, options))
