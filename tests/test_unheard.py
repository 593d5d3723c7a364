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
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url, fill_gaps=fill_gaps)
        assert len(server.records) == (2 if fill_gaps else 1)
    [(start, end)] = transcript.quality.unheard_speech
    assert 7.5 <= start <= 8.5 and 21.5 <= end <= 22.5
    assert stt.Transcript.from_json(transcript.to_json()).quality == transcript.quality
    vtt = stt.render(transcript, "vtt")
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
                               "--engine", "groq", "--no-vad"], capture_output=True, text=True, env=env, timeout=120)
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
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url)
    assert "middle part" in transcript.text and transcript.quality.unheard_speech == ()


def redo_answer(seconds: float, segments: list[tuple[str, float, float]]) -> dict[str, Any]:
    """An answer of several segments (text, avg_logprob, no_speech_prob) spread over ``seconds``."""
    step = seconds / len(segments)
    parts = [body(text, i * step + 0.1, (i + 1) * step - 0.1, seconds, logprob) for i, (text, logprob, _) in
             enumerate(segments)]
    for part, (_, _, no_speech) in zip(parts, segments):
        part["segments"][0]["no_speech_prob"] = no_speech
    return {"task": "transcribe", "language": "English", "duration": seconds,
            "text": "".join(p["text"] for p in parts),
            "segments": [{**p["segments"][0], "id": i} for i, p in enumerate(parts)],
            "words": [w for p in parts for w in p["words"]]}


def test_a_redo_heard_clearly_is_kept_whole(flac_with_silences: Callable[..., Path]) -> None:
    # tiny.en's real numbers for a recovered sonnet (stitched file, 43-70 s): avg_logprob -0.3
    # throughout, no_speech_prob 0.2-0.35 in the window that starts with the pause, 0.66 in the
    # next. A limit of 0.3 on no_speech_prob alone kept only the last few seconds.
    src = flac_with_silences(30.0, [])
    sonnet = [("from fairest creatures we desire increase", -0.3, 0.35),
              ("that thereby beauty's rose might never die", -0.3, 0.35),
              ("but as the riper should by time decease", -0.3, 0.35),
              ("his tender heir might bear his memory", -0.4, 0.66)]
    with FakeWhisperServer() as server:
        server.script(Action(body=two_ends()))
        server.default = lambda path, fields, seconds: Action(body=redo_answer(seconds, sonnet))
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url)
    for line, _, _ in sonnet:
        assert line in transcript.text, line
    assert transcript.quality.unheard_speech == ()


def test_stray_words_in_a_redo_are_still_left_out(flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(30.0, [])
    stray = [("and so", -0.7, 0.8)]
    with FakeWhisperServer() as server:
        server.script(Action(body=two_ends()))
        server.default = lambda path, fields, seconds: Action(body=redo_answer(seconds, stray))
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url)
    assert "and so" not in transcript.text and len(transcript.quality.unheard_speech) == 1
