"""Preparing without transcribing (``stt-toolkit prepare``): each input decoded to 16 kHz
mono FLAC in an output folder, with its chunk plan as JSON and, optionally, each chunk's
audio: the first half of the one per-file path (:func:`~stt_toolkit.run.file.decode_and_plan`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..audio.encode import export_chunks
from ..core.errors import AudioError, SttError
from ..core.options import ChunkOptions, VadOptions
from ..core.records import AudioInfo, Chunk
from ..output.files import write_atomic
from .file import decode_and_plan
from .inputs import InputFile, find_media_files, name_outputs
from .lock import output_lock
from .manifest import OutputManifest, RunInputs, refusal

log = logging.getLogger("stt_toolkit")


@dataclass(frozen=True)
class PrepareSummary:
    """How many inputs were prepared, and the error of each that was not."""

    done: int = 0
    failures: tuple[SttError, ...] = field(default_factory=tuple)


def prepare_all(paths: Sequence[str | Path], out_dir: Path, options: ChunkOptions, *, export: bool = False,
                strict: bool = True, overwrite: bool = False) -> PrepareSummary:
    """Prepare every media file under ``paths`` into ``out_dir`` (holding its lock): one bad
    input never stops the others, and nothing the toolkit did not write is replaced unless
    ``overwrite``."""
    with output_lock(out_dir):
        failures: list[SttError] = []
        files: list[InputFile] = []
        for raw in paths:
            try:
                files += find_media_files([raw])
            except SttError as exc:
                failures.append(exc)
                log.error("FAILED %s", exc)
        files = name_outputs(files)
        inputs, manifest, done = RunInputs(i.path for i in files), OutputManifest(out_dir), 0
        for item in files:
            stem = out_dir / item.output_stem
            targets = [stem.with_name(f"{stem.name}.flac"), stem.with_name(f"{stem.name}.chunks.json")]
            try:
                if refused := refusal(targets, inputs, manifest, overwrite):
                    raise AudioError(str(item.path), str(refused))
                _prepare_one(item, targets, options, export, strict)
                manifest.record(targets)
                done += 1
            except SttError as exc:
                failures.append(exc)
                log.error("FAILED %s", exc.explain() if isinstance(exc, AudioError) else exc)
    return PrepareSummary(done, tuple(failures))


def _prepare_one(item: InputFile, targets: list[Path], options: ChunkOptions, export: bool, strict: bool) -> None:
    flac, plan = targets
    planned = decode_and_plan(item.path, flac, options, strict, vad=VadOptions())  # cut as a run would
    info, chunks = planned.info, planned.chunks
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
