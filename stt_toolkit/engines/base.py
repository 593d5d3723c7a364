"""The engine interface shared by the HTTP API engines and the local engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from ..types import ChunkAudio, ChunkResult

Task = Literal["transcribe", "translate"]
#: Every request is billed for at least this many seconds of audio.
MIN_BILLED_SECONDS = 10.0


@dataclass(frozen=True)
class TranscribeOptions:
    """What to ask of an engine for each chunk.

    ``language`` is an ISO-639-1 code (transcription only; ``None`` detects it).
    ``prompt`` guides style and spelling (at most 224 tokens). ``temperature`` 0 lets the
    engine raise it by itself when a decode looks poor (Whisper's fallback).
    """

    task: Task = "transcribe"
    language: str | None = None
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = True

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"task must be 'transcribe' or 'translate', not {self.task!r}")
        if not 0.0 <= self.temperature <= 1.0:
            raise ValueError("temperature must be between 0 and 1")


@dataclass
class Usage:
    """Running totals of what an engine did: requests, retries, audio sent and billed."""

    requests: int = 0
    retries: int = 0
    failed_requests: int = 0
    audio_seconds: float = 0.0
    billed_seconds: float = 0.0
    request_ids: list[str] = field(default_factory=list)

    def record_success(self, audio_seconds: float, request_id: str | None, billed: bool = True) -> None:
        """Count one answered chunk (billed at least :data:`MIN_BILLED_SECONDS` when ``billed``)."""
        self.audio_seconds += audio_seconds
        if billed:
            self.billed_seconds += max(MIN_BILLED_SECONDS, audio_seconds)
        if request_id:
            self.request_ids.append(request_id)


@runtime_checkable
class Engine(Protocol):
    """Transcribes or translates one chunk at a time; safe to call concurrently."""

    name: str
    usage: Usage

    def model_for(self, task: Task) -> str:
        """The model this engine uses for ``task``."""
        ...

    def check(self, options: TranscribeOptions) -> None:
        """Raise :class:`~stt_toolkit.errors.UnsupportedTask` before anything is sent."""
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


def can_translate(model: str) -> bool:
    """Whether a Whisper model can translate: turbo, distil and English-only models cannot."""
    name = model.lower()
    return not ("turbo" in name or "distil" in name or name.endswith(".en") or "tiny.en" in name)
