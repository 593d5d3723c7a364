"""Locating and running ffmpeg, and reading its log.

The binary is ``$STT_TOOLKIT_FFMPEG`` if set, else ``ffmpeg`` on PATH, else the one the
``imageio-ffmpeg`` wheel ships, so no system package is needed. ffprobe is never used.
Commands are built with ffmpeg-python (see :mod:`stt_toolkit.preprocess`); this module only
runs them, streaming: stdin is fed in blocks by a thread and stderr is kept as a bounded
head and tail, so memory does not grow with the input or with a long error log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO

from .errors import MissingDependency

_HEAD_LINES = 80
_TAIL_LINES = 40

# The channel count of ffmpeg's named layouts that are not of the form "X.Y".
_NAMED_LAYOUTS = {
    "mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6,
    "octagonal": 8, "hexadecagonal": 16, "22.2": 24,
}


@lru_cache(maxsize=1)
def ffmpeg_binary() -> str:
    """Return the path of the ffmpeg executable to use (see the module docstring)."""
    configured = os.environ.get("STT_TOOLKIT_FFMPEG")
    if configured:
        return configured
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - imageio-ffmpeg is a hard dependency
        raise MissingDependency(
            "ffmpeg was not found on PATH and the imageio-ffmpeg package is not installed"
        ) from exc
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # pragma: no cover - wheel without a binary for this platform
        raise MissingDependency(f"ffmpeg was not found: {exc}") from exc


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


def run_ffmpeg(args: Sequence[str], feed: Callable[[IO[bytes]], None] | None = None) -> FfmpegRun:
    """Run ffmpeg with ``args`` (the binary first); ``feed`` writes its stdin if given.

    Never raises for a non-zero exit: the caller classifies the failure from the log.
    """
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    run = FfmpegRun(returncode=-1)
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    reader = threading.Thread(target=_read_log, args=(proc.stderr, run.head, tail), daemon=True)
    reader.start()
    feed_error: BaseException | None = None
    if feed is not None:
        assert proc.stdin is not None
        try:
            feed(proc.stdin)
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit code and log say why
        except BaseException as exc:  # noqa: BLE001 - re-raised after ffmpeg is reaped
            feed_error = exc
            proc.kill()
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
    run.returncode = proc.wait()
    reader.join()
    if proc.stderr is not None:
        proc.stderr.close()
    run.tail = list(tail)
    if feed_error is not None:
        raise feed_error
    return run


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
    """What ffmpeg's log says about the input: its streams and announced duration."""

    opened: bool
    duration: float | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    other_streams: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


_STREAM_RE = re.compile(r"Stream #0:\d+\S*: (Audio|Video|Subtitle|Data|Attachment): (.*)")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_LEVEL_RE = re.compile(r"\[(error|fatal|panic)\] (.*)")


def parse_log(lines: Sequence[str]) -> InputReport:
    """Read the input section and the error lines of a ``-loglevel level+info`` log."""
    in_input = opened = False
    duration: float | None = None
    audio: str | None = None
    others: list[str] = []
    errors: list[str] = []
    for line in lines:
        if "Input #0" in line:
            in_input = opened = True
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
                others.append(f"{kind.lower()} ({desc.split(',')[0].strip()})")
    codec, rate, channels = _describe_audio(audio)
    return InputReport(opened, duration, codec, rate, channels, tuple(others), tuple(errors))


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
