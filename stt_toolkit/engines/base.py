"""The engine interface shared by the HTTP API engines and the local engine."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, runtime_checkable

from ..core.billing import Usage
from ..core.options import Task, TranscribeOptions
from ..core.records import ChunkAudio, ChunkResult


@runtime_checkable
class Engine(Protocol):
    """Transcribes or translates one chunk at a time; safe to call concurrently.

    ``bills`` says whether the service bills each request (at least 10 s, see
    :mod:`stt_toolkit.core.billing`); ``usage`` is the running total of what this engine
    sent. An engine is an async context manager: ``async with`` closes it.
    """

    name: str
    bills: bool
    usage: Usage

    def model_for(self, task: Task) -> str:
        """The model this engine uses for ``task``."""
        ...

    def check(self, options: TranscribeOptions) -> None:
        """Raise :class:`~stt_toolkit.UnsupportedTask` before anything is sent."""
        ...

    async def transcribe(self, audio: ChunkAudio, options: TranscribeOptions) -> ChunkResult:
        """Transcribe (or translate) one chunk; times in the result are chunk-relative."""
        ...

    async def list_models(self) -> list[str]:
        """The models this engine can use."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...

    async def __aenter__(self) -> Engine:
        """The engine itself."""
        ...

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        """:meth:`aclose`."""
        ...


class ClosingEngine:
    """The async context manager part of :class:`Engine`, for engines to inherit."""

    async def aclose(self) -> None:
        """Release connections and threads (nothing, unless overridden)."""

    async def __aenter__(self) -> ClosingEngine:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()


def can_translate(model: str) -> bool:
    """Whether a Whisper model can translate: turbo, distil and English-only models cannot."""
    name = model.lower()
    return not ("turbo" in name or "distil" in name or name.endswith(".en") or "tiny.en" in name)
