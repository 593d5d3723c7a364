"""Shared fixtures: the real speech in tests/data, longer speech joined from it, the local
model loaded once per run, and generated media files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stt_toolkit.audio.ffmpeg import ffmpeg_binary
from stt_toolkit.engines import LocalEngine

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"

#: The clips of several speakers that :func:`joined_speech` strings together (16 kHz FLAC).
SPEAKERS = (
    "jfk_inaugural_1961_excerpt", "librispeech_dev-clean_2412-153948-0000", "ami_ES2011a_headset0_40-46s",
    "librivox_sense_and_sensibility_0870", "ljspeech_LJ001-0001", "librispeech_dev-clean_1272-128104-0000",
    "librivox_sense_and_sensibility_0920",
)
JOIN_PAUSE_S = 0.8


@pytest.fixture(scope="session", autouse=True)
def own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The toolkit's cache folder (assembled models, the exported voice print model) is the
    run's own, for the tests and the CLIs they start: nothing from an earlier run is reused."""
    saved = os.environ.get("XDG_CACHE_HOME")
    folder = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="session")
def speech() -> Path:
    """The folder of real speech with reference transcripts (tests/data, see its README)."""
    return DATA


def join_clips(names: tuple[str, ...], out: Path, pause_s: float = JOIN_PAUSE_S, rounds: int = 1) -> Path:
    """Write ``names`` (stems in tests/data) one after another, ``rounds`` times over, with
    ``pause_s`` of silence between clips, as 16 kHz FLAC at ``out``; the reference
    transcript goes beside it (``out.with_suffix('.txt')``)."""
    pause = np.zeros(int(pause_s * 16000), dtype=np.int16)
    parts: list[np.ndarray] = []
    said: list[str] = []
    for _ in range(rounds):
        for name in names:
            samples, rate = sf.read(DATA / f"{name}.flac", dtype="int16")
            assert rate == 16000
            parts += [samples, pause]
            said.append((DATA / f"{name}.txt").read_text().strip())
    sf.write(out, np.concatenate(parts[:-1]), 16000, subtype="PCM_16")
    out.with_suffix(".txt").write_text("\n".join(said) + "\n")
    return out


@pytest.fixture(scope="session")
def joined_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 2 min of real speech by seven speakers: the clips joined with 0.8 s pauses, twice over."""
    return join_clips(SPEAKERS, tmp_path_factory.mktemp("joined") / "seven_speakers.flac", rounds=2)


@pytest.fixture(scope="session")
def local_engine() -> LocalEngine:
    """The offline engine with tiny.en, loaded once for the whole run."""
    return LocalEngine()


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


def _lj_sentences(folder: Path) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The 32 read sentences of LJ Speech (one speaker) as 16 kHz samples, and their times."""
    from stt_toolkit.audio.decode import preprocess

    stem = "ljspeech_LJ001-0001_to_0032_continuous"
    flac = preprocess(DATA / f"{stem}.opus", folder / "lj.flac").path
    samples, _ = sf.read(flac, dtype="float32")
    rows = [line.split("\t") for line in (DATA / f"{stem}.segments.tsv").read_text().splitlines()[1:]]
    return samples, [(float(r[0]), float(r[1])) for r in rows]


