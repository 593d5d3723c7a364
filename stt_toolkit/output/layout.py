"""Which words go into which subtitle cue, and which words into which line (pure).

The breaks are chosen by cost over the whole text, not one at a time: a dynamic programme
over every place a cue may end picks the cheapest way through a stretch of speech, within
the hard limits (:class:`~stt_toolkit.core.options.CueOptions`: characters a line, lines a
cue, seconds a cue). A cue costs the break at its end (:func:`~.breaks.break_cost`), its line
breaks, a reading speed over the limit in the time it can stay up, a display shorter than
the minimum, a remainder of one or two words, a pause inside it, and mixing the end of one
sentence with the start of the next. A pause of ``pause_split`` or more, and a change of
speaker, always end a cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.options import CueOptions
from ..core.records import Segment, Word
from .breaks import BINDING_COST, binds, break_cost, ends_sentence

Item = tuple[Word, Segment]
Lines = tuple[tuple[Word, ...], ...]

#: Every cue costs this much: fewer, fuller cues unless something else is gained.
CUE_COST = 2.0
#: Line breaks cost this share of the same break between cues.
LINE_BREAK_SHARE = 0.6
#: Per line-length of difference between two lines; and when the top line is the longer.
BALANCE_COST, TOP_HEAVY_COST = 2.0, 0.2
#: Cues are laid out and timed for this share of ``max_chars_per_second`` where the speech
#: allows, so that the limit itself holds more often (bench/bench_subtitles.py: aiming at 0.85
#: of 20 cps left 3.0% of the 12-minute meeting's cues over 20, aiming at 20 left 4.4%).
COMFORT = 0.85
#: Per 100% over that reading speed, in the time the cue can stay up.
SPEED_COST = 20.0
#: A cue that cannot stay up for the minimum display time.
FLASH_COST = 6.0
#: A cue of one word, or two, that does not stand alone in the speech.
LONE_WORD_COST, TWO_WORD_COST = 6.0, 2.0
#: A cue that ends one sentence and starts the next: more when either part is short.
MIXED_COST, SHORT_PART_COST = 1.0, 4.0
#: Per second of pause inside a cue, beyond a breath.
INNER_PAUSE_COST, BREATH = 3.0, 0.3


class _Text:
    """What the costs ask about a run of words, computed once: text lengths of any span in
    O(1) (Whisper words carry their own leading space), the cost of a break before each word,
    whether each word binds to the next or ends a sentence."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = words
        self.prefix = [0]
        for w in words:
            self.prefix.append(self.prefix[-1] + len(w.word))
        self.lead = [len(w.word) - len(w.word.lstrip()) for w in words]
        self.trail = [len(w.word) - len(w.word.rstrip()) for w in words]
        self.cost_before = [0.0] + [break_cost(a, b) for a, b in zip(words, words[1:])]
        self.binds = [binds(w) for w in words]
        self.ends = [ends_sentence(w) for w in words]
        self.pauses = [0.0]  # prefix sums of the pause before each word, beyond a breath
        for a, b in zip(words, words[1:]):
            self.pauses.append(self.pauses[-1] + max(b.start - a.end - BREATH, 0.0))

    def pause_inside(self, i: int, j: int) -> float:
        """Seconds of pause beyond a breath between the words of ``words[i:j]``."""
        return self.pauses[j - 1] - self.pauses[i]

    def length(self, i: int, j: int) -> int:
        """``len(join_words(words[i:j]))``."""
        return self.prefix[j] - self.prefix[i] - self.lead[i] - self.trail[j - 1]


def line_layout(words: Sequence[Word], options: CueOptions, lead: int = 0,
                text: _Text | None = None, i: int = 0, j: int | None = None) -> tuple[float, Lines] | None:
    """The cheapest split of ``words[i:j]`` into at most ``max_lines`` lines of at most
    ``max_line_chars`` (the first ``lead`` characters shorter, for a speaker's name), with its
    cost; one line whenever the text fits on one. None when it does not fit (a single word
    too long for a line is returned whole)."""
    j = len(words) if j is None else j
    found = _lines(text or _Text(words), i, j, options.max_lines, options.max_line_chars, lead)
    if found is None:
        return None
    bounds = (i, *found[1], j)
    return found[0], tuple(tuple(words[a:b]) for a, b in zip(bounds, bounds[1:]))


def _lines(text: _Text, i: int, j: int, most: int, width: int, lead: int) -> tuple[float, tuple[int, ...]] | None:
    """:func:`line_layout` as a cost and the indices where lines break."""
    if text.length(i, j) + lead <= width or j - i == 1:
        return 0.0, ()
    if most < 2:
        return None
    best: tuple[float, tuple[int, ...]] | None = None
    for k in range(i + 1, j):
        top = text.length(i, k) + lead
        if top > width:
            break
        rest = _lines(text, k, j, most - 1, width, 0)
        if rest is None:
            continue
        below = text.length(k, rest[1][0] if rest[1] else j)
        cost = rest[0] + LINE_BREAK_SHARE * text.cost_before[k]
        # a binding word is as bad at a line's end as at a cue's
        cost += (1 - LINE_BREAK_SHARE) * BINDING_COST if text.binds[k - 1] else 0.0
        cost += BALANCE_COST * abs(top - below) / width + (TOP_HEAVY_COST if top > below else 0.0)
        if best is None or cost < best[0]:
            best = (cost, (k, *rest[1]))
    return best


