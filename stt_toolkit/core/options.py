"""Every option of the toolkit, as frozen dataclasses: one per stage, and :class:`RunOptions`
for a whole run, shared by the library front door and the CLI.

Every field of :class:`RunOptions` is a keyword of :func:`stt_toolkit.transcribe` and a flag
of ``stt-toolkit transcribe`` (``chunk_seconds`` is ``--chunk-seconds``), with the same
default; the stage options are built from it. Values that cannot work raise
:class:`~stt_toolkit.UsageError` (a ``ValueError``) when the options are made.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import PurePath
from typing import Any, Literal

from .billing import MIN_BILLED_SECONDS
from .codecs import CODEC_NAMES, Codec
from .errors import UnknownOption, UsageError
from .languages import LANGUAGES

Task = Literal["transcribe", "translate"]
#: The engines a run can name; ``auto`` is ``groq`` with a GROQ_API_KEY, else ``local``.
ENGINE_NAMES = ("auto", "groq", "openai", "local")
#: Just under the free tier's 25 MB upload limit, leaving room for the multipart envelope.
DEFAULT_MAX_BYTES = 24_500_000
#: Just under the dev tier's 100 MB upload limit.
DEV_TIER_MAX_BYTES = 99_000_000
#: Bytes of every chunk kept for its container's headers.
HEADER_MARGIN = 8_192


@dataclass(frozen=True)
class TranscribeOptions:
    """What to ask of an engine for each chunk.

    ``language`` is an ISO-639-1 code (transcription only; ``None`` detects it).
    ``prompt`` guides style and spelling (at most 224 tokens). ``temperature`` 0 lets the
    engine raise it by itself when a decode looks poor (Whisper's fallback).
    """

    task: Task = "transcribe"
    language: str | None = None
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = True

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise UsageError(f"task must be 'transcribe' or 'translate', not {self.task!r}")
        if not 0.0 <= self.temperature <= 1.0:
            raise UsageError("temperature must be between 0 and 1")


@dataclass(frozen=True)
class ChunkOptions:
    """How to cut audio into chunks.

    ``target_seconds``: preferred chunk length. ``overlap_seconds``: audio shared by two
    neighbouring chunks, centred on the cut between them. ``search_seconds``: how far
    either side of the target a cut may move to find the quietest point.
    ``max_bytes``: the upload limit every exported chunk stays under
    (:data:`DEV_TIER_MAX_BYTES` for Groq's dev tier). ``codec``: how chunks are encoded.
    ``min_seconds``: no chunk is shorter unless the whole audio is (the billing minimum).
    """

    target_seconds: float = 600.0
    overlap_seconds: float = 10.0
    search_seconds: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    codec: Codec = "flac"
    min_seconds: float = MIN_BILLED_SECONDS

    def __post_init__(self) -> None:
        if self.target_seconds <= 0:
            raise UsageError("target_seconds must be positive")
        if self.min_seconds < 0:
            raise UsageError("min_seconds must not be negative")
        if self.overlap_seconds < 0 or self.search_seconds < 0:
            raise UsageError("overlap_seconds and search_seconds must not be negative")
        if self.overlap_seconds >= self.target_seconds:
            raise UsageError("overlap_seconds must be smaller than target_seconds")
        if self.max_bytes <= HEADER_MARGIN:
            raise UsageError(f"max_bytes must be over {HEADER_MARGIN}")
        if self.codec not in CODEC_NAMES:
            raise UsageError(f"codec must be one of {', '.join(CODEC_NAMES)}, not {self.codec!r}")


@dataclass(frozen=True)
class VadOptions:
    """Where speech is, and what of the rest is sent (:mod:`stt_toolkit.core.speech`).

    Speech starts at a frame whose probability reaches ``threshold`` and ends after
    ``min_silence_seconds`` under it; stretches shorter than ``min_speech_seconds`` are
    dropped and the rest padded by ``pad_seconds`` (tight: speaker turns stay apart).
    Non-speech longer than ``min_skip_seconds`` is left out of the audio sent, but for
    ``joint_seconds / 2`` beside the speech on either side.
    """

    threshold: float = 0.5
    min_speech_seconds: float = 0.25
    min_silence_seconds: float = 0.1
    pad_seconds: float = 0.03
    min_skip_seconds: float = 2.0
    joint_seconds: float = 1.0

    def __post_init__(self) -> None:
        if not 0.15 < self.threshold < 1.0:
            raise UsageError(f"the speech threshold must be between 0.15 and 1, not {self.threshold!r}")
        if not self.min_skip_seconds >= self.joint_seconds >= 0:
            raise UsageError(f"min_skip_seconds must be at least {self.joint_seconds:g} s, "
                             f"not {self.min_skip_seconds!r}")


@dataclass(frozen=True)
class ApiOptions:
    """How the HTTP client behaves. ``rpm`` and ``audio_seconds_per_hour`` pace the client
    below the server's limits (Groq's free tier: 20 and 7,200); ``None`` sets no limit.
    Each request has an overall deadline besides the per-read timeouts (see
    :meth:`deadline`); an answer over ``max_answer_bytes`` is refused unread. With
    ``adaptive_deadline``, an answer is awaited at most ``deadline_multiplier`` x the
    ``deadline_percentile`` of the run's waits (scaled to the audio, at least
    ``deadline_floor_seconds``, from the ``deadline_min_samples``-th answer on), then the
    request is given up on and sent again; with ``hedge_requests`` too, a late one near a run's
    end gets a second copy earlier (:mod:`stt_toolkit.engines.deadlines`)."""

    concurrency: int = 4
    max_attempts: int = 6
    retry_cap_seconds: float = 600.0
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    connect_timeout: float = 10.0
    read_timeout_base: float = 60.0
    read_timeout_per_audio_second: float = 0.2
    rpm: float | None = None
    audio_seconds_per_hour: float | None = None
    max_answer_bytes: int = 32 * 1024 * 1024
    min_upload_bytes_per_second: float = 64 * 1024
    adaptive_deadline: bool = True
    deadline_percentile: float = 0.95
    deadline_multiplier: float = 3.0
    deadline_floor_seconds: float = 2.0
    deadline_min_samples: int = 8
    hedge_requests: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name in ("adaptive_deadline", "hedge_requests") or f.name.startswith("deadline_"):
                _check_kind(f.name, getattr(self, f.name), str(f.type))
        if self.concurrency < 1 or self.max_attempts < 1:
            raise UsageError("concurrency and max_attempts must be at least 1")
        if not (0 < self.deadline_percentile <= 1 and self.deadline_multiplier >= 1
                and 0 <= self.deadline_floor_seconds < math.inf and self.deadline_min_samples >= 1):
            raise UsageError("deadline_percentile must be in (0, 1], deadline_multiplier at least 1, "
                             "deadline_floor_seconds a number of seconds, deadline_min_samples at least 1")
        for name in ("rpm", "audio_seconds_per_hour"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise UsageError(f"{name} must be positive (leave it out for no limit)")

    def read_timeout(self, audio_seconds: float) -> float:
        """The longest wait for any one read of an answer to a chunk of ``audio_seconds``."""
        return self.read_timeout_base + self.read_timeout_per_audio_second * audio_seconds

    def deadline(self, audio_seconds: float, upload_bytes: int) -> float:
        """The longest one request may take in all, from connecting to the last byte of the
        answer: a server that drips its answer a byte at a time cannot hold a run."""
        upload = upload_bytes / self.min_upload_bytes_per_second
        return self.connect_timeout + upload + 2 * self.read_timeout(audio_seconds)


@dataclass(frozen=True)
class QualityOptions:
    """The thresholds of the quality flags (Whisper's defaults)."""

    failed_logprob: float = -1.0
    low_logprob: float = -0.5
    no_speech_prob: float = 0.6
    compression_ratio: float = 2.4


_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a string"), "float": ((int, float), "a number"), "int": ((int,), "a whole number"),
    "bool": ((bool,), "True or False")}


