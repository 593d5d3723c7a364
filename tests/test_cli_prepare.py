"""The ``stt-toolkit prepare`` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from tests.conftest import MakeMedia, sine_input


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stt_toolkit", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_prepare_a_folder_with_good_and_bad_files(tmp_path: Path, make_media: MakeMedia, speech: Path) -> None:
    inputs = tmp_path / "in"
    (inputs / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(make_media("jfk.wav", "-i", str(speech / "jfk_inaugural_1961_excerpt.flac")), inputs / "jfk.wav")
    shutil.copy(make_media("tone.m4a", *sine_input(440, 4.0), "-c:a", "aac"), inputs / "nested" / "tone.m4a")
    shutil.copy(speech / "mls_es_13697_11991_000000.opus", inputs / "nested" / "deeper" / "es.opus")
    (inputs / "nested" / "broken.mp3").write_text("not audio at all")
    (inputs / "readme.txt").write_text("ignored: not a media file ending")
    out = tmp_path / "out"
    result = run_cli("prepare", str(inputs), "-o", str(out), "--export-chunks", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "broken.mp3: not an audio or video file" in result.stderr
    assert "3 file(s) prepared, 1 failed" in result.stderr
    for stem in ("jfk", "nested/tone", "nested/deeper/es"):
        flac = out / f"{stem}.flac"
        assert sf.info(flac).samplerate == 16000
        plan = json.loads((out / f"{stem}.chunks.json").read_text())
        assert plan["chunks"][0]["start"] == 0 and plan["chunks"][-1]["end"] == plan["audio"]["duration"]
        assert list((out / f"{stem}.chunks").glob("chunk-*.flac"))
    assert not (out / "nested" / "broken.flac").exists()
    assert not list(out.rglob("*.part"))
    assert sorted(p.name for p in inputs.rglob("*")) == sorted(
        ["jfk.wav", "nested", "deeper", "tone.m4a", "es.opus", "broken.mp3", "readme.txt"]), "inputs untouched"


def test_exit_codes(tmp_path: Path, make_media: MakeMedia) -> None:
    good = make_media("ok.wav", *sine_input(440, 2.0))
    assert run_cli("prepare", str(good), "-o", str(tmp_path / "o"), "-q", cwd=tmp_path).returncode == 0
    missing = run_cli("prepare", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "o"), cwd=tmp_path)
    assert missing.returncode == 1 and "missing.wav: no such file" in missing.stderr
    usage = run_cli("prepare", str(good), "--overlap-seconds", "900", cwd=tmp_path)
    assert usage.returncode == 2 and "--overlap-seconds" in usage.stderr and "Traceback" not in usage.stderr
    assert run_cli("prepare", cwd=tmp_path).returncode == 2


def test_long_chunks_plan_in_the_cli(tmp_path: Path, speech: Path) -> None:
    src = speech / "ljspeech_LJ001-0001_to_0032_continuous.opus"
    result = run_cli("prepare", str(src), "-o", str(tmp_path), "--chunk-seconds", "60",
                     "--overlap-seconds", "4", "--search-seconds", "10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / (src.stem + ".chunks.json")).read_text())
    assert len(plan["chunks"]) == 4
    assert "-> 4 chunk(s)" in result.stderr
