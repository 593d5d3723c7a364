"""The audio that is sent when non-speech is skipped: the pieces of a :class:`SkipMap`, read
from the 16 kHz FLAC and written end to end into another, block by block (memory flat).
Each joint fades out and in over :data:`FADE_SECONDS` so that no click is sent."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
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


class SentStream:
    """The audio sent, produced while the file is still being analysed: given the skip plan
    known so far and the sample before which it is settled (:func:`~stt_toolkit.core.speech.
    settled_skips`), :meth:`take` returns the next samples of the sent audio, the same samples
    :func:`write_sent_audio` writes for the whole plan. A piece's last :data:`FADE_SECONDS`
    wait until it is known whether another piece follows it."""

    def __init__(self, sample_rate: int) -> None:
        self.fade = round(FADE_SECONDS * sample_rate)
        self.file_pos = 0  # file samples before this are decided and handed out (or skipped)
        self.sent = 0

    def take(self, skips: SkipMap, settled: int, read: Callable[[int, int], np.ndarray],
             final: bool = False) -> list[np.ndarray]:
        """The sent samples that ``skips`` (settled before file sample ``settled``, or wholly
        with ``final``) adds; ``read(a, b)`` gives file samples ``a`` to ``b`` (int16)."""
        out: list[np.ndarray] = []
        pieces = skips.pieces
        for index, piece in enumerate(pieces):
            if piece.end <= self.file_pos:
                continue
            if not final and piece.start >= settled:
                break
            start = max(piece.start, self.file_pos)
            more = final or index < len(pieces) - 1 and pieces[index + 1].start < settled
            if final or (piece.end < settled and more):
                stop, fade_out = piece.end, index < len(pieces) - 1
            else:  # its end, or whether another piece follows, is not known yet
                stop, fade_out = min(piece.end, settled) - self.fade, False
            if stop <= start:
                break
            block = read(start, stop)
            out.append(_faded(block, start - piece.start, piece.end - piece.start, self.fade, index > 0, fade_out))
            self.sent += len(block)
            self.file_pos = stop
            if stop < piece.end:
                break
        return out
