"""What each subcommand does: a few lines each over the library, and the summaries it prints."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from ..audio.ffmpeg import using_ffmpeg
from ..core.billing import PRICE_PER_HOUR
from ..core.errors import SttError, UsageError
from ..core.options import ChunkOptions, RunOptions
from ..engines import diarizer_for, engine_for
from ..output.writers import DEFAULT_FORMATS, FORMATS
from ..run.batch import BatchSummary, process_files
from ..run.file import plan_audio
from ..run.inputs import InputFile, check_out_dir, find_media_files, name_outputs
from ..run.prepare import prepare_all
from .args import run_options
from .progress import BarReporter, LineReporter, QuietReporter
from .usage import usage

log = logging.getLogger("stt_toolkit")


def transcribe(args: argparse.Namespace) -> int:
    """``stt-toolkit transcribe``: 0 when every file succeeded, 1 when any failed."""
    options, formats = usage(lambda: _run_options(args))
    diarizer_for(options)  # a missing extra is said once, before anything runs
    files, missing = _inputs(args)
    if not files and not missing:
        print(f"stt-toolkit: no audio or video files in {', '.join(args.inputs)}", file=sys.stderr)
        return 1
    _print_renamed(files)
    if args.dry_run:
        with using_ffmpeg(options.ffmpeg):
            return _dry_run(files, missing, options)
    reporter = QuietReporter() if args.quiet else BarReporter() if sys.stderr.isatty() else LineReporter()
    try:
        summary = asyncio.run(process_files(files, args.out_dir, formats, options, overwrite=args.overwrite,
                                            reporter=reporter))
    finally:
        if isinstance(reporter, BarReporter):
            reporter.close()
    _print_summary(summary, missing)
    return 1 if missing or summary.count("failed") else 0


def _run_options(args: argparse.Namespace) -> tuple[RunOptions, list[str]]:
    options = run_options(args)
    options.validate()
    check_out_dir(args.out_dir)
    formats = [f.strip().lower() for raw in args.formats or [",".join(DEFAULT_FORMATS)] for f in raw.split(",") if f.strip()]
    if not formats or set(formats) - set(FORMATS):
        bad = ", ".join(sorted(set(formats) - set(FORMATS))) or "nothing"
        raise UsageError(f"--formats got {bad}: give a comma-separated list of {', '.join(FORMATS)}")
    if options.highlight_words and not {"vtt", "ass"} & set(formats):
        raise UsageError("--highlight-words marks words in VTT and ASS subtitles: add vtt or ass to --formats")
    return options, list(dict.fromkeys(formats))


def _inputs(args: argparse.Namespace) -> tuple[list[InputFile], list[str]]:
    files: list[InputFile] = []
    missing: list[str] = []
    for raw in args.inputs:
        try:
            files += find_media_files([raw], args.include, args.exclude)
        except SttError as exc:
            missing.append(str(exc))
    return name_outputs(files), missing


def _print_renamed(files: Sequence[InputFile]) -> None:
    """Say which inputs' outputs are not named the plain way, because names clashed."""
    for item in files:
        if item.output_stem != item.relative.with_suffix(""):
            print(f"note: {item.path} shares its name with another input: its outputs are "
                  f"{item.output_stem}.*", file=sys.stderr)


