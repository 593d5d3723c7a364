"""Requests in flight (for :mod:`stt_toolkit.engines.api`): a copy of a request with its
upload, its deadline and what came of it, and what one request and its hedge came to."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx


class Upload(io.BytesIO):
    """A request's audio, noting when the client has read it to the end (the upload is handed
    to the socket: from then on the server has it all)."""

    sent_at: float | None = None

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if not data and self.sent_at is None:
            self.sent_at = time.monotonic()
        return data


class GivenUp(Exception):
    """A request given up on at a deadline (``learnt``: the learnt one) or at a read timeout."""

    def __init__(self, message: str, learnt: bool) -> None:
        super().__init__(message)
        self.learnt = learnt


@dataclass
class Copy:
    """One copy of a request in flight: its task, its upload, when it started, its overall deadline."""

    task: asyncio.Future[tuple[httpx.Response, bool]]
    upload: Upload
    started: float
    cap: float

    def outcome(self) -> tuple[httpx.Response, bool] | httpx.TransportError | GivenUp:
        """The finished copy's answer (the response, read whole or not) or why there is none."""
        try:
            return self.task.result()
        except httpx.TimeoutException as exc:
            return GivenUp(f"no answer in time ({type(exc).__name__})", False)
        except httpx.TransportError as exc:
            return exc

    def wait(self) -> float | None:
        """Seconds from the end of the upload until now (None before the upload ends)."""
        return None if self.upload.sent_at is None else time.monotonic() - self.upload.sent_at


@dataclass
class Raced:
    """What came of one request and its hedge: the winning copy's outcome (see
    :meth:`Copy.outcome`), its wait after the upload, the copies given up on after they were
    sent, whether one was cut at the learnt deadline, and whether a hedge was sent."""

    outcome: Any
    wait: float | None = None
    abandoned: int = 0
    stalled: bool = False
    hedges: int = 0


class Tried(NamedTuple):
    """What one request came to: the 200 response or an error, the wait before the next try,
    the seconds waited after the upload, the copies given up on after they were sent
    (``abandoned``), whether one was cut at the learnt deadline (``stalled``), and the hedges sent."""

    outcome: Any
    delay: float
    wait: float | None = None
    abandoned: int = 0
    stalled: bool = False
    hedges: int = 0


async def cancel(task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` if it still runs and wait until it has ended (its connection closed)."""
    if not task.done():
        task.cancel()
        await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: an error after a give-up is not reported as unhandled
