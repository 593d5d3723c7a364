"""The library's front door: ``transcribe``, ``translate``, ``transcribe_many`` and their
async twins. Every keyword is a field of :class:`~stt_toolkit.options.RunOptions` and a
flag of the CLI, with the same name and default."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .batch import FileOutcome, aprocess_files
from .ffmpeg import using_ffmpeg
from .files import find_media_files
from .options import RunOptions
from .pipeline import transcribe_audio
from .preprocess import AudioInput
from .transcript import Transcript

T = TypeVar("T")


async def atranscribe(audio: AudioInput, **options: Any) -> Transcript:
    """Transcribe one input (a path, bytes, a file object, an array, an AudioSegment)."""
    run = RunOptions.from_kwargs(**options)
    run.validate()
    with using_ffmpeg(run.ffmpeg):
        engine = run.make_engine()
        retry_engine = run.make_retry_engine()
        try:
            return await transcribe_audio(audio, engine, run.transcribe_options(), run.chunk_options(),
                                          run.quality_options(), strict=run.strict, fill_gaps=run.fill_gaps,
                                          retry=(retry_engine or engine) if run.retries else None,
                                          condition_on_previous=run.condition_on_previous)
        finally:
            await engine.aclose()
            if retry_engine is not None:
                await retry_engine.aclose()


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end, also from code that already runs an event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def transcribe(audio: AudioInput, **options: Any) -> Transcript:
    """Blocking :func:`atranscribe` (works inside Jupyter's running event loop too)."""
    return _run_sync(atranscribe(audio, **options))


async def atranslate(audio: AudioInput, **options: Any) -> Transcript:
    """Translate one input to English (``translate=True``)."""
    return await atranscribe(audio, **{**options, "translate": True})


def translate(audio: AudioInput, **options: Any) -> Transcript:
    """Blocking :func:`atranslate`."""
    return _run_sync(atranslate(audio, **options))


async def atranscribe_many(paths: Iterable[str | Path], **options: Any) -> AsyncIterator[FileOutcome]:
    """Transcribe files and folders (searched recursively), yielding each file's outcome as it
    finishes; all files share one engine and one concurrency budget. Nothing is written."""
    run = RunOptions.from_kwargs(**options)
    run.validate()
    async for outcome in aprocess_files(find_media_files(paths), None, (), run):
        yield outcome


def transcribe_many(paths: Iterable[str | Path], **options: Any) -> Iterator[FileOutcome]:
    """Blocking :func:`atranscribe_many`: a generator of outcomes as files finish."""
    items: queue.Queue[Any] = queue.Queue()
    end = object()

    def worker() -> None:
        async def main() -> None:
            async for outcome in atranscribe_many(list(paths), **options):
                items.put(outcome)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            items.put(exc)
        finally:
            items.put(end)

    threading.Thread(target=worker, daemon=True).start()
    while (item := items.get()) is not end:
        if isinstance(item, BaseException):
            raise item
        yield item
