"""Processes, temporary files and concurrent runs: ffmpeg stops with the run, nothing is left
in the temporary folder, and two runs never write one output folder at once."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import soundfile as sf

from stt_toolkit.audio.ffmpeg import bundled_ffmpeg
from stt_toolkit.testing import FakeWhisperServer

KEY = "gsk_test_processes_0123456789"


def slow_ffmpeg(folder: Path) -> Path:
    """An ffmpeg that decodes in real time (``-re``) and writes its pid to ``folder/pid``."""
    path = folder / "ffmpeg"
    path.write_text(f'#!/bin/sh\nif [ "$2" = -version ]; then exec {bundled_ffmpeg()} "$@"; fi\n'
                    f'echo $$ > {folder}/pid\nexec {bundled_ffmpeg()} -re "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def temp_dirs(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"stt-{pid}-*"))


def start(args: list[str], cwd: Path, server: FakeWhisperServer) -> subprocess.Popen[str]:
    env = {**os.environ, "GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url}
    return subprocess.Popen([sys.executable, "-m", "stt_toolkit", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_stopped_run_leaves_no_ffmpeg_and_no_temporary_files(how: signal.Signals, tmp_path: Path,
                                                              flac_with_silences: Callable[..., Path]) -> None:
    src = tmp_path / "talk.wav"  # not 16 kHz FLAC already, so ffmpeg decodes it
    sf.write(src, sf.read(flac_with_silences(60.0, []))[0], 16000, subtype="PCM_16", format="WAV")
    decoder = slow_ffmpeg(tmp_path)
    with FakeWhisperServer() as server:
        run = start(["transcribe", str(src), "-o", "out", "--engine", "groq", "--no-vad", "--ffmpeg", str(decoder)],
                    tmp_path, server)
        wait_for(lambda: (tmp_path / "pid").exists() and bool((tmp_path / "pid").read_text().strip()))
        ffmpeg = int((tmp_path / "pid").read_text())
        assert alive(ffmpeg) and temp_dirs(run.pid), "decoding, with its temporary folder"
        stopped = time.monotonic()
        run.send_signal(how)
        _, err = run.communicate(timeout=30)
        assert time.monotonic() - stopped < 10, "the run does not wait for the decode to finish"
        wait_for(lambda: not alive(ffmpeg), 5)
        assert not server.records, "nothing was sent before the decode finished"
        if how != signal.SIGKILL:
            assert run.returncode == 130 and "interrupted" in err and "Traceback" not in err
            assert not temp_dirs(run.pid)
        else:
            assert temp_dirs(run.pid), "SIGKILL leaves the folder; the next run removes it"
            again = start(["transcribe", str(flac_with_silences(11.0, [])), "-o", "out2", "--engine", "groq", "--no-vad"],
                          tmp_path, server)
            again.communicate(timeout=60)
            assert again.returncode == 0 and not temp_dirs(run.pid)


def test_a_second_run_on_the_same_output_folder_is_refused(tmp_path: Path,
                                                           flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(48.0, [])
    with FakeWhisperServer(latency=lambda seconds: 1.0) as server:
        args = ["transcribe", str(src), "-o", "out", "--engine", "groq", "--no-vad", "--chunk-seconds", "12",
                "--overlap-seconds", "1", "--search-seconds", "1", "--concurrency", "1", "--no-fill-gaps"]
        first = start(args, tmp_path, server)
        wait_for(lambda: len(server.records) >= 1 or first.poll() is not None)
        second = start(args, tmp_path, server)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1 and f"another stt-toolkit run (process {first.pid})" in err, err
        _, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_err
        assert len(server.records) == 4, "every chunk paid for once"
        third = start(args + ["--overwrite"], tmp_path, server)
        third.communicate(timeout=120)
        assert third.returncode == 0, "the folder is free again once the first run ended"


STUCK_ENGINE = """
import sys, time
from stt_toolkit.engines.local import LocalEngine

def stuck(self, audio, options):
    print("decoding", file=sys.stderr, flush=True)
    while True:  # a native call that never returns, as OpenBLAS's spin once did
        time.sleep(0.05)

LocalEngine.transcribe_sync = stuck
LocalEngine.check = lambda self, options: None
from stt_toolkit.cli import main
sys.exit(main())
"""


def test_ctrl_c_ends_a_run_whose_worker_is_stuck(tmp_path: Path, speech: Path) -> None:
    # A decode stuck in a worker thread used to keep the process alive through Ctrl-C and
    # SIGTERM (asyncio waits for its executor's threads): it must end, 130, temp folder gone.
    script = tmp_path / "stuck.py"
    script.write_text(STUCK_ENGINE)
    run = subprocess.Popen([sys.executable, str(script), "transcribe", str(speech / "jfk_inaugural_1961_excerpt.flac"),
                            "--engine", "local", "-o", "out"], cwd=tmp_path, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert run.stderr is not None
    while "decoding" not in run.stderr.readline():
        assert run.poll() is None, "the run ended before decoding"
    assert temp_dirs(run.pid), "decoding, with its temporary folder"
    stopped = time.monotonic()
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert time.monotonic() - stopped < 5, "the README promises an end within 5 s"
    assert run.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not temp_dirs(run.pid)
