"""Reading ffmpeg's log (pure) and finding the binary."""

from __future__ import annotations

import subprocess

import pytest

from stt_toolkit.ffmpeg import ffmpeg_binary, parse_log

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
    assert report.other_streams == ("video (h264 (High) (avc1 / 0x31637661))",)
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
