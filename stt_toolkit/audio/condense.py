"""The audio that is sent when non-speech is skipped: the pieces of a :class:`SkipMap`, read
from the 16 kHz FLAC and written end to end into another, block by block (memory flat).
Each joint fades out and in over :data:`FADE_SECONDS` so that no click is sent."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.records import AudioInfo
from ..core.speech import SkipMap

FADE_SECONDS = 0.01
_BLOCK = 1 << 18


def write_sent_audio(info: AudioInfo, skips: SkipMap, out: str | os.PathLike[str]) -> AudioInfo:
    """Write the pieces of ``skips`` from ``info``'s FLAC to the FLAC ``out``; its AudioInfo."""
    fade = round(FADE_SECONDS * info.sample_rate)
    with sf.SoundFile(str(info.path)) as src, sf.SoundFile(
            str(out), "w", samplerate=info.sample_rate, channels=1, format="FLAC", subtype="PCM_16") as dst:
        for index, piece in enumerate(skips.pieces):
            src.seek(piece.start)
            pos = piece.start
            while pos < piece.end:
                block = src.read(min(_BLOCK, piece.end - pos), dtype="int16", always_2d=True)[:, 0]
                if not len(block):
                    break
                block = _faded(block, pos - piece.start, piece.end - piece.start, fade,
                               index > 0, index < len(skips.pieces) - 1)
                dst.write(block)
                pos += len(block)
    path = Path(out)
    frames = sf.info(str(path)).frames
    return dataclasses.replace(info, path=path, duration=frames / info.sample_rate, frames=frames,
                               bytes=path.stat().st_size)


def _faded(block: np.ndarray, at: int, length: int, fade: int, fade_in: bool, fade_out: bool) -> np.ndarray:
    """``block`` (samples ``at`` on of a piece of ``length``) with the piece's first and last
    ``fade`` samples ramped where it joins another piece."""
    gain = np.ones(len(block), dtype=np.float32)
    index = np.arange(at, at + len(block))
    if fade_in:
        gain = np.minimum(gain, np.clip(index / fade, 0.0, 1.0))
    if fade_out:
        gain = np.minimum(gain, np.clip((length - 1 - index) / fade, 0.0, 1.0))
    if gain.min() == 1.0:
        return block
    return (block.astype(np.float32) * gain).round().astype(np.int16)
