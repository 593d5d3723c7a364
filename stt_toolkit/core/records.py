"""Typed data that crosses pipeline stages (frozen dataclasses, no loose dicts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .codecs import CODECS

#: The sample rate every stage after preprocessing works at.
SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`stt_toolkit.audio.decode.preprocess` produced: a 16 kHz mono 16-bit FLAC file.

    ``duration`` and ``frames`` are read from the output file itself. The ``source_*``
    fields describe the input's first audio stream where ffmpeg reported them.
    ``reencoded`` is False when the input already was 16 kHz mono 16-bit FLAC and was
    used (or copied) as it is. ``decode_warnings`` keeps the decoder's complaints when
    ``strict=False`` let a damaged input through.
    """

    path: Path
    source: str
    duration: float
    frames: int
    bytes: int
    sample_rate: int = SAMPLE_RATE
    source_codec: str | None = None
    source_sample_rate: int | None = None
    source_channels: int | None = None
    reencoded: bool = True
    decode_warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """One planned piece of the audio, in samples of the preprocessed file.

    The chunk covers ``[start, end)``. ``keep_start`` and ``keep_end`` are the planned cuts
    (in silences) around it: neighbouring chunks overlap around each cut, and a merge that
    cannot align the overlap keeps this chunk's words inside ``[keep_start, keep_end)``.
    ``part`` is empty for a planned chunk; a chunk split later (over the byte limit, or
    refused by a server as too large) has its parent's index and ``part`` extended.
    """

    index: int
    start: int
    end: int
    keep_start: int
    keep_end: int
    sample_rate: int = SAMPLE_RATE
    part: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """A readable identifier: ``"3"`` or, for split chunks, ``"3.1.0"``."""
        return ".".join(str(p) for p in (self.index, *self.part))

    @property
    def start_seconds(self) -> float:
        """Start of the chunk in seconds."""
        return self.start / self.sample_rate

    @property
    def end_seconds(self) -> float:
        """End of the chunk in seconds."""
        return self.end / self.sample_rate

    @property
    def duration(self) -> float:
        """Length of the chunk in seconds."""
        return (self.end - self.start) / self.sample_rate


@dataclass(frozen=True)
class ChunkAudio:
    """The encoded bytes of one chunk, ready to upload or to hand to a local engine."""

    chunk: Chunk
    data: bytes
    codec: str
    mime_type: str

    @property
    def filename(self) -> str:
        """A file name with the right extension, for multipart uploads."""
        return f"chunk-{self.chunk.name}.{CODECS[self.codec].extension}"


@dataclass(frozen=True)
class Word:
    """One word with its times in seconds; ``probability`` where the engine reports it;
    ``speaker`` once speakers are labelled."""

    word: str
    start: float
    end: float
    probability: float | None = None
    speaker: str | None = None


def words_text(words: Sequence[Word]) -> str:
    """The text of consecutive words, as a segment holds it: Whisper's words carry their own
    leading spaces; words without them are joined by single spaces."""
    if any(w.word.startswith(" ") for w in words):
        return "".join(w.word for w in words)
    return " " + " ".join(w.word.strip() for w in words)


@dataclass(frozen=True)
class Segment:
    """One decoded segment with Whisper's quality signals (``None`` where not reported).

    Times are in seconds, relative to whatever the containing object says (a chunk for a
    :class:`ChunkResult`). The three signals are computed per 30 s decoding window by most
    servers, so neighbouring segments often share them. In a merged transcript, ``chunk``
    names the chunk the segment came from, ``flags`` holds its quality flags, and
    ``speaker`` (once speakers are labelled) who says it.
    """

    id: int
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    temperature: float | None = None
    words: tuple[Word, ...] = ()
    chunk: str | None = None
    flags: tuple[str, ...] = ()
    speaker: str | None = None


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of the audio (seconds) in which ``speaker`` talks, as a diarizer found it."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class ChunkResult:
    """What an engine returned for one chunk. Times are relative to the chunk's start.

    ``words`` holds every word of the chunk (also found inside the segments when the engine
    assigns them). ``language`` is an ISO-639-1 code. ``attempts`` counts the requests made
    for this chunk, the successful one included; ``abandoned``, those of them given up on
    after they were sent (a stall cut at its deadline), which the server may bill.
    """

    chunk: Chunk
    task: str
    text: str
    segments: tuple[Segment, ...]
    words: tuple[Word, ...]
    language: str | None
    duration: float
    model: str
    request_id: str | None = None
    attempts: int = 1
    abandoned: int = 0


@dataclass(frozen=True)
class EnergyProfile:
    """Smoothed energy in dB of consecutive short frames of a stretch of audio.

    Frame ``i`` covers samples ``offset + i * frame_length`` onwards. ``total_samples`` is
    the length of the whole file (not just of the measured stretch).
    """

    db: np.ndarray
    frame_length: int
    offset: int
    total_samples: int
    sample_rate: int
