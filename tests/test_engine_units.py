"""Pure parts of the engines: response parsing, retry timing, pacing windows, form fields;
and the HTTP engine over httpx.MockTransport."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from stt_toolkit import errors
from stt_toolkit.core.languages import language_code
from stt_toolkit.core.options import ApiOptions, TranscribeOptions
from stt_toolkit.core.records import Chunk, ChunkAudio
from stt_toolkit.engines import GROQ, ApiEngine, can_translate
from stt_toolkit.engines.api import build_form, resolve_base_url
from stt_toolkit.engines.limits import PauseGate, SlidingWindow, backoff_seconds, retry_after_seconds
from stt_toolkit.engines.response import parse_verbose_json

CHUNK = Chunk(index=0, start=0, end=160000, keep_start=0, keep_end=160000)


def parse(body: dict) -> object:
    return parse_verbose_json(body, chunk=CHUNK, task="transcribe", model="m", request_id=None, attempts=1)


def test_real_world_response_shapes() -> None:
    result = parse({
        "task": "transcribe", "language": "English", "duration": "10.02", "text": " Hi there.",
        "segments": [{"id": 0, "seek": 0, "start": 0, "end": "2.5", "text": " Hi there.", "tokens": [1],
                      "temperature": 0, "avg_logprob": -0.1, "compression_ratio": 1.2, "no_speech_prob": 0.01,
                      "new_field": True}],
        "words": [{"word": "Hi", "start": 0.5, "end": 0.9}, {"word": "there.", "start": 0.85, "end": 1.2}],
        "x_groq": {"id": "req_123"}, "usage": {"seconds": 11},
    })
    assert result.duration == 10.02 and result.language == "en" and result.request_id == "req_123"
    assert result.segments[0].end == 2.5 and result.segments[0].avg_logprob == -0.1
    assert [w.word for w in result.words] == [" Hi", " there."], "bare API words get the space the text has"
    assert result.words[1].start < result.words[0].end, "slightly backwards times are kept for the merge"


def test_sparse_responses() -> None:
    only_text = parse({"text": "hello world"})
    assert only_text.segments[0].text == "hello world" and only_text.segments[0].end == 10.0
    assert only_text.words == () and only_text.language is None
    silent = parse({"text": "", "segments": [], "duration": 10})
    assert silent.segments == () and silent.words == ()
    junk = parse({"text": "x", "segments": [{"start": None, "end": 1}], "words": [{"word": 3}], "duration": "n/a"})
    assert junk.duration == 10.0 and len(junk.segments) == 1 and junk.words == ()


@pytest.mark.parametrize(("value", "code"), [("English", "en"), ("en", "en"), ("german", "de"), ("Burmese", "my"),
                                             ("pt-BR", "pt"), ("klingon", "klingon"), (None, None)])
def test_language_codes(value: str | None, code: str | None) -> None:
    assert language_code(value) == code


def test_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"retry-after": "7"}) == 7
    http_date = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds({"retry-after": http_date}, now=now) == 30
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    rng = random.Random(0)
    waits = [backoff_seconds(a, 0.5, 8, rng) for a in range(1, 8)]
    for attempt, wait in enumerate(waits, start=1):
        ceiling = min(8, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling


def test_sliding_window_with_a_fake_clock() -> None:
    now = [0.0]
    window = SlidingWindow(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert window.wait_time(1) == 0
        window._spent.append((now[0], 1))
        now[0] += 1
    assert window.wait_time(1) == pytest.approx(61 - 3), "the window is the server's plus at least a second"
    now[0] = 61
    assert window.wait_time(1) == 0
    audio = SlidingWindow(7200, 3600, clock=lambda: now[0])
    audio._spent.append((now[0], 7000))
    assert audio.wait_time(100) == 0 and audio.wait_time(300) > 3600
    assert SlidingWindow(10, 60, clock=lambda: 0).wait_time(50) == 0, "one oversized request may pass alone"


def test_pause_gate() -> None:
    now = [100.0]
    gate = PauseGate(clock=lambda: now[0])
    gate.pause_for(5)
    gate.pause_for(1)
    assert gate.remaining() == 5


def test_form_fields() -> None:
    form = build_form("whisper-large-v3", TranscribeOptions(word_timestamps=False, temperature=0.2))
    assert form == {"model": "whisper-large-v3", "response_format": "verbose_json", "temperature": "0.2",
                    "timestamp_granularities[]": ["segment"]}
    assert not can_translate("whisper-large-v3-turbo") and not can_translate("distil-whisper-large-v3-en")
    assert not can_translate("tiny.en") and can_translate("whisper-large-v3")


def test_base_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_BASE_URL", raising=False)
    assert resolve_base_url(GROQ) == "https://api.groq.com/openai/v1"
    monkeypatch.setenv("GROQ_BASE_URL", "https://proxy.example/")
    assert resolve_base_url(GROQ) == "https://proxy.example/openai/v1"
    assert resolve_base_url(GROQ, "http://h/openai/v1") == "http://h/openai/v1"


def test_mock_transport_round_trip() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(502, json={"error": {"message": "bad gateway"}})
        return httpx.Response(200, json={"text": "ok", "duration": 10, "language": "en"},
                              headers={"x-request-id": "req_mock"})

    async def go() -> object:
        engine = ApiEngine(GROQ, api_key="k-secret", base_url="http://mock",
                           options=ApiOptions(backoff_base_seconds=0.01), transport=httpx.MockTransport(handler))
        try:
            audio = ChunkAudio(CHUNK, b"fLaC-not-really", "flac", "audio/flac")
            return await engine.transcribe(audio, TranscribeOptions())
        finally:
            await engine.aclose()

    result = asyncio.run(go())
    assert result.text == "ok" and result.attempts == 2 and result.request_id == "req_mock"
    assert seen[1].url.path == "/openai/v1/audio/transcriptions"
    assert seen[1].headers["authorization"] == "Bearer k-secret"


def test_errors_never_show_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, text="bad field; your key k-secret-123 is fine")

    async def go() -> None:
        engine = ApiEngine(GROQ, api_key="k-secret-123", base_url="http://mock", transport=httpx.MockTransport(handler))
        try:
            await engine.transcribe(ChunkAudio(CHUNK, b"x", "flac", "audio/flac"), TranscribeOptions())
        finally:
            await engine.aclose()

    with pytest.raises(errors.ApiStatusError) as caught:
        asyncio.run(go())
    assert "k-secret-123" not in str(caught.value) and "k-secret-123" not in caught.value.body
    assert caught.value.status == 422
