"""Locating and running ffmpeg, and reading its log.

By default the toolkit runs the binary that the ``imageio-ffmpeg`` wheel ships, so it behaves
the same on every machine whatever ffmpeg (if any) is on PATH. Another binary is used only
when chosen explicitly: the ``ffmpeg=`` keyword (``--ffmpeg`` on the command line) or the
``STT_TOOLKIT_FFMPEG`` environment variable, a path or a command name looked up on PATH.
ffmpeg 5.1 and newer are supported; an older one is refused with a clear error. ffprobe is
never used. Commands are built with ffmpeg-python (see :mod:`stt_toolkit.audio.decode`); this
module only runs them, streaming: stdin is fed in blocks by a thread and stderr is kept as
a bounded head and tail, so memory does not grow with the input or with a long error log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO

from ..core.errors import MissingDependency

#: The environment variable that selects another ffmpeg than the bundled one.
FFMPEG_ENV = "STT_TOOLKIT_FFMPEG"
#: The oldest ffmpeg release the toolkit supports (Debian 12 ships 5.1).
MIN_VERSION = (5, 1)

_HEAD_LINES = 80
_TAIL_LINES = 40
_VERSION_RE = re.compile(r"ffmpeg version \D{0,2}?(\d+)\.(\d+)")

# The channel count of ffmpeg's named layouts that are not of the form "X.Y".
_NAMED_LAYOUTS = {
    "mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6,
    "octagonal": 8, "hexadecagonal": 16, "22.2": 24,
}

_chosen: ContextVar[str | None] = ContextVar("stt_toolkit_ffmpeg", default=None)

#: The demuxers ffmpeg may use on an input file: audio and video containers only. Left out
#: are those that open other files or the network on the content's say (playlists such as
#: hls and dash, concat, imf, image sequences, rtp/rtsp/sdp) and text formats.
MEDIA_DEMUXERS = ",".join((
    "aac", "ac3", "ac4", "aiff", "amr", "amrnb", "amrwb", "apac", "ape", "asf", "au", "avi", "bonk", "caf",
    "codec2", "dsf", "dts", "dtshd", "dv", "eac3", "flac", "flv", "gsm", "iamf", "ircam", "laf", "live_flv",
    "loas", "matroska", "webm", "mca", "mlp", "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "mp3", "mpc",
    "mpc8", "mpeg", "mpegts", "mxf", "nistsphere", "nut", "ogg", "oma", "osq", "qcp", "qoa", "rka", "rm",
    "shn", "sln", "sox", "tak", "truehd", "tta", "voc", "vqf", "w64", "wav", "wsaud", "wtv", "wv", "xwma",
))


def ffmpeg_binary(choice: str | os.PathLike[str] | None = None) -> str:
    """The path of the ffmpeg executable to run.

    ``choice`` if given, else the one set by :func:`using_ffmpeg`, else ``$STT_TOOLKIT_FFMPEG``,
    else the binary of the ``imageio-ffmpeg`` wheel. A chosen binary must exist and be
    ffmpeg 5.1 or newer (:class:`~errors.MissingDependency` otherwise).
    """
    explicit = choice or _chosen.get() or os.environ.get(FFMPEG_ENV)
    if explicit:
        return _checked(os.fspath(explicit))
    return bundled_ffmpeg()


@lru_cache(maxsize=1)
def bundled_ffmpeg() -> str:
    """The ffmpeg binary that ships inside the ``imageio-ffmpeg`` wheel."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - imageio-ffmpeg is a hard dependency
        raise MissingDependency("the imageio-ffmpeg package is not installed: pip install imageio-ffmpeg") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # pragma: no cover - wheel without a binary for this platform
        raise MissingDependency(f"imageio-ffmpeg has no ffmpeg for this platform ({exc}); "
                                f"set {FFMPEG_ENV} to an ffmpeg of version 5.1 or newer") from exc


@contextmanager
def using_ffmpeg(choice: str | os.PathLike[str] | None) -> Iterator[None]:
    """Run every ffmpeg of the code inside the block (its tasks and threads too) with
    ``choice``; ``None`` leaves the choice as it is."""
    if choice is None:
        yield
        return
    ffmpeg_binary(choice)  # refuse a missing or too old binary before any work
    token = _chosen.set(os.fspath(choice))
    try:
        yield
    finally:
        _chosen.reset(token)