def _check_kind(name: str, value: Any, annotation: str) -> None:
    """A :class:`UsageError` unless ``value`` is of the kind ``annotation`` names (``"float |
    None"``); a bool is not taken for a number."""
    kinds = [k.strip() for k in annotation.split("|")]
    if (value is None and "None" in kinds) or (isinstance(value, PurePath) and "PurePath" in kinds):
        return
    known = [k for k in kinds if k in _KINDS]
    if not known:
        return
    for kind in known:
        types, _ = _KINDS[kind]
        if isinstance(value, types) and (kind == "bool" or not isinstance(value, bool)):
            return
    said = " or ".join([_KINDS[k][1] for k in known] + ["a path"] * ("PurePath" in kinds) + ["None"] * ("None" in kinds))
    raise UsageError(f"{name} must be {said}, not {value!r}")


@dataclass(frozen=True)
class CueOptions:
    """How subtitle cues are cut and timed (:mod:`stt_toolkit.output.layout` and
    :mod:`~stt_toolkit.output.cues`): characters a line and lines a cue, a cue's shortest and
    longest display, the reading speed aimed at, the pause that always ends a cue, the gap
    between cues, and the gap closed to ``min_gap`` (a "chain"). The defaults are the
    ``netflix`` preset (:data:`SUBTITLE_STYLES`)."""

    max_line_chars: int = 42
    max_lines: int = 2
    min_duration: float = 5 / 6
    max_duration: float = 7.0
    max_chars_per_second: float = 20.0
    pause_split: float = 1.0
    min_gap: float = 2 / 24
    chain_gap: float = 0.5

    def __post_init__(self) -> None:
        # messages name the run's keywords (max_cps for max_chars_per_second): the CLI says them as flags
        keywords = {"min_duration": "min_cue_seconds", "max_duration": "max_cue_seconds",
                    "max_chars_per_second": "max_cps"}
        for f in fields(self):
            name, value = keywords.get(f.name, f.name), getattr(self, f.name)
            _check_kind(name, value, str(f.type))
            if f.type == "int":
                fits, what = value >= 1, "a whole number of at least 1"
            elif f.name in ("min_gap", "chain_gap"):
                fits, what = math.isfinite(value) and value >= 0, "zero or more"
            else:
                fits, what = math.isfinite(value) and value > 0, "a positive number"
            if not fits:
                raise UsageError(f"{name} must be {what}, not {value!r}")
        if self.min_duration > self.max_duration:
            raise UsageError(f"the shortest cue ({self.min_duration:g} s, min_cue_seconds) is longer than the "
                             f"longest ({self.max_duration:g} s, max_cue_seconds)")

    @classmethod
    def style(cls, name: str = "netflix", **changes: Any) -> CueOptions:
        """The preset ``name`` (:data:`SUBTITLE_STYLES`), with ``changes`` (fields left None keep the preset's)."""
        try:
            preset = SUBTITLE_STYLES[name]
        except KeyError:
            raise UsageError(f"unknown subtitle style {name!r}: choose from {', '.join(SUBTITLE_STYLES)}") from None
        return replace(preset, **{k: v for k, v in changes.items() if v is not None})


