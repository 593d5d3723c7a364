"""One set of options for a whole run, shared by the library facade and the CLI.

Every field is a keyword of :func:`stt_toolkit.transcribe` and a flag of
``stt-toolkit transcribe`` (``chunk_seconds`` is ``--chunk-seconds``), with the same default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from .chunking import DEFAULT_MAX_BYTES, ChunkOptions
from .cues import CueOptions
from .engines import ApiOptions, Engine, TranscribeOptions, create_engine
from .languages import LANGUAGES
from .quality import QualityOptions

#: Price per billed audio hour in US dollars (Groq, from the API facts); others count as 0.
PRICE_PER_HOUR = {"whisper-large-v3": 0.111, "whisper-large-v3-turbo": 0.04, "distil-whisper-large-v3-en": 0.02}


@dataclass(frozen=True)
class RunOptions:
    """Everything a transcription run can be told. See the README for each option."""

    engine: str = "auto"
    model: str | None = None
    language: str | None = None
    translate: bool = False
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = True
    concurrency: int = 4
    chunk_seconds: float = 600.0
    overlap_seconds: float = 10.0
    search_seconds: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    codec: str = "flac"
    rpm: float | None = None
    audio_seconds_per_hour: float | None = None
    max_attempts: int = 6
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    strict: bool = True
    fill_gaps: bool = True
    condition_on_previous: bool = False
    retry_flagged: bool = False
    retry_model: str | None = None
    keep_hallucinations: bool = False
    highlight_words: bool = False
    ffmpeg: str | None = None

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> RunOptions:
        """Build from keywords, naming any unknown one in a ``TypeError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(unknown)}")
        return cls(**kwargs)

    def transcribe_options(self) -> TranscribeOptions:
        """What each chunk request asks for."""
        return TranscribeOptions("translate" if self.translate else "transcribe", self.language, self.prompt,
                                 self.temperature, self.word_timestamps)

    def chunk_options(self) -> ChunkOptions:
        """How files are cut."""
        return ChunkOptions(self.chunk_seconds, self.overlap_seconds, self.search_seconds, self.max_bytes,
                            self.codec)  # type: ignore[arg-type]

    def api_options(self) -> ApiOptions:
        """How the HTTP client behaves."""
        return ApiOptions(concurrency=self.concurrency, max_attempts=self.max_attempts, rpm=self.rpm,
                          audio_seconds_per_hour=self.audio_seconds_per_hour)

    def quality_options(self) -> QualityOptions:
        """Flag thresholds (Whisper's defaults)."""
        return QualityOptions(drop_silence_hallucinations=not self.keep_hallucinations)

    def cue_options(self) -> CueOptions:
        """Subtitle layout."""
        return CueOptions(keep_silence_hallucinations=self.keep_hallucinations)

    def make_engine(self) -> Engine:
        """The engine these options name (``auto``: Groq with a key, else local)."""
        return create_engine(self.engine, model=self.model, api_key=self.api_key, base_url=self.base_url,
                             api_options=self.api_options())

    @property
    def retries(self) -> bool:
        """Whether flagged segments are retried (``retry_model`` implies it)."""
        return self.retry_flagged or self.retry_model is not None

    def make_retry_engine(self) -> Engine | None:
        """A second engine for retries when ``retry_model`` names another model, else ``None``
        (retries then go to the main engine)."""
        if self.retry_model is None:
            return None
        return create_engine(self.engine, model=self.retry_model, api_key=self.api_key, base_url=self.base_url,
                             api_options=self.api_options())

    def validate(self) -> None:
        """Raise ``ValueError`` for options that cannot work together."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{f.name} must be a number, not {value}")
        for name in ("rpm", "audio_seconds_per_hour"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive (leave it out for no limit)")
        self.transcribe_options()
        self.chunk_options()
        self.api_options()
        if self.engine not in ("auto", "groq", "openai", "local"):
            raise ValueError(f"unknown engine {self.engine!r}: choose auto, groq, openai or local")
        if self.language is not None and self.language not in LANGUAGES:
            raise ValueError(f"--language {self.language!r} is not a language Whisper knows: give an ISO-639-1 "
                             "code such as en, de, fr or ja")

