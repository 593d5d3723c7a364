"""The merged result of a file: :class:`Transcript`, with a lossless JSON round trip.

The JSON keeps the API's ``verbose_json`` field names (``task``, ``language``, ``duration``,
``text``, ``segments`` with ``avg_logprob`` / ``no_speech_prob`` / ``compression_ratio``,
``words``) and adds ``chunks``, ``usage``, ``quality``, the ``options`` that made it (never
the API key) and per-segment ``chunk`` and ``flags``. ``text`` and ``quality`` are derived
from the segments, so the text, every writer and the JSON agree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from .billing import Usage
from .flags import FLAGS, notable_flags, shown
from .options import RunOptions
from .records import Segment, SpeakerTurn, Word

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ChunkRecord:
    """Where a chunk lay in the file (seconds) and how it was transcribed."""

    name: str
    start: float
    end: float
    model: str
    request_id: str | None = None
    attempts: int = 1


@dataclass(frozen=True)
class QualitySummary:
    """Share of the audio's duration covered by segments with each flag (0 to 1), the share
    covered by any flag, the segments whose flags doubt the recognition itself (all but
    ``timing`` and ``boundary``), and ``unheard_speech``: the (start, end) seconds of every
    stretch that sounds like speech but has no words in the transcript."""

    flagged_share: dict[str, float] = field(default_factory=dict)
    any_flag_share: float = 0.0
    flagged_segments: int = 0
    unheard_speech: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of(cls, segments: Sequence[Segment], duration: float,
           unheard_speech: tuple[tuple[float, float], ...] = ()) -> QualitySummary:
        """The summary of ``segments`` over ``duration`` seconds (pure)."""
        if duration <= 0:
            return cls(unheard_speech=unheard_speech)
        share = {flag: sum(s.end - s.start for s in segments if flag in s.flags) / duration for flag in FLAGS}
        flagged = [s for s in segments if s.flags]
        return cls(
            flagged_share={k: round(min(1.0, v), 6) for k, v in share.items() if v > 0},
            any_flag_share=round(min(1.0, sum(s.end - s.start for s in flagged) / duration), 6),
            flagged_segments=sum(1 for s in segments if notable_flags(s.flags)),
            unheard_speech=unheard_speech,
        )


@dataclass(frozen=True)
class SpeakerStats:
    """One speaker: ``name``, seconds of talk (the diarizer's turns), ``share`` of all talk
    (0 to 1), and the number of ``words`` they say in the transcript."""

    name: str
    talk_seconds: float
    share: float
    words: int

    @classmethod
    def of(cls, turns: Sequence[SpeakerTurn], segments: Sequence[Segment]) -> tuple[SpeakerStats, ...]:
        """Every speaker of ``turns`` and ``segments``, in order of first appearance in the
        segments (then of first turn), with their talk time (pure)."""
        order = list(dict.fromkeys([*(s.speaker for s in segments if s.speaker), *(t.speaker for t in turns)]))
        talk = {name: 0.0 for name in order}
        for turn in turns:
            talk[turn.speaker] += max(0.0, turn.end - turn.start)
        said = {name: 0 for name in order}
        for segment in segments:
            if segment.speaker:
                said[segment.speaker] += len(segment.words) or len(segment.text.split())
        total = sum(talk.values())
        return tuple(cls(name, round(talk[name], 3), round(talk[name] / total, 4) if total else 0.0, said[name])
                     for name in order)


def spoken_text(segments: Sequence[Segment], keep_hallucinations: bool = False) -> str:
    """The text of ``segments`` joined, leaving out silence hallucinations unless kept."""
    return " ".join(t for s in segments if (t := s.text.strip()) and shown(s.flags, keep_hallucinations))


@dataclass(frozen=True)
class Transcript:
    """One file's transcript: segments with words and quality flags, in file time (seconds).

    ``options`` are the options that produced it (never the API key). ``text`` and
    ``quality`` are derived from the segments: ``text`` leaves out segments flagged
    ``silence_hallucination`` unless ``options.keep_hallucinations`` (they stay in
    ``segments``, flagged). ``unheard_speech`` lists the stretches that sound like speech
    but have no words. ``skipped`` lists the stretches of non-speech left out of the audio
    sent (seconds), ``speech_seconds`` how much of the file the voice-activity map calls
    speech. Times never decrease and no word appears twice.
    """

    language: str | None
    duration: float
    segments: tuple[Segment, ...]
    task: str = "transcribe"
    chunks: tuple[ChunkRecord, ...] = ()
    usage: Usage = field(default_factory=Usage)
    unheard_speech: tuple[tuple[float, float], ...] = ()
    options: RunOptions = field(default_factory=RunOptions)
    speaker_turns: tuple[SpeakerTurn, ...] = ()
    skipped: tuple[tuple[float, float], ...] = ()
    speech_seconds: float | None = None

    def __post_init__(self) -> None:
        # a transcript never holds the key, and keeps paths as strings (for its JSON)
        object.__setattr__(self, "options", self.options.recorded())

    @cached_property
    def text(self) -> str:
        """The spoken text: every shown segment's text, joined."""
        return spoken_text(self.segments, self.options.keep_hallucinations)

    @cached_property
    def quality(self) -> QualitySummary:
        """The flags' shares and counts, and the unheard speech."""
        return QualitySummary.of(self.segments, self.duration, self.unheard_speech)

    @cached_property
    def speakers(self) -> tuple[SpeakerStats, ...]:
        """Every labelled speaker with their talk time, in order of first appearance; empty
        when speakers were not labelled."""
        return SpeakerStats.of(self.speaker_turns, self.segments)

    @property
    def words(self) -> tuple[Word, ...]:
        """Every word of every segment, in order."""
        return tuple(w for s in self.segments for w in s.words)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``verbose_json`` field names."""
        options = asdict(self.options)
        options.pop("api_key", None)
        return {
            "schema_version": SCHEMA_VERSION, "text": self.text, "language": self.language,
            "duration": self.duration, "segments": [_segment_dict(s) for s in self.segments], "task": self.task,
            "chunks": [asdict(c) for c in self.chunks], "usage": asdict(self.usage),
            "quality": asdict(self.quality), "words": [_word_dict(w) for w in self.words], "options": options,
            "speech_seconds": self.speech_seconds, "skipped": [list(s) for s in self.skipped],
            **({"speakers": [asdict(s) for s in self.speakers],
                "speaker_turns": [asdict(t) for t in self.speaker_turns]} if self.speaker_turns else {}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The transcript as JSON text (see the module docstring)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """Rebuild a transcript from :meth:`to_dict` output (``text`` and ``quality`` are
        derived again; a JSON without ``options`` gets the defaults)."""
        segments = tuple(
            Segment(**{**{k: v for k, v in s.items() if k in _SEGMENT_FIELDS},
                       "words": tuple(Word(**{k: v for k, v in w.items() if k in _WORD_FIELDS})
                                      for w in s.get("words", ())),
                       "flags": tuple(s.get("flags", ()))})
            for s in data.get("segments", ()))
        quality = data.get("quality") or {}
        return cls(
            language=data.get("language"), duration=float(data["duration"]), segments=segments,
            task=data.get("task", "transcribe"), chunks=tuple(ChunkRecord(**c) for c in data.get("chunks", ())),
            usage=Usage.from_dict(data.get("usage") or {}),
            unheard_speech=tuple((float(a), float(b)) for a, b in quality.get("unheard_speech", ())),
            options=RunOptions.from_dict(data.get("options") or {}),
            speaker_turns=tuple(SpeakerTurn(float(t["start"]), float(t["end"]), str(t["speaker"]))
                                for t in data.get("speaker_turns", ())),
            skipped=tuple((float(a), float(b)) for a, b in data.get("skipped", ())),
            speech_seconds=None if data.get("speech_seconds") is None else float(data["speech_seconds"]),
        )

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        """Rebuild a transcript from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


_SEGMENT_FIELDS = {"id", "start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio",
                   "temperature", "chunk", "speaker"}
_WORD_FIELDS = {"word", "start", "end", "probability", "speaker"}


def _word_dict(word: Word) -> dict[str, Any]:
    data = asdict(word)
    if data["speaker"] is None:  # no speakers labelled: the JSON of earlier versions
        del data["speaker"]
    return data


def _segment_dict(segment: Segment) -> dict[str, Any]:
    data = asdict(segment)
    data["words"] = [_word_dict(w) for w in segment.words]
    data["flags"] = list(segment.flags)
    if data["speaker"] is None:
        del data["speaker"]
    return data
