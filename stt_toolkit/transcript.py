"""The merged result of a file: :class:`Transcript`, with a lossless JSON round trip.

The JSON keeps the API's ``verbose_json`` field names (``task``, ``language``, ``duration``,
``text``, ``segments`` with ``avg_logprob`` / ``no_speech_prob`` / ``compression_ratio``,
``words``) and adds ``chunks``, ``usage``, ``quality`` and per-segment ``chunk`` and ``flags``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .types import Segment, Word

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
class Accounting:
    """What the transcription cost: audio sent, seconds billed (10 s minimum per request),
    requests and retries."""

    audio_seconds: float = 0.0
    billed_seconds: float = 0.0
    requests: int = 0
    retries: int = 0
    #: ``billed_seconds`` by model (a retry model may be priced differently).
    billed_by_model: dict[str, float] = field(default_factory=dict)

    def seconds_by_model(self, default_model: str | None = None) -> dict[str, float]:
        """``billed_by_model``, with seconds not attributed to a model (a transcript written
        before they were) counted as ``default_model``'s."""
        seconds = dict(self.billed_by_model)
        rest = round(self.billed_seconds - sum(seconds.values()), 3)
        if rest > 0 and default_model:
            seconds[default_model] = seconds.get(default_model, 0.0) + rest
        return seconds

    def cost(self, prices: dict[str, float], default_model: str | None = None) -> float:
        """Dollars for the billed seconds at ``prices`` (US dollars per hour, by model; see
        :meth:`seconds_by_model` for ``default_model``)."""
        return sum(prices.get(model, 0.0) * s / 3600 for model, s in self.seconds_by_model(default_model).items())


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


@dataclass(frozen=True)
class Transcript:
    """One file's transcript: segments with words and quality flags, in file time (seconds).

    ``text`` leaves out segments flagged ``silence_hallucination`` (they stay in
    ``segments``, flagged). Times never decrease and no word appears twice.
    """

    text: str
    language: str | None
    duration: float
    segments: tuple[Segment, ...]
    task: str = "transcribe"
    chunks: tuple[ChunkRecord, ...] = ()
    usage: Accounting = field(default_factory=Accounting)
    quality: QualitySummary = field(default_factory=QualitySummary)

    @property
    def words(self) -> tuple[Word, ...]:
        """Every word of every segment, in order."""
        return tuple(w for s in self.segments for w in s.words)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``verbose_json`` field names."""
        data = asdict(self)
        data["segments"] = [_segment_dict(s) for s in self.segments]
        data["words"] = [asdict(w) for w in self.words]
        return {"schema_version": SCHEMA_VERSION, **data}

    def to_json(self, indent: int | None = 2) -> str:
        """The transcript as JSON text (see the module docstring)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent) + "\n"

    def to_srt(self) -> str:
        """SubRip subtitles (see :mod:`stt_toolkit.export`)."""
        from .export import render

        return render(self, "srt")

    def to_vtt(self, highlight_words: bool = False) -> str:
        """WebVTT subtitles, optionally with karaoke-style word timestamps."""
        from .export import render

        return render(self, "vtt", highlight_words=highlight_words)

    def to_text(self) -> str:
        """Readable paragraphs of plain text."""
        from .export import render

        return render(self, "txt")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the transcript in the format its extension names (.srt .vtt .json .txt)."""
        from .export import write_outputs

        target = Path(path)
        return write_outputs(self, target.parent, target.stem, [target.suffix.lstrip(".").lower()])[0]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """Rebuild a transcript from :meth:`to_dict` output."""
        segments = tuple(
            Segment(**{**{k: v for k, v in s.items() if k in _SEGMENT_FIELDS},
                       "words": tuple(Word(**w) for w in s.get("words", ())),
                       "flags": tuple(s.get("flags", ()))})
            for s in data.get("segments", ()))
        quality = data.get("quality") or {}
        return cls(
            text=data["text"], language=data.get("language"), duration=float(data["duration"]),
            segments=segments, task=data.get("task", "transcribe"),
            chunks=tuple(ChunkRecord(**c) for c in data.get("chunks", ())),
            usage=Accounting(**(data.get("usage") or {})),
            quality=QualitySummary(dict(quality.get("flagged_share", {})), float(quality.get("any_flag_share", 0.0)),
                                   int(quality.get("flagged_segments", 0)),
                                   tuple((float(a), float(b)) for a, b in quality.get("unheard_speech", ()))),
        )

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        """Rebuild a transcript from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


_SEGMENT_FIELDS = {"id", "start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio",
                   "temperature", "chunk"}


def _segment_dict(segment: Segment) -> dict[str, Any]:
    data = asdict(segment)
    data["words"] = [asdict(w) for w in segment.words]
    data["flags"] = list(segment.flags)
    return data
