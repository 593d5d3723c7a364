"""Stage 1: decode anything ffmpeg reads to 16 kHz mono 16-bit FLAC, streaming.

ffmpeg writes the output file itself; Python never holds the decoded signal. In-memory
inputs (numpy arrays, pydub segments) are streamed to ffmpeg's stdin in blocks; bytes and
file objects are first spooled to a temporary file, because containers such as MP4 need
to seek. The output is written under a temporary name and renamed, so a failure never
leaves a partial file.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union, cast

import ffmpeg as ffmpeg_python
import numpy as np
import soundfile as sf

from ..core import errors
from ..core.records import SAMPLE_RATE, AudioInfo
from .ffmpeg import (
    MEDIA_DEMUXERS,
    FfmpegRun,
    InputReport,
    ffmpeg_binary,
    input_file,
    parse_log,
    run_ffmpeg,
    using_ffmpeg,
    write_blocks,
)
from .file_end import ends_whole

if TYPE_CHECKING:
    from pydub import AudioSegment

#: Anything :func:`preprocess` accepts: a path, bytes, a binary file object, a numpy array
#: (with ``sample_rate=``), an ``(array, sample_rate)`` tuple, or a pydub ``AudioSegment``.
AudioInput = Union[
    str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes], np.ndarray,
    "tuple[np.ndarray, int]", "AudioSegment",
]

_BLOCK_FRAMES = 1 << 16
_RAW_FORMATS = {"float32": "f32le", "float64": "f64le", "int16": "s16le", "int32": "s32le",
                "uint8": "u8", "int8": "s8"}
_SEGMENT_FORMATS = {1: "u8", 2: "s16le", 3: "s24le", 4: "s32le"}
_FLAC_FRAME = 4096
_FILTERS = f"asetpts=N/SR/TB,aresample={SAMPLE_RATE},asetnsamples=n={_FLAC_FRAME}:p=0"
# A decode this much shorter than the container's announced duration counts as truncated.
_TRUNCATION_TOLERANCE_S = 1.0
_TRUNCATION_TOLERANCE_RATIO = 0.03
# Containers whose header states the exact sample count (not an estimate from the bitrate);
# their announced duration is printed to 10 ms, hence the tolerance.
_EXACT_CONTAINERS = {"flac", "wav", "aiff", "w64", "caf"}
_EXACT_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class _RawStream:
    """PCM to stream into ffmpeg's stdin."""

    fmt: str
    sample_rate: int
    channels: int
    blocks: Iterator[bytes]


def preprocess(
    audio: AudioInput,
    dst: str | os.PathLike[str] | None = None,
    *,
    sample_rate: int | None = None,
    strict: bool = True,
    name: str | None = None,
    ffmpeg: str | os.PathLike[str] | None = None,
) -> AudioInfo:
    """Convert ``audio`` to a 16 kHz mono 16-bit FLAC file and describe it.

    ``dst`` is the output path; without it a temporary file is created (the caller owns
    and deletes it), except that an input path which already is 16 kHz mono 16-bit FLAC is
    returned as it is. ``sample_rate`` is required for a bare numpy array. With
    ``strict=True`` (the default) damaged input raises :class:`~errors.CorruptAudioError`
    or :class:`~errors.TruncatedAudioError`; with ``strict=False`` whatever ffmpeg could
    decode is kept and its complaints are in ``AudioInfo.decode_warnings``. ``name`` labels
    in-memory inputs in errors and in ``AudioInfo.source``. ``ffmpeg`` runs another ffmpeg
    binary than the bundled one (see :mod:`stt_toolkit.audio.ffmpeg`).
    """
    with using_ffmpeg(ffmpeg), _resolve_input(audio, sample_rate, name) as (label, spec):
        if isinstance(spec, Path) and _is_target_flac(spec):
            return _passthrough(label, spec, dst)
        out = Path(dst) if dst is not None else _temp_output()
        return _convert(label, spec, out, strict)


def preprocess_streaming(audio: AudioInput, dst: str | os.PathLike[str], samples: Callable[[np.ndarray], None],
                         *, strict: bool = True, name: str | None = None) -> AudioInfo:
    """:func:`preprocess` to ``dst``, handing ``samples`` the decoded 16 kHz int16 samples
    block by block while the decode runs (the same samples the FLAC holds; from the file
    itself when the input already is such a FLAC). Damage is judged once the decode ends, as
    :func:`preprocess` does; an exception from ``samples`` stops the decode."""
    with _resolve_input(audio, None, name) as (label, spec):
        if isinstance(spec, Path) and _is_target_flac(spec):
            info = _passthrough(label, spec, dst)
            with sf.SoundFile(str(info.path)) as f:
                for block in f.blocks(blocksize=_BLOCK_FRAMES, dtype="int16"):
                    samples(block)
            return info
        return _convert(label, spec, Path(dst), strict, samples)


