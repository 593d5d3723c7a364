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

from ..core.codecs import CODECS
from ..core.errors import ChunkingError
from ..core.options import HEADER_MARGIN, ChunkOptions
from ..core.records import AudioInfo, Chunk, EnergyProfile
from ..core.speech import FRAME, SpeechMap
from .energy import measure_energy

_QUIET_TOLERANCE_DB = 3.0
#: Speech probabilities this close count as equally unlikely; energy decides among them.
SPEECH_STEP = 0.1


def plan_chunks(flac: str | os.PathLike[str] | AudioInfo, options: ChunkOptions | None = None,
                speech: SpeechMap | None = None) -> list[Chunk]:
    """Plan the chunks of a preprocessed FLAC file (see :func:`plan_from_energy`)."""
    options = options or ChunkOptions()
    path = flac.path if isinstance(flac, AudioInfo) else Path(flac)
    return plan_from_energy(measure_energy(path), options, upload_bytes_per_second(options), speech)


def upload_bytes_per_second(options: ChunkOptions) -> float:
    """The bytes a second of audio is planned to take when uploaded: the codec's ceiling, so
    that a plan made while the file is still decoding is the plan made after."""
    return CODECS[options.codec].bytes_per_second


def plan_from_energy(profile: EnergyProfile, options: ChunkOptions, bytes_per_second: float,
                     speech: SpeechMap | None = None) -> list[Chunk]:
    """Cut the audio near every ``target_seconds`` at the least speech-like, quietest point
    within the search window, keeping every chunk under the byte limit and over
    ``min_seconds`` (pure)."""
    if profile.total_samples <= 0:
        raise ChunkingError("cannot plan chunks for empty audio")
    planner = ChunkPlanner(options, bytes_per_second, profile.sample_rate)
    return planner.advance(profile, speech, profile.total_samples, final=True)


class ChunkPlanner:
    """The cuts of one audio stream, decided left to right as its audio arrives (pure).

    :meth:`advance` takes the energy curve (and speech map) of the audio so far and returns the
    chunks whose both cuts are now decided. A cut is decided only once everything it depends
    on is known (the search window's energy and speech, and that the audio runs on past it),
    so the cuts are the same however the audio arrives: all at once or block by block.
    """

    def __init__(self, options: ChunkOptions, bytes_per_second: float, sample_rate: int) -> None:
        sr = sample_rate
        self.sample_rate = sr
        self.overlap = round(options.overlap_seconds * sr)
        self.max_span = (options.max_bytes - HEADER_MARGIN) / bytes_per_second * sr - self.overlap
        target, window = _fit_target(options, self.max_span / sr)
        self.target_n, self.window_n, self.min_n = int(target * sr), int(window * sr), round(options.min_seconds * sr)
        self.cuts: list[int] = []
        self._given = 0
        self._done = False

    def can_cut(self, known: int, exact: int) -> bool:
        """Whether :meth:`advance` with this much audio would decide another cut."""
        pos = self.cuts[-1] if self.cuts else 0
        ideal = pos + self.target_n
        return (not self._done and known - pos > self.target_n
                and ideal + self.window_n + max(self.min_n, self.overlap) < known and ideal + self.window_n < exact)

    def advance(self, profile: EnergyProfile, speech: SpeechMap | None, known: int, final: bool = False,
                exact: int | None = None) -> list[Chunk]:
        """The chunks completed by the audio so far. ``known``: samples of audio there are
        (the total, once ``final``); ``exact``: samples up to which ``profile`` and ``speech``
        hold their final values (``known`` by default)."""
        exact = known if exact is None else exact
        total = known
        pos = self.cuts[-1] if self.cuts else 0
        while not self._done and total - pos > self.target_n:
            ideal = pos + self.target_n
            if not final and not self.can_cut(known, exact):
                break  # the window, or what follows it, is not decoded yet
            lo, hi = max(ideal - self.window_n, pos + self.min_n), min(ideal + self.window_n, total - self.min_n)
            if lo > hi:
                if total - pos <= self.max_span:
                    break  # fold the short tail into this chunk
                ideal = pos + (total - pos) // 2
                lo, hi = max(ideal - self.window_n, pos + self.min_n), min(ideal + self.window_n, total - self.min_n)
            pos = quietest_point(profile, lo, hi, ideal, speech)
            self.cuts.append(pos)
        if final:
            self._done = True
        chunks = _chunks_from_cuts(self.cuts, total, self.overlap, self.sample_rate)
        ready = chunks if final else chunks[:len(self.cuts)]
        fresh, self._given = ready[self._given:], len(ready)
        return fresh


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