def input_file(path: str | os.PathLike[str]) -> str:
    """The name to give ffmpeg for a local file, read literally whatever it is called:
    ``concat:x``, ``http:host.mp3`` or ``ep1:intro.mp3`` are file names, not protocols."""
    return "file:" + os.path.abspath(os.fspath(path))


def parse_version(banner: str) -> tuple[int, int] | None:
    """The (major, minor) release of an ``ffmpeg -version`` banner; ``None`` for builds
    from git that carry no release number (pure)."""
    match = _VERSION_RE.match(banner.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


@lru_cache(maxsize=8)
def _checked(choice: str) -> str:
    path = shutil.which(choice)
    if path is None:
        raise MissingDependency(f"the chosen ffmpeg ({choice!r}, from the ffmpeg option or {FFMPEG_ENV}) "
                                "was not found or is not executable")
    try:
        banner = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True,
                                timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingDependency(f"the chosen ffmpeg ({path}) does not run: {exc}") from exc
    if not banner.startswith("ffmpeg version"):
        raise MissingDependency(f"the chosen ffmpeg ({path}) is not ffmpeg: it does not answer -version")
    version = parse_version(banner)
    if version is not None and version < MIN_VERSION:
        raise MissingDependency(f"the chosen ffmpeg ({path}) is version {version[0]}.{version[1]}; "
                                f"stt-toolkit needs {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer "
                                f"(unset {FFMPEG_ENV} to use the bundled one)")
    return path


@dataclass
class FfmpegRun:
    """The outcome of one ffmpeg process: its exit code and a bounded copy of its log."""

    returncode: int
    head: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """Head and tail of the log (the middle of a very long log is dropped)."""
        return self.head + self.tail


_OUTPUT_BLOCK = 1 << 16  # bytes of stdout handed on at a time (2 s of 16 kHz 16-bit mono)
_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def stop_all() -> None:
    """Kill every ffmpeg this process started that still runs (on Ctrl-C or SIGTERM), so
    that the interpreter does not wait for a long decode to finish."""
    with _live_lock:
        running = list(_live)
    for proc in running:
        proc.kill()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """On Linux, have the kernel kill ffmpeg when the process that started it dies, even by
    SIGKILL; elsewhere nothing (ffmpeg then ends when its pipes close)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def run_ffmpeg(args: Sequence[str], feed: Callable[[IO[bytes]], None] | None = None,
               output: Callable[[bytes], None] | None = None) -> FfmpegRun:
    """Run ffmpeg with ``args`` (the binary first); ``feed`` writes its stdin if given;
    ``output`` is handed what ffmpeg writes to its stdout, block by block, as it comes.

    Never raises for a non-zero exit: the caller classifies the failure from the log. The
    child dies with this process (:func:`_die_with_parent`) and :func:`stop_all` stops it.
    An exception from ``feed`` or ``output`` kills ffmpeg and is raised once it is reaped.
    """
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
        stdout=subprocess.PIPE if output else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
    )
    with _live_lock:
        _live.add(proc)
    try:
        return _finish(proc, feed, output)
    finally:
        with _live_lock:
            _live.discard(proc)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _finish(proc: subprocess.Popen[bytes], feed: Callable[[IO[bytes]], None] | None,
            output: Callable[[bytes], None] | None = None) -> FfmpegRun:
    run = FfmpegRun(returncode=-1)
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    reader = threading.Thread(target=_read_log, args=(proc.stderr, run.head, tail), daemon=True)
    reader.start()
    errors: list[BaseException] = []
    feeder = None
    if feed is not None:
        feeder = threading.Thread(target=_feed, args=(proc, feed, errors), daemon=True)
        if output is None:
            feeder.run()  # in this thread
            feeder = None
        else:
            feeder.start()
    if output is not None:
        try:
            _drain(proc, output)
        except BaseException as exc:  # noqa: BLE001 - re-raised after ffmpeg is reaped
            errors.append(exc)
            proc.kill()
    run.returncode = proc.wait()
    if feeder is not None:
        feeder.join()
    reader.join()
    for stream in (proc.stderr, proc.stdout):
        if stream is not None:
            stream.close()
    run.tail = list(tail)
    if errors:
        raise errors[0]
    return run


def _feed(proc: subprocess.Popen[bytes], feed: Callable[[IO[bytes]], None], errors: list[BaseException]) -> None:
    """Write ffmpeg's stdin with ``feed``; a failure kills ffmpeg and is kept in ``errors``."""
    assert proc.stdin is not None
    try:
        feed(proc.stdin)
    except BrokenPipeError:
        pass  # ffmpeg stopped reading: its exit code and log say why
    except BaseException as exc:  # noqa: BLE001 - re-raised after ffmpeg is reaped
        errors.append(exc)
        proc.kill()
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass


def _drain(proc: subprocess.Popen[bytes], output: Callable[[bytes], None]) -> None:
    """Hand ``output`` what ffmpeg writes to stdout, in blocks of :data:`_OUTPUT_BLOCK` bytes."""
    assert proc.stdout is not None
    while block := proc.stdout.read(_OUTPUT_BLOCK):
        output(block)


def _read_log(stream: IO[bytes] | None, head: list[str], tail: deque[str]) -> None:
    if stream is None:
        return
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if len(head) < _HEAD_LINES:
            head.append(line)
        else:
            tail.append(line)


def write_blocks(blocks: Iterable[bytes]) -> Callable[[IO[bytes]], None]:
    """Return a stdin feeder that writes ``blocks`` one by one."""

    def feed(stdin: IO[bytes]) -> None:
        for block in blocks:
            stdin.write(block)

    return feed


@dataclass(frozen=True)
class InputReport:
    """What ffmpeg's log says about the input: its container (demuxer names), streams,
    announced duration, and the lines it logged at error level (text for messages only)."""

    opened: bool
    container: str | None = None
    duration: float | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    other_streams: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


_STREAM_RE = re.compile(r"Stream #0:\d+\S*: (Audio|Video|Subtitle|Data|Attachment): (.*)")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_LEVEL_RE = re.compile(r"\[(error|fatal|panic)\] (.*)")
_INPUT_RE = re.compile(r"Input #0, (.+?), from ")


def parse_log(lines: Sequence[str]) -> InputReport:
    """Read the input section and the error lines of a ``-loglevel level+info`` log."""
    in_input = opened = False
    container: str | None = None
    duration: float | None = None
    audio: str | None = None
    others: list[str] = []
    errors: list[str] = []
    for line in lines:
        if "Input #0" in line:
            in_input = opened = True
            if match := _INPUT_RE.search(line):
                container = match.group(1)
        elif "Output #0" in line or "Stream mapping:" in line:
            in_input = False
        level = _LEVEL_RE.search(line)
        if level:
            errors.append(level.group(2).strip())
        if not in_input:
            continue
        if duration is None and (match := _DURATION_RE.search(line)):
            hours, minutes, seconds = match.groups()
            duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        if match := _STREAM_RE.search(line):
            kind, desc = match.groups()
            if kind == "Audio" and audio is None:
                audio = desc
            elif kind != "Audio":
                others.append(f"{kind.lower()} ({desc.split(',')[0].split()[0]})")
    codec, rate, channels = _describe_audio(audio)
    return InputReport(opened, container, duration, codec, rate, channels, tuple(others), tuple(errors))


def _describe_audio(desc: str | None) -> tuple[str | None, int | None, int | None]:
    if desc is None:
        return None, None, None
    parts = [p.strip() for p in desc.split(",")]
    codec = parts[0].split(" ")[0] or None
    rate = next((int(m.group(1)) for p in parts if (m := re.fullmatch(r"(\d+) Hz", p))), None)
    channels = _layout_channels(parts[2]) if len(parts) > 2 else None
    return codec, rate, channels


def _layout_channels(layout: str) -> int | None:
    layout = layout.split("(")[0].strip()
    if layout in _NAMED_LAYOUTS:
        return _NAMED_LAYOUTS[layout]
    if match := re.fullmatch(r"(\d+)\.(\d+)", layout):
        return int(match.group(1)) + int(match.group(2))
    if match := re.fullmatch(r"(\d+) channels", layout):
        return int(match.group(1))
    return None
