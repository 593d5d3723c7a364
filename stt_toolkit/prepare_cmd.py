"""``stt-toolkit prepare``: decode media to 16 kHz mono FLAC and write each chunk plan,
without transcribing (the audio stage alone)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .chunking import DEFAULT_MAX_BYTES, ChunkOptions, export_chunks, plan_chunks
from .errors import AudioError, SttError
from .ffmpeg import FFMPEG_ENV, using_ffmpeg
from .files import (
    InputFile,
    check_out_dir,
    find_media_files,
    name_outputs,
    write_atomic,
)
from .flags import usage
from .manifest import OutputManifest, RunInputs, refusal
from .preprocess import preprocess
from .runlock import output_lock
from .types import AudioInfo, Chunk

log = logging.getLogger("stt_toolkit")


def add_prepare_parser(commands: Any) -> None:
    """Add the ``prepare`` subcommand to ``commands`` (an argparse subparsers object)."""
    prepare = commands.add_parser(
        "prepare", help="decode media to 16 kHz mono FLAC and plan its chunks",
        description="Decode each input to OUT_DIR/<stem>.flac (16 kHz mono 16-bit FLAC) and "
        "write its chunk plan to OUT_DIR/<stem>.chunks.json.")
    prepare.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders (searched recursively)")
    prepare.add_argument("-o", "--out-dir", type=Path, default=Path("prepared"), help="default: ./prepared")
    prepare.add_argument("--chunk-seconds", type=float, default=600.0, help="target chunk length (600)")
    prepare.add_argument("--overlap-seconds", type=float, default=10.0, help="overlap around each cut (10)")
    prepare.add_argument("--search-seconds", type=float, default=30.0, help="cut search window, +- (30)")
    prepare.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="byte limit per chunk")
    prepare.add_argument("--codec", choices=["flac", "wav", "ogg-opus"], default="flac", help="chunk codec")
    prepare.add_argument("--export-chunks", action="store_true", help="also write each chunk's audio")
    prepare.add_argument("--strict", action=argparse.BooleanOptionalAction, default=True,
                         help="refuse damaged files (--no-strict keeps what decodes)")
    prepare.add_argument("--ffmpeg", default=None, metavar="PATH",
                         help=f"run this ffmpeg (5.1 or newer) instead of the bundled one (also {FFMPEG_ENV})")
    prepare.add_argument("--overwrite", action="store_true", help="replace files the toolkit did not write")
    prepare.add_argument("-q", "--quiet", action="store_true", help="print only errors")


def run_prepare(args: argparse.Namespace) -> int:
    """Prepare every input; 0 when all succeeded, 1 when any failed."""
    options = usage(lambda: ChunkOptions(args.chunk_seconds, args.overlap_seconds, args.search_seconds,
                                         args.max_bytes, args.codec))
    usage(lambda: check_out_dir(args.out_dir))
    with using_ffmpeg(args.ffmpeg), output_lock(args.out_dir):
        failures, done = _prepare_all(args, options)
    log.info("%d file(s) prepared, %d failed", done, len(failures))
    for failure in failures:
        print(f"  failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _prepare_all(args: argparse.Namespace, options: ChunkOptions) -> tuple[list[str], int]:
    failures: list[str] = []
    files: list[InputFile] = []
    for raw in args.inputs:
        try:
            files += find_media_files([raw])
        except SttError as exc:
            failures.append(str(exc))
            log.error("FAILED %s", exc)
    files = name_outputs(files)
    inputs = RunInputs(i.path for i in files)
    manifest = OutputManifest(args.out_dir)
    done = 0
    for item in files:
        stem = args.out_dir / item.output_stem
        targets = [stem.with_name(f"{stem.name}.flac"), stem.with_name(f"{stem.name}.chunks.json")]
        try:
            if refused := refusal(targets, inputs, manifest, args.overwrite):
                raise AudioError(str(item.path), refused)
            _prepare_one(item, targets, options, args.export_chunks, args.strict)
            manifest.record(targets)
            done += 1
        except SttError as exc:
            failures.append(str(exc))
            log.error("FAILED %s", exc.explain() if isinstance(exc, AudioError) else exc)
    return failures, done


def _prepare_one(item: InputFile, targets: list[Path], options: ChunkOptions, export: bool, strict: bool) -> None:
    flac, plan = targets
    info = preprocess(item.path, flac, strict=strict)
    chunks = plan_chunks(info, options)
    write_atomic(plan, plan_json(info, chunks, options))
    if export:
        for audio in export_chunks(info, chunks, options):
            write_atomic(flac.with_name(flac.name.removesuffix(".flac") + ".chunks") / audio.filename, audio.data)
    source = f"{info.source_codec or '?'} {info.source_sample_rate or '?'} Hz {info.source_channels or '?'} ch"
    log.info("ok  %s  %.1f s  (%s)  -> %d chunk(s)", item.relative, info.duration, source, len(chunks))


def plan_json(info: AudioInfo, chunks: list[Chunk], options: ChunkOptions) -> str:
    """The chunk plan of one file as JSON (times in seconds)."""
    def chunk_dict(c: Chunk) -> dict[str, object]:
        return {"name": c.name, "start": c.start_seconds, "end": c.end_seconds,
                "keep_start": c.keep_start / c.sample_rate, "keep_end": c.keep_end / c.sample_rate}

    audio = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(info).items()}
    return json.dumps({"audio": audio, "options": asdict(options),
                       "chunks": [chunk_dict(c) for c in chunks]}, indent=2) + "\n"
