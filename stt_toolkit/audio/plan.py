"""Stage 2: plan overlapping chunks cut in pauses (pure, but for reading the energy curve).

:func:`plan_chunks` measures the file's energy once (:mod:`.energy`); :func:`plan_from_energy`
and :func:`split_chunk` are pure: energy curve (and, where given, the voice-activity map) in,
chunks out. A cut goes where speech is least likely (the voice-activity probability, in
steps of :data:`SPEECH_STEP`), the quietest such stretch first: in noise or music the
quietest point need not be a pause in speech.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..core.errors import ChunkingError
from ..core.options import HEADER_MARGIN, ChunkOptions
from ..core.records import AudioInfo, Chunk, EnergyProfile
from ..core.speech import FRAME, SpeechMap
from .energy import estimate_bytes_per_second, measure_energy

_QUIET_TOLERANCE_DB = 3.0
#: Speech probabilities this close count as equally unlikely; energy decides among them.
SPEECH_STEP = 0.1


def plan_chunks(flac: str | os.PathLike[str] | AudioInfo, options: ChunkOptions | None = None,
                speech: SpeechMap | None = None) -> list[Chunk]:
    """Plan the chunks of a preprocessed FLAC file (see :func:`plan_from_energy`)."""
    options = options or ChunkOptions()
    path = flac.path if isinstance(flac, AudioInfo) else Path(flac)
    profile = measure_energy(path)
    return plan_from_energy(profile, options, estimate_bytes_per_second(path, options.codec), speech)


def plan_from_energy(profile: EnergyProfile, options: ChunkOptions, bytes_per_second: float,
                     speech: SpeechMap | None = None) -> list[Chunk]:
    """Cut the audio near every ``target_seconds`` at the least speech-like, quietest point
    within the search window, keeping every chunk under the byte limit and over
    ``min_seconds`` (pure)."""
    sr, total = profile.sample_rate, profile.total_samples
    if total <= 0:
        raise ChunkingError("cannot plan chunks for empty audio")
    overlap = round(options.overlap_seconds * sr)
    max_span = (options.max_bytes - HEADER_MARGIN) / bytes_per_second * sr - overlap
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
        pos = quietest_point(profile, lo, hi, ideal, speech)
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


def quietest_point(profile: EnergyProfile, lo: int, hi: int, ideal: int, speech: SpeechMap | None = None) -> int:
    """The sample in ``[lo, hi]`` at the middle of the longest run of frames within a few dB
    of the quietest frame (the centre of the deepest pause), nearest ``ideal`` on ties; with
    ``speech``, only frames among the least likely to be speech count."""
    flen, off = profile.frame_length, profile.offset
    first = max(0, math.ceil((lo - off) / flen))
    last = min(len(profile.db) - 1, (hi - off) // flen)
    if last < first:
        return min(max(ideal, lo), hi)
    seg = profile.db[first:last + 1]
    if speech is not None and len(speech.probs):
        centres = off + (np.arange(first, last + 1) * flen + flen // 2)
        level = np.floor(speech.probs[np.minimum(centres // FRAME, len(speech.probs) - 1)] / SPEECH_STEP)
        seg = np.where(level == level.min(), seg, np.inf)
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
