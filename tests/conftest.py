"""Shared fixtures: the real speech in ../shared/audio, and generated media files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stt_toolkit.ffmpeg import ffmpeg_binary

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = Path(os.environ.get("STT_SHARED_AUDIO", REPO.parent / "shared" / "audio"))


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """The folder of real speech recordings with reference transcripts (../shared/audio)."""
    if not SHARED_AUDIO.is_dir():
        pytest.fail(f"real speech not found at {SHARED_AUDIO}; set STT_SHARED_AUDIO")
    return SHARED_AUDIO


MakeMedia = Callable[..., Path]


@pytest.fixture
def make_media(tmp_path: Path) -> MakeMedia:
    """Run real ffmpeg to make a media file: ``make_media("a.mp3", *ffmpeg_args)``.

    The arguments go between ``ffmpeg -y`` and the output name, for example lavfi inputs.
    """

    def make(name: str, *args: str) -> Path:
        out = tmp_path / "media" / name
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args, str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
        return out

    return make


def sine_input(freq: float = 440.0, seconds: float = 3.0, rate: int = 44100) -> list[str]:
    """ffmpeg arguments for a lavfi sine-tone input."""
    return ["-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}:sample_rate={rate}"]


def bursts_with_silences(total_s: float, silences: list[tuple[float, float]], sr: int = 16000,
                         seed: int = 0) -> np.ndarray:
    """Speech-like noise (amplitude-modulated) with digital-silence gaps at known places."""
    rng = np.random.default_rng(seed)
    n = int(total_s * sr)
    t = np.arange(n) / sr
    envelope = 0.25 + 0.2 * np.abs(np.sin(2 * np.pi * 3.1 * t))
    signal = (rng.standard_normal(n) * envelope * 0.3).astype(np.float32)
    for start, end in silences:
        signal[int(start * sr):int(end * sr)] = 0.0
    return signal


@pytest.fixture
def flac_with_silences(tmp_path: Path) -> Callable[[float, list[tuple[float, float]]], Path]:
    """Write a 16 kHz mono FLAC of noise bursts with silences at the given (start, end)."""

    def make(total_s: float, silences: list[tuple[float, float]]) -> Path:
        path = tmp_path / f"bursts_{total_s:g}.flac"
        sf.write(path, bursts_with_silences(total_s, silences), 16000, subtype="PCM_16")
        return path

    return make