#: Subtitle presets. ``netflix``: the Netflix Timed Text Style Guide for English (42 characters,
#: 2 lines, 20 characters a second for adult programmes, 5/6 s to 7 s, 2 frames between cues, gaps
#: under 12 frames closed). ``bbc``: the BBC subtitle guidelines (37 characters, the Teletext line;
#: 160-180 words a minute, about 17 characters a second; cues of at least 1 s; 2 frames at 25 fps).
#: ``compact``: our own, for vertical video and phone screens: 2 lines of 22 characters, at most 4 s.
SUBTITLE_STYLES: dict[str, CueOptions] = {
    "netflix": CueOptions(),
    "bbc": CueOptions(max_line_chars=37, max_chars_per_second=17.0, min_duration=1.0, min_gap=2 / 25),
    "compact": CueOptions(max_line_chars=22, max_duration=4.0),
}


@dataclass(frozen=True)
class SpeakerCount:
    """How many speakers to look for: exactly ``exact``, or between ``minimum`` and
    ``maximum`` (either may be None: the backend decides)."""

    exact: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    def __post_init__(self) -> None:
        for name, keyword in (("exact", "speakers"), ("minimum", "min_speakers"), ("maximum", "max_speakers")):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"{keyword} must be at least 1, not {value}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise UsageError(f"min_speakers ({self.minimum}) is over max_speakers ({self.maximum})")

    @property
    def low(self) -> int | None:
        """The fewest speakers allowed."""
        return self.exact or self.minimum

    @property
    def high(self) -> int | None:
        """The most speakers allowed."""
        return self.exact or self.maximum


#: How subtitles show who speaks: ``names`` starts each speaker's turn with "Name: ";
#: ``dashes`` lets two speakers share a cue, a line each, each line led by a dash.
SPEAKER_STYLES = ("names", "dashes")


@dataclass(frozen=True)
class ExportOptions:
    """How transcripts are written: the subtitle layout, (WebVTT) word highlighting, and how
    subtitles show speakers (:data:`SPEAKER_STYLES`)."""

    cues: CueOptions = field(default_factory=CueOptions)
    highlight_words: bool = False
    speaker_style: str = "names"

    def __post_init__(self) -> None:
        if self.speaker_style not in SPEAKER_STYLES:
            raise UsageError(f"speaker_style must be one of {', '.join(SPEAKER_STYLES)}, not {self.speaker_style!r}")


