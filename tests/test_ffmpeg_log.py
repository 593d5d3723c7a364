"""Reading ffmpeg's log (pure), and which binary runs: the bundled one unless chosen."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from pathlib import Path

import pytest

from stt_toolkit import errors
from stt_toolkit.audio.decode import preprocess
from stt_toolkit.audio.ffmpeg import FFMPEG_ENV, bundled_ffmpeg, ffmpeg_binary, parse_log, parse_version, using_ffmpeg

LOG = """[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'talk.m4a':
[info]   Duration: 01:02:03.50, start: 0.000000, bitrate: 131 kb/s
[info]   Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 64x48, 10 fps
[info]   Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 383 kb/s (default)
[info]   Stream #0:2[0x3](eng): Audio: mp3 (mp3float), 44100 Hz, stereo, fltp
[info] Stream mapping:
[info] Output #0, flac, to 'out.flac':
[info]   Stream #0:0: Audio: flac, 16000 Hz, mono, s16
[aac @ 0x1] [error] Number of bands (50) exceeds limit (42).
"""


def test_parse_log_reads_the_first_audio_stream_and_errors() -> None:
    report = parse_log(LOG.splitlines())
    assert report.opened
    assert report.duration == pytest.approx(3723.5)
    assert (report.audio_codec, report.sample_rate, report.channels) == ("aac", 48000, 6)
    assert report.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert report.other_streams == ("video (h264)",), "the codec's name only: builds describe profiles differently"
    assert report.errors == ("Number of bands (50) exceeds limit (42).",)


@pytest.mark.parametrize(("layout", "channels"), [
    ("mono", 1), ("stereo", 2), ("5.1", 6), ("7.1(wide)", 8), ("quad", 4), ("3 channels", 3), ("weird", None)])
def test_channel_layouts(layout: str, channels: int | None) -> None:
    line = f"[info]   Stream #0:0: Audio: pcm_s16le, 8000 Hz, {layout}, s16"
    assert parse_log(["[info] Input #0, wav, from 'x':", line]).channels == channels


def test_unopened_input() -> None:
    assert not parse_log(["[error] Error opening input file x.mp3."]).opened


def test_binary_runs() -> None:
    out = subprocess.run([ffmpeg_binary(), "-version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ffmpeg version")


def fake_ffmpeg(folder: Path, banner: str) -> Path:
    """An executable named ffmpeg that prints ``banner`` for -version and fails otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ffmpeg"
    path.write_text(f"#!/bin/sh\nif [ \"$2\" = -version ]; then echo '{banner}'; exit 0; fi\n"
                    "echo 'this ffmpeg is a decoy' >&2; exit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_the_bundled_binary_runs_whatever_is_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoy = fake_ffmpeg(tmp_path / "bin", "ffmpeg version 6.0")
    monkeypatch.setenv("PATH", f"{decoy.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(FFMPEG_ENV, raising=False)
    assert ffmpeg_binary() == bundled_ffmpeg() != str(decoy)
    sine = tmp_path / "a.wav"
    subprocess.run([bundled_ffmpeg(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=duration=1", str(sine)], check=True)
    assert preprocess(sine, tmp_path / "a.flac").duration == pytest.approx(1.0)


def test_another_binary_only_by_explicit_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = fake_ffmpeg(tmp_path / "new", "ffmpeg version 7.1.1-1+b1 Copyright (c) 2000-2025")
    assert ffmpeg_binary(newer) == str(newer)
    monkeypatch.setenv(FFMPEG_ENV, str(newer))
    assert ffmpeg_binary() == str(newer)
    monkeypatch.delenv(FFMPEG_ENV)
    with using_ffmpeg(newer):
        assert ffmpeg_binary() == str(newer)
        assert asyncio.run(asyncio.to_thread(ffmpeg_binary)) == str(newer), "threads of the run see the choice"
    assert ffmpeg_binary() == bundled_ffmpeg()


def test_a_missing_or_too_old_binary_is_refused_clearly(tmp_path: Path) -> None:
    old = fake_ffmpeg(tmp_path / "old", "ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021")
    with pytest.raises(errors.MissingDependency, match=r"version 4\.4; stt-toolkit needs 5\.1 or newer"):
        ffmpeg_binary(old)
    with pytest.raises(errors.MissingDependency, match="was not found"):
        ffmpeg_binary(tmp_path / "nowhere" / "ffmpeg")
    with pytest.raises(errors.MissingDependency, match="is not ffmpeg"):
        ffmpeg_binary(fake_ffmpeg(tmp_path / "other", "sox v14.4.2"))
    with pytest.raises(errors.MissingDependency), using_ffmpeg(old):
        pass


@pytest.mark.parametrize(("banner", "version"), [
    ("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026", (5, 1)),
    ("ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright", (9, 0)),
    ("ffmpeg version 7.1 Copyright", (7, 1)),
    ("ffmpeg version N-113025-g1b2f0a3 Copyright", None),  # a build from git: no release number
])
def test_versions(banner: str, version: tuple[int, int] | None) -> None:
    assert parse_version(banner) == version
