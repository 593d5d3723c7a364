"""Samples of the preprocessed 16 kHz FLAC, for models that take arrays (the diarizer)."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf


def read_samples(path: str | os.PathLike[str], start: int = 0, frames: int = -1) -> np.ndarray:
    """Mono float32 samples of ``path`` from sample ``start``, ``frames`` of them (-1: to the end)."""
    with sf.SoundFile(str(path)) as f:
        f.seek(start)
        samples = f.read(frames, dtype="float32", always_2d=True)
    return np.ascontiguousarray(samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0])


def frame_count(path: str | os.PathLike[str]) -> int:
    """How many samples ``path`` holds."""
    with sf.SoundFile(str(path)) as f:
        return f.frames
