"""Where the speech is, and what is sent of it (pure).

* :class:`SpeechMap`: a file's voice-activity probabilities, one per 32 ms frame (Silero's
  window; :mod:`stt_toolkit.audio.vad` measures them), and :meth:`SpeechMap.spans`, the
  stretches of speech read from them with hysteresis, as Silero's own
  ``get_speech_timestamps`` does.
* :class:`SkipMap`: which stretches of the file are sent, joined end to end, once non-speech
  longer than :attr:`~stt_toolkit.core.options.VadOptions.min_skip_seconds` is left out, and
  the one map from the sent audio's clock back to the file's (:meth:`SkipMap.to_file`).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .options import VadOptions
from .records import SAMPLE_RATE

#: Samples in one voice-activity frame at 16 kHz (Silero's window: 32 ms).
FRAME = 512
#: Speech ends when the probability falls this far below the threshold (Silero's rule).
_HYSTERESIS = 0.15

Span = tuple[float, float]


@dataclass(frozen=True)
class SpeechMap:
    """Speech probability (0 to 1) of every :data:`FRAME` samples of a file of
    ``total_samples`` samples; frame ``i`` starts at sample ``i * FRAME``."""

    probs: np.ndarray
    total_samples: int
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        """Length of the file in seconds."""
        return self.total_samples / self.sample_rate

    def spans(self, options: VadOptions = VadOptions()) -> tuple[Span, ...]:
        """The stretches of speech (seconds), padded by ``options.pad_seconds`` and merged
        where they touch."""
        return self.pad(_raw_spans(self.probs, options, FRAME / self.sample_rate), options)

    def pad(self, raw: Sequence[Span], options: VadOptions) -> tuple[Span, ...]:
        """``raw`` stretches padded by ``options.pad_seconds`` (within the file) and merged
        where they touch."""
        padded: list[list[float]] = []
        for start, end in raw:
            start, end = max(0.0, start - options.pad_seconds), min(self.duration, end + options.pad_seconds)
            if padded and start <= padded[-1][1]:
                padded[-1][1] = max(padded[-1][1], end)
            else:
                padded.append([start, end])
        return tuple((round(a, 3), round(b, 3)) for a, b in padded)

    def speech_seconds(self, options: VadOptions = VadOptions()) -> float:
        """Seconds of speech in the file."""
        return sum(b - a for a, b in self.spans(options))

    def sent(self, skips: SkipMap) -> SpeechMap:
        """The map of the audio sent: the frames of ``skips``' pieces, end to end (pieces
        start on frame boundaries)."""
        if not skips.skips_anything:
            return self
        probs = [self.probs[p.start // FRAME:-(-p.end // FRAME)] for p in skips.pieces]
        return SpeechMap(np.concatenate(probs) if probs else self.probs[:0], skips.sent_samples, self.sample_rate)


def _raw_spans(probs: np.ndarray, options: VadOptions, frame_s: float) -> list[Span]:
    """Speech starts at a frame over the threshold and ends after ``min_silence_seconds``
    under the threshold less the hysteresis; stretches shorter than ``min_speech_seconds``
    are dropped (Silero's rules, without padding)."""
    spans, open_from = _closed_spans(probs, options)
    if open_from is not None:
        spans.append((open_from, len(probs)))
    return [(a * frame_s, b * frame_s) for a, b in spans if (b - a) * frame_s >= options.min_speech_seconds]


def _closed_spans(probs: np.ndarray, options: VadOptions) -> tuple[list[tuple[int, int]], int | None]:
    """The stretches of speech (frames) that have ended within ``probs``, and the frame where
    one still going at its end began (None if none is)."""
    low = options.threshold - _HYSTERESIS
    min_silence = max(1, round(options.min_silence_seconds / (FRAME / SAMPLE_RATE)))
    spans: list[tuple[int, int]] = []
    start: int | None = None
    quiet_since: int | None = None
    for i, p in enumerate(probs.tolist()):
        if start is None:
            if p >= options.threshold:
                start, quiet_since = i, None
            continue
        if p >= low:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = i
        elif i - quiet_since + 1 >= min_silence:
            spans.append((start, quiet_since))
            start = quiet_since = None
    return spans, start


def settled_skips(probs: np.ndarray, options: VadOptions = VadOptions(),
                  sample_rate: int = SAMPLE_RATE) -> tuple[SkipMap, int]:
    """What is sent of a file whose first ``len(probs)`` frames are analysed, while the rest is
    not: the skip plan of what is known, and the sample before which that plan is the plan of
    the whole file, whatever follows (a stretch of speech still going, or one that may start
    next, can still join what is before it)."""
    frame_s = FRAME / sample_rate
    closed, open_from = _closed_spans(probs, options)
    first_unknown = len(probs) if open_from is None else open_from
    spans = [(a * frame_s, b * frame_s) for a, b in closed if (b - a) * frame_s >= options.min_speech_seconds]
    while spans and spans[-1][1] + options.pad_seconds > len(probs) * frame_s:
        first_unknown = min(first_unknown, round(spans.pop()[0] / frame_s))  # its padding reaches past the end
    known = SpeechMap(np.asarray(probs)[:0], len(probs) * FRAME, sample_rate)
    padded = known.pad(spans, options)
    plan = SkipMap.plan(padded, len(probs) * FRAME, options, sample_rate, at_end=False)
    keep = options.joint_seconds / 2
    earliest = max(0, int((first_unknown * frame_s - options.pad_seconds - keep) * sample_rate) // FRAME * FRAME)
    settled = earliest - int((options.min_skip_seconds - keep) * sample_rate) - 1
    return plan, max(0, settled)


@dataclass(frozen=True)
class Piece:
    """Samples ``start`` to ``end`` of the file, sent from sample ``sent_start`` on."""

    start: int
    end: int
    sent_start: int

    @property
    def sent_end(self) -> int:
        """Where the piece ends in the sent audio."""
        return self.sent_start + self.end - self.start


@dataclass(frozen=True)
class SkipMap:
    """The pieces of a file that are sent, in order, joined end to end; everything between
    them is left out. The one map from the sent audio's clock to the file's."""

    pieces: tuple[Piece, ...]
    total_samples: int
    sample_rate: int = SAMPLE_RATE

    @classmethod
    def plan(cls, spans: Sequence[Span], total_samples: int, options: VadOptions = VadOptions(),
             sample_rate: int = SAMPLE_RATE, at_end: bool = True) -> SkipMap:
        """Keep every stretch of speech with ``options.joint_seconds / 2`` of what surrounds
        it, leaving out the rest of every non-speech stretch longer than
        ``options.min_skip_seconds``; piece edges fall on :data:`FRAME` boundaries.
        ``at_end``: ``total_samples`` is where the file ends (not just how far it is known)."""
        keep = options.joint_seconds / 2
        gap_needed = (options.min_skip_seconds - 2 * keep) * sample_rate
        bounds: list[list[int]] = []
        for start, end in spans:
            a = max(0, int((start - keep) * sample_rate) // FRAME * FRAME)
            b = min(total_samples, -(-int((end + keep) * sample_rate) // FRAME) * FRAME)
            if bounds and a - bounds[-1][1] <= gap_needed:
                bounds[-1][1] = max(bounds[-1][1], b)
            else:
                bounds.append([a, b])
        if bounds and bounds[0][0] <= gap_needed + keep * sample_rate:
            bounds[0][0] = 0  # non-speech at either end is left out only when as long
        if at_end and bounds and total_samples - bounds[-1][1] <= gap_needed + keep * sample_rate:
            bounds[-1][1] = total_samples
        pieces, sent = [], 0
        for a, b in bounds:
            pieces.append(Piece(a, b, sent))
            sent += b - a
        return cls(tuple(pieces), total_samples, sample_rate)

    @classmethod
    def whole(cls, total_samples: int, sample_rate: int = SAMPLE_RATE) -> SkipMap:
        """Nothing left out."""
        return cls((Piece(0, total_samples, 0),) if total_samples else (), total_samples, sample_rate)

    @property
    def sent_samples(self) -> int:
        """Samples sent."""
        return sum(p.end - p.start for p in self.pieces)

    @property
    def sent_seconds(self) -> float:
        """Seconds sent."""
        return self.sent_samples / self.sample_rate

    @property
    def skips_anything(self) -> bool:
        """Whether any audio is left out."""
        return self.sent_samples < self.total_samples

    @property
    def skipped(self) -> tuple[Span, ...]:
        """The stretches of the file left out (seconds)."""
        sr, edges, out = self.sample_rate, [0], []
        for piece in self.pieces:
            edges += [piece.start, piece.end]
        edges.append(self.total_samples)
        for a, b in zip(edges[::2], edges[1::2]):
            if b > a:
                out.append((round(a / sr, 3), round(b / sr, 3)))
        return tuple(out)

    def piece_at(self, sent_seconds: float) -> int:
        """The index of the piece that holds ``sent_seconds`` (the last at or past the end)."""
        starts = [p.sent_start for p in self.pieces]
        return max(0, bisect.bisect_right(starts, round(sent_seconds * self.sample_rate)) - 1)

    def to_file(self, sent_seconds: float, piece: int | None = None) -> float:
        """A time of the sent audio in file time, within ``piece`` (its edges if the time
        lies outside it; by default the piece that holds the time)."""
        if not self.pieces:
            return sent_seconds
        p = self.pieces[self.piece_at(sent_seconds) if piece is None else piece]
        sr = self.sample_rate
        local = min(max(sent_seconds * sr, p.sent_start), p.sent_end) - p.sent_start
        return (p.start + local) / sr
