"""The ``stt-toolkit`` command: a thin layer over the library.

Library errors (:class:`~stt_toolkit.errors.SttError`) become one clear line naming the
file and the reason; one bad file never stops the others. Exit codes: 0 when every file
succeeded, 1 when any failed, 2 for usage errors, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .batch import BatchSummary, plan_file, process_files
from .chunking import DEFAULT_MAX_BYTES
from .errors import SttError, UsageError
from .export import FORMATS
from .ffmpeg import FFMPEG_ENV, stop_all, using_ffmpeg
from .files import InputFile, check_out_dir, find_media_files, name_outputs
from .flags import usage
from .options import PRICE_PER_HOUR, RunOptions
from .prepare_cmd import add_prepare_parser, run_prepare
from .progress import BarReporter, LineReporter, QuietReporter

log = logging.getLogger("stt_toolkit")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="stt-toolkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"stt-toolkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("transcribe", help="transcribe files and folders into subtitles and text",
                              description="Transcribe each input into OUT_DIR/<relative path>.<format>.")
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders (searched recursively)")
    run.add_argument("-o", "--out-dir", type=Path, default=Path("transcripts"), help="default: ./transcripts")
    run.add_argument("-f", "--formats", action="append", default=None,
                     help="comma-separated, or -f again: srt,vtt,json,txt (default: all four)")
    run.add_argument("--include", action="append", default=[], metavar="GLOB", help="only files matching")
    run.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files matching")
    run.add_argument("--overwrite", action="store_true", help="redo files whose outputs exist")
    run.add_argument("--dry-run", action="store_true", help="show durations, chunks and cost; send nothing")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress; only the summary")
    _add_run_options(run)
    models = commands.add_parser("models", help="list the engine's models")
    for flag in ("--engine", "--model", "--base-url"):
        models.add_argument(flag, default="auto" if flag == "--engine" else None)
    add_prepare_parser(commands)
    return parser


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    d = RunOptions()
    parser.add_argument("--engine", choices=["auto", "groq", "openai", "local"], default=d.engine,
                        help="auto: groq when GROQ_API_KEY is set, else the offline local engine")
    parser.add_argument("--model", default=d.model, help="model id, or a local model directory")
    parser.add_argument("--language", default=d.language, help="ISO-639-1 code of the speech (default: detect)")
    parser.add_argument("--translate", action="store_true", help="translate to English")
    parser.add_argument("--prompt", default=d.prompt, help="spelling and style guide for the model")
    parser.add_argument("--temperature", type=float, default=d.temperature)
    parser.add_argument("--word-timestamps", action=argparse.BooleanOptionalAction, default=d.word_timestamps)
    parser.add_argument("--concurrency", type=int, default=d.concurrency, help="requests in flight (4)")
    parser.add_argument("--chunk-seconds", type=float, default=d.chunk_seconds, help="target chunk length (600)")
    parser.add_argument("--overlap-seconds", type=float, default=d.overlap_seconds, help="overlap at cuts (10)")
    parser.add_argument("--search-seconds", type=float, default=d.search_seconds, help="cut search window (30)")
    parser.add_argument("--max-bytes", type=int, default=d.max_bytes, help=f"upload limit ({DEFAULT_MAX_BYTES})")
    parser.add_argument("--codec", choices=["flac", "wav", "ogg-opus"], default=d.codec)
    parser.add_argument("--rpm", type=float, default=d.rpm, help="client-side requests per minute")
    parser.add_argument("--audio-seconds-per-hour", type=float, default=d.audio_seconds_per_hour)
    parser.add_argument("--max-attempts", type=int, default=d.max_attempts)
    parser.add_argument("--base-url", default=d.base_url, help="API root (else GROQ_BASE_URL / OPENAI_BASE_URL)")
    parser.add_argument("--strict", action=argparse.BooleanOptionalAction, default=d.strict,
                        help="refuse damaged files (--no-strict keeps what decodes)")
    parser.add_argument("--fill-gaps", action=argparse.BooleanOptionalAction, default=d.fill_gaps,
                        help="transcribe again stretches of speech that no chunk transcribed or that one word hides")
    parser.add_argument("--condition-on-previous", action="store_true",
                        help="prompt each chunk with the text before it (chunks of a file go one at a time)")
    parser.add_argument("--retry-flagged", action="store_true",
                        help="send low-confidence or looping segments again, keep the better result")
    parser.add_argument("--retry-model", default=d.retry_model,
                        help="model for those retries, e.g. whisper-large-v3 (implies --retry-flagged)")
    parser.add_argument("--keep-hallucinations", action="store_true", help="keep flagged silence text")
    parser.add_argument("--highlight-words", action="store_true", help="karaoke word timestamps in VTT")
    parser.add_argument("--ffmpeg", default=d.ffmpeg, metavar="PATH",
                        help=f"run this ffmpeg (5.1 or newer) instead of the bundled one (also {FFMPEG_ENV})")


def run_options(args: argparse.Namespace) -> RunOptions:
    """The library options named by the parsed flags (same names)."""
    names = RunOptions.__dataclass_fields__.keys()
    return RunOptions.from_kwargs(**{k: v for k, v in vars(args).items() if k in names})


_COMMANDS = ("transcribe", "prepare", "models")


def _stop_children_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the run at once: ffmpeg is killed (not waited for) and the
    run unwinds as for Ctrl-C, so temporary files are removed and finished work is kept."""
    def stop(signum: int, frame: object) -> None:
        stop_all()
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. ``stt-toolkit talk.mp3`` means ``stt-toolkit
    transcribe talk.mp3``."""
    words = list(sys.argv[1:] if argv is None else argv)
    first = words[0] if words else ""
    if first not in _COMMANDS and not first.startswith("-") and (Path(first).exists() or Path(first).suffix):
        words.insert(0, "transcribe")  # a file or folder, not a mistyped command
    args = build_parser().parse_args(words)
    if argv is None:  # a real command line (not a caller's own process): take over the signals
        _stop_children_on_signals()
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(message)s")
    for noisy in ("httpx", "faster_whisper"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "prepare":
            return run_prepare(args)
        if args.command == "models":
            return _models(args)
        return _transcribe(args)
    except KeyboardInterrupt:
        print("stt-toolkit: interrupted; finished chunks and files are kept, run again to resume",
              file=sys.stderr)
        return 130
    except UsageError as exc:
        print(f"stt-toolkit: error: {exc}", file=sys.stderr)
        return 2
    except SttError as exc:
        print(f"stt-toolkit: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # for example an output folder that cannot be written
        print(f"stt-toolkit: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: say so, apart from the user's own mistakes
        if os.environ.get("STT_TOOLKIT_DEBUG"):
            raise
        print(f"stt-toolkit: internal error: {exc!r}; please report it (STT_TOOLKIT_DEBUG=1 shows where)",
              file=sys.stderr)
        return 3


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


def _run_options(args: argparse.Namespace) -> tuple[RunOptions, list[str]]:
    options = run_options(args)
    options.validate()
    check_out_dir(args.out_dir)
    formats = [f.strip().lower() for raw in args.formats or [",".join(FORMATS)] for f in raw.split(",") if f.strip()]
    if not formats or set(formats) - set(FORMATS):
        bad = ", ".join(sorted(set(formats) - set(FORMATS))) or "nothing"
        raise ValueError(f"--formats got {bad}: give a comma-separated list of {', '.join(FORMATS)}")
    if options.highlight_words and "vtt" not in formats:
        raise ValueError("--highlight-words marks words in VTT subtitles: add vtt to --formats")
    return options, list(dict.fromkeys(formats))


def _transcribe(args: argparse.Namespace) -> int:
    options, formats = usage(lambda: _run_options(args))
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


def _print_summary(summary: BatchSummary, missing: list[str]) -> None:
    out = sys.stderr
    if summary.stopped:
        print(f"stopped: {summary.stopped}", file=out)
    print(f"{summary.count('done')} done, {summary.count('skipped')} skipped, "
          f"{summary.count('failed') + len(missing)} failed", file=out)
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            print(f"  failed: {outcome.input.path}: {outcome.error}", file=out)
    for line in missing:
        print(f"  failed: {line}", file=out)
    models = summary.billed_by_model
    priced = summary.model if len(models) <= 1 else ", ".join(f"{m}: {s:.0f} s" for m, s in models.items())
    cost = f", estimated cost ${summary.cost:.4f} ({priced})" if summary.billed_seconds else ""
    for item, start, end in summary.unheard_speech:
        print(f"  no words: {item.path} {start:.1f}-{end:.1f} s is as loud as the speech but has no words", file=out)
    print(f"audio: {summary.audio_seconds / 3600:.2f} h; billed: {summary.billed_seconds:.0f} s{cost}; "
          f"flagged segments: {summary.flagged_segments}; speech with no words: "
          f"{len(summary.unheard_speech)} stretch(es)", file=out)


def _dry_run(files: list[InputFile], missing: list[str], options: RunOptions) -> int:
    models = list(PRICE_PER_HOUR)
    print("file\tduration_s\tchunks\tbilled_s\t" + "\t".join(f"usd_{m}" for m in models))
    failed = len(missing)
    total = [0.0, 0, 0.0]
    for item in files:
        planned = plan_file(item, options)
        if planned.error:
            failed += 1
            print(f"{item.relative}\tFAILED: {planned.error}")
            continue
        total = [total[0] + planned.duration, total[1] + planned.chunks, total[2] + planned.billed_seconds]
        costs = "\t".join(f"{PRICE_PER_HOUR[m] * planned.billed_seconds / 3600:.4f}" for m in models)
        print(f"{item.relative}\t{planned.duration:.1f}\t{planned.chunks}\t{planned.billed_seconds:.1f}\t{costs}")
    costs = "\t".join(f"{PRICE_PER_HOUR[m] * total[2] / 3600:.4f}" for m in models)
    print(f"TOTAL\t{total[0]:.1f}\t{total[1]}\t{total[2]:.1f}\t{costs}")
    for line in missing:
        print(f"failed: {line}", file=sys.stderr)
    return 1 if failed else 0


def _models(args: argparse.Namespace) -> int:
    options = RunOptions(engine=args.engine, model=args.model, base_url=args.base_url)

    async def listing() -> list[str]:
        engine = options.make_engine()
        try:
            return await engine.list_models()
        finally:
            await engine.aclose()

    for name in asyncio.run(listing()):
        print(name)
    return 0
