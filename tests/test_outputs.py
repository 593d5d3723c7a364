"""Outputs never collide and never clobber: every input gets its own, and a file the toolkit
did not write (an input above all) is never replaced without --overwrite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stt_toolkit.testing import FakeWhisperServer
from tests.conftest import MakeMedia, sine_input

KEY = "gsk_test_outputs_0123456789"


def cli(*args: str, cwd: Path, server: FakeWhisperServer | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROQ_")}
    if server is not None:
        env.update(GROQ_API_KEY=KEY, GROQ_BASE_URL=server.url)
    return subprocess.run([sys.executable, "-m", "stt_toolkit", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture
def tone(make_media: MakeMedia) -> Path:
    return make_media("tone.wav", *sine_input(440, 11.0))


def test_inputs_that_share_a_name_get_outputs_of_their_own(tmp_path: Path, tone: Path, make_media: MakeMedia) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(tone, folder / "a.wav")
    shutil.copy(make_media("a.mp3", "-i", str(tone), "-c:a", "libmp3lame"), folder / "a.mp3")
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        shutil.copy(tone, tmp_path / sub / "talk.wav")
    with FakeWhisperServer() as server:
        done = cli("transcribe", "in", "x/talk.wav", "y/talk.wav", "-o", "out", "-f", "json", "--no-vad",
                   cwd=tmp_path, server=server)
        assert done.returncode == 0, done.stderr
        assert "4 done, 0 skipped, 0 failed" in done.stderr
        assert "its outputs are a.mp3.*" in done.stderr and "its outputs are x/talk.wav.*" in done.stderr
        names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.json")
                       if not p.name.startswith("."))
        assert names == ["a.mp3.json", "a.wav.json", "x/talk.wav.json", "y/talk.wav.json"]
        assert len(server.records) == 4
        again = cli("transcribe", "in", "x/talk.wav", "y/talk.wav", "-o", "out", "-f", "json", "--no-vad",
                    cwd=tmp_path, server=server)
        assert "0 done, 4 skipped, 0 failed" in again.stderr and len(server.records) == 4


def test_a_file_the_toolkit_did_not_write_is_not_replaced(tmp_path: Path, tone: Path) -> None:
    folder = tmp_path / "talks"
    folder.mkdir()
    shutil.copy(tone, folder / "talk.wav")
    (folder / "talk.txt").write_text("my own notes\n")
    with FakeWhisperServer() as server:
        done = cli("transcribe", "talks", "-o", "talks", cwd=tmp_path, server=server)
        assert done.returncode == 1
        assert "talk.txt exists and was not written by stt-toolkit" in done.stderr and "--overwrite" in done.stderr
        assert not server.records, "refused before anything was sent"
        assert (folder / "talk.txt").read_text() == "my own notes\n"
        forced = cli("transcribe", "talks", "-o", "talks", "--overwrite", cwd=tmp_path, server=server)
        assert forced.returncode == 0, forced.stderr
    assert (folder / "talk.txt").read_text() != "my own notes\n"


def test_the_toolkit_may_add_to_its_own_outputs(tmp_path: Path, tone: Path) -> None:
    shutil.copy(tone, tmp_path / "talk.wav")
    with FakeWhisperServer() as server:
        assert cli("transcribe", "talk.wav", "-o", "out", "-f", "srt", cwd=tmp_path, server=server).returncode == 0
        first = (tmp_path / "out" / "talk.srt").stat()
        more = cli("transcribe", "talk.wav", "-o", "out", "-f", "srt,vtt", "--max-line-chars", "12", cwd=tmp_path,
                   server=server)
        assert more.returncode == 0, more.stderr
    assert (tmp_path / "out" / "talk.vtt").exists()
    again = (tmp_path / "out" / "talk.srt").stat()
    assert (again.st_mtime_ns, again.st_ino) == (first.st_mtime_ns, first.st_ino), "the finished SRT is kept as it was"
    (tmp_path / "out" / "talk.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nedited by hand\n")
    with FakeWhisperServer() as server:
        edited = cli("transcribe", "talk.wav", "-o", "out", "-f", "srt,txt", cwd=tmp_path, server=server)
    assert edited.returncode == 1 and "talk.srt exists and was not written by stt-toolkit" in edited.stderr
    assert "edited by hand" in (tmp_path / "out" / "talk.srt").read_text()


def test_prepare_never_replaces_its_input(tmp_path: Path, make_media: MakeMedia) -> None:
    music = tmp_path / "music"
    music.mkdir()
    original = make_media("song.flac", *sine_input(440, 3.0), "-ac", "2", "-c:a", "flac")
    shutil.copy(original, music / "song.flac")
    done = cli("prepare", "song.flac", "-o", ".", cwd=music)
    assert done.returncode == 1 and "would replace an input" in done.stderr and "Traceback" not in done.stderr
    assert (music / "song.flac").read_bytes() == original.read_bytes()
    (music / "other.mp3").write_bytes(make_media("o.mp3", *sine_input(440, 2.0), "-c:a", "libmp3lame").read_bytes())
    (music / "other.flac").write_bytes(b"the user's own flac")
    kept = cli("prepare", "other.mp3", "-o", ".", cwd=music)
    assert kept.returncode == 1 and "other.flac exists and was not written by stt-toolkit" in kept.stderr
    assert (music / "other.flac").read_bytes() == b"the user's own flac"


@pytest.mark.parametrize("command", ["transcribe", "prepare"])
def test_dash_o_names_a_folder(command: str, tmp_path: Path, tone: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    for out in ("jfk.srt", "file.txt"):
        done = cli(command, str(tone), "-o", out, cwd=tmp_path)
        assert done.returncode == 2 and "-o takes a folder" in done.stderr, done.stderr
    assert not (tmp_path / "jfk.srt").exists()


def test_the_naming_rule() -> None:
    from stt_toolkit.run.inputs import InputFile, name_outputs

    items = [InputFile(Path("/d/a.mp3"), Path("a.mp3")), InputFile(Path("/d/a.wav"), Path("a.wav")),
             InputFile(Path("/d/b.mp3"), Path("b.mp3")), InputFile(Path("/x/talk.mp3"), Path("talk.mp3")),
             InputFile(Path("/y/talk.mp3"), Path("talk.mp3")), InputFile(Path("/d/sub/c.mp3"), Path("sub/c.mp3")),
             InputFile(Path("/d/a.mp3"), Path("a.mp3")), InputFile(Path("/p/q/z.mp3"), Path("z.mp3")),
             InputFile(Path("/r/q/z.mp3"), Path("z.mp3")), InputFile(Path("/d/B.MP3"), Path("B.MP3"))]
    stems = [i.output_stem.as_posix() for i in name_outputs(items)]
    assert stems[:6] == ["a.mp3", "a.wav", "b.mp3", "x/talk.mp3", "y/talk.mp3", "sub/c"], "the same file counts once"
    assert stems[8] == "B.MP3-2", "a name only case tells apart gets a number"
    assert stems[6:8] == ["p/q/z.mp3", "r/q/z.mp3"], "as many parent folders as tell them apart"
    assert len({s.casefold() for s in stems}) == len(stems) == 9, "no two alike, even without case"


def test_what_the_toolkit_wrote_is_not_taken_for_input(tmp_path: Path, tone: Path) -> None:
    shutil.copy(tone, tmp_path / "talk.wav")
    assert cli("prepare", ".", "-o", "prepared", cwd=tmp_path).returncode == 0
    assert (tmp_path / "prepared" / "talk.flac").exists()
    listed = cli("transcribe", ".", "--dry-run", cwd=tmp_path)
    assert listed.returncode == 0 and "talk.wav" in listed.stdout and "talk.flac" not in listed.stdout


def test_an_input_under_another_name_is_never_replaced(tmp_path: Path, tone: Path) -> None:
    (tmp_path / "out").mkdir()
    shutil.copy(tone, tmp_path / "out" / "talk.json")  # audio named like an output
    (tmp_path / "in").mkdir()
    os.link(tmp_path / "out" / "talk.json", tmp_path / "in" / "talk.json")
    before = (tmp_path / "in" / "talk.json").read_bytes()
    with FakeWhisperServer() as server:
        done = cli("transcribe", "in/talk.json", "-o", "out", "-f", "json", "--overwrite", cwd=tmp_path, server=server)
    assert done.returncode == 1 and "would replace an input" in done.stderr
    assert (tmp_path / "out" / "talk.json").read_bytes() == before


def test_prepare_refuses_a_folder_another_run_is_writing(tmp_path: Path, tone: Path) -> None:
    from stt_toolkit.run.lock import output_lock

    with output_lock(tmp_path / "out"):
        busy = cli("prepare", str(tone), "-o", "out", cwd=tmp_path)
    assert busy.returncode == 1 and "another stt-toolkit run" in busy.stderr
    assert not (tmp_path / "out" / "tone.flac").exists()
