"""``stt-toolkit transcribe`` end to end: the local engine, the loopback API server, a kill
in the middle and a resume."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import srt

from stt_toolkit.cli import build_parser, run_options
from stt_toolkit.core.options import RunOptions
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.testing import Action, FakeWhisperServer
from tests.conftest import MakeMedia, sine_input

KEY = "gsk_cli_test_key_never_printed_123456"


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    return subprocess.run([sys.executable, "-m", "stt_toolkit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**environment, **(env or {})})


@pytest.fixture
def mixed_folder(tmp_path: Path, make_media: MakeMedia, speech: Path) -> Path:
    root = tmp_path / "in"
    (root / "talks" / "2024").mkdir(parents=True)
    jfk = speech / "jfk_inaugural_1961_excerpt.flac"
    shutil.copy(make_media("jfk.wav", "-i", str(jfk)), root / "jfk.wav")
    shutil.copy(make_media("jfk.mp3", "-i", str(jfk), "-c:a", "libmp3lame"), root / "talks" / "jfk.mp3")
    shutil.copy(make_media("ls.m4a", "-i", str(speech / "librispeech_dev-clean_2412-153948-0000.flac"),
                           "-c:a", "aac"), root / "talks" / "2024" / "reading.m4a")
    good = (root / "talks" / "jfk.mp3").read_bytes()
    (root / "talks" / "2024" / "corrupt.mp3").write_bytes(good[: len(good) // 3])
    (root / "notes.wav").write_text("not audio")
    return root


def test_local_engine_on_a_mixed_folder(tmp_path: Path, mixed_folder: Path) -> None:
    out = tmp_path / "out"
    result = cli("transcribe", str(mixed_folder), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "3 done, 0 skipped, 2 failed" in result.stderr
    assert "corrupt.mp3: truncated" in result.stderr and "notes.wav: not an audio or video file" in result.stderr
    for stem in ("jfk", "talks/jfk", "talks/2024/reading"):
        subs = list(srt.parse((out / f"{stem}.srt").read_text()))
        assert subs and all(s.end > s.start for s in subs)
        transcript = Transcript.from_json((out / f"{stem}.json").read_text())
        assert transcript.duration > 5 and transcript.language == "en"
        assert (out / f"{stem}.vtt").read_text().startswith("WEBVTT")
    assert "ask not what your country" in (out / "jfk.txt").read_text().lower()
    assert not (out / ".stt-cache").exists() or not any((out / ".stt-cache").iterdir())
    again = cli("transcribe", str(mixed_folder), "-o", str(out), "--exclude", "*corrupt*", "--exclude", "notes.*",
                cwd=tmp_path)
    assert again.returncode == 0 and "0 done, 3 skipped, 0 failed" in again.stderr
    redo = cli("transcribe", str(mixed_folder / "jfk.wav"), "-o", str(out), "--overwrite", "-f", "txt", cwd=tmp_path)
    assert redo.returncode == 0 and "1 done" in redo.stderr


def test_api_engine_against_the_loopback_server(tmp_path: Path, speech: Path) -> None:
    src = speech / "ljspeech_LJ001-0001_to_0032_continuous.opus"
    with FakeWhisperServer() as server:
        env = {"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url}
        dry = cli("transcribe", str(src), "--dry-run", "--chunk-seconds", "60", cwd=tmp_path, env=env)
        assert dry.returncode == 0 and not server.records
        header, row, total = dry.stdout.strip().splitlines()
        planned = dict(zip(header.split("\t"), row.split("\t")))
        assert planned["chunks"] == "4" and "usd_whisper-large-v3-turbo" in planned
        # read speech with short pauses: nothing to skip, so the bill is the same either way
        assert float(planned["speech_s"]) > 0.8 * float(planned["duration_s"])
        assert planned["billed_s"] == planned["billed_s_no_skip"]
        result = cli("transcribe", str(src), "-o", str(tmp_path / "out"), "--chunk-seconds", "60",
                     "--concurrency", "3", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert sorted(server.successes().values()) == [1, 1, 1, 1]
        assert {r.authorization for r in server.records} == {f"Bearer {KEY}"}
        assert "billed: 2" in result.stderr and "estimated cost $0.00" in result.stderr
        assert KEY not in result.stderr + result.stdout
        models = cli("models", "--engine", "groq", cwd=tmp_path, env=env)
        assert models.stdout.split() == ["whisper-large-v3", "whisper-large-v3-turbo"]
    assert not (tmp_path / "out" / ".stt-cache").exists()
    for path in (tmp_path / "out").iterdir():
        assert KEY not in path.read_text()


def test_bad_key_stops_the_run_with_a_clear_message(tmp_path: Path, mixed_folder: Path) -> None:
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(status=401, body={"error": {"message": "Invalid API Key"}})
        result = cli("transcribe", str(mixed_folder), "-o", str(tmp_path / "out"), "--engine", "groq", "--no-vad", cwd=tmp_path,
                     env={"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url})
        assert result.returncode == 1
        assert "GROQ_API_KEY" in result.stderr and "Traceback" not in result.stderr
        first_refusal = min(r.ended for r in server.records)
        assert all(r.started <= first_refusal + 0.05 for r in server.records), "nothing sent after the 401"


def test_killed_run_resumes_without_resending_finished_chunks(tmp_path: Path, joined_speech: Path) -> None:
    src = joined_speech
    out = tmp_path / "out"
    args = ["transcribe", str(src), "-o", str(out), "--chunk-seconds", "15", "--overlap-seconds", "2",
            "--search-seconds", "3", "--concurrency", "2", "-q"]
    with FakeWhisperServer(latency=lambda seconds: 0.4) as server:
        env = {k: v for k, v in os.environ.items() if k != "GROQ_BASE_URL"}
        env.update(GROQ_API_KEY=KEY, GROQ_BASE_URL=server.url)
        process = subprocess.Popen([sys.executable, "-m", "stt_toolkit", *args], cwd=tmp_path, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(list((out / ".stt-cache").rglob("*.json"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(1.0)  # let the server finish the requests that were in flight at the kill
        cached = len(list((out / ".stt-cache").rglob("*.json")))
        first_run = len(server.records)
        assert cached >= 4 and not (out / f"{src.stem}.json").exists()
        result = cli(*args, cwd=tmp_path, env={"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url})
        assert result.returncode == 0, result.stderr
        second_run = server.records[first_run:]
    transcript = Transcript.from_json((out / f"{src.stem}.json").read_text())
    total_chunks = len(transcript.chunks)
    assert len(second_run) == total_chunks - cached, "only the chunks not finished before the kill are sent"
    assert transcript.usage.requests == len(second_run), "the summary counts what this run sent, not the cache"
    assert max(server.successes().values()) <= 2
    assert sum(v - 1 for v in server.successes().values()) <= 2, "at most the requests in flight at the kill"
    assert not list((out / ".stt-cache").rglob("*.json"))


def test_every_flag_is_a_library_keyword_with_the_same_default() -> None:
    args = build_parser().parse_args(["transcribe", "x.wav"])
    assert run_options(args) == RunOptions()
    flags = {a.dest for a in build_parser()._subparsers._group_actions[0].choices["transcribe"]._actions}  # type: ignore[union-attr]
    cli_only = {"help", "inputs", "out_dir", "formats", "include", "exclude", "overwrite", "dry_run", "quiet"}
    assert flags - cli_only <= set(RunOptions.__dataclass_fields__)


def test_an_empty_folder_and_an_unwritable_output_are_clear_errors(tmp_path: Path, make_media: MakeMedia) -> None:
    (tmp_path / "empty").mkdir()
    empty = cli("transcribe", str(tmp_path / "empty"), cwd=tmp_path)
    assert empty.returncode == 1 and "no audio or video files" in empty.stderr
    clip = make_media("a.wav", *sine_input(440, 1.0))
    (tmp_path / "taken").write_text("a file where the output folder should go")
    taken = cli("transcribe", str(clip), "-o", str(tmp_path / "taken"), "--engine", "local", cwd=tmp_path)
    assert taken.returncode == 2 and "that is a file; -o takes a folder" in taken.stderr
    blocked = cli("transcribe", str(clip), "-o", str(tmp_path / "taken" / "inside"), "--engine", "local", cwd=tmp_path)
    assert blocked.returncode == 1 and "Traceback" not in blocked.stderr
    assert "taken/inside: Not a directory" in blocked.stderr, "the folder that cannot be made is named"


def test_usage_errors_exit_2(tmp_path: Path, make_media: MakeMedia) -> None:
    clip = make_media("a.wav", *sine_input(440, 1.0))
    for args in (["transcribe", str(clip), "-f", "docx"], ["transcribe", str(clip), "--overlap-seconds", "900"],
                 ["transcribe"], ["frobnicate"]):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
