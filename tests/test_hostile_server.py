"""A server's answer is a transcript only if it is one; no server can hold a run forever."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import srt

import stt_toolkit as stt
from stt_toolkit import errors
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.options import ApiOptions
from stt_toolkit.core.records import ChunkResult
from stt_toolkit.engines import ApiEngine
from stt_toolkit.testing import Action, FakeWhisperServer

KEY = "gsk_test_hostile_0123456789abcdef"
GOOD = {"task": "transcribe", "language": "English", "duration": 12.0, "text": " fine words here",
        "segments": [{"id": 0, "start": 0.0, "end": 11.0, "text": " fine words here", "avg_logprob": -0.2,
                      "compression_ratio": 1.3, "no_speech_prob": 0.01, "temperature": 0.0}],
        "words": [{"word": "fine", "start": 0.5, "end": 1.0}, {"word": "words", "start": 1.2, "end": 1.8},
                  {"word": "here", "start": 2.0, "end": 2.5}]}
HOSTILE = {
    "html": Action(body=b"<html><body><h1>Welcome to Hotel WiFi</h1>Please log in</body></html>",
                   content_type="text/html"),
    "cut": Action(body=json.dumps(GOOD).encode()[:120]),
    "empty object": Action(body={}),
    "error object": Action(body={"error": {"message": "internal failure", "type": "server_error"}}),
    "list": Action(body=[GOOD]),
    "text not a string": Action(body={**GOOD, "text": 5}),
    "segments not a list": Action(body={**GOOD, "segments": "one"}),
    "nested too deep": Action(body=b"[" * 100_000 + b"]" * 100_000),
}


def options(server: FakeWhisperServer, **extra: Any) -> dict[str, Any]:
    return dict(engine="groq", vad=False, api_key=KEY, base_url=server.url, fill_gaps=False, **extra)


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_200_that_is_no_transcript_is_retried_then_fails(kind: str, flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: HOSTILE[kind]
        with pytest.raises(errors.InvalidResponse) as caught:
            stt.transcribe(src, **options(server, max_attempts=2))
        assert len(server.records) == 2, "retried like a 5xx"
    assert KEY not in str(caught.value)
    with FakeWhisperServer() as server:
        server.script(HOSTILE[kind])
        server.default = lambda path, fields, seconds: Action(body=GOOD)
        transcript = stt.transcribe(src, **options(server))
        assert len(server.records) == 2
    assert transcript.text.strip() == "fine words here"


def test_the_cli_fails_the_file_on_a_captive_portal(tmp_path: Path, flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: HOSTILE["html"]
        env = {**os.environ, "GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url}
        done = subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(src), "-o", str(tmp_path / "out"),
                               "--engine", "groq", "--no-vad", "--max-attempts", "2", "-q"], capture_output=True, text=True,
                              env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "0 done, 0 skipped, 1 failed" in done.stderr and "not JSON" in done.stderr
    assert not list((tmp_path / "out").glob("*.srt")), "no transcript of a web page"


def test_absurd_times_are_clamped_into_the_audio(flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    words = [{"word": "nan", "start": math.nan, "end": 1.0}, {"word": "minus", "start": -5.0, "end": 0.4},
             {"word": "ok", "start": 1.0, "end": 1.5}, {"word": "back", "start": 0.8, "end": 0.2},
             {"word": "huge", "start": 1e308, "end": 1e308}, {"word": "late", "start": 11.5, "end": 400.0}]
    body = {**GOOD, "text": " nan minus ok back huge late", "duration": 1e308,
            "segments": [{**GOOD["segments"][0], "start": -3.0, "end": 1e308, "text": " nan minus ok back huge late"}],
            "words": words}
    with FakeWhisperServer() as server:
        server.script(Action(body=body))
        transcript = stt.transcribe(src, **options(server))
    assert transcript.duration == pytest.approx(12.0, abs=0.01)
    assert "nan" not in [w.word.strip() for w in transcript.words], "a time that is no number drops the word"
    for item in (*transcript.words, *transcript.segments):
        assert 0.0 <= item.start <= item.end <= transcript.duration, item
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    cues = list(srt.parse(stt.render(transcript, "srt")))
    assert cues and cues[-1].end.total_seconds() <= transcript.duration


def test_an_oversized_answer_is_refused_unread(flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    padded = {**GOOD, "padding": "x" * 5000}
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(body=padded)
        engine = ApiEngine(api_key=KEY, base_url=server.url,
                               options=ApiOptions(max_attempts=1, max_answer_bytes=4096))
        with pytest.raises(errors.InvalidResponse, match="over 4096 bytes"):
            _run(src, engine)


def _run(src: Path, engine: ApiEngine) -> list[ChunkResult]:
    import asyncio

    from stt_toolkit.run.chunks import transcribe_chunks

    async def go() -> list[ChunkResult]:
        try:
            return await transcribe_chunks(src, plan_chunks(src), engine)
        finally:
            await engine.aclose()

    return asyncio.run(go())


def test_a_server_that_drips_its_headers_cannot_hold_a_run(flac_with_silences: Callable[..., Path]) -> None:
    # One byte every 0.2 s: no single read waits over the 1 s read timeout, but the whole
    # head takes ~30 s. The request's overall deadline (1 + 2 x 1 s, and the upload at 10 MB/s) ends it.
    src = flac_with_silences(12.0, [])
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(body=GOOD, drip=0.2)
        engine = ApiEngine(api_key=KEY, base_url=server.url, options=ApiOptions(
            max_attempts=1, connect_timeout=1.0, read_timeout_base=1.0, read_timeout_per_audio_second=0.0,
            min_upload_bytes_per_second=1e7))
        started = time.monotonic()
        with pytest.raises(errors.ApiTimeout):
            _run(src, engine)
        assert time.monotonic() - started < 8.0


def test_text_for_audio_that_does_not_exist_is_dropped(flac_with_silences: Callable[..., Path]) -> None:
    # A model that runs on past the end: 30 one-second segments for 9.7 s of audio. Squeezed
    # onto the end they made twenty cues a millisecond long; they describe nothing, so they go.
    src = flac_with_silences(9.7, [])
    segments = [{"id": i, "start": float(i), "end": i + 1.0, "text": f" part {i}", "avg_logprob": -0.2,
                 "no_speech_prob": 0.01, "compression_ratio": 1.2} for i in range(30)]
    body = {"text": "".join(s["text"] for s in segments), "segments": segments, "duration": 30.0}
    with FakeWhisperServer() as server:
        server.script(Action(body=body))
        transcript = stt.transcribe(src, **options(server))
    assert [s.text.strip() for s in transcript.segments][-1] in ("part 9", "part 10")
    cues = list(srt.parse(stt.render(transcript, "srt")))
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:])), "no overlapping cues"
    assert all((c.end - c.start).total_seconds() >= 0.5 for c in cues[:-1]), "no flash cues"