def build_command(binary: str, spec: Path | _RawStream, out: Path, pipe: bool = False) -> list[str]:
    """Build the ffmpeg command line that converts ``spec`` into FLAC at ``out`` (pure);
    with ``pipe``, the same samples also go to stdout as raw 16-bit PCM."""
    # ffmpeg opens exactly the file named (the file: protocol, nothing else) with a media
    # demuxer, or the pipe this code feeds; never what a name or the content points to.
    if isinstance(spec, Path):
        stream = ffmpeg_python.input(input_file(spec), protocol_whitelist="file", format_whitelist=MEDIA_DEMUXERS)
    else:
        stream = ffmpeg_python.input("pipe:0", f=spec.fmt, ar=spec.sample_rate, ac=spec.channels,
                                     protocol_whitelist="pipe")
    # asetpts renumbers timestamps from the sample count (inputs with timestamp jumps, such as
    # some cut Ogg files, otherwise upset the FLAC muxer); asetnsamples hands the encoder
    # fixed 4096-sample frames: fed one decoder packet at a time (a few hundred samples from
    # mp3 or Vorbis), ffmpeg writes tiny FLAC frames, 10-60 % larger and slow to decode.
    # frame_size sets the encoder's block size, which ffmpeg 5.1 otherwise picks from the
    # sample rate (1152 at 16 kHz) whatever the filters hand it.
    if pipe:  # one filter graph split in two: the second copy costs no second resampling
        graph = (stream["a:0"].filter("asetpts", "N/SR/TB").filter("aresample", SAMPLE_RATE)
                 .filter("asetnsamples", n=_FLAC_FRAME, p=0).filter("aformat", sample_fmts="s16", channel_layouts="mono")
                 .filter_multi_output("asplit", 2))
        output = ffmpeg_python.merge_outputs(
            ffmpeg_python.output(graph.stream(0), input_file(out), acodec="flac", f="flac", frame_size=_FLAC_FRAME),
            ffmpeg_python.output(graph.stream(1), "pipe:1", acodec="pcm_s16le", f="s16le"))
    else:
        output = ffmpeg_python.output(
            stream["a:0"], input_file(out), af=_FILTERS, ac=1, ar=SAMPLE_RATE, sample_fmt="s16", acodec="flac",
            f="flac", frame_size=_FLAC_FRAME,
        )
    output = output.global_args("-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info")
    return output.compile(cmd=binary, overwrite_output=True)


def _convert(label: str, spec: Path | _RawStream, out: Path, strict: bool,
             samples: Callable[[np.ndarray], None] | None = None) -> AudioInfo:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        command = build_command(ffmpeg_binary(), spec, tmp, pipe=samples is not None)
        feed = write_blocks(spec.blocks) if isinstance(spec, _RawStream) else None
        run = run_ffmpeg(command, feed, _int16_blocks(samples) if samples is not None else None)
        report = parse_log(run.lines)
        if run.returncode != 0:
            raise classify_failure(label, run, report, _sniff(spec) if isinstance(spec, Path) else None)
        info = _describe_output(label, tmp, report, strict, spec if isinstance(spec, Path) else None)
        os.replace(tmp, out)
        return dataclasses.replace(info, path=out)
    finally:
        tmp.unlink(missing_ok=True)


def _int16_blocks(samples: Callable[[np.ndarray], None]) -> Callable[[bytes], None]:
    """Turn raw little-endian 16-bit PCM, in blocks of any length, into int16 arrays."""
    odd = bytearray()

    def take(data: bytes) -> None:
        odd.extend(data)
        whole = len(odd) // 2 * 2
        if whole:
            samples(np.frombuffer(bytes(odd[:whole]), dtype="<i2").astype(np.int16))
            del odd[:whole]

    return take


def classify_failure(label: str, run: FfmpegRun, report: InputReport, sniffed: str | None = None) -> errors.AudioError:
    """Map a failed ffmpeg run to the most specific :class:`~errors.AudioError` (pure).

    The class and the reason come from facts that do not depend on an ffmpeg build's wording:
    whether ffmpeg opened the input, which streams it found, and what the file's first bytes
    are (``sniffed``, see :func:`_sniff`). ffmpeg's own last lines go into ``details``.
    """
    said = _quoted(list(report.errors[-4:]) or run.lines[-4:])
    if not report.opened:
        if sniffed == "mp4":
            return errors.TruncatedAudioError(
                label, "damaged MP4/M4A container: ffmpeg cannot read its index; the file is probably cut short", said)
        return errors.NotAudioError(label, "not an audio or video file ffmpeg can read", said)
    if report.audio_codec is None:
        found = ", ".join(report.other_streams) or "no streams at all"
        cls = errors.NoAudioStream if _has_real_video(report) else errors.NotAudioError
        return cls(label, f"no audio stream (found: {found})", said)
    return errors.FfmpegError(label, f"ffmpeg could not decode its {report.audio_codec} audio", said)


