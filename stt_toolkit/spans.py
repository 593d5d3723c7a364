"""Transcribing one stretch of a file again: shared by gap filling and flagged retries.

Both run after the merge, on the 16 kHz FLAC, and send a few short extra requests; this
module cuts the stretch out, shifts the answer to file time and counts what it cost.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

from . import errors
from .chunking import export_chunk
from .engines.base import MIN_BILLED_SECONDS, Engine, TranscribeOptions
from .transcript import Accounting
from .types import Chunk, Segment

log = logging.getLogger("stt_toolkit")

#: Chunk indices of extra requests start here, so they never collide with planned chunks.
EXTRA_CHUNK_INDEX = 10_000


async def try_transcribe_span(flac: str | Path, engine: Engine, options: TranscribeOptions, start: float,
                              end: float, sample_rate: int, number: int = 0) -> list[Segment] | None:
    """:func:`transcribe_span` for optional extra requests: ``None`` (and a warning) when it
    fails for good, so that a file keeps what it has; fatal errors (bad key, unknown model)
    are raised."""
    try:
        return await transcribe_span(flac, engine, options, start, end, sample_rate, number)
    except errors.FATAL:
        raise
    except errors.SttError as exc:
        log.warning("extra request for %.1f-%.1f s failed, keeping the first transcription: %s",
                    start, end, str(exc).splitlines()[0])
        return None


async def transcribe_span(flac: str | Path, engine: Engine, options: TranscribeOptions, start: float, end: float,
                          sample_rate: int, number: int = 0) -> list[Segment]:
    """Transcribe ``start``-``end`` seconds of ``flac``; segments and words in file time."""
    first, last = int(start * sample_rate), int(end * sample_rate)
    if last - first < sample_rate // 10:
        return []  # nothing a decoder could make sense of
    chunk = Chunk(EXTRA_CHUNK_INDEX + number, first, last, first, last, sample_rate)
    audio = await asyncio.to_thread(export_chunk, flac, chunk)
    result = await engine.transcribe(audio, options)
    return [dataclasses.replace(s, start=s.start + start, end=s.end + start,
                                words=tuple(dataclasses.replace(w, start=w.start + start, end=w.end + start)
                                            for w in s.words))
            for s in result.segments]


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


def charge(usage: Accounting, spans: Sequence[tuple[float, float]], engine: Engine,
           options: TranscribeOptions) -> Accounting:
    """``usage`` plus one request per span sent to ``engine`` (billed at least 10 s each, to
    the model for ``options.task``, when the engine bills)."""
    seconds = [end - start for start, end in spans]
    model = engine.model_for(options.task)
    billed = sum(max(MIN_BILLED_SECONDS, s) for s in seconds) if getattr(engine, "bills", False) else 0.0
    by_model = dict(usage.billed_by_model)
    if billed:
        by_model[model] = round(by_model.get(model, 0.0) + billed, 3)
    return dataclasses.replace(
        usage, requests=usage.requests + len(spans), audio_seconds=round(usage.audio_seconds + sum(seconds), 3),
        billed_seconds=round(usage.billed_seconds + billed, 3), billed_by_model=by_model)
