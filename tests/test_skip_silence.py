"""Silence skipping end to end: real speech with long breaks through the loopback API server
(what is sent and billed) and through the real local model (timestamps as if nothing was cut)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import stt_toolkit as stt
from stt_toolkit.core.options import RunOptions
from stt_toolkit.engines import LocalEngine
from stt_toolkit.run.file import transcribe_audio
from stt_toolkit.testing import FakeWhisperServer
from stt_toolkit.testing.wer import word_error_rate as wer

KEY = "gsk_skip_test_key"


def inside(t: float, breaks: list[tuple[str, float, float]], margin: float = 0.6) -> bool:
    """Whether ``t`` lies in a break, away from its edges (the kept joint is 0.5 s)."""
    return any(a + margin < t < b - margin for _, a, b in breaks)


def test_breaks_are_not_sent_nor_billed_and_times_stay_in_the_file(speech_with_breaks: dict) -> None:
    path, breaks = speech_with_breaks["path"], speech_with_breaks["breaks"]
    duration = sf.info(str(path)).duration
    with FakeWhisperServer() as server:
        skipped = stt.transcribe(path, engine="groq", api_key=KEY, base_url=server.url)
        sent = sum(r.audio_seconds for r in server.records)
        whole = stt.transcribe(path, engine="groq", api_key=KEY, base_url=server.url, skip_silence=False)
        sent_all = sum(r.audio_seconds for r in server.records) - sent
    speech = sum(b - a for a, b in speech_with_breaks["clips"])
    assert sent_all == pytest.approx(duration, abs=0.1)
    assert sent < speech + 4 * 1.1, f"sent {sent:.1f} s for {speech:.1f} s of clips"
    assert skipped.usage.billed_seconds == pytest.approx(sent, abs=0.1)
    assert sent < whole.usage.billed_seconds
    assert skipped.duration == pytest.approx(duration, abs=0.01)
    # the fake server says a word for every second it is sent: none may land in a break
    assert skipped.words and not [w for w in skipped.words if inside((w.start + w.end) / 2, breaks)]
    assert all(a.start <= b.start for a, b in zip(skipped.words, skipped.words[1:]))
    assert not [s for s in skipped.segments if any(a + 0.6 < s.end and s.start < b - 0.6 for _, a, b in breaks)]
    for kind, a, b in breaks:
        assert any(x <= a + 0.6 and b - 0.6 <= y for x, y in skipped.skipped), f"the {kind} break is left out"
    data = json.loads(skipped.to_json())
    assert [tuple(s) for s in data["skipped"]] == list(skipped.skipped)
    assert data["speech_seconds"] == pytest.approx(speech, rel=0.35)
    assert not whole.skipped


def test_the_local_model_times_words_as_if_nothing_was_cut(speech_with_breaks: dict, local_engine: LocalEngine) -> None:
    path, breaks = speech_with_breaks["path"], speech_with_breaks["breaks"]
    whole = asyncio.run(transcribe_audio(path, local_engine, RunOptions(skip_silence=False)))
    cut = asyncio.run(transcribe_audio(path, local_engine, RunOptions()))
    assert cut.skipped and not whole.skipped and whole.speech_seconds == cut.speech_seconds
    reference = speech_with_breaks["text"]
    assert wer(reference, cut.text) <= wer(reference, whole.text) + 0.02
    assert not [w for w in cut.words if inside((w.start + w.end) / 2, breaks)]
    # sent the breaks, whatever the model writes over them is flagged and kept out of the text
    shown = [s for s in whole.segments if "non_speech_text" not in s.flags]
    assert not [s for s in shown if inside(s.start, breaks, 0.3) and inside(s.end, breaks, 0.3)]
    assert all(inside((s.start + s.end) / 2, breaks, 0.0) for s in whole.segments if "non_speech_text" in s.flags)
    pairs = {w.word.strip().lower(): w.start for w in whole.words}
    # words said once: the same word in both runs starts at the same time in the file
    unique = {k for k in pairs if sum(1 for w in whole.words if w.word.strip().lower() == k) == 1}
    shifts = [abs(w.start - pairs[k]) for w in cut.words if (k := w.word.strip().lower()) in unique]
    assert len(shifts) > 40 and float(np.median(shifts)) < 0.1, shifts


def cli(*args: str, cwd: Path, server: FakeWhisperServer) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "OPENAI_"))}
    env.update(GROQ_API_KEY=KEY, GROQ_BASE_URL=server.url)
    return subprocess.run([sys.executable, "-m", "stt_toolkit", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def test_the_cli_shows_what_skipping_saves(speech_with_breaks: dict, tmp_path: Path) -> None:
    path = speech_with_breaks["path"]
    with FakeWhisperServer() as server:
        dry = cli("transcribe", str(path), "--dry-run", cwd=tmp_path, server=server)
        assert dry.returncode == 0 and not server.records, dry.stderr
        header, row, _ = dry.stdout.strip().splitlines()
        planned = {k: float(v) for k, v in zip(header.split("\t")[1:], row.split("\t")[1:])}
        assert planned["billed_s"] < 0.6 * planned["billed_s_no_skip"]
        assert planned["billed_s_no_skip"] == pytest.approx(planned["duration_s"], abs=0.1)
        plain = cli("transcribe", str(path), "--dry-run", "--no-vad", cwd=tmp_path, server=server)
        _, row, _ = plain.stdout.strip().splitlines()
        assert row.split("\t")[2] == "-", "without the map, no seconds of speech are claimed"
        assert float(row.split("\t")[4]) == float(row.split("\t")[5]) == planned["billed_s_no_skip"]
        done = cli("transcribe", str(path), "-o", "out", "-q", cwd=tmp_path, server=server)
        assert done.returncode == 0, done.stderr
        billed = sum(r.audio_seconds for r in server.records)
    assert billed == pytest.approx(planned["billed_s"], abs=0.2), "the dry run's figure is what is sent"
    assert "of non-speech not sent" in done.stderr and "speech: " in done.stderr
    srt = (tmp_path / "out" / "speech_with_breaks.srt").read_text()
    assert srt.strip()


def test_a_file_with_no_speech_sends_nothing_and_says_so(tmp_path: Path) -> None:
    src = tmp_path / "hum.flac"
    t = np.arange(30 * 16000) / 16000
    sf.write(src, (0.01 * np.sin(2 * np.pi * 50 * t)).astype(np.float32), 16000, subtype="PCM_16")
    with FakeWhisperServer() as server:
        done = cli("transcribe", str(src), "-o", "out", "-f", "json,txt", cwd=tmp_path, server=server)
        assert not server.records
    assert done.returncode == 0, done.stderr
    assert "no speech found, nothing sent" in done.stderr
    data = json.loads((tmp_path / "out" / "hum.json").read_text())
    assert data["segments"] == [] and data["skipped"] == [[0.0, 30.0]] and data["usage"]["billed_seconds"] == 0
