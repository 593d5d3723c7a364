"""Many files in one run: one engine and one concurrency budget shared by every file,
outputs mirroring the input tree, resume after a crash, one bad file never stopping the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from ..audio.ffmpeg import using_ffmpeg
from ..core import errors
from ..core.billing import PRICE_PER_HOUR
from ..core.options import RunOptions
from ..core.records import AudioInfo, Chunk, ChunkResult
from ..core.transcript import Transcript
from ..engines import Diarizer, Engine, diarizer_for, engine_for
from ..output.writers import write_outputs
from .cache import ChunkCache
from .file import FileHooks, transcribe_audio
from .inputs import InputFile
from .lock import output_lock, sweep_stale_temp
from .manifest import OutputManifest, RunInputs, refusal

CACHE_FOLDER = ".stt-cache"
log = logging.getLogger("stt_toolkit")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input: ``done`` (with its transcript), ``skipped`` (its outputs
    existed) or ``failed`` (with the ``error``: an :class:`~stt_toolkit.SttError`, or
    any other exception for a bug). ``stopped`` says the file never ran because a fatal
    error (``error``) stopped the run."""

    input: InputFile
    status: Literal["done", "skipped", "failed"]
    transcript: Transcript | None = None
    error: BaseException | None = None
    outputs: tuple[Path, ...] = ()
    stopped: bool = False

    @property
    def reason(self) -> str | None:
        """Why the file failed, in one line (``None`` unless it failed)."""
        if self.error is None:
            return None
        if self.stopped:
            return f"run stopped: {self.error}"
        if isinstance(self.error, errors.SttError):
            return self.error.summary
        return f"internal error: {self.error!r}"


