"""Wiring the stages: one file's chunks through an engine, concurrently, losing none.

A chunk that comes out over the byte limit when exported, or that a server refuses with
413, is split in two at its quietest point near the middle and both halves are sent:
a file never fails for size.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .cache import ChunkCache
from .chunking import (
    ChunkOptions,
    export_chunk,
    measure_energy,
    plan_chunks,
    split_chunk,
)
from .context import previous_text, with_context
from .engines.base import MIN_BILLED_SECONDS, Engine, TranscribeOptions
from .errors import ChunkTooLarge, PayloadTooLarge
from .gaps import fill_gaps as fill_speech_gaps
from .gaps import mark_unheard
from .merge import merge
from .preprocess import AudioInput, preprocess
from .quality import QualityOptions
from .retry import retry_flagged
from .transcript import Accounting, Transcript
from .types import AudioInfo, Chunk, ChunkAudio, ChunkResult

log = logging.getLogger("stt_toolkit")


async def transcribe_chunks(
    flac: str | os.PathLike[str] | AudioInfo, chunks: Sequence[Chunk], engine: Engine,
    options: TranscribeOptions | None = None, chunk_options: ChunkOptions | None = None,
    max_pending: int = 16, cache: ChunkCache | None = None,
    on_chunk: Callable[[ChunkResult], None] | None = None, condition_on_previous: bool = False,
) -> list[ChunkResult]:
    """Export and transcribe ``chunks`` concurrently; results come back in time order.

    The engine bounds the requests in flight; ``max_pending`` bounds the chunks exported
    but not yet answered, so memory stays per chunk, not per file. With a ``cache``, a chunk
    answered before (same audio, same parameters) is not sent again, and each new answer is
    stored as soon as it arrives. ``on_chunk`` is called with every result. If any chunk
    fails for good, the others are cancelled and the error is raised. With
    ``condition_on_previous``, the chunks are sent one after another, each prompted with the
    text before it (:mod:`stt_toolkit.context`).
    """
    options = options or TranscribeOptions()
    chunk_options = chunk_options or ChunkOptions()
    engine.check(options)
    pending = asyncio.Semaphore(max_pending)
    done: list[ChunkResult] = []

    async def run(chunk: Chunk) -> list[ChunkResult]:
        async with pending:
            try:
                audio = await asyncio.to_thread(export_chunk, flac, chunk, chunk_options.codec,
                                                chunk_options.max_bytes)
                asked = options
                if condition_on_previous:
                    asked = with_context(options, previous_text(done, chunk.start_seconds))
                result = await _answer(engine, audio, asked, cache)
                done.append(result)
                if on_chunk:
                    on_chunk(result)
                return [result]
            except (ChunkTooLarge, PayloadTooLarge) as exc:
                log.info("chunk %s is too large (%s): splitting it", chunk.name, exc)
                profile = await asyncio.to_thread(measure_energy, flac, chunk.start, chunk.end)
                halves = split_chunk(chunk, profile, chunk_options)
        return await in_turn(halves) if condition_on_previous else await at_once(halves)

    async def at_once(group: Sequence[Chunk]) -> list[ChunkResult]:
        return [r for part in await asyncio.gather(*(run(c) for c in group)) for r in part]

    async def in_turn(group: Sequence[Chunk]) -> list[ChunkResult]:
        return [r for c in group for r in await run(c)]

    if condition_on_previous:
        return await in_turn(sorted(chunks, key=lambda c: c.start))
    tasks = [asyncio.ensure_future(run(c)) for c in chunks]
    try:
        nested = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return sorted((r for group in nested for r in group), key=lambda r: (r.chunk.start, r.chunk.end))


async def _answer(engine: Engine, audio: ChunkAudio, options: TranscribeOptions,
                  cache: ChunkCache | None) -> ChunkResult:
    """The chunk's result from the cache, or from the engine (and then stored)."""
    key = cache.key(audio, engine.name, engine.model_for(options.task), options) if cache else None
    result = cache.get(key, audio.chunk) if cache and key else None
    if result is not None:
        return dataclasses.replace(result, attempts=0)  # from the cache: nothing sent or billed now
    result = await engine.transcribe(audio, options)
    if cache and key:
        # shielded: a chunk answered (and paid for) is stored even when another chunk's
        # failure cancels this task, or a rerun would pay for it again
        await asyncio.shield(asyncio.to_thread(cache.put, key, result))
    return result


def accounting(results: Sequence[ChunkResult], billed: bool) -> Accounting:
    """What a file's chunk results cost: audio sent, seconds billed, requests and retries."""
    sent = [r for r in results if r.attempts > 0]  # results from the resume cache cost nothing now
    seconds = [r.chunk.duration for r in sent]
    by_model: dict[str, float] = {}
    if billed:
        for r in sent:
            by_model[r.model] = round(by_model.get(r.model, 0.0) + max(MIN_BILLED_SECONDS, r.chunk.duration), 3)
    return Accounting(
        audio_seconds=round(sum(seconds), 3),
        billed_seconds=round(sum(by_model.values()), 3),
        requests=sum(r.attempts for r in results), retries=sum(r.attempts - 1 for r in sent),
        billed_by_model=by_model,
    )


async def transcribe_audio(
    audio: AudioInput, engine: Engine, options: TranscribeOptions | None = None,
    chunk_options: ChunkOptions | None = None, quality: QualityOptions | None = None,
    strict: bool = True, name: str | None = None, fill_gaps: bool = True, retry: Engine | None = None,
    condition_on_previous: bool = False,
) -> Transcript:
    """Preprocess, plan, transcribe and merge one input into a :class:`Transcript`; with
    ``fill_gaps``, stretches of speech no chunk transcribed are transcribed again
    (:mod:`stt_toolkit.gaps`); with a ``retry`` engine (often ``engine`` itself), flagged
    segments are sent to it again (:mod:`stt_toolkit.retry`); with ``condition_on_previous``,
    each chunk is prompted with the text before it (:mod:`stt_toolkit.context`). The 16 kHz FLAC lives in a
    temporary folder during the call.
    """
    options = options or TranscribeOptions()
    chunk_options = chunk_options or ChunkOptions()
    engine.check(options)
    with tempfile.TemporaryDirectory(prefix="stt-") as tmp:
        info = await asyncio.to_thread(preprocess, audio, Path(tmp) / "audio.flac", strict=strict, name=name)
        chunks = await asyncio.to_thread(plan_chunks, info, chunk_options)
        results = await transcribe_chunks(info, chunks, engine, options, chunk_options,
                                          condition_on_previous=condition_on_previous)
        return await merge_results(results, info, engine, options, quality or QualityOptions(), fill_gaps, retry)


async def merge_results(results: Sequence[ChunkResult], info: AudioInfo, engine: Engine, options: TranscribeOptions,
                        quality: QualityOptions, fill_gaps: bool, retry: Engine | None = None) -> Transcript:
    """Merge a file's chunk results, then (with ``fill_gaps``) recover skipped speech and
    (with a ``retry`` engine) retry flagged segments; speech left without words is noted in
    ``quality.unheard_speech``."""
    profile = await asyncio.to_thread(measure_energy, info.path)  # one pass, for gap filling and the net
    transcript = merge(results, info.duration, accounting(results, getattr(engine, "bills", False)), quality)
    if fill_gaps:
        transcript = await fill_speech_gaps(transcript, info.path, engine, options, quality, profile=profile)
    if retry is not None:
        transcript = await retry_flagged(transcript, info.path, retry, options, quality)
    return mark_unheard(transcript, profile)
