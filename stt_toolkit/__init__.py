"""stt-toolkit: long audio to accurate transcripts and subtitles.

The pipeline: :func:`preprocess` (any media to 16 kHz mono FLAC), :func:`plan_chunks`
(overlapping chunks cut in silences, each under the API's byte limit), then
:func:`export_chunk` / :func:`export_chunks` (the bytes of each chunk).
"""

from .chunking import ChunkOptions, EnergyProfile, export_chunk, export_chunks, measure_energy, plan_chunks, split_chunk
from .errors import (
    AudioError, AudioFileNotFound, ChunkingError, ChunkTooLarge, CorruptAudioError, EmptyAudioError,
    EmptyAudioFile, FfmpegError, MissingDependency, NoAudioStream, NotAudioError, SttError,
    TruncatedAudioError,
)
from .preprocess import preprocess
from .types import AudioInfo, Chunk, ChunkAudio

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "AudioFileNotFound",
    "AudioInfo",
    "Chunk",
    "ChunkAudio",
    "ChunkOptions",
    "ChunkTooLarge",
    "ChunkingError",
    "CorruptAudioError",
    "EmptyAudioError",
    "EmptyAudioFile",
    "EnergyProfile",
    "FfmpegError",
    "MissingDependency",
    "NoAudioStream",
    "NotAudioError",
    "SttError",
    "TruncatedAudioError",
    "__version__",
    "export_chunk",
    "export_chunks",
    "measure_energy",
    "plan_chunks",
    "preprocess",
    "split_chunk",
]