def _quoted(lines: Sequence[str]) -> list[str]:
    return [f"ffmpeg: {line}" for line in lines]


def _sniff(path: Path) -> str | None:
    """The container a file's first bytes announce, for the few cases classification needs."""
    with open(path, "rb") as f:
        head = f.read(12)
    if head[4:8] == b"ftyp":
        return "mp4"
    return None


def _has_real_video(report: InputReport) -> bool:
    """True when the input has a moving-picture stream (not just one still image)."""
    stills = ("png", "mjpeg", "bmp", "gif", "webp", "tiff")
    return any(s.startswith("video") and not any(k in s for k in stills) for s in report.other_streams)


def _describe_output(label: str, tmp: Path, report: InputReport, strict: bool, source: Path | None) -> AudioInfo:
    """Check what ffmpeg wrote against what the input announced, and describe it.

    Damage is judged by sample counts, not by ffmpeg's log (builds differ in what they log):
    fewer seconds decoded than announced by more than the truncation tolerance is a
    truncated file; for containers that state their exact length (FLAC, WAV, ...), any
    shortfall beyond rounding means the decoder skipped damaged data. For FLAC and WAV, whether
    the file still holds all its header announces decides (builds lose different amounts of
    audio around damage, and ffmpeg takes a cut WAV's length from its size).
    """
    frames = _output_frames(tmp)
    if frames == 0:
        raise errors.EmptyAudioError(label, "the audio stream decodes to zero samples", _quoted(report.errors[-4:]))
    duration = frames / SAMPLE_RATE
    warnings = list(report.errors)
    whole = ends_whole(source) if source is not None and report.container in ("flac", "wav") else None
    problem = _damage(report, duration, whole)
    if problem is not None:
        cls, reason, fact = problem
        if strict:
            raise cls(label, reason, [fact, *_quoted(warnings[-4:])])
        warnings.append(f"{reason.split(' (pass')[0]}: {fact}")
    return AudioInfo(
        path=tmp, source=label, duration=duration, frames=frames,
        bytes=tmp.stat().st_size, source_codec=report.audio_codec,
        source_sample_rate=report.sample_rate, source_channels=report.channels,
        decode_warnings=tuple(warnings),
    )


def _output_frames(tmp: Path) -> int:
    """The samples in ffmpeg's output, by soundfile's own reading; 0 when it holds none."""
    if not tmp.exists() or tmp.stat().st_size == 0:
        return 0
    try:
        frames = sf.info(str(tmp)).frames
    except (sf.LibsndfileError, RuntimeError):
        return 0  # a header with no audio frames after it
    return 0 if frames >= 2**62 else frames  # an empty FLAC announces "unknown" length


def _damage(report: InputReport, decoded: float,
            whole: bool | None = None) -> tuple[type[errors.CorruptAudioError], str, str] | None:
    """The error class, reason and measured fact when fewer seconds were decoded than the
    input announced (pure); ``whole`` is whether the file still ends where its header says,
    where that is known. The reason has no numbers: builds decode damaged data to slightly
    different lengths, and the message must not depend on the build."""
    announced = report.duration
    if not announced:
        return None
    missing = announced - decoded
    fact = f"decoded {decoded:.2f} s of the {announced:.2f} s the file announces"
    truncated = (errors.TruncatedAudioError, "truncated: the audio ends long before the length the file announces",
                 fact)
    corrupt = (errors.CorruptAudioError, ("corrupt: the decoder skipped damaged data (pass strict=False to keep "
                                          "what it could decode)"), fact)
    exact = report.container is not None and bool(set(report.container.split(",")) & _EXACT_CONTAINERS)
    if whole is False:  # the file ends before its header says, however much the decoder made of it
        return truncated
    if exact and missing > _EXACT_TOLERANCE_S and whole is not None:
        return corrupt
    if missing > max(_TRUNCATION_TOLERANCE_S, announced * _TRUNCATION_TOLERANCE_RATIO):
        return truncated
    return corrupt if exact and missing > _EXACT_TOLERANCE_S else None


def _is_target_flac(path: Path) -> bool:
    """Whether ``path`` is already 16 kHz mono 16-bit FLAC that decodes whole (every frame its
    header announces, without an error; about 3,000x real time). Damaged or cut-short files
    of this format go through ffmpeg like any other input, for the same checks and messages."""
    with open(path, "rb") as f:
        if f.read(4) != b"fLaC":
            return False  # not FLAC; also keeps libsndfile's MP3 decoder from printing to stderr
    try:
        with sf.SoundFile(str(path)) as audio:
            if (audio.format, audio.subtype, audio.samplerate, audio.channels) != ("FLAC", "PCM_16", SAMPLE_RATE, 1):
                return False
            announced = audio.frames
            decoded = sum(len(block) for block in audio.blocks(blocksize=1 << 16, dtype="int16"))
    except (sf.LibsndfileError, RuntimeError, OSError):
        return False
    return 0 < announced == decoded