@dataclass(frozen=True)
class BatchSummary:
    """The whole run: every outcome, and why it stopped early if it did."""

    outcomes: tuple[FileOutcome, ...]
    model: str
    stopped: BaseException | None = None

    def count(self, status: str) -> int:
        """How many files ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def audio_seconds(self) -> float:
        """Audio transcribed in this run."""
        return sum(o.transcript.duration for o in self.outcomes if o.transcript)

    @property
    def speech_seconds(self) -> float | None:
        """Seconds of that audio the voice-activity map calls speech (None without the map)."""
        known = [o.transcript.speech_seconds for o in self.outcomes
                 if o.transcript and o.transcript.speech_seconds is not None]
        return sum(known) if known else None

    @property
    def skipped_seconds(self) -> float:
        """Seconds of non-speech left out of the audio sent."""
        return sum(b - a for o in self.outcomes if o.transcript for a, b in o.transcript.skipped)

    @property
    def billed_seconds(self) -> float:
        """Seconds billed in this run (10 s minimum per request; 0 for the local engine)."""
        return sum(o.transcript.usage.billed_seconds for o in self.outcomes if o.transcript)

    @property
    def cost(self) -> float:
        """Estimated cost in US dollars (each model's seconds at its price)."""
        return sum(o.transcript.usage.cost(PRICE_PER_HOUR, self.model) for o in self.outcomes if o.transcript)

    @property
    def possibly_billed(self) -> tuple[int, float]:
        """Requests given up on after they were sent (stalls cut at a deadline), which the
        server may bill all the same, and the seconds they would be billed for."""
        usages = [o.transcript.usage for o in self.outcomes if o.transcript]
        return sum(u.abandoned_requests for u in usages), sum(u.possibly_billed_seconds for u in usages)

    @property
    def billed_by_model(self) -> dict[str, float]:
        """Seconds billed in this run, by model."""
        totals: dict[str, float] = {}
        for outcome in self.outcomes:
            if outcome.transcript:
                for model, seconds in outcome.transcript.usage.seconds_by_model(self.model).items():
                    totals[model] = totals.get(model, 0.0) + seconds
        return totals

    @property
    def flagged_segments(self) -> int:
        """Segments whose flags doubt the recognition (``QualitySummary.flagged_segments``)."""
        return sum(o.transcript.quality.flagged_segments for o in self.outcomes if o.transcript)

    @property
    def unheard_speech(self) -> list[tuple[InputFile, float, float]]:
        """Every stretch of speech-like audio left without words, with its file."""
        return [(o.input, a, b) for o in self.outcomes if o.transcript for a, b in o.transcript.quality.unheard_speech]


class Reporter(Protocol):
    """Receives progress: file durations as they become known, chunks as they finish."""

    def file_started(self, item: InputFile, duration: float) -> None:
        """A file was decoded: its duration is now known."""

    def chunk_done(self, item: InputFile, seconds: float) -> None:
        """A chunk covering ``seconds`` of the file was transcribed (or found in the cache)."""

    def file_finished(self, outcome: FileOutcome) -> None:
        """A file is done, skipped or failed."""


def _cannot_write(exc: OSError, where: Path) -> errors.OutputError:
    """A failed write as an error naming the file if the error names one, else the folder
    written to (a full disk's error names none)."""
    return errors.OutputError(f"cannot write {exc.filename or where}: {exc.strerror or exc}")


def output_paths(item: InputFile, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """``<out_dir>/<output stem>.<format>`` for each format (see :func:`~stt_toolkit.run.inputs.name_outputs`)."""
    stem = out_dir / item.output_stem
    return [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]


def cache_for(item: InputFile, out_dir: Path) -> ChunkCache:
    """The resume cache of one input, under ``<out_dir>/.stt-cache``."""
    digest = hashlib.sha256(str(item.path.resolve()).encode()).hexdigest()[:20]
    return ChunkCache(out_dir / CACHE_FOLDER / digest)


class _Run:
    """The shared state of one batch run."""

    def __init__(self, engine: Engine, options: RunOptions, out_dir: Path | None, formats: Sequence[str],
                 overwrite: bool, reporter: Reporter | None, inputs: Sequence[InputFile] = (),
                 diarizer: Diarizer | None = None) -> None:
        self.engine, self.options, self.out_dir = engine, options, out_dir
        self.manifest = OutputManifest(out_dir) if out_dir is not None else None
        self.inputs = RunInputs(i.path for i in inputs)
        self.formats, self.overwrite, self.reporter = list(formats), overwrite, reporter
        # twice the request budget: the next files decode while earlier ones wait for answers
        self.file_slots = asyncio.Semaphore(max(2, 2 * options.concurrency))
        self.decode_slots = asyncio.Semaphore(2)
        self.retry_engine = engine_for(options, options.retry_model) if options.retry_model is not None else None
        self.diarizer = diarizer  # one speaker model for every file of the run

    async def one(self, item: InputFile) -> FileOutcome:
        targets = output_paths(item, self.out_dir, self.formats) if self.out_dir else []
        if targets and not self.overwrite and all(t.exists() for t in targets):
            return FileOutcome(item, "skipped", outputs=tuple(targets))
        if self.manifest is not None and (refused := refusal(targets, self.inputs, self.manifest, self.overwrite)):
            return FileOutcome(item, "failed", error=refused)
        # a finished output is kept as it is (unless overwrite): a run asked for one more format writes that one
        formats = [f for f, t in zip(self.formats, targets) if self.overwrite or not t.exists()] if targets \
            else self.formats
        async with self.file_slots:
            try:
                transcript = await self._transcribe(item)
            except errors.FATAL:
                raise
            except errors.SttError as exc:
                return FileOutcome(item, "failed", error=exc)
            except OSError as exc:  # the output folder (its resume cache) or the temporary folder
                where = self.out_dir or Path(tempfile.gettempdir())
                return FileOutcome(item, "failed", error=_cannot_write(exc, where))
        if not targets or self.out_dir is None:
            return FileOutcome(item, "done", transcript)
        stem = targets[0].with_suffix("")
        try:
            export = self.options.export_options()
            outputs = write_outputs(transcript, stem.parent, stem.name, formats, export.cues,
                                    export.highlight_words, export.speaker_style)
        except OSError as exc:
            return FileOutcome(item, "failed", error=_cannot_write(exc, stem.parent))
        if self.manifest is not None:
            self.manifest.record(outputs)
        cache_for(item, self.out_dir).clear()
        try:
            (self.out_dir / CACHE_FOLDER).rmdir()
        except OSError:
            pass  # other files still have entries there
        return FileOutcome(item, "done", transcript, outputs=tuple(targets))

    async def _transcribe(self, item: InputFile) -> Transcript:
        reporter = self.reporter

        def decoded(info: AudioInfo, chunks: list[Chunk]) -> None:
            if reporter:
                reporter.file_started(item, info.duration)

        def progress(result: ChunkResult) -> None:
            if reporter:
                chunk = result.chunk
                reporter.chunk_done(item, (chunk.keep_end - chunk.keep_start) / chunk.sample_rate)

        hooks = FileHooks(cache=cache_for(item, self.out_dir) if self.out_dir else None, on_decoded=decoded,
                          on_chunk=progress, decode_slots=self.decode_slots)
        return await transcribe_audio(item.path, self.engine, self.options, retry_engine=self.retry_engine,
                                      hooks=hooks, diarizer=self.diarizer)


async def aprocess_files(files: Sequence[InputFile], out_dir: Path | None, formats: Sequence[str],
                         options: RunOptions, *, overwrite: bool = False, reporter: Reporter | None = None,
                         engine: Engine | None = None) -> AsyncIterator[FileOutcome]:
    """Transcribe ``files`` concurrently, yielding each outcome as it finishes.

    With an ``out_dir``, each file's ``formats`` are written there (mirroring the input
    tree), files whose outputs all exist are skipped unless ``overwrite``, and finished
    chunks are cached there until their file is done. Without one, nothing is written.

    A fatal error (bad key, unknown model, impossible task, missing dependency) stops the
    run: every unfinished file is yielded as failed with that reason.
    """
    sweep_stale_temp()
    with output_lock(Path(out_dir)) if out_dir is not None else contextlib.nullcontext():
        async for outcome in _process(files, out_dir, formats, options, overwrite, reporter, engine):
            yield outcome


async def _process(files: Sequence[InputFile], out_dir: Path | None, formats: Sequence[str], options: RunOptions,
                   overwrite: bool, reporter: Reporter | None, engine: Engine | None) -> AsyncIterator[FileOutcome]:
    diarizer = diarizer_for(options)  # before the engine: a missing extra stops the run at once
    own_engine = engine is None
    engine = engine or engine_for(options)
    diarizer = diarizer and diarizer_for(options, beside=engine)  # its threads depend on the engine
    run = _Run(engine, options, Path(out_dir) if out_dir is not None else None, formats, overwrite, reporter, files,
               diarizer)
    with using_ffmpeg(options.ffmpeg):  # the tasks copy the choice of binary with their context
        tasks = {asyncio.ensure_future(run.one(item)): item for item in files}
    pending = set(tasks)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            fatal: BaseException | None = None
            for task in done:
                error = task.exception()
                if isinstance(error, errors.FATAL):
                    fatal = error
                    pending.add(task)  # reported below, with the files that now cannot run
                elif error is not None:
                    log.debug("internal error on %s", tasks[task].path, exc_info=error)
                    yield _report(reporter, FileOutcome(tasks[task], "failed", error=error))
                else:
                    yield _report(reporter, task.result())
            if fatal is not None:
                for task in pending:
                    task.cancel()
                for task in sorted(pending, key=lambda t: str(tasks[t].path)):
                    yield _report(reporter, FileOutcome(tasks[task], "failed", error=fatal, stopped=True))
                return
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if run.retry_engine is not None:
            await run.retry_engine.aclose()
        if own_engine:
            await engine.aclose()


def _report(reporter: Reporter | None, outcome: FileOutcome) -> FileOutcome:
    if reporter:
        reporter.file_finished(outcome)
    return outcome


async def process_files(files: Sequence[InputFile], out_dir: Path, formats: Sequence[str], options: RunOptions,
                        *, overwrite: bool = False, reporter: Reporter | None = None) -> BatchSummary:
    """Run :func:`aprocess_files` to the end and summarise it."""
    outcomes: list[FileOutcome] = []
    stopped = None
    async with engine_for(options) as engine:
        async for outcome in aprocess_files(files, out_dir, formats, options, overwrite=overwrite,
                                            reporter=reporter, engine=engine):
            outcomes.append(outcome)
            if outcome.stopped:
                stopped = outcome.error
    order = {item.path: i for i, item in enumerate(files)}
    outcomes.sort(key=lambda o: order.get(o.input.path, 0))
    return BatchSummary(tuple(outcomes), engine.model_for(options.transcribe_options().task), stopped)
