"""How loud the audio is, frame by frame: one streaming pass over a 16 kHz FLAC with
soundfile blocks, keeping only a short-frame energy curve (50 values a second), so memory
does not grow with the audio. Chunk cuts, splits, gap filling and the unheard-speech net
all read this curve."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

from ..core.codecs import CODECS, Codec
from ..core.records import AudioInfo, EnergyProfile

_FLAC_SAFETY = 1.5  # speech can compress worse than the file's average
_SMOOTH_SECONDS = 0.1


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
    ceiling = CODECS[codec].bytes_per_second
    if codec != "flac":
        return float(ceiling)
    info = sf.info(str(flac))
    measured = os.path.getsize(flac) / max(info.duration, 1e-9)
    return min(measured * _FLAC_SAFETY, ceiling)


def sample_rate(flac: str | os.PathLike[str]) -> int:
    """The sample rate of an audio file, from its header."""
    return int(sf.info(str(flac)).samplerate)
