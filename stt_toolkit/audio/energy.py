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
#: Frames past a frame that its smoothed value depends on (half the smoothing width, and one).
_LOOKAHEAD_FRAMES = 4


class EnergyMeter:
    """The energy curve of audio fed to it block by block, in order (for a decode still
    running). :meth:`profile` is exact for every frame but the last few (the smoothing looks
    a few frames ahead) until :meth:`profile` is asked with ``final=True``."""

    def __init__(self, sample_rate: int, frame_seconds: float = 0.02, offset: int = 0) -> None:
        self.sample_rate = sample_rate
        self.frame_length = max(1, round(frame_seconds * sample_rate))
        self.offset = offset
        self.samples = 0
        self._powers: list[np.ndarray] = []
        self._carry = np.zeros(0, dtype=np.float32)

    def feed(self, block: np.ndarray) -> None:
        """Add mono float32 samples (-1 to 1)."""
        flen = self.frame_length
        mono = np.concatenate((self._carry, block)) if len(self._carry) else block
        whole = len(mono) // flen * flen
        if whole:
            self._powers.append(np.square(mono[:whole]).reshape(-1, flen).mean(axis=1))
        self._carry = mono[whole:]
        self.samples += len(block)

    def exact_until(self) -> int:
        """Samples from the start (``offset`` on) whose frames :meth:`profile` gives as they
        will be once all the audio is in."""
        return max(0, (self.samples // self.frame_length - _LOOKAHEAD_FRAMES) * self.frame_length)

    def profile(self, total_samples: int | None = None, final: bool = False) -> EnergyProfile:
        """The smoothed dB curve of everything fed so far; with ``final``, the last partial
        frame too (the audio is complete)."""
        powers = list(self._powers)
        if final and len(self._carry):
            powers.append(np.array([np.square(self._carry).mean()], dtype=np.float32))
        power = np.concatenate(powers) if powers else np.zeros(0, dtype=np.float32)
        width = max(1, round(_SMOOTH_SECONDS * self.sample_rate / self.frame_length))
        if len(power) >= width:
            power = np.convolve(power, np.ones(width, dtype=np.float32) / width, mode="same")
        db = (10.0 * np.log10(power.astype(np.float64) + 1e-12)).astype(np.float32)
        total = self.offset + self.samples if total_samples is None else total_samples
        return EnergyProfile(db=db, frame_length=self.frame_length, offset=self.offset, total_samples=total,
                             sample_rate=self.sample_rate)


def measure_energy(
    flac: str | os.PathLike[str] | AudioInfo, start: int = 0, end: int | None = None,
    frame_seconds: float = 0.02,
) -> EnergyProfile:
    """Stream ``flac`` (samples ``start`` to ``end``) once and return its energy profile."""
    path = flac.path if isinstance(flac, AudioInfo) else flac
    with sf.SoundFile(str(path)) as f:
        sr, total = f.samplerate, f.frames
        end = total if end is None else min(end, total)
        meter = EnergyMeter(sr, frame_seconds, start)
        f.seek(start)
        for block in f.blocks(blocksize=meter.frame_length * 500, frames=end - start, dtype="float32",
                              always_2d=True):
            meter.feed(block.mean(axis=1))
    return meter.profile(total, final=True)


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
