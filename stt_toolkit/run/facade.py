"""The library's front door: ``transcribe``, ``translate``, ``transcribe_many`` and their
async twins. Every keyword is a field of :class:`~stt_toolkit.RunOptions` and a flag of
the CLI, with the same name and default."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..audio.decode import AudioInput
from ..audio.ffmpeg import using_ffmpeg
from ..core.errors import AudioFileNotFound
from ..core.options import RunOptions
from ..core.transcript import Transcript
from ..engines import engine_for
from .batch import FileOutcome, aprocess_files
from .file import transcribe_audio
from .inputs import InputFile, find_media_files, name_outputs

T = TypeVar("T")


async def atranscribe(audio: AudioInput, **options: Any) -> Transcript:
    """Transcribe one input (a path, bytes, a file object, an array, an AudioSegment)."""
    run = RunOptions.from_kwargs(**options)
    run.validate()
    with using_ffmpeg(run.ffmpeg):
        async with contextlib.AsyncExitStack() as stack:
            engine = await stack.enter_async_context(engine_for(run))
            retry_engine = (await stack.enter_async_context(engine_for(run, run.retry_model))
                            if run.retry_model is not None else None)
            return await transcribe_audio(audio, engine, run, retry_engine=retry_engine)


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


async def atranscribe_many(paths: str | Path | Iterable[str | Path], **options: Any) -> AsyncIterator[FileOutcome]:
    """Transcribe files and folders (searched recursively), yielding each file's outcome as it
    finishes; all files share one engine and one concurrency budget. Nothing is written. A
    path that does not exist is one failed outcome; the other paths go on."""
    run = RunOptions.from_kwargs(**options)
    run.validate()
    files, missing = [], []
    for raw in [paths] if isinstance(paths, (str, Path)) else list(paths):
        try:
            files += find_media_files([raw])
        except AudioFileNotFound as exc:
            missing.append(FileOutcome(InputFile(Path(raw), Path(Path(raw).name)), "failed", error=exc))
    for outcome in missing:
        yield outcome
    async for outcome in aprocess_files(name_outputs(files), None, (), run):
        yield outcome


def transcribe_many(paths: str | Path | Iterable[str | Path], **options: Any) -> Iterator[FileOutcome]:
    """Blocking :func:`atranscribe_many`: a generator of outcomes as files finish. Closing it
    early (``break`` out of the loop) stops the run: nothing more is sent."""
    items: queue.Queue[Any] = queue.Queue()
    end = object()
    started: queue.Queue[tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = queue.Queue()

    def worker() -> None:
        async def main() -> None:
            async for outcome in atranscribe_many(paths, **options):
                items.put(outcome)

        async def watched() -> None:
            task = asyncio.ensure_future(main())
            started.put((asyncio.get_running_loop(), task))
            await task

        try:
            asyncio.run(watched())
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            items.put(exc)
        finally:
            items.put(end)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    finished = False
    try:
        while (item := items.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
        finished = True
    finally:
        if not finished and thread.is_alive():  # the caller stopped early: cancel the run
            with contextlib.suppress(queue.Empty, RuntimeError):  # RuntimeError: the loop has closed
                loop, task = started.get(timeout=5)
                loop.call_soon_threadsafe(task.cancel)
            thread.join()