def _print_summary(summary: BatchSummary, missing: list[str]) -> None:
    out = sys.stderr
    if summary.stopped:
        print(f"stopped: {summary.stopped}", file=out)
    print(f"{summary.count('done')} done, {summary.count('skipped')} skipped, "
          f"{summary.count('failed') + len(missing)} failed", file=out)
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            print(f"  failed: {outcome.input.path}: {outcome.reason}", file=out)
    for line in missing:
        print(f"  failed: {line}", file=out)
    models = summary.billed_by_model
    priced = summary.model if len(models) <= 1 else ", ".join(f"{m}: {s:.0f} s" for m, s in models.items())
    cost = f", estimated cost ${summary.cost:.4f} ({priced})" if summary.billed_seconds else ""
    abandoned, maybe = summary.possibly_billed
    if abandoned:
        cost += (f"; possibly billed: {abandoned} request{'s' * (abandoned != 1)} given up on after "
                 f"sending, {maybe:.0f} s")
    for outcome in summary.outcomes:
        if outcome.transcript is not None and outcome.transcript.speakers:
            shares = ", ".join(f"{s.name} {s.share:.0%}" for s in outcome.transcript.speakers)
            print(f"  speakers: {outcome.input.path}: {shares} of the talk", file=out)
    for item, start, end in summary.unheard_speech:
        print(f"  no words: {item.path} {start:.1f}-{end:.1f} s is as loud as the speech but has no words", file=out)
    skipped = f", {summary.skipped_seconds:.0f} s of non-speech not sent" if summary.skipped_seconds else ""
    speech = f"; speech: {summary.speech_seconds:.0f} s{skipped}" if summary.speech_seconds is not None else ""
    print(f"audio: {summary.audio_seconds:.0f} s ({summary.audio_seconds / 3600:.2f} h){speech}; "
          f"billed: {summary.billed_seconds:.0f} s{cost}; "
          f"flagged segments: {summary.flagged_segments}; speech with no words: "
          f"{len(summary.unheard_speech)} stretch(es)", file=out)


def _dry_run(files: list[InputFile], missing: list[str], options: RunOptions) -> int:
    models = list(PRICE_PER_HOUR)
    print("file\tduration_s\tspeech_s\tchunks\tbilled_s\tbilled_s_no_skip\t" + "\t".join(f"usd_{m}" for m in models))
    failed = len(missing)
    total: list[float] = [0.0, 0.0, 0, 0.0, 0.0]
    known = True  # seconds of speech: only with the voice-activity map
    for item in files:
        planned = plan_audio(item.path, options)
        if planned.error:
            failed += 1
            print(f"{item.relative}\tFAILED: {planned.error}")
            continue
        row = [planned.duration, planned.speech_seconds, planned.chunks, planned.billed_seconds,
               planned.billed_without_skipping]
        known = known and planned.speech_seconds is not None
        total = [a + (b or 0.0) for a, b in zip(total, row)]
        print(_plan_row(str(item.relative), row, models))
    print(_plan_row("TOTAL", total if known else [total[0], None, *total[2:]], models))
    for line in missing:
        print(f"failed: {line}", file=sys.stderr)
    return 1 if failed else 0


def _plan_row(name: str, row: list[float | None], models: list[str]) -> str:
    duration, speech, chunks, billed, unskipped = (0.0 if v is None else v for v in row)
    costs = "\t".join(f"{PRICE_PER_HOUR[m] * billed / 3600:.4f}" for m in models)
    said = "-" if row[1] is None else f"{speech:.1f}"
    return f"{name}\t{duration:.1f}\t{said}\t{int(chunks)}\t{billed:.1f}\t{unskipped:.1f}\t{costs}"


def models(args: argparse.Namespace) -> int:
    """``stt-toolkit models``: the engine's models, one a line."""
    options = RunOptions(engine=args.engine, model=args.model, base_url=args.base_url)

    async def listing() -> list[str]:
        async with engine_for(options) as engine:
            return await engine.list_models()

    for name in asyncio.run(listing()):
        print(name)
    return 0


def prepare(args: argparse.Namespace) -> int:
    """``stt-toolkit prepare``: 0 when every input was prepared, 1 when any failed."""
    options = usage(lambda: ChunkOptions(args.chunk_seconds, args.overlap_seconds, args.search_seconds,
                                         args.max_bytes, args.codec))
    usage(lambda: check_out_dir(args.out_dir))
    with using_ffmpeg(args.ffmpeg):
        summary = prepare_all(args.inputs, args.out_dir, options, export=args.export_chunks, strict=args.strict,
                              overwrite=args.overwrite)
    log.info("%d file(s) prepared, %d failed", summary.done, len(summary.failures))
    for failure in summary.failures:
        print(f"  failed: {failure}", file=sys.stderr)
    return 1 if summary.failures else 0
