"""Transcription engines: ``groq``, ``openai`` (any OpenAI-compatible server) and ``local``."""

from __future__ import annotations

import logging
import os

from .api import GROQ, OPENAI, ApiEngine, ApiOptions, Provider
from .base import Engine, TranscribeOptions, Usage, can_translate
from .local import LocalEngine

log = logging.getLogger("stt_toolkit")

__all__ = ["GROQ", "OPENAI", "ApiEngine", "ApiOptions", "Engine", "LocalEngine", "Provider",
           "TranscribeOptions", "Usage", "can_translate", "create_engine"]


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
    raise ValueError(f"unknown engine {engine!r}: choose auto, groq, openai or local")
