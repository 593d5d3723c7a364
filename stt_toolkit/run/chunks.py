"""Stage 3: one file's chunks through an engine, concurrently, losing none.

A chunk that comes out over the byte limit when exported, or that a server refuses with
413, is split in two at its quietest point near the middle and both halves are sent:
a file never fails for size.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Optional, Union

import numpy as np

from ..assemble.context import previous_text, with_context
from ..audio.encode import encode_chunk, export_chunk
from ..audio.energy import EnergyMeter, measure_energy
from ..audio.plan import split_chunk
from ..core.billing import Usage, answered, total
from ..core.errors import ChunkTooLarge, PayloadTooLarge
from ..core.options import ChunkOptions, TranscribeOptions
from ..core.records import SAMPLE_RATE, AudioInfo, Chunk, ChunkAudio, ChunkResult, EnergyProfile
from ..engines.base import Engine
from .cache import ChunkCache

log = logging.getLogger("stt_toolkit")


#: Chunks as a live decode hands them out, each with its 16 kHz int16 samples.
ChunkStream = AsyncIterator[tuple[Chunk, np.ndarray]]
Source = Union[str, "os.PathLike[str]", AudioInfo, "asyncio.Future[AudioInfo]"]


async def transcribe_chunks(
    flac: Source, chunks: Sequence[Chunk] | ChunkStream, engine: Engine,
    options: TranscribeOptions | None = None, chunk_options: ChunkOptions | None = None,
    max_pending: int = 16, cache: ChunkCache | None = None,
    on_chunk: Callable[[ChunkResult], None] | None = None, condition_on_previous: bool = False,
) -> list[ChunkResult]:
    """Export and transcribe ``chunks`` concurrently; results come back in time order.

    ``chunks`` is a plan, or a stream of chunks with their samples from a decode still running
    (:func:`stt_toolkit.audio.live.decode_live`); then ``flac`` may be a future of the file,
    needed only to split a chunk over the byte limit. The engine bounds the requests in
    flight; ``max_pending`` bounds the chunks exported but not yet answered (a stream is read
    only as fast as they are answered), so memory stays per chunk, not per file. With a
    ``cache``, a chunk answered before (same audio, same parameters) is not sent again, and
    each new answer is stored as soon as it arrives. ``on_chunk`` is called with every
    result. If any chunk fails for good, the others are cancelled and the error is raised.
    With ``condition_on_previous``, the chunks are sent one after another, each prompted with
    the text before it (:mod:`stt_toolkit.assemble.context`).
    """
    options = options or TranscribeOptions()
    chunk_options = chunk_options or ChunkOptions()
    engine.check(options)
    pending = asyncio.Semaphore(max_pending)
    done: list[ChunkResult] = []

    async def run(chunk: Chunk, samples: np.ndarray | None = None, held: bool = False) -> list[ChunkResult]:
        """Send one chunk (encoding its ``samples`` if given, else exported from the file),
        holding a pending slot (``held``: taken already) until it is answered."""
        if not held:
            await pending.acquire()
        owns = True
        try:
            if samples is None:
                audio = await asyncio.to_thread(export_chunk, await _ready(flac), chunk, chunk_options.codec,
                                                chunk_options.max_bytes)
            else:
                audio = await asyncio.to_thread(encode_chunk, chunk, samples, SAMPLE_RATE, chunk_options.codec,
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
            pending.release()  # hold no slot while the halves wait for theirs
            owns = False
            if samples is not None:  # a live decode's chunk: split it from its own samples
                profile = _energy(samples, chunk.start)
            else:
                profile = await asyncio.to_thread(measure_energy, await _ready(flac), chunk.start, chunk.end)
            halves = [(h, None if samples is None else samples[h.start - chunk.start:h.end - chunk.start])
                      for h in split_chunk(chunk, profile, chunk_options)]
        finally:
            if owns:
                pending.release()
        return await in_turn(halves) if condition_on_previous else await at_once(halves)

    async def at_once(group: Sequence[tuple[Chunk, np.ndarray | None]]) -> list[ChunkResult]:
        return [r for part in await asyncio.gather(*(run(c, s) for c, s in group)) for r in part]

    async def in_turn(group: Sequence[tuple[Chunk, np.ndarray | None]]) -> list[ChunkResult]:
        return [r for c, s in group for r in await run(c, s)]

    if not isinstance(chunks, Sequence):
        nested = await _from_stream(chunks, run, pending, condition_on_previous)
    elif condition_on_previous:
        nested = [await in_turn([(c, None) for c in sorted(chunks, key=lambda c: c.start)])]
    else:
        nested = await _all_of([asyncio.ensure_future(run(c)) for c in chunks])
    return sorted((r for group in nested for r in group), key=lambda r: (r.chunk.start, r.chunk.end))


Run = Callable[[Chunk, Optional[np.ndarray], bool], Awaitable[list[ChunkResult]]]


async def _from_stream(stream: ChunkStream, run: Run, pending: asyncio.Semaphore,
                       in_turn: bool) -> list[list[ChunkResult]]:
    """Run every chunk of ``stream`` as it comes, taking the next only when a slot is free;
    the first failure stops the rest and is raised."""
    tasks: list[asyncio.Future[list[ChunkResult]]] = []
    failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def watch(task: asyncio.Future[list[ChunkResult]]) -> None:
        if not task.cancelled() and task.exception() is not None and not failed.done():
            failed.set_exception(task.exception())  # type: ignore[arg-type]
            failed.exception()  # retrieved: it is raised by whoever awaits it first

    async def pull() -> None:
        while True:
            await pending.acquire()
            item = await anext(stream, None)
            if item is None:
                pending.release()
                return
            task = asyncio.ensure_future(run(item[0], item[1], True))
            task.add_done_callback(watch)
            tasks.append(task)
            if in_turn:
                await asyncio.wait([task])

    puller = asyncio.ensure_future(pull())
    puller.add_done_callback(watch)  # type: ignore[arg-type]
    try:
        await asyncio.wait([puller, failed], return_when=asyncio.FIRST_COMPLETED)
        if failed.done():
            failed.result()
        return await _all_of(tasks)
    finally:
        if not failed.done():
            failed.cancel()
        for task in (puller, *tasks):
            task.cancel()
        await asyncio.gather(puller, *tasks, return_exceptions=True)


async def _all_of(tasks: list[asyncio.Future[list[ChunkResult]]]) -> list[list[ChunkResult]]:
    """Every task's result; on the first failure the others are cancelled and it is raised."""
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _energy(samples: np.ndarray, start: int) -> EnergyProfile:
    """The energy curve of a chunk's int16 ``samples`` (from sample ``start``), as
    :func:`measure_energy` reads it from the file."""
    meter = EnergyMeter(SAMPLE_RATE, offset=start)
    meter.feed(samples.astype(np.float32) / 32768.0)
    return meter.profile(final=True)


async def _ready(flac: Source) -> str | os.PathLike[str] | AudioInfo:
    """The file chunks are exported from, once it is written."""
    return await flac if isinstance(flac, asyncio.Future) else flac


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


def chunks_usage(results: Sequence[ChunkResult], bills: bool) -> Usage:
    """What a file's chunk results cost: audio sent, seconds billed, requests and retries
    (results from the resume cache, ``attempts`` 0, cost nothing now)."""
    return total(answered(r.model, r.chunk.duration, bills, r.attempts, r.abandoned) for r in results)
