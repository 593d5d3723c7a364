"""A file diarized in windows: cuts at quiet points, one label per voice across windows,
counts, and the turns kept for resume. The diarizer here is scripted (it answers by the
loudness pattern of each window), so these run without the speaker model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stt_toolkit.core.options import RunOptions, SpeakerCount
from stt_toolkit.core.records import AudioInfo, SpeakerTurn
from stt_toolkit.engines.diarize import Voices, diarize_file, joined, window_bounds
from stt_toolkit.engines.speakers import Diarization
from stt_toolkit.run.cache import ChunkCache
from stt_toolkit.run.speakers import speaker_turns

RATE = 16_000
VOICE = {"low": np.array([1.0, 0.0, 0.1]), "high": np.array([0.0, 1.0, 0.1]), "third": np.array([0.1, 0.1, 1.0])}


class ToneDiarizer:
    """Finds a "speaker" in each second of tone: 200 Hz is one voice, 900 Hz another; its
    labels differ from window to window (as a real diarizer's do), its voice prints do not."""

    name = "tones"

    def __init__(self) -> None:
        self.calls: list[tuple[int, SpeakerCount]] = []

    def diarize(self, samples: np.ndarray, count: SpeakerCount = SpeakerCount()) -> Diarization:
        self.calls.append((len(samples), count))
        window = len(self.calls)
        turns, frame = [], RATE // 10
        for k in range(len(samples) // frame):
            piece = samples[k * frame:(k + 1) * frame]
            if np.abs(piece).max() < 0.01:
                continue
            hertz = np.abs(np.fft.rfft(piece)).argmax() * 10
            voice = "low" if hertz < 500 else "high"
            turns.append(SpeakerTurn(k / 10, (k + 1) / 10, f"w{window}-{voice}"))
        labels = {t.speaker for t in turns}
        return Diarization(tuple(joined(turns)), {label: VOICE[label.split("-")[1]] for label in labels})


def tone_file(path: Path, pattern: str) -> Path:
    """One second per letter: ``l`` 200 Hz, ``h`` 900 Hz, ``.`` silence."""
    t = np.arange(RATE) / RATE
    second = {"l": 0.5 * np.sin(2 * np.pi * 200 * t), "h": 0.5 * np.sin(2 * np.pi * 900 * t), ".": 0 * t}
    sf.write(path, np.concatenate([second[c] for c in pattern]).astype(np.float32), RATE, subtype="PCM_16")
    return path


def test_windows_are_cut_in_quiet_and_never_leave_a_short_tail(tmp_path: Path) -> None:
    path = tone_file(tmp_path / "a.flac", "l" * 9 + "." + "h" * 10 + "l" * 4)  # 24 s
    bounds = window_bounds(path, window_seconds=10)
    assert bounds[0][0] == 0 and 9 * RATE <= bounds[0][1] <= 10 * RATE  # in the silence, not at 10 s
    assert bounds[-1][1] == 24 * RATE and all(b[0] == a[1] for a, b in zip(bounds, bounds[1:]))
    assert all(end - start >= 5 * RATE for start, end in bounds)
    assert window_bounds(tone_file(tmp_path / "b.flac", "l" * 14), window_seconds=10) == [(0, 14 * RATE)]


def test_one_voice_keeps_one_label_across_windows(tmp_path: Path) -> None:
    path = tone_file(tmp_path / "a.flac", "llll.hhh.lll.hhhh.ll..hhh.llll.hh")
    diarizer = ToneDiarizer()
    turns = diarize_file(path, diarizer, window_seconds=8)
    assert len(diarizer.calls) >= 3
    labels = {t.speaker for t in turns}
    assert len(labels) == 2
    # every second of tone is labelled by its voice, the same way in every window
    by_voice: dict[str, set[str]] = {}
    for second, letter in enumerate("llll.hhh.lll.hhhh.ll..hhh.llll.hh"):
        if letter != ".":
            owner = [t.speaker for t in turns if t.start <= second + 0.5 < t.end]
            assert len(owner) == 1, second
            by_voice.setdefault(letter, set()).add(owner[0])
    assert all(len(v) == 1 for v in by_voice.values()) and by_voice["l"] != by_voice["h"]


def test_a_count_is_passed_to_a_single_window_and_enforced_over_many(tmp_path: Path) -> None:
    short = tone_file(tmp_path / "short.flac", "lll.hhh")
    diarizer = ToneDiarizer()
    diarize_file(short, diarizer, SpeakerCount(exact=2), window_seconds=8)
    assert diarizer.calls[0][1] == SpeakerCount(exact=2)
    long = tone_file(tmp_path / "long.flac", "llll.hhh.lll.hhhh.ll..hhh.llll.hh")
    diarizer = ToneDiarizer()
    turns = diarize_file(long, diarizer, SpeakerCount(exact=1), window_seconds=8)
    assert all(count == SpeakerCount(maximum=1) for _, count in diarizer.calls)
    assert len({t.speaker for t in turns}) == 1  # the two voices merged to meet the count


def test_linking_joins_a_voice_split_within_a_window_and_keeps_strangers_apart() -> None:
    voices = Voices()
    first = voices.link(Diarization((SpeakerTurn(0, 5, "a"), SpeakerTurn(5, 6, "b"), SpeakerTurn(6, 9, "c")),
                                    {"a": VOICE["low"], "b": VOICE["low"] * 0.9 + 0.02, "c": VOICE["high"]}))
    assert first["a"] == first["b"] != first["c"]
    second = voices.link(Diarization((SpeakerTurn(0, 3, "x"), SpeakerTurn(3, 6, "y")),
                                     {"x": VOICE["high"], "y": VOICE["third"]}))
    assert second["x"] == first["c"] and second["y"] not in first.values()


def test_speaker_turns_are_found_once_and_kept_for_resume(tmp_path: Path) -> None:
    path = tone_file(tmp_path / "a.flac", "lll.hhh")
    info = AudioInfo(path=path, source=str(path), duration=7.0, frames=7 * RATE, bytes=path.stat().st_size)
    cache = ChunkCache(tmp_path / "cache")
    diarizer = ToneDiarizer()
    options = RunOptions(speakers="auto")
    first = asyncio.run(speaker_turns(info, diarizer, options, cache))
    again = asyncio.run(speaker_turns(info, diarizer, options, cache))
    assert first == again and len(diarizer.calls) == 1
    asyncio.run(speaker_turns(info, diarizer, RunOptions(speakers=2), cache))  # another count: found anew
    assert len(diarizer.calls) == 2
    for entry in cache.folder.glob("*.json"):
        entry.write_text(entry.read_text()[:-5])  # damaged: found again, not trusted
    assert asyncio.run(speaker_turns(info, diarizer, options, cache)) == first and len(diarizer.calls) == 3
