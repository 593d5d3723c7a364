"""stt-toolkit: long audio to accurate transcripts and subtitles.

The pipeline: :func:`preprocess` (any media to 16 kHz mono FLAC), :func:`plan_chunks`
(overlapping chunks cut in silences, each under the API's byte limit),
:func:`export_chunk` / :func:`export_chunks` (the bytes of each chunk), then an engine
(:func:`create_engine`: ``groq``, ``openai`` or the offline ``local``) through
:func:`transcribe_chunks`.
"""

from .chunking import (
    DEFAULT_MAX_BYTES, DEV_TIER_MAX_BYTES, ChunkOptions, EnergyProfile, export_chunk, export_chunks,
    measure_energy, plan_chunks, split_chunk,
)
from .engines import ApiEngine, ApiOptions, Engine, LocalEngine, TranscribeOptions, Usage, create_engine
from .errors import (
    ApiConnectionError, ApiError, ApiStatusError, ApiTimeout, AudioError, AudioFileNotFound, AuthenticationError,
    BadAudioRequest, ChunkingError, ChunkTooLarge, CorruptAudioError, EmptyAudioError, EmptyAudioFile, EngineError,
    FfmpegError, InvalidResponse, MissingDependency, ModelNotFound, NoAudioStream, NotAudioError, OutputBusy,
    PayloadTooLarge, RateLimited, SttError, TruncatedAudioError, UnreadableAudioFile, UnsupportedTask, UsageError,
)
from .batch import BatchSummary, FileOutcome
from .facade import atranscribe, atranscribe_many, atranslate, transcribe, transcribe_many, translate
from .options import RunOptions
from .pipeline import transcribe_audio, transcribe_chunks
from .quality import QualityOptions
from .transcript import Transcript
from .preprocess import preprocess
from .types import AudioInfo, Chunk, ChunkAudio, ChunkResult, Segment, Word

__version__ = "0.1.0"

__all__ = [
    "ApiConnectionError",
    "ApiEngine",
    "ApiError",
    "ApiOptions",
    "ApiStatusError",
    "ApiTimeout",
    "AudioError",
    "AudioFileNotFound",
    "AudioInfo",
    "AuthenticationError",
    "BadAudioRequest",
    "BatchSummary",
    "Chunk",
    "ChunkAudio",
    "ChunkOptions",
    "ChunkResult",
    "ChunkTooLarge",
    "ChunkingError",
    "CorruptAudioError",
    "DEFAULT_MAX_BYTES",
    "DEV_TIER_MAX_BYTES",
    "EmptyAudioError",
    "EmptyAudioFile",
    "EnergyProfile",
    "Engine",
    "EngineError",
    "FfmpegError",
    "FileOutcome",
    "InvalidResponse",
    "LocalEngine",
    "MissingDependency",
    "ModelNotFound",
    "NoAudioStream",
    "NotAudioError",
    "OutputBusy",
    "PayloadTooLarge",
    "QualityOptions",
    "RateLimited",
    "RunOptions",
    "Segment",
    "SttError",
    "TranscribeOptions",
    "Transcript",
    "TruncatedAudioError",
    "UnreadableAudioFile",
    "UnsupportedTask",
    "Usage",
    "UsageError",
    "Word",
    "__version__",
    "atranscribe",
    "atranscribe_many",
    "atranslate",
    "create_engine",
    "export_chunk",
    "export_chunks",
    "measure_energy",
    "plan_chunks",
    "preprocess",
    "split_chunk",
    "transcribe",
    "transcribe_audio",
    "transcribe_chunks",
    "transcribe_many",
    "translate",
]
