"""Speaker labels on a merged transcript (pure).

Every word gets the speaker whose turns cover most of it (a word in no turn: the nearest
turn). Diarizers place turn boundaries a few hundred milliseconds off and now and then give
a few words of continuous speech to another voice, so two smoothings follow, both only
where the words run on with no pause: a short run of another speaker's words between two
runs of one speaker joins them, and a change of speaker between two words with no pause
moves to a pause within a word or two, where the turn really changed. Segments are then
split at every change of speaker, and speakers are named in order of first appearance.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from ..core.records import Segment, SpeakerTurn, Word, words_text
from ..core.transcript import Transcript

#: Seconds between two words that count as a pause, where a turn may change.
PAUSE = 0.25
#: A run of another speaker's words shorter than this (seconds), with no pause on either
#: side, inside one speaker's speech, is that speaker's. Whisper's word times inside a
#: segment touch (83-100 % of gaps are 0 on the shared files), so "no pause" holds at real
#: changes too: at 1.0 s this erased a true 1.1 s reply ("I need to") on the pyannote clip
#: (wrong-speaker words 7.5 -> 11.9 %); at 0.5 s it changed no file's score (BENCHMARKS.md).
FLIP_SECONDS = 0.5
#: How many words a change of speaker may move to reach a pause (2 moved a right change to a
#: pause inside the next turn on the stitched file; 1 changed no file's score).
SNAP_WORDS = 1


@dataclass(frozen=True)
class Smoothing:
    """The smoothing rules (see the module docstring); ``Smoothing(0, 0)`` turns them off."""

    flip_seconds: float = FLIP_SECONDS
    snap_words: int = SNAP_WORDS
    pause: float = PAUSE


def default_names(count: int, names: Sequence[str] = ()) -> list[str]:
    """``count`` speaker names: ``names`` first, then ``Speaker 3``, ``Speaker 4`` ..."""
    return [names[i] if i < len(names) else f"Speaker {i + 1}" for i in range(count)]


class _Turns:
    """Turns sorted by start, for fast lookup of those that overlap a stretch."""

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted((t for t in turns if t.end > t.start), key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]
        self.reach = list(accumulate((t.end for t in self.turns), max))  # nondecreasing

    def speaker(self, start: float, end: float) -> str | None:
        """The speaker covering most of ``[start, end]`` (a point: the turn it lies in), else
        the nearest turn's speaker; None with no turns."""
        if not self.turns:
            return None
        if end - start < 1e-3:
            start, end = start - 0.01, end + 0.01
        low = bisect.bisect_right(self.reach, start)
        high = bisect.bisect_left(self.starts, end)
        cover: dict[str, float] = {}
        for turn in self.turns[low:high]:
            overlap = min(end, turn.end) - max(start, turn.start)
            if overlap > 0:
                cover[turn.speaker] = cover.get(turn.speaker, 0.0) + overlap
        if cover:
            return max(cover, key=lambda s: cover[s])
        middle = (start + end) / 2
        near = [self.turns[k] for k in (low - 1, low, high - 1, high) if 0 <= k < len(self.turns)]
        return min(near, key=lambda t: max(t.start - middle, middle - t.end)).speaker


def label_words(words: Sequence[Word], turns: Sequence[SpeakerTurn],
                smoothing: Smoothing = Smoothing()) -> list[str | None]:
    """The speaker of each word (in order) by ``turns``, smoothed."""
    index = _Turns(turns)
    labels = [index.speaker(w.start, w.end) for w in words]
    if smoothing.flip_seconds > 0:
        labels = _join_islands(words, labels, smoothing)
    if smoothing.snap_words > 0:
        labels = _snap_changes(words, labels, smoothing)
    return labels


def _gap(words: Sequence[Word], k: int) -> float:
    """Seconds between word ``k - 1`` and word ``k``."""
    return words[k].start - words[k - 1].end


