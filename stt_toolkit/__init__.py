"""stt-toolkit: long audio to accurate transcripts and subtitles.

The front door: :func:`transcribe` / :func:`translate` one input (a path, bytes, a file
object, an array) into a :class:`Transcript`; :func:`transcribe_many` files and folders into
a stream of :class:`FileOutcome`; :func:`render` and :func:`save` a transcript as SRT, VTT,
JSON or TXT. Every keyword is a field of :class:`RunOptions` and a flag of the CLI. Every
error is an :class:`SttError`.

Only the names in ``__all__`` (and :mod:`stt_toolkit.testing`) are public. The subpackages
(``core``, ``audio``, ``engines``, ``assemble``, ``output``, ``run``, ``cli``; see
ARCHITECTURE.md) are the implementation: importable, but they may change in any release.
"""

from .core import __version__, errors  # noqa: F401 - `from stt_toolkit import errors` reaches the tree
from .core.billing import Usage
from .core.errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeout,
    AudioError,
    AudioFileNotFound,
    AuthenticationError,
    BadAudioRequest,
    ChunkingError,
    ChunkTooLarge,
    CorruptAudioError,
    EmptyAudioError,
    EmptyAudioFile,
    EngineError,
    FfmpegError,
    InvalidResponse,
    MissingDependency,
    ModelNotFound,
    NoAudioStream,
    NotAudioError,
    OutputBusy,
    OutputError,
    PayloadTooLarge,
    RateLimited,
    SttError,
    TruncatedAudioError,
    UnknownOption,
    UnreadableAudioFile,
    UnsupportedTask,
    UsageError,
)
from .core.options import CueOptions, RunOptions
from .core.records import Segment, SpeakerTurn, Word
from .core.transcript import QualitySummary, SpeakerStats, Transcript
from .output.writers import render, save
from .run.batch import FileOutcome
from .run.facade import atranscribe, atranscribe_many, atranslate, transcribe, transcribe_many, translate

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiStatusError",
    "ApiTimeout",
    "AudioError",
    "AudioFileNotFound",
    "AuthenticationError",
    "BadAudioRequest",
    "ChunkTooLarge",
    "ChunkingError",
    "CorruptAudioError",
    "CueOptions",
    "EmptyAudioError",
    "EmptyAudioFile",
    "EngineError",
    "FfmpegError",
    "FileOutcome",
    "InvalidResponse",
    "MissingDependency",
    "ModelNotFound",
    "NoAudioStream",
    "NotAudioError",
    "OutputBusy",
    "OutputError",
    "PayloadTooLarge",
    "QualitySummary",
    "RateLimited",
    "RunOptions",
    "Segment",
    "SpeakerStats",
    "SpeakerTurn",
    "SttError",
    "Transcript",
    "TruncatedAudioError",
    "UnknownOption",
    "UnreadableAudioFile",
    "UnsupportedTask",
    "Usage",
    "UsageError",
    "Word",
    "__version__",
    "atranscribe",
    "atranscribe_many",
    "atranslate",
    "render",
    "save",
    "transcribe",
    "transcribe_many",
    "translate",
]
