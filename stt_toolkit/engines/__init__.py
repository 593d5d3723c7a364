"""Transcription engines: ``groq``, ``openai`` (any OpenAI-compatible server) and ``local``.

The only code that speaks HTTP (:mod:`.api`) or runs a model (:mod:`.local`). Imports
:mod:`stt_toolkit.core`, and :mod:`stt_toolkit.audio` to decode a chunk's bytes."""

from __future__ import annotations

import logging
import os

from ..core.errors import UsageError
from ..core.options import ENGINE_NAMES, ApiOptions, RunOptions
from .api import GROQ, OPENAI, ApiEngine, Provider
from .base import Engine, can_translate
from .local import LocalEngine
from .speakers import Diarizer, SenkoDiarizer

log = logging.getLogger("stt_toolkit")

__all__ = ["GROQ", "OPENAI", "ApiEngine", "Diarizer", "Engine", "LocalEngine", "Provider", "SenkoDiarizer",
           "can_translate", "create_engine", "diarizer_for", "engine_for"]


def create_engine(engine: str = "auto", *, model: str | None = None, api_key: str | None = None,
                  base_url: str | None = None, api_options: ApiOptions | None = None) -> Engine:
    """Build an engine by name.

    ``auto`` picks ``groq`` when ``GROQ_API_KEY`` is set (or ``api_key`` is given), else
    ``local``, and logs which it chose. ``model`` is a model id for the HTTP engines and a
    CTranslate2 directory or faster-whisper model name for ``local``.
    """
    if engine == "auto":
        engine = "groq" if (api_key or os.environ.get("GROQ_API_KEY")) else "local"
        log.info("engine: %s (%s)", engine,
                 "GROQ_API_KEY is set" if engine == "groq" else "no GROQ_API_KEY: offline engine")
    if engine == "local":
        return LocalEngine(model)
    if engine in ("groq", "openai"):
        provider = GROQ if engine == "groq" else OPENAI
        return ApiEngine(provider, api_key=api_key, base_url=base_url, model=model, options=api_options)
    raise UsageError(f"unknown engine {engine!r}: choose {', '.join(ENGINE_NAMES[:-1])} or {ENGINE_NAMES[-1]}")


def engine_for(options: RunOptions, model: str | None = None) -> Engine:
    """The engine ``options`` name (``auto``: Groq with a key, else local), with ``model``
    instead of ``options.model`` when given (the retry model)."""
    return create_engine(options.engine, model=model or options.model, api_key=options.api_key,
                         base_url=options.base_url, api_options=options.api_options())


def diarizer_for(options: RunOptions, beside: Engine | None = None) -> Diarizer | None:
    """The diarizer for ``options`` (senko), or None when they label no speakers. Raises
    :class:`~stt_toolkit.MissingDependency`, naming the extra, when senko is not installed.
    Beside the local engine, which keeps every core busy, it takes one thread (on two cores
    that made the run with speakers faster than sharing both: BENCHMARKS.md); else all."""
    if not options.labels_speakers:
        return None
    diarizer = SenkoDiarizer(threads=1 if isinstance(beside, LocalEngine) else None)
    diarizer.check()
    return diarizer