def _runs(labels: Sequence[str | None]) -> list[tuple[int, int]]:
    """``[start, end)`` of every run of one label."""
    runs: list[tuple[int, int]] = []
    for k, label in enumerate(labels):
        if runs and labels[runs[-1][0]] == label:
            runs[-1] = (runs[-1][0], k + 1)
        else:
            runs.append((k, k + 1))
    return runs


def _join_islands(words: Sequence[Word], labels: list[str | None], smoothing: Smoothing) -> list[str | None]:
    out = list(labels)
    runs = _runs(out)
    for before, run, after in zip(runs, runs[1:], runs[2:]):
        a, b = run
        if (out[before[0]] == out[after[0]] != out[a] and words[b - 1].end - words[a].start < smoothing.flip_seconds
                and _gap(words, a) < smoothing.pause and _gap(words, b) < smoothing.pause):
            out[a:b] = [out[before[0]]] * (b - a)
    return out


def _snap_changes(words: Sequence[Word], labels: list[str | None], smoothing: Smoothing) -> list[str | None]:
    out = list(labels)
    for k in range(1, len(words)):
        if out[k] == out[k - 1] or _gap(words, k) >= smoothing.pause:
            continue
        left, right = out[k - 1], out[k]
        # the nearest pause within snap_words either side, inside the two runs
        choices = [j for j in range(k - smoothing.snap_words, k + smoothing.snap_words + 1)
                   if 0 < j < len(words) and j != k and _gap(words, j) >= smoothing.pause
                   and all(out[i] == (left if i < k else right) for i in range(min(j, k), max(j, k)))]
        if choices:
            j = min(choices, key=lambda i: (abs(i - k), -_gap(words, i)))
            out[min(j, k):max(j, k)] = [right if j < k else left] * abs(j - k)
    return out


def split_segments(segments: Sequence[Segment], labels: Sequence[str | None], index: _Turns) -> list[Segment]:
    """``segments`` with their words' ``labels`` (in order), split at every change."""
    out: list[Segment] = []
    position = 0
    for segment in segments:
        if not segment.words:
            out.append(dataclasses.replace(segment, speaker=index.speaker(segment.start, segment.end)))
            continue
        own = labels[position:position + len(segment.words)]
        position += len(segment.words)
        words = [dataclasses.replace(w, speaker=s) for w, s in zip(segment.words, own)]
        runs = _runs(own)
        for n, (a, b) in enumerate(runs):
            run = tuple(words[a:b])
            if len(runs) == 1:
                out.append(dataclasses.replace(segment, words=run, speaker=own[a]))
                continue
            start = segment.start if n == 0 else run[0].start
            end = segment.end if n == len(runs) - 1 else run[-1].end
            out.append(dataclasses.replace(segment, start=min(start, run[0].start), end=max(end, run[-1].end),
                                           text=words_text(run), words=run, speaker=own[a]))
    return [dataclasses.replace(s, id=i) for i, s in enumerate(out)]


def with_speakers(transcript: Transcript, turns: Sequence[SpeakerTurn], names: Sequence[str] = (),
                  smoothing: Smoothing = Smoothing()) -> Transcript:
    """``transcript`` with a speaker on every word and segment, segments split at each change,
    and the turns kept; speakers are named ``names`` (then ``Speaker N``) in order of first
    appearance in the words (speakers who say no word come last, by their first turn)."""
    index = _Turns(turns)
    words = transcript.words
    labels = label_words(words, index.turns, smoothing)
    segments = split_segments(transcript.segments, labels, index)
    order = list(dict.fromkeys([*(s.speaker for s in segments if s.speaker), *(t.speaker for t in index.turns)]))
    rename = dict(zip(order, default_names(len(order), names)))
    segments = [dataclasses.replace(s, speaker=rename.get(s.speaker) if s.speaker else None,
                                    words=tuple(dataclasses.replace(w, speaker=rename.get(w.speaker) if w.speaker
                                                                    else None) for w in s.words))
                for s in segments]
    named = tuple(SpeakerTurn(t.start, t.end, rename[t.speaker]) for t in index.turns)
    return dataclasses.replace(transcript, segments=tuple(segments), speaker_turns=named)