def make_dialogue(folder: Path, voices: int = 3, pause_s: float = 1.0) -> tuple[Path, list[tuple[float, float, str]]]:
    """Real speech by ``voices`` (2 or 3) speakers taking turns with ``pause_s`` pauses:
    LJ (LJ Speech), JFK (his excerpt, split at its pause after "Americans") and, with three,
    LV (the LibriVox reader); returns the FLAC and the reference turns (start, end, name)."""
    lj, times = _lj_sentences(folder)

    def sentence(i: int) -> np.ndarray:
        return lj[int(times[i][0] * 16000):int(times[i][1] * 16000)]

    jfk, _ = sf.read(DATA / "jfk_inaugural_1961_excerpt.flac", dtype="float32")
    loud = np.convolve(jfk ** 2, np.ones(3200) / 3200, "same")
    cut = 4 * 16000 + int(np.argmin(loud[4 * 16000:7 * 16000]))  # the pause after "Americans,"
    parts = [("LJ", sentence(0)), ("JFK", jfk[:cut]), ("LJ", sentence(2)), ("JFK", jfk[cut:]), ("LJ", sentence(3))]
    if voices == 3:
        reader = [sf.read(DATA / f"librivox_sense_and_sensibility_{n}.flac", dtype="float32")[0] for n in ("0870", "0920")]
        parts += [("LV", reader[0]), ("LJ", sentence(4)), ("LV", reader[1])]
    pause = np.zeros(int(pause_s * 16000), dtype=np.float32)
    audio: list[np.ndarray] = []
    turns: list[tuple[float, float, str]] = []
    clock = 0.0
    for name, samples in parts:
        turns.append((round(clock, 3), round(clock + len(samples) / 16000, 3), name))
        audio += [samples, pause]
        clock += (len(samples) + len(pause)) / 16000
    path = folder / f"dialogue_{voices}.flac"
    sf.write(path, np.concatenate(audio[:-1]), 16000, subtype="PCM_16")
    return path, turns


@pytest.fixture(scope="session")
def three_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, float, str]]]:
    """About a minute of three real voices taking eight turns (see :func:`make_dialogue`)."""
    return make_dialogue(tmp_path_factory.mktemp("dialogue3"), voices=3)


@pytest.fixture(scope="session")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, float, str]]]:
    """About 40 s of two real voices taking five turns (see :func:`make_dialogue`)."""
    return make_dialogue(tmp_path_factory.mktemp("dialogue2"), voices=2)


def _break(kind: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """``seconds`` of no speech: digital silence, white noise at -50 dBFS, or mains hum with
    room tone at -45 dBFS (RMS, full scale 1.0)."""
    n = int(seconds * 16000)
    if kind == "silence":
        return np.zeros(n, dtype=np.float32)
    t = np.arange(n) / 16000
    if kind == "noise":
        sound, level = rng.standard_normal(n), -50.0
    else:
        hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3, 4))
        room = np.convolve(rng.standard_normal(n), np.ones(40) / 40, mode="same")
        sound, level = hum / np.sqrt(np.mean(hum ** 2)) + 2 * room / np.sqrt(np.mean(room ** 2)), -45.0
    return (sound / np.sqrt(np.mean(sound ** 2)) * 10 ** (level / 20)).astype(np.float32)


@pytest.fixture(scope="session")
def speech_with_breaks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Three real clips with a break of each kind between and after them (20-25 s each, over
    half of the file), as 16 kHz FLAC: ``path``, ``clips`` and ``breaks`` (kind, start, end)
    in seconds, and the reference ``text``."""
    rng = np.random.default_rng(7)
    names = ("jfk_inaugural_1961_excerpt", "librivox_sense_and_sensibility_0870", "librispeech_dev-clean_2412-153948-0000")
    kinds = (("silence", 20.0), ("noise", 25.0), ("hum", 22.0))
    parts, clips, breaks, at = [], [], [], 0.0
    for name, (kind, seconds) in zip(names, kinds):
        clip, _ = sf.read(DATA / f"{name}.flac", dtype="float32")
        parts += [clip, _break(kind, seconds, rng)]
        clips.append((at, at + len(clip) / 16000))
        breaks.append((kind, clips[-1][1], clips[-1][1] + seconds))
        at = breaks[-1][2]
    path = tmp_path_factory.mktemp("breaks") / "speech_with_breaks.flac"
    sf.write(path, np.concatenate(parts), 16000, subtype="PCM_16")
    text = " ".join((DATA / f"{n}.txt").read_text().strip() for n in names)
    return {"path": path, "clips": clips, "breaks": breaks, "text": text}