def _passthrough(label: str, src: Path, dst: str | os.PathLike[str] | None) -> AudioInfo:
    out = src
    if dst is not None and Path(dst).resolve() != src.resolve():
        out = Path(dst)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    info = sf.info(str(out))
    if info.frames == 0:
        raise errors.EmptyAudioError(label, "the audio stream decodes to zero samples")
    return AudioInfo(
        path=out, source=label, duration=info.frames / SAMPLE_RATE, frames=info.frames,
        bytes=out.stat().st_size, source_codec="flac", source_sample_rate=SAMPLE_RATE,
        source_channels=1, reencoded=False,
    )


def _temp_output() -> Path:
    fd, name = tempfile.mkstemp(prefix="stt-", suffix=".flac")
    os.close(fd)
    return Path(name)


@contextmanager
def _resolve_input(audio: AudioInput, sample_rate: int | None, name: str | None) -> Iterator[tuple[str, Path | _RawStream]]:
    """Yield a label for errors and either a readable path or a raw PCM stream."""
    if isinstance(audio, (str, os.PathLike)):
        path = Path(audio)
        _check_path(path)
        yield name or str(path), path
    elif isinstance(audio, (bytes, bytearray, memoryview)):
        with _spooled(lambda f: f.write(audio)) as path:
            _check_path(path, name or "<bytes>")
            yield name or "<bytes>", path
    elif hasattr(audio, "read"):
        label = name or str(getattr(audio, "name", "<file object>"))
        source = cast(IO[bytes], audio)
        with _spooled(lambda f: shutil.copyfileobj(source, f, 1 << 20)) as path:
            _check_path(path, label)
            yield label, path
    elif isinstance(audio, tuple) and len(audio) == 2 and isinstance(audio[0], np.ndarray):
        yield name or "<array>", _array_stream(audio[0], int(audio[1]), name or "<array>")
    elif isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise TypeError("preprocess(array) needs sample_rate=")
        yield name or "<array>", _array_stream(audio, sample_rate, name or "<array>")
    elif all(hasattr(audio, a) for a in ("raw_data", "frame_rate", "sample_width", "channels")):
        yield name or "<AudioSegment>", _segment_stream(audio, name or "<AudioSegment>")
    else:
        raise TypeError(f"cannot read audio from a {type(audio).__name__}")


def _check_path(path: Path, label: str | None = None) -> None:
    label = label or str(path)
    if not path.exists():
        raise errors.AudioFileNotFound(label, "no such file")
    if not path.is_file():
        raise errors.AudioFileNotFound(label, "not a regular file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise errors.UnreadableAudioFile(label, f"cannot be read: {exc.strerror or exc}") from None
    if path.stat().st_size == 0:
        raise errors.EmptyAudioFile(label, "the file is empty (0 bytes)")


@contextmanager
def _spooled(write: Any) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix="stt-in-")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        yield Path(name)
    finally:
        os.unlink(name)


def _array_stream(array: np.ndarray, sample_rate: int, label: str) -> _RawStream:
    if array.ndim == 2 and array.shape[0] <= 8 and array.shape[1] > 64 * array.shape[0]:
        array = array.T  # channels-first, as librosa and torchaudio return it
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise TypeError(f"{label}: expected a 1-D or 2-D array, got {array.ndim} dimensions")
    if array.shape[0] == 0:
        raise errors.EmptyAudioError(label, "the array has no samples")
    if array.dtype.name not in _RAW_FORMATS:
        array = array.astype(np.float32)
    fmt = _RAW_FORMATS[array.dtype.name]
    little = array.dtype.newbyteorder("<")

    def blocks() -> Iterator[bytes]:
        for i in range(0, array.shape[0], _BLOCK_FRAMES):
            yield np.ascontiguousarray(array[i:i + _BLOCK_FRAMES], dtype=little).tobytes()

    return _RawStream(fmt, sample_rate, array.shape[1], blocks())


def _segment_stream(segment: Any, label: str) -> _RawStream:
    raw = memoryview(segment.raw_data)
    if len(raw) == 0:
        raise errors.EmptyAudioError(label, "the segment has no samples")
    fmt = _SEGMENT_FORMATS.get(segment.sample_width)
    if fmt is None:
        raise TypeError(f"{label}: unsupported sample width {segment.sample_width}")
    step = _BLOCK_FRAMES * segment.sample_width * segment.channels
    blocks = (bytes(raw[i:i + step]) for i in range(0, len(raw), step))
    return _RawStream(fmt, int(segment.frame_rate), int(segment.channels), blocks)
