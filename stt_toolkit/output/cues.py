"""Subtitle cues built for reading, from word timestamps (pure).

Defaults follow common broadcast and streaming practice for English: at most 42 characters a
line and 2 lines a cue, cues of 5/6 s to 7 s, at most 17 characters a second, a new cue at a
pause over 0.5 s, line breaks after punctuation or before a conjunction or preposition, and
2 frames (83 ms) between cues. Lengths count characters, so scripts without spaces
(Japanese, Chinese) are measured correctly; a single word longer than a line is kept whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.flags import shown
from ..core.options import CueOptions
from ..core.records import Segment, Word

_BREAK_BEFORE = frozenset(
    "and but or nor so yet because although though while whereas if unless until when where which who whom "
    "whose that to of in on at for with from by about into over after before than as".split())
_SENTENCE_END = re.compile(r"[.?!。？！…]['\"”’)]*$")
_CLAUSE_END = re.compile(r"[,;:、，；：—-]['\"”’)]*$")


@dataclass(frozen=True)
class Cue:
    """One subtitle: its display times, its words line by line, and who says each line
    (``None`` where speakers are not labelled; two speakers only in a dialogue cue)."""

    start: float
    end: float
    line_words: tuple[tuple[Word, ...], ...]
    flags: tuple[str, ...] = ()
    line_speakers: tuple[str | None, ...] = ()

    @property
    def speaker(self) -> str | None:
        """Who says the cue's first line."""
        return self.line_speakers[0] if self.line_speakers else None

    @property
    def is_dialogue(self) -> bool:
        """Whether two speakers share the cue, a line each."""
        return len(set(self.line_speakers)) > 1

    @property
    def lines(self) -> tuple[str, ...]:
        """The text of each line."""
        return tuple(join_words(line) for line in self.line_words)

    @property
    def words(self) -> tuple[Word, ...]:
        """Every word of the cue, in order."""
        return tuple(w for line in self.line_words for w in line)

    @property
    def text(self) -> str:
        """The lines joined by newlines."""
        return "\n".join(self.lines)


def cue_words(segments: Iterable[Segment], keep_hallucinations: bool = False) -> list[tuple[Word, Segment]]:
    """Every word to show, with its segment; segments without words (translations) get words
    spread over the segment's time in proportion to their length in characters."""
    out: list[tuple[Word, Segment]] = []
    for segment in segments:
        if not shown(segment.flags, keep_hallucinations):
            continue
        words = segment.words or synthesize_words(segment)
        out += [(w, segment) for w in words if w.word.strip()]
    return out


def synthesize_words(segment: Segment) -> tuple[Word, ...]:
    """Words for a segment without word times: whitespace tokens, or characters for scripts
    without spaces, timed in proportion to their length."""
    text = segment.text.strip()
    if not text:
        return ()
    tokens = [" " + t for t in text.split()] if " " in text or len(text) < 8 else list(text)
    total = sum(len(t.strip()) for t in tokens) or 1
    span = max(segment.end - segment.start, 0.0)
    words, clock = [], segment.start
    for token in tokens:
        end = clock + span * len(token.strip()) / total
        words.append(Word(token, clock, end))
        clock = end
    return tuple(words)


def join_words(words: Sequence[Word]) -> str:
    """Words as text: Whisper words carry their own leading spaces (none in Japanese)."""
    return "".join(w.word for w in words).strip()


def break_lines(words: Sequence[Word], options: CueOptions = CueOptions(),
                lead: int = 0) -> tuple[tuple[Word, ...], ...] | None:
    """Split a cue's words into at most ``max_lines`` lines of at most ``max_line_chars``
    (the first ``lead`` characters shorter, for a speaker's name before it), preferring
    breaks after punctuation and before conjunctions, with balanced lines. None when they do
    not fit (a single overlong word is returned whole, on one line)."""
    words = tuple(words)
    if len(join_words(words)) + lead <= options.max_line_chars or len(words) == 1:
        return (words,)
    if options.max_lines < 2:
        return None
    fewer = CueOptions(**{**options.__dict__, "max_lines": options.max_lines - 1})
    best: tuple[float, tuple[tuple[Word, ...], ...]] | None = None
    for i in range(1, len(words)):
        first = join_words(words[:i])
        if len(first) + lead > options.max_line_chars:
            break
        rest = break_lines(words[i:], fewer)
        if rest is None:
            continue
        second = join_words(rest[0])
        score = abs(len(first) + lead - len(second)) / options.max_line_chars
        score += 0.0 if _good_break(words[i - 1], words[i]) else 0.6
        score += 0.05 if len(first) + lead > len(second) else 0.0  # a slight pyramid: longer bottom line
        if best is None or score < best[0]:
            best = (score, (words[:i], *rest))
    return best[1] if best else None


def _good_break(before: Word, after: Word) -> bool:
    token = before.word.strip()
    return bool(_SENTENCE_END.search(token) or _CLAUSE_END.search(token)
                or after.word.strip().lower() in _BREAK_BEFORE)


