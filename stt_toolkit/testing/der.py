"""Scoring speaker labels against reference turns: diarization error rate and wrong-speaker words.

DER follows NIST's md-eval: time is scored in 10 ms frames, a collar of ``collar`` seconds
either side of every reference boundary is not scored, overlapping speech is scored (a frame
with two reference speakers counts twice), and the hypothesis labels are mapped one to one
onto the reference speakers so as to agree the most (the Hungarian method). DER is missed
speech plus false alarm plus confusion, over the scored reference speech.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.records import SpeakerTurn, Word

_FRAME = 0.01


@dataclass(frozen=True)
class DerScore:
    """The parts of the diarization error rate, in seconds, and the label ``mapping`` used
    (hypothesis label to reference speaker)."""

    scored: float
    missed: float
    false_alarm: float
    confusion: float
    mapping: dict[str, str]

    @property
    def der(self) -> float:
        """(missed + false alarm + confusion) / scored reference speech."""
        return (self.missed + self.false_alarm + self.confusion) / self.scored if self.scored else 0.0


def read_rttm(path: str | Path) -> list[SpeakerTurn]:
    """The turns of an RTTM file (``SPEAKER file 1 start duration <NA> <NA> name ...``)."""
    turns = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            turns.append(SpeakerTurn(start, start + duration, parts[7]))
    return turns


def _activity(turns: Sequence[SpeakerTurn], frames: int) -> tuple[list[str], np.ndarray]:
    names = sorted({t.speaker for t in turns})
    grid = np.zeros((len(names), frames), dtype=bool)
    for turn in turns:
        a, b = int(round(turn.start / _FRAME)), int(round(turn.end / _FRAME))
        grid[names.index(turn.speaker), max(a, 0):max(b, 0)] = True
    return names, grid


def diarization_error(reference: Sequence[SpeakerTurn], hypothesis: Sequence[SpeakerTurn],
                      collar: float = 0.25) -> DerScore:
    """Score ``hypothesis`` against ``reference`` (see the module docstring)."""
    from scipy.optimize import linear_sum_assignment

    end = max([t.end for t in (*reference, *hypothesis)], default=0.0)
    frames = int(np.ceil(end / _FRAME)) + 1
    ref_names, ref = _activity(reference, frames)
    hyp_names, hyp = _activity(hypothesis, frames)
    scored = np.ones(frames, dtype=bool)
    width = int(round(collar / _FRAME))
    for turn in reference:
        for edge in (turn.start, turn.end):
            k = int(round(edge / _FRAME))
            scored[max(0, k - width):k + width] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2).astype(float) if len(ref) and len(hyp) else \
        np.zeros((len(ref_names), len(hyp_names)))
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    mapping = {hyp_names[c]: ref_names[r] for r, c in zip(rows, cols)}
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    correct = np.zeros(ref.shape[1])
    for r, c in zip(rows, cols):
        correct += ref[r] & hyp[c]
    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    confusion = (np.minimum(n_ref, n_hyp) - correct).sum()
    return DerScore(float(n_ref.sum()) * _FRAME, float(missed) * _FRAME, float(false_alarm) * _FRAME,
                    float(confusion) * _FRAME, mapping)


def wrong_speaker_share(words: Iterable[Word], reference: Sequence[SpeakerTurn], mapping: dict[str, str]) -> float:
    """Of the words whose middle lies in exactly one reference turn, the share whose speaker,
    mapped by ``mapping`` (from :func:`diarization_error`), is not that turn's speaker."""
    scored = wrong = 0
    for word in words:
        middle = (word.start + word.end) / 2
        owners = {t.speaker for t in reference if t.start <= middle < t.end}
        if len(owners) != 1:
            continue
        scored += 1
        wrong += mapping.get(word.speaker or "", None) not in owners
    return wrong / scored if scored else 0.0
