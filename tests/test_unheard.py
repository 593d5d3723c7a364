"""Speech is never lost silently: audio that sounds like speech but ends up with no words is
reported in the JSON, the VTT and the CLI's summary, whatever the engine and the repairs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import stt_toolkit as stt
from stt_toolkit.testing import Action, FakeWhisperServer
from tests.test_word_shapes import body

KEY = "gsk_test_unheard_0123456789"
SILENT_ANSWER = {"task": "transcribe", "language": "English", "duration": 14.0, "text": "", "segments": [],
                 "words": []}


def two_ends() -> dict[str, Any]:
    """Words in 0.5-8 s and 22-29.5 s of a 30 s file that is speech-loud throughout."""
    first = body("we begin here with the first part", 0.5, 8.0, 30.0, logprob=-1.2)
    late = body("and this is how it ends", 22.0, 29.5, 30.0)
    first["segments"].append({**late["segments"][0], "id": 1})
    first["words"] += late["words"]
    first["text"] += late["text"]
    return first


@pytest.mark.parametrize("fill_gaps", [True, False])
def test_speech_left_without_words_is_reported(fill_gaps: bool, tmp_path: Path,
                                               flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(30.0, [])
    with FakeWhisperServer() as server:
        server.script(Action(body=two_ends()))
        server.default = lambda path, fields, seconds: Action(body=SILENT_ANSWER)  # the redo hears nothing
        transcript = stt.transcribe(src, engine="groq", api_key=KEY, base_url=server.url, fill_gaps=fill_gaps)
        assert len(server.records) == (2 if fill_gaps else 1)
    [(start, end)] = transcript.quality.unheard_speech
    assert 7.5 <= start <= 8.5 and 21.5 <= end <= 22.5
    assert stt.Transcript.from_json(transcript.to_json()).quality == transcript.quality
    vtt = transcript.to_vtt()
    assert "NOTE no words: 00:00:0" in vtt and "is as loud as the speech but has no words" in vtt
    assert vtt.index("NOTE no words") < vtt.index("and this is how")


def test_the_cli_summary_names_the_stretch_and_counts_flags_as_the_json_does(
        tmp_path: Path, flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(30.0, [])
    with FakeWhisperServer() as server:
        server.script(Action(body=two_ends()))
        server.default = lambda path, fields, seconds: Action(body=SILENT_ANSWER)
        env = {**os.environ, "GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url}
        done = subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(src), "-o", str(tmp_path),
                               "--engine", "groq"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    transcript = stt.Transcript.from_json((tmp_path / f"{src.stem}.json").read_text())
    assert f"no words: {src}" in done.stderr and "speech with no words: 1 stretch(es)" in done.stderr
    assert transcript.quality.flagged_segments == 1
    assert "flagged segments: 1;" in done.stderr, "one definition of a flagged segment"


def test_speech_that_gap_filling_recovers_is_not_reported(flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(30.0, [])
    with FakeWhisperServer() as server:
        server.script(Action(body=two_ends()))
        server.default = lambda path, fields, seconds: Action(
            body=body("the middle part that the first answer skipped", 0.0, seconds, seconds))
        transcript = stt.transcribe(src, engine="groq", api_key=KEY, base_url=server.url)
    assert "middle part" in transcript.text and transcript.quality.unheard_speech == ()