def build_cues(segments: Iterable[Segment], options: CueOptions = CueOptions(),
               audio_end: float | None = None, keep_hallucinations: bool = False, names: bool = False) -> list[Cue]:
    """Group words into readable cues, then time them (see :class:`CueOptions`); no cue ends
    after ``audio_end`` (the audio's duration) when it is given; flagged silence
    hallucinations are shown only with ``keep_hallucinations``. A new cue starts at every
    change of speaker; with ``names``, the first cue of each turn leaves room on its first
    line for "Name: "."""
    groups: list[list[tuple[Word, Segment]]] = []
    current: list[tuple[Word, Segment]] = []
    lead = 0
    for word, segment in cue_words(segments, keep_hallucinations):
        if current and not _fits(current, word, segment, options, lead):
            groups.append(current)
            current = []
        if not current:
            lead = _lead(segment.speaker, groups[-1] if groups else None, names)
        current.append((word, segment))
        if _SENTENCE_END.search(word.word.strip()) and _comfortably_full(current, options):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return _time_cues(groups, options, audio_end, names)


def name_lead(speaker: str | None, previous: str | None) -> int:
    """The characters "Name: " takes before a cue of ``speaker`` after one of ``previous``
    (none when the speaker goes on, or speakers are not labelled)."""
    return len(speaker) + 2 if speaker is not None and speaker != previous else 0


def _lead(speaker: str | None, previous: list[tuple[Word, Segment]] | None, names: bool) -> int:
    """:func:`name_lead` for a cue that follows the group ``previous`` (with ``names``)."""
    return name_lead(speaker, previous[-1][1].speaker if previous else None) if names else 0


def _fits(current: list[tuple[Word, Segment]], word: Word, segment: Segment, options: CueOptions,
          lead: int = 0) -> bool:
    words = [w for w, _ in current] + [word]
    if word.start - current[-1][0].end > options.pause_split or segment.speaker != current[-1][1].speaker:
        return False
    duration = word.end - words[0].start
    if duration > options.max_duration:
        return False
    # Reading speed: split a cue that already fills a line rather than let it run too fast
    # (speech faster than the limit cannot be helped by ever smaller cues).
    too_fast = len(join_words(words)) / max(duration, options.min_duration) > options.max_chars_per_second
    if too_fast and len(join_words(words[:-1])) >= options.max_line_chars:
        return False
    return break_lines(words, options, lead) is not None


def _comfortably_full(current: list[tuple[Word, Segment]], options: CueOptions) -> bool:
    words = [w for w, _ in current]
    return len(join_words(words)) >= options.max_line_chars * 0.5 or words[-1].end - words[0].start >= 2.0


def _time_cues(groups: list[list[tuple[Word, Segment]]], options: CueOptions,
               audio_end: float | None = None, names: bool = False) -> list[Cue]:
    cues: list[Cue] = []
    for index, group in enumerate(groups):
        words = tuple(w for w, _ in group)
        start = words[0].start if not cues else max(words[0].start, cues[-1].end + options.min_gap)
        end = min(max(words[-1].end, start + options.min_duration), start + max(options.max_duration, 0.001))
        if index + 1 < len(groups):
            end = min(end, groups[index + 1][0][0].start - options.min_gap)
        if audio_end is not None:  # the minimum display time never runs past the audio
            end = min(end, audio_end)
            start = min(start, end - 0.001)
        end = max(end, start + 0.001)
        flags = tuple(dict.fromkeys(f for _, s in group for f in s.flags))
        lines = break_lines(words, options, _lead(group[0][1].speaker, groups[index - 1] if index else None,
                                                  names)) or (words,)
        cues.append(Cue(round(start, 3), round(end, 3), lines, flags, (group[0][1].speaker,) * len(lines)))
    return cues


def dialogue_cues(cues: Sequence[Cue], options: CueOptions = CueOptions()) -> list[Cue]:
    """``cues`` with each short exchange between two speakers in one cue, a line each (for
    dialogue dashes): two neighbouring one-line cues of different speakers join when each line,
    with its dash, fits and the joined cue is no longer than ``max_duration``."""
    out: list[Cue] = []
    for cue in cues:
        previous = out[-1] if out else None
        if (previous is not None and options.max_lines >= 2 and not previous.is_dialogue
                and len(previous.line_words) == 1 and len(cue.line_words) == 1
                and previous.speaker is not None and cue.speaker is not None and previous.speaker != cue.speaker
                and all(len(line) + 2 <= options.max_line_chars for line in (*previous.lines, *cue.lines))
                and cue.end - previous.start <= options.max_duration
                and cue.start - previous.end <= options.pause_split):
            out[-1] = Cue(previous.start, cue.end, (*previous.line_words, *cue.line_words),
                          tuple(dict.fromkeys((*previous.flags, *cue.flags))),
                          (*previous.line_speakers, *cue.line_speakers))
            continue
        out.append(cue)
    return out