@dataclass(frozen=True)
class RunOptions:
    """Everything a transcription run can be told. See the README for each option.

    ``keep_hallucinations`` is the one setting for text Whisper makes up over silence
    (flagged ``silence_hallucination``): left out of the text, the subtitles and the TXT
    unless it is set; the segments keep it, flagged, either way (so is text over what the
    voice-activity map calls non-speech, flagged ``non_speech_text``).

    ``vad`` finds the speech with a voice-activity model: chunks are cut where speech is
    least likely, text over non-speech is flagged, and ``skip_silence`` leaves non-speech
    longer than ``min_skip_seconds`` out of the audio sent (billed engines bill less, the
    local engine has less to decode). Without ``vad``, none of these: cuts by energy alone.
    """

    engine: str = "auto"
    model: str | PurePath | None = None
    language: str | None = None
    translate: bool = False
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = True
    concurrency: int = 4
    chunk_seconds: float = 600.0
    overlap_seconds: float = 10.0
    search_seconds: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    codec: str = "flac"
    rpm: float | None = None
    audio_seconds_per_hour: float | None = None
    max_attempts: int = 6
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    strict: bool = True
    fill_gaps: bool = True
    condition_on_previous: bool = False
    retry_flagged: bool = False
    retry_model: str | None = None
    keep_hallucinations: bool = False
    highlight_words: bool = False
    ffmpeg: str | PurePath | None = None
    speakers: int | str | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    speaker_names: tuple[str, ...] | None = None
    speaker_style: str = "names"
    subtitle_style: str = "netflix"
    max_line_chars: int | None = None
    max_lines: int | None = None
    max_cps: float | None = None
    min_cue_seconds: float | None = None
    max_cue_seconds: float | None = None
    vad: bool = True
    skip_silence: bool = True
    min_skip_seconds: float = 2.0

    def __post_init__(self) -> None:
        self.cue_options()  # a subtitle limit that cannot work fails here, not at the end of a run
        # "Ana, Ben" (the CLI's form) or any sequence of names: kept as a tuple
        names = self.speaker_names
        if isinstance(names, str):
            names = tuple(n.strip() for n in names.strip(" ,").split(",")) if names.strip(" ,") else ()
        elif isinstance(names, (list, tuple)):
            names = tuple(names)
        object.__setattr__(self, "speaker_names", names or None)
        if self.vad is False:  # nothing is skipped without the voice-activity map: say so in the record
            object.__setattr__(self, "skip_silence", False)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> RunOptions:
        """Build from keywords, naming any unknown one in an :class:`~stt_toolkit.UnknownOption`."""
        unknown = sorted(set(kwargs) - {f.name for f in fields(cls)})
        if unknown:
            raise UnknownOption(f"unknown option(s): {', '.join(unknown)}")
        return cls(**kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunOptions:
        """Rebuild recorded options (:meth:`recorded`), ignoring fields it does not know."""
        known = {f.name for f in fields(cls)} - {"api_key"}
        return cls(**{k: v for k, v in data.items() if k in known})

    def recorded(self) -> RunOptions:
        """These options as a transcript keeps them: without the API key, paths as strings."""
        paths = {name: str(value) for name in ("model", "ffmpeg") if isinstance(value := getattr(self, name), PurePath)}
        return replace(self, api_key=None, **paths) if self.api_key is not None or paths else self

    @property
    def task(self) -> Task:
        """``translate`` or ``transcribe``."""
        return "translate" if self.translate else "transcribe"

    @property
    def retries(self) -> bool:
        """Whether flagged segments are retried (``retry_model`` implies it)."""
        return self.retry_flagged or self.retry_model is not None

    def transcribe_options(self) -> TranscribeOptions:
        """What each chunk request asks for."""
        return TranscribeOptions(self.task, self.language, self.prompt, self.temperature, self.word_timestamps)

    def chunk_options(self) -> ChunkOptions:
        """How files are cut."""
        return ChunkOptions(self.chunk_seconds, self.overlap_seconds, self.search_seconds, self.max_bytes,
                            self.codec)  # type: ignore[arg-type]

    def vad_options(self) -> VadOptions:
        """Where speech is, and how much non-speech is left out."""
        return VadOptions(min_skip_seconds=self.min_skip_seconds)

    @property
    def skips_silence(self) -> bool:
        """Whether non-speech is left out of the audio sent."""
        return self.vad and self.skip_silence

    def api_options(self) -> ApiOptions:
        """How the HTTP client behaves."""
        return ApiOptions(concurrency=self.concurrency, max_attempts=self.max_attempts, rpm=self.rpm,
                          audio_seconds_per_hour=self.audio_seconds_per_hour)

    def export_options(self) -> ExportOptions:
        """How the outputs are written."""
        return ExportOptions(self.cue_options(), self.highlight_words, self.speaker_style)

    def cue_options(self) -> CueOptions:
        """The subtitle layout: the preset ``subtitle_style`` with any limit given here."""
        return CueOptions.style(self.subtitle_style, max_line_chars=self.max_line_chars, max_lines=self.max_lines,
                                max_chars_per_second=self.max_cps, min_duration=self.min_cue_seconds,
                                max_duration=self.max_cue_seconds)

    @property
    def labels_speakers(self) -> bool:
        """Whether speakers are labelled (``speakers``, ``min_speakers`` or ``max_speakers``)."""
        return any(v is not None for v in (self.speakers, self.min_speakers, self.max_speakers))

    def speaker_count(self) -> SpeakerCount:
        """How many speakers to look for."""
        exact = self.speakers if isinstance(self.speakers, int) else None
        return SpeakerCount(exact, self.min_speakers, self.max_speakers)

    def validate(self) -> None:
        """Raise :class:`~stt_toolkit.UsageError` for a value of the wrong kind (``"30"`` for
        ``chunk_seconds``, ``2.5`` for ``concurrency``, ``"no"`` for ``strict``) or options
        that cannot work together."""
        for f in fields(self):
            value = getattr(self, f.name)
            _check_kind(f.name, value, str(f.type))
            if isinstance(value, float) and not math.isfinite(value):
                raise UsageError(f"{f.name} must be a number, not {value}")
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
                raise UsageError(f"{f.name} is out of range: a number of {len(str(abs(value)))} digits")
        self.transcribe_options()
        self.chunk_options()
        self.vad_options()
        self.api_options()
        self.export_options()
        self._validate_speakers()
        if self.engine not in ENGINE_NAMES:
            raise UsageError(f"unknown engine {self.engine!r}: choose {', '.join(ENGINE_NAMES[:-1])} or "
                             f"{ENGINE_NAMES[-1]}")
        if self.language is not None and self.language not in LANGUAGES:
            raise UsageError(f"--language {self.language!r} is not a language Whisper knows: give an ISO-639-1 "
                             "code such as en, de, fr or ja")


    def _validate_speakers(self) -> None:
        if isinstance(self.speakers, str) and self.speakers != "auto":
            raise UsageError(f"speakers must be 'auto' or a number of speakers, not {self.speakers!r}")
        if isinstance(self.speakers, int) and (self.min_speakers is not None or self.max_speakers is not None):
            raise UsageError("give either speakers=N or min_speakers/max_speakers, not both")
        self.speaker_count()
        names = self.speaker_names or ()
        if not all(isinstance(n, str) for n in names):
            raise UsageError(f"speaker_names must be names (strings), not {self.speaker_names!r}")
        for position, name in enumerate(names, start=1):
            _check_speaker_name(position, name)
        if isinstance(self.speakers, int) and len(names) > self.speakers:
            raise UsageError(f"speaker_names gives {len(names)} names for {self.speakers} speakers")
        if len(set(names)) != len(names):
            raise UsageError(f"speaker_names names someone twice: {', '.join(names)}")
        if names and not self.labels_speakers:
            raise UsageError("speaker_names needs speakers ('auto' or a number)")


#: The longest speaker name: it leads a subtitle line.
MAX_NAME_CHARS = 32


def _check_speaker_name(position: int, name: str) -> None:
    """A :class:`UsageError` unless ``name`` is a short one-line label with no markup: it
    goes into subtitle lines, VTT voice spans and ASS fields."""
    if not name.strip():
        raise UsageError(f"speaker_names has an empty name at position {position}")
    if len(name) > MAX_NAME_CHARS:
        raise UsageError(f"speaker name {position} is {len(name)} characters long; at most {MAX_NAME_CHARS}")
    bad = [c for c in name if unicodedata.category(c).startswith("C") or c in "<>{}\\"]
    if bad:
        raise UsageError(f"speaker name {position} ({name!r}) holds {bad[0]!r}: names are plain text on one line, "
                         "without < > { } or backslashes")
