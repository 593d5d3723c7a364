"""A live decode in a thread, its chunks handed to the event loop as they are decided.

:class:`LiveDecode` runs :func:`~stt_toolkit.run.file.decode_and_plan` with an ``emit`` that
waits until the uploader takes each chunk (one at a time: the uploader takes one only when
a slot is free, so a decode never runs ahead of the uploads by more than the chunks pending,
and memory stays flat). Stopping it (a chunk failed for good, or the run was cancelled) ends
the decode at its next chunk and kills ffmpeg.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable

import numpy as np

from ..audio.live import Emit, LiveAudio
from ..core.records import AudioInfo, Chunk

_POLL_SECONDS = 0.2


class Stopped(Exception):
    """The uploader stopped taking chunks: the decode ends."""


class LiveDecode:
    """One file's decode, planning and encoding, beside its uploads."""

    def __init__(self, decode: Callable[[Emit], LiveAudio],
                 slots: asyncio.Semaphore | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[Chunk, np.ndarray]] = asyncio.Queue(maxsize=1)
        self._stopped = threading.Event()
        self.task: asyncio.Future[LiveAudio] = asyncio.ensure_future(self._run(decode, slots))
        #: the audio sent, once written whole (chunks over the byte limit are split from it)
        self.sent: asyncio.Future[AudioInfo] = self._loop.create_future()
        self.task.add_done_callback(self._written)

    async def _run(self, decode: Callable[[Emit], LiveAudio], slots: asyncio.Semaphore | None) -> LiveAudio:
        async with slots or contextlib.nullcontext():
            return await asyncio.to_thread(decode, self._put)

    def _written(self, task: asyncio.Future[LiveAudio]) -> None:
        if self.sent.done():
            return
        if task.cancelled():
            self.sent.cancel()
        elif task.exception() is not None:
            self.sent.set_exception(task.exception())  # type: ignore[arg-type]
            self.sent.exception()  # retrieved: a run that never needs the file logs nothing
        else:
            self.sent.set_result(task.result().sent)

    def _put(self, chunk: Chunk, samples: np.ndarray) -> None:
        """From the decode thread: wait until the uploader takes the chunk."""
        handed = asyncio.run_coroutine_threadsafe(self._queue.put((chunk, samples)), self._loop)
        while True:
            try:
                handed.result(timeout=_POLL_SECONDS)
                return
            except concurrent.futures.TimeoutError:
                if self._stopped.is_set():
                    handed.cancel()
                    raise Stopped from None

    async def chunks(self) -> AsyncIterator[tuple[Chunk, np.ndarray]]:
        """The chunks in the order they are decided; raises the decode's error, if any, after
        the chunks it handed out before failing."""
        while True:
            taking = asyncio.ensure_future(self._queue.get())
            await asyncio.wait([taking, self.task], return_when=asyncio.FIRST_COMPLETED)
            if taking.done():
                yield taking.result()
                continue
            taking.cancel()
            while not self._queue.empty():
                yield self._queue.get_nowait()
            self.task.result()
            return

    async def stop(self) -> None:
        """End the decode (if it still runs) and wait for its thread."""
        self._stopped.set()
        await asyncio.gather(self.task, return_exceptions=True)