def break_lines(words: Sequence[Word], options: CueOptions = CueOptions(), lead: int = 0) -> Lines | None:
    """:func:`line_layout` without the cost."""
    layout = line_layout(words, options, lead)
    return layout[1] if layout else None


@dataclass(frozen=True)
class _Stretch:
    """Speech between two hard breaks, and when the cue after it may start at the earliest."""

    words: tuple[Word, ...]
    lead: int
    limit: float


def name_lead(speaker: str | None, previous: str | None) -> int:
    """The characters "Name: " takes before a cue of ``speaker`` after one of ``previous``
    (none when the speaker goes on, or speakers are not labelled)."""
    return len(speaker) + 2 if speaker is not None and speaker != previous else 0


def group(items: Sequence[Item], options: CueOptions, names: bool = False) -> list[tuple[list[Item], Lines]]:
    """``items`` (words with their segments, in order) as cues' words and their lines, the
    breaks chosen by cost over each stretch between hard breaks. With ``names``, the first line
    of each speaker's turn keeps room for "Name: "."""
    groups: list[tuple[list[Item], Lines]] = []
    for lo, hi in _stretches(items, options):
        limit = items[hi][0].start - options.min_gap if hi < len(items) else float("inf")
        lead = name_lead(items[lo][1].speaker, items[lo - 1][1].speaker if lo else None) if names else 0
        words = tuple(w for w, _ in items[lo:hi])
        for a, b, breaks in _best_cues(_Stretch(words, lead, limit), options):
            bounds = (a, *breaks, b)
            groups.append((list(items[lo + a:lo + b]), tuple(words[x:y] for x, y in zip(bounds, bounds[1:]))))
    return groups


def _stretches(items: Sequence[Item], options: CueOptions) -> list[tuple[int, int]]:
    """Index ranges of speech between hard breaks: a pause of ``pause_split`` or a new speaker."""
    bounds, start = [], 0
    for k in range(1, len(items)):
        (before, said), (after, says) = items[k - 1], items[k]
        if after.start - before.end >= options.pause_split or said.speaker != says.speaker:
            bounds.append((start, k))
            start = k
    return bounds + [(start, len(items))] if items else []


def _best_cues(stretch: _Stretch, options: CueOptions) -> list[tuple[int, int, tuple[int, ...]]]:
    """The cheapest cues over one stretch (dynamic programming): each as its index range and
    the indices where its lines break."""
    words, n = stretch.words, len(stretch.words)
    text = _Text(words)
    most_chars = options.max_lines * options.max_line_chars
    cost = [0.0] + [float("inf")] * n
    back: list[tuple[int, tuple[int, ...]]] = [(0, ())] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            too_long = text.length(i, j) > most_chars or words[j - 1].end - words[i].start > options.max_duration
            if j - i > 1 and too_long:
                break
            if cost[i] == float("inf"):
                continue
            priced = _cue_cost(stretch, text, i, j, options)
            if priced is not None and cost[i] + priced[0] < cost[j]:
                cost[j], back[j] = cost[i] + priced[0], (i, priced[1])
    cuts, j = [], n
    while j > 0:
        i, breaks = back[j]
        cuts.append((i, j, breaks))
        j = i
    return cuts[::-1]


def _cue_cost(stretch: _Stretch, text: _Text, i: int, j: int,
              options: CueOptions) -> tuple[float, tuple[int, ...]] | None:
    """What a cue of ``words[i:j]`` costs and where its lines break, or None when they do not fit."""
    words, n = stretch.words, len(stretch.words)
    layout = _lines(text, i, j, options.max_lines, options.max_line_chars, stretch.lead if i == 0 else 0)
    if layout is None:
        return None
    price = CUE_COST + layout[0]
    if j < n:
        price += text.cost_before[j]
    start = words[i].start
    until = min((words[j].start - options.min_gap) if j < n else stretch.limit, start + options.max_duration)
    shown = max(until - start, 1e-3)
    price += SPEED_COST * max(text.length(i, j) / shown / (options.max_chars_per_second * COMFORT) - 1.0, 0.0)
    if shown < options.min_duration:
        price += FLASH_COST
    if n > 2 and j - i <= 2:
        price += LONE_WORD_COST if j - i == 1 else TWO_WORD_COST
    price += INNER_PAUSE_COST * text.pause_inside(i, j)
    return price + _mixing_cost(text.ends, i, j), layout[1]


def _mixing_cost(ends_at: Sequence[bool], i: int, j: int) -> float:
    """A cue that holds the end of one sentence and the start of the next: costs more when it
    opens with a sentence's last word or two, or closes on the next one's first word or two."""
    ends = [k for k in range(i, j - 1) if ends_at[k]]
    if not ends:
        return 0.0
    price = 0.0
    if i > 0 and not ends_at[i - 1]:
        price += MIXED_COST + (SHORT_PART_COST if ends[0] - i < 2 else 0.0)
    if j < len(ends_at) and not ends_at[j - 1]:
        price += MIXED_COST + (SHORT_PART_COST if j - 1 - ends[-1] <= 2 else 0.0)
    return price
