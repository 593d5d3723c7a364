"""The exception tree of stt-toolkit.

Every error the library raises on purpose derives from :class:`SttError`, so a caller
(and the CLI) can catch one class. Low-level errors (``OSError``, ffmpeg exit codes,
libsndfile errors) are translated at the boundary with ``raise ... from exc``. Each class
knows the CLI's exit code for it (:attr:`SttError.exit_code`: 2 for usage errors, else 1;
anything that is not an ``SttError`` is a bug and exits 3) and says itself in one line
without the file name (:attr:`SttError.summary`), for reports that name the file apart::

    SttError
    ├── UsageError                 options that cannot work (also a ValueError); the CLI exits 2
    │   └── UnknownOption          a keyword no option has (also a TypeError)
    ├── MissingDependency          an optional package or the ffmpeg binary is missing
    ├── OutputBusy                 another run is writing to the same output folder
    ├── OutputError                an output may not be replaced, or cannot be written
    ├── AudioError                 a problem with one input; always names the input
    │   ├── AudioFileNotFound      the path does not exist or is not a file
    │   ├── UnreadableAudioFile    the file exists but cannot be read (permissions)
    │   ├── EmptyAudioFile         the file has zero bytes
    │   ├── NotAudioError          ffmpeg cannot read it as media at all (text, image, ...)
    │   ├── NoAudioStream          media without an audio track (a silent video)
    │   ├── CorruptAudioError      the decoder skipped damaged data (samples lost)
    │   │   └── TruncatedAudioError  fewer seconds decoded than the container announces
    │   ├── EmptyAudioError        decodes to zero samples
    │   └── FfmpegError            ffmpeg failed for another reason (stderr tail attached)
    ├── ChunkingError              the chunk plan cannot satisfy its options
    │   └── ChunkTooLarge          an exported chunk is over the byte limit
    └── EngineError                a transcription engine failed
        ├── UnsupportedTask        the model cannot do what was asked (turbo/.en translating)
        └── ApiError               the HTTP API failed
            ├── ApiTimeout         no answer in time, after every retry
            ├── ApiConnectionError the connection failed or dropped, after every retry
            ├── InvalidResponse    a 200 answer that is no transcript (HTML, cut-off JSON, {}), after every retry
            └── ApiStatusError     an error status (.status, .body, .request_id)
                ├── AuthenticationError  401/403: the run stops at once
                ├── ModelNotFound        404: names the models the server offers
                ├── PayloadTooLarge      413: the caller splits the chunk
                ├── BadAudioRequest      400: the server could not process this audio
                └── RateLimited          429 after every retry, or a wait over the cap
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class SttError(Exception):
    """Base class of every error stt-toolkit raises on purpose."""

    #: The CLI's exit code when this error ends a command.
    exit_code: ClassVar[int] = 1

    @property
    def summary(self) -> str:
        """The error in one line, for a report that names the file itself."""
        return (str(self).splitlines() or [type(self).__name__])[0]


class UsageError(SttError, ValueError):
    """Options that cannot work together, or a value an option cannot take."""

    exit_code: ClassVar[int] = 2


class UnknownOption(UsageError, TypeError):
    """A keyword that names no option (a ``TypeError`` too, as for any unknown keyword)."""


class OutputBusy(SttError):
    """Another run holds the output folder (see :mod:`stt_toolkit.run.lock`)."""


class OutputError(SttError):
    """An output of one input may not be replaced (it is an input, or not the toolkit's), or
    cannot be written (a full disk, no permission); the message names the file."""


class MissingDependency(SttError):
    """An optional dependency (a Python package or the ffmpeg binary) is not available."""


class AudioError(SttError):
    """A problem with one input. ``source`` names the input, ``reason`` says what is wrong.

    The message is ``"source: reason"``, in the toolkit's own words, so one input gives the
    same message whichever ffmpeg build decoded it. ``details`` holds what was measured
    (``decoded 7.99 s of the 20.00 s the file announces``) and the last lines of ffmpeg's
    log (``ffmpeg: ...``) where they help; :meth:`explain` adds them below the message.
    """

    def __init__(self, source: str, reason: str, details: Sequence[str] = ()) -> None:
        self.source = source
        self.reason = reason
        self.details = tuple(details)
        super().__init__(f"{source}: {reason}")

    @property
    def summary(self) -> str:
        """The reason alone: the report that shows it names the file."""
        return self.reason

    def explain(self) -> str:
        """The message, followed by the details (if any), one a line, for a person to read."""
        return "\n    ".join([str(self), *self.details])


class AudioFileNotFound(AudioError):
    """The input path does not exist or is not a regular file."""


class UnreadableAudioFile(AudioError):
    """The input file exists but cannot be read (for example no read permission)."""


class EmptyAudioFile(AudioError):
    """The input file has zero bytes."""


class NotAudioError(AudioError):
    """ffmpeg cannot read the input as audio or video at all."""


class NoAudioStream(AudioError):
    """The input is media, but has no audio track."""


class CorruptAudioError(AudioError):
    """The decoder skipped damaged data: fewer samples than the file states (pass ``strict=False``
    to keep what decodes)."""


class TruncatedAudioError(CorruptAudioError):
    """Fewer seconds decoded than the container announces: the file is cut short."""


class EmptyAudioError(AudioError):
    """The input decodes to zero samples."""


class FfmpegError(AudioError):
    """ffmpeg failed for a reason not covered by a more specific class."""


class ChunkingError(SttError):
    """The chunk plan cannot satisfy its options (for example a byte limit that is too small)."""


class ChunkTooLarge(ChunkingError):
    """An exported chunk is over the byte limit; the exporter splits it and tries again."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"chunk {name}: {size} bytes exceeds the limit of {limit} bytes")


class EngineError(SttError):
    """A transcription engine failed."""


class UnsupportedTask(EngineError):
    """The chosen model cannot do the task (for example translating with an English-only or turbo model)."""


class ApiError(EngineError):
    """The HTTP API failed."""


class ApiTimeout(ApiError):
    """The server did not answer in time, after every retry."""


class ApiConnectionError(ApiError):
    """The connection failed or dropped, after every retry."""


class InvalidResponse(ApiError):
    """A 200 answer that is not a transcript of the request (a proxy's HTML page, cut-off or
    oversized JSON, ``{}``, an error object), after every retry."""


class ApiStatusError(ApiError):
    """The server answered with an error status. The API key never appears in the message."""

    def __init__(self, message: str, status: int, body: str = "", request_id: str | None = None) -> None:
        self.status = status
        self.body = body
        self.request_id = request_id
        super().__init__(message)


class AuthenticationError(ApiStatusError):
    """401/403: the key is missing, wrong or not allowed; nothing more is sent."""


class ModelNotFound(ApiStatusError):
    """404 for the model: ``available`` lists the models the server offers."""

    def __init__(self, message: str, status: int, body: str = "", request_id: str | None = None,
                 available: Sequence[str] = ()) -> None:
        self.available = tuple(available)
        super().__init__(message, status, body, request_id)


class PayloadTooLarge(ApiStatusError):
    """413: the chunk is too large for the server; the caller splits it and goes on."""


class BadAudioRequest(ApiStatusError):
    """400: the server could not process this audio or request."""


class RateLimited(ApiStatusError):
    """429 after every retry, or a retry-after longer than the configured cap."""


#: Errors that no retry or other file can get past: a bad key, an unknown model, an impossible
#: task, a missing dependency. A batch stops on them; optional extra requests re-raise them.
FATAL: tuple[type[SttError], ...] = (AuthenticationError, ModelNotFound, UnsupportedTask, MissingDependency)
