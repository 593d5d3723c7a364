"""The bytes of each chunk: :func:`export_chunk` seeks to one chunk of the 16 kHz FLAC and
encodes only its frames; :func:`export_chunks` splits a chunk that turns out over the byte
limit and goes on; :func:`decode_chunk` turns a chunk's bytes back into samples (for the
local engine)."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.codecs import CODECS, Codec
from ..core.errors import ChunkingError, ChunkTooLarge, EngineError
from ..core.options import ChunkOptions
from ..core.records import SAMPLE_RATE, AudioInfo, Chunk, ChunkAudio
from .energy import measure_energy
from .ffmpeg import ffmpeg_binary, input_file, run_ffmpeg, write_blocks
from .plan import split_chunk

_OPUS_BITRATE = "32k"


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
    return encode_chunk(chunk, samples, sr, codec, max_bytes)


def encode_chunk(chunk: Chunk, samples: np.ndarray, sr: int, codec: Codec = "flac",
                 max_bytes: int | None = None) -> ChunkAudio:
    """Encode the chunk's int16 ``samples`` (frames, or frames x channels); raise
    :class:`ChunkTooLarge` over ``max_bytes``."""
    samples = samples.reshape(len(samples), -1)
    if codec == "ogg-opus":
        data = _encode_opus(samples, sr)
    else:
        buf = io.BytesIO()
        sf.write(buf, samples, sr, format=codec.upper(), subtype="PCM_16")
        data = buf.getvalue()
    if max_bytes is not None and len(data) > max_bytes:
        raise ChunkTooLarge(chunk.name, len(data), max_bytes)
    return ChunkAudio(chunk=chunk, data=data, codec=codec, mime_type=CODECS[codec].mime_type)


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


def decode_chunk(audio: ChunkAudio) -> np.ndarray:
    """The chunk's samples as float32 mono at 16 kHz."""
    samples, rate = sf.read(io.BytesIO(audio.data), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise EngineError(f"chunk {audio.chunk.name}: expected 16 kHz audio, got {rate} Hz")
    return samples.mean(axis=1)
