"""Subtitle cues built for reading, from word timestamps (pure).

The words are grouped into cues and lines by :mod:`.layout` (breaks chosen by cost over the
whole text), then timed here: a cue starts at its first word and stays up after its last,
into the pause that follows, long enough to read at ``max_chars_per_second`` and for
``min_duration``, but never past the next cue (``min_gap`` before it) nor ``max_duration``;
a gap to the next cue shorter than ``chain_gap`` is closed to ``min_gap``. The limits are
:class:`~stt_toolkit.core.options.CueOptions` (its presets follow the Netflix and BBC
guidelines). Lengths count characters, so scripts without spaces (Japanese, Chinese) are
measured correctly; a single word longer than a line is kept whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.flags import shown
from ..core.options import CueOptions, ExportOptions
from ..core.records import Segment, Word
from .layout import COMFORT, Lines, break_lines, group, name_lead

__all__ = ["Cue", "break_lines", "build_cues", "cue_words", "dialogue_cues", "join_words", "labelled_cues", "name_lead",
           "synthesize_words"]

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


def build_cues(segments: Iterable[Segment], options: CueOptions = CueOptions(),
               audio_end: float | None = None, keep_hallucinations: bool = False, names: bool = False) -> list[Cue]:
    """Group words into readable cues, then time them (see :class:`CueOptions`); no cue ends
    after ``audio_end`` (the audio's duration) when it is given; flagged silence
    hallucinations are shown only with ``keep_hallucinations``. A new cue starts at every
    change of speaker; with ``names``, the first cue of each turn leaves room on its first
    line for "Name: "."""
    groups = group(cue_words(segments, keep_hallucinations), options, names)
    return _time_cues(groups, options, audio_end)


def display_end(words: Sequence[Word], start: float, following: float, options: CueOptions) -> float:
    """When a cue of ``words`` shown from ``start`` leaves the screen, the next cue starting
    at ``following``: see the module's docstring."""
    reading = len(join_words(words)) / (options.max_chars_per_second * COMFORT) + 0.001  # ms rounding
    end = max(words[-1].end, start + options.min_duration + 0.001, start + reading)
    if following - options.min_gap - end < options.chain_gap:
        end = following - options.min_gap
    return min(end, following - options.min_gap, start + options.max_duration)


def _time_cues(groups: list[tuple[list[tuple[Word, Segment]], Lines]], options: CueOptions,
               audio_end: float | None = None) -> list[Cue]:
    cues: list[Cue] = []
    for index, (items, lines) in enumerate(groups):
        words = tuple(w for w, _ in items)
        start = words[0].start if not cues else max(words[0].start, cues[-1].end + options.min_gap)
        following = groups[index + 1][0][0][0].start if index + 1 < len(groups) else float("inf")
        end = display_end(words, start, following, options)
        if end - start < options.min_gap:  # no room before the next cue: shown while spoken, the next one waits
            end = max(words[-1].end, start + options.min_gap)
        if audio_end is not None:  # the minimum display time never runs past the audio
            end = min(end, audio_end)
            start = min(start, end - 0.001)
        end = max(end, start + 0.001)
        flags = tuple(dict.fromkeys(f for _, s in items for f in s.flags))
        cues.append(Cue(round(start, 3), round(end, 3), lines, flags, (items[0][1].speaker,) * len(lines)))
    return cues


def labelled_cues(segments: Iterable[Segment], options: ExportOptions, audio_end: float | None = None,
                  keep_hallucinations: bool = False) -> list[tuple[Cue, str]]:
    """The cues of SubRip and ASS, each with the text it shows: the ``names`` style puts
    "Name: " where a speaker's turn starts, the ``dashes`` style puts a short exchange of two
    speakers in one cue, each line led by "- " (:attr:`ExportOptions.speaker_style`)."""
    style = options.speaker_style
    cues = build_cues(segments, options.cues, audio_end, keep_hallucinations, names=style == "names")
    if style == "dashes":
        cues = dialogue_cues(cues, options.cues)
    shown_cues, previous = [], None
    for cue in cues:
        shown_cues.append((cue, _labelled_text(cue, previous, style)))
        previous = cue.line_speakers[-1] if cue.line_speakers else None
    return shown_cues


def _labelled_text(cue: Cue, previous: str | None, style: str) -> str:
    """The cue's lines, with "Name: " (``names``) or dashes (a dialogue cue); ``previous`` is
    who spoke the cue before."""
    if cue.is_dialogue:
        return "\n".join(f"- {line}" for line in cue.lines)
    if style == "names" and name_lead(cue.speaker, previous):
        return f"{cue.speaker}: {cue.text}"
    return cue.text


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
