"""Stage 2: plan overlapping chunks cut in silences, and export each chunk's bytes.

Three layers, I/O at the edges:

* :func:`measure_energy` streams the FLAC once with soundfile blocks and keeps only a
  short-frame energy curve (50 values a second), so memory does not grow with the audio.
* :func:`plan_from_energy` and :func:`split_chunk` are pure: energy curve in, chunks out.
* :func:`export_chunk` seeks to one chunk and encodes only its frames; :func:`export_chunks`
  splits a chunk that turns out over the byte limit and goes on.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from .errors import ChunkingError, ChunkTooLarge
from .ffmpeg import ffmpeg_binary, input_file, run_ffmpeg, write_blocks
from .types import AudioInfo, Chunk, ChunkAudio

#: Just under the free tier's 25 MB upload limit, leaving room for the multipart envelope.
DEFAULT_MAX_BYTES = 24_500_000
#: Just under the dev tier's 100 MB upload limit.
DEV_TIER_MAX_BYTES = 99_000_000
Codec = Literal["flac", "wav", "ogg-opus"]
_MIME = {"flac": "audio/flac", "wav": "audio/wav", "ogg-opus": "audio/ogg"}
_RAW_BYTES_PER_SECOND = 32_000  # 16 kHz, 16-bit, mono: FLAC never needs much more
_OPUS_BITRATE = "32k"
_OPUS_BYTES_PER_SECOND = 5_000  # 32 kbit/s plus Ogg framing, with margin
_HEADER_MARGIN = 8_192
_FLAC_SAFETY = 1.5  # speech can compress worse than the file's average
_QUIET_TOLERANCE_DB = 3.0
_SMOOTH_SECONDS = 0.1


@dataclass(frozen=True)
class ChunkOptions:
    """How to cut audio into chunks.

    ``target_seconds``: preferred chunk length. ``overlap_seconds``: audio shared by two
    neighbouring chunks, centred on the cut between them. ``search_seconds``: how far
    either side of the target a cut may move to find the quietest point.
    ``max_bytes``: the upload limit every exported chunk stays under
    (:data:`DEV_TIER_MAX_BYTES` for Groq's dev tier). ``codec``: how chunks are encoded.
    ``min_seconds``: no chunk is shorter unless the whole audio is (the billing minimum).
    """

    target_seconds: float = 600.0
    overlap_seconds: float = 10.0
    search_seconds: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    codec: Codec = "flac"
    min_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.target_seconds <= 0 or self.min_seconds < 0:
            raise ValueError("target_seconds must be positive and min_seconds not negative")
        if self.overlap_seconds < 0 or self.search_seconds < 0:
            raise ValueError("overlap_seconds and search_seconds must not be negative")
        if self.overlap_seconds >= self.target_seconds:
            raise ValueError("overlap_seconds must be smaller than target_seconds")
        if self.max_bytes <= _HEADER_MARGIN:
            raise ValueError(f"max_bytes must be over {_HEADER_MARGIN}")
        if self.codec not in _MIME:
            raise ValueError(f"codec must be one of {', '.join(_MIME)}, not {self.codec!r}")


@dataclass(frozen=True)
class EnergyProfile:
    """Smoothed energy in dB of consecutive short frames of a stretch of audio.

    Frame ``i`` covers samples ``offset + i * frame_length`` onwards. ``total_samples`` is
    the length of the whole file (not just of the measured stretch).
    """

    db: np.ndarray
    frame_length: int
    offset: int
    total_samples: int
    sample_rate: int


def measure_energy(
    flac: str | os.PathLike[str] | AudioInfo, start: int = 0, end: int | None = None,
    frame_seconds: float = 0.02,
) -> EnergyProfile:
    """Stream ``flac`` (samples ``start`` to ``end``) once and return its energy profile."""
    path = flac.path if isinstance(flac, AudioInfo) else flac
    with sf.SoundFile(str(path)) as f:
        sr, total = f.samplerate, f.frames
        end = total if end is None else min(end, total)
        flen = max(1, round(frame_seconds * sr))
        f.seek(start)
        powers: list[np.ndarray] = []
        carry = np.zeros(0, dtype=np.float32)
        for block in f.blocks(blocksize=flen * 500, frames=end - start, dtype="float32", always_2d=True):
            mono = np.concatenate((carry, block.mean(axis=1)))
            whole = len(mono) // flen * flen
            powers.append(np.square(mono[:whole]).reshape(-1, flen).mean(axis=1))
            carry = mono[whole:]
        if len(carry):
            powers.append(np.array([np.square(carry).mean()], dtype=np.float32))
    power = np.concatenate(powers) if powers else np.zeros(0, dtype=np.float32)
    width = max(1, round(_SMOOTH_SECONDS * sr / flen))
    if len(power) >= width:
        power = np.convolve(power, np.ones(width, dtype=np.float32) / width, mode="same")
    db = (10.0 * np.log10(power.astype(np.float64) + 1e-12)).astype(np.float32)
    return EnergyProfile(db=db, frame_length=flen, offset=start, total_samples=total, sample_rate=sr)


def estimate_bytes_per_second(flac: str | os.PathLike[str], codec: Codec) -> float:
    """A cautious estimate of how many bytes one second of ``flac`` takes as ``codec``."""
    if codec == "wav":
        return float(_RAW_BYTES_PER_SECOND)
    if codec == "ogg-opus":
        return float(_OPUS_BYTES_PER_SECOND)
    info = sf.info(str(flac))
    measured = os.path.getsize(flac) / max(info.duration, 1e-9)
    return min(measured * _FLAC_SAFETY, _RAW_BYTES_PER_SECOND * 1.02)


def plan_chunks(flac: str | os.PathLike[str] | AudioInfo, options: ChunkOptions | None = None) -> list[Chunk]:
    """Plan the chunks of a preprocessed FLAC file (see :func:`plan_from_energy`)."""
    options = options or ChunkOptions()
    path = flac.path if isinstance(flac, AudioInfo) else Path(flac)
    profile = measure_energy(path)
    return plan_from_energy(profile, options, estimate_bytes_per_second(path, options.codec))


def plan_from_energy(profile: EnergyProfile, options: ChunkOptions, bytes_per_second: float) -> list[Chunk]:
    """Cut the audio near every ``target_seconds`` at the quietest point within the search
    window, keeping every chunk under the byte limit and over ``min_seconds`` (pure)."""
    sr, total = profile.sample_rate, profile.total_samples
    if total <= 0:
        raise ChunkingError("cannot plan chunks for empty audio")
    overlap = round(options.overlap_seconds * sr)
    max_span = (options.max_bytes - _HEADER_MARGIN) / bytes_per_second * sr - overlap
    target, window = _fit_target(options, max_span / sr)
    target_n, window_n, min_n = int(target * sr), int(window * sr), round(options.min_seconds * sr)
    cuts: list[int] = []
    pos = 0
    while total - pos > target_n:
        ideal = pos + target_n
        lo, hi = max(ideal - window_n, pos + min_n), min(ideal + window_n, total - min_n)
        if lo > hi:
            if total - pos <= max_span:
                break  # fold the short tail into this chunk
            ideal = pos + (total - pos) // 2
            lo, hi = max(ideal - window_n, pos + min_n), min(ideal + window_n, total - min_n)
        pos = quietest_point(profile, lo, hi, ideal)
        cuts.append(pos)
    return _chunks_from_cuts(cuts, total, overlap, sr)


def _fit_target(options: ChunkOptions, max_span_s: float) -> tuple[float, float]:
    """Shrink target and window so that target + window (+ overlap) fits the byte limit."""
    target, window = options.target_seconds, options.search_seconds
    if target + window <= max_span_s:
        return target, window
    window = min(window, max_span_s * 0.2)
    target = max_span_s - window
    if target < max(options.min_seconds, options.overlap_seconds, 1.0):
        raise ChunkingError(
            f"max_bytes={options.max_bytes} allows only {max_span_s:.1f} s of audio per chunk "
            f"as {options.codec}; raise max_bytes or use a smaller codec")
    return target, window


def quietest_point(profile: EnergyProfile, lo: int, hi: int, ideal: int) -> int:
    """The sample in ``[lo, hi]`` at the middle of the longest run of frames within a few dB
    of the quietest frame (the centre of the deepest pause), nearest ``ideal`` on ties."""
    flen, off = profile.frame_length, profile.offset
    first = max(0, math.ceil((lo - off) / flen))
    last = min(len(profile.db) - 1, (hi - off) // flen)
    if last < first:
        return min(max(ideal, lo), hi)
    seg = profile.db[first:last + 1]
    quiet = np.concatenate(([0], (seg <= seg.min() + _QUIET_TOLERANCE_DB).astype(np.int8), [0]))
    edges = np.diff(quiet)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    centres = off + ((first + (starts + ends) / 2) * flen).round().astype(np.int64)
    best = max(range(len(starts)), key=lambda i: (ends[i] - starts[i], -abs(centres[i] - ideal)))
    return int(min(max(centres[best], lo), hi))


def _chunks_from_cuts(cuts: list[int], total: int, overlap: int, sr: int) -> list[Chunk]:
    bounds = [0, *cuts, total]
    before, after = overlap // 2, overlap - overlap // 2
    return [
        Chunk(index=i, start=max(0, ks - before) if i else 0,
              end=min(total, ke + after) if i < len(cuts) else total,
              keep_start=ks, keep_end=ke, sample_rate=sr)
        for i, (ks, ke) in enumerate(zip(bounds, bounds[1:]))
    ]


def split_chunk(chunk: Chunk, profile: EnergyProfile, options: ChunkOptions) -> tuple[Chunk, Chunk]:
    """Split ``chunk`` in two at the quietest point near the middle of its kept stretch, the
    halves overlapping as planned (pure; ``profile`` must cover the chunk)."""
    sr = chunk.sample_rate
    span = chunk.keep_end - chunk.keep_start
    min_n = round(options.min_seconds * sr)
    if span < 2 * max(min_n, sr):
        raise ChunkingError(f"chunk {chunk.name} ({span / sr:.1f} s) is too short to split further")
    mid = chunk.keep_start + span // 2
    window = min(round(options.search_seconds * sr), span // 4)
    lo, hi = max(mid - window, chunk.keep_start + min_n), min(mid + window, chunk.keep_end - min_n)
    cut = quietest_point(profile, lo, hi, mid)
    overlap = round(options.overlap_seconds * sr)
    left = Chunk(chunk.index, chunk.start, min(chunk.end, cut + overlap - overlap // 2),
                 chunk.keep_start, cut, sr, (*chunk.part, 0))
    right = Chunk(chunk.index, max(chunk.start, cut - overlap // 2), chunk.end,
                  cut, chunk.keep_end, sr, (*chunk.part, 1))
    return left, right


def export_chunk(
    flac: str | os.PathLike[str] | AudioInfo, chunk: Chunk, codec: Codec = "flac",
    max_bytes: int | None = None,
) -> ChunkAudio:
    """Encode one chunk, reading only its frames; raise :class:`ChunkTooLarge` over ``max_bytes``."""
    path = flac.path if isinstance(flac, AudioInfo) else flac
    with sf.SoundFile(str(path)) as f:
        f.seek(chunk.start)
        samples = f.read(chunk.end - chunk.start, dtype="int16", always_2d=True)
        sr = f.samplerate
    if codec == "ogg-opus":
        data = _encode_opus(samples, sr)
    else:
        buf = io.BytesIO()
        sf.write(buf, samples, sr, format=codec.upper(), subtype="PCM_16")
        data = buf.getvalue()
    if max_bytes is not None and len(data) > max_bytes:
        raise ChunkTooLarge(chunk.name, len(data), max_bytes)
    return ChunkAudio(chunk=chunk, data=data, codec=codec, mime_type=_MIME[codec])


def _encode_opus(samples: np.ndarray, sr: int) -> bytes:
    fd, name = tempfile.mkstemp(prefix="stt-chunk-", suffix=".ogg")
    os.close(fd)
    try:
        args = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
                "-protocol_whitelist", "pipe", "-f", "s16le", "-ar", str(sr), "-ac", str(samples.shape[1]),
                "-i", "pipe:0", "-c:a", "libopus", "-b:a", _OPUS_BITRATE, "-application", "voip", "-f", "ogg",
                input_file(name)]
        step = 1 << 16
        blocks = (samples[i:i + step].tobytes() for i in range(0, len(samples), step))
        run = run_ffmpeg(args, write_blocks(blocks))
        if run.returncode != 0:
            raise ChunkingError("ffmpeg could not encode Ogg/Opus: " + " | ".join(run.lines[-3:]))
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def export_chunks(
    flac: str | os.PathLike[str] | AudioInfo, chunks: Iterable[Chunk], options: ChunkOptions | None = None,
) -> Iterator[ChunkAudio]:
    """Export ``chunks`` in order, splitting any that come out over ``options.max_bytes``."""
    options = options or ChunkOptions()
    for chunk in chunks:
        try:
            yield export_chunk(flac, chunk, options.codec, options.max_bytes)
        except ChunkTooLarge:
            profile = measure_energy(flac, chunk.start, chunk.end)
            yield from export_chunks(flac, split_chunk(chunk, profile, options), options)
