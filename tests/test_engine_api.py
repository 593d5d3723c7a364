"""The HTTP engine against a real server on 127.0.0.1 with scripted faults."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stt_toolkit import errors
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.options import ApiOptions, ChunkOptions, TranscribeOptions
from stt_toolkit.core.records import Chunk, ChunkResult
from stt_toolkit.engines import GROQ, OPENAI, ApiEngine
from stt_toolkit.engines.limits import REAL_TIME, Timer
from stt_toolkit.run.chunks import transcribe_chunks
from stt_toolkit.testing import Action, FakeWhisperServer, FastTimer

KEY = "gsk_test_secret_key_do_not_log_0123456789"
FAST = dict(backoff_base_seconds=0.05, backoff_max_seconds=0.2)


@pytest.fixture
def server() -> Iterator[FakeWhisperServer]:
    with FakeWhisperServer() as s:
        yield s


@pytest.fixture
def noise_flac(tmp_path: Path) -> Callable[[float], Path]:
    def make(seconds: float) -> Path:
        path = tmp_path / f"noise_{seconds:g}.flac"
        rng = np.random.default_rng(int(seconds))
        sf.write(path, (rng.standard_normal(int(seconds * 16000)) * 3000).astype(np.int16), 16000)
        return path

    return make


def plan(flac: Path, seconds: float = 12.0) -> list[Chunk]:
    return plan_chunks(flac, ChunkOptions(target_seconds=seconds, overlap_seconds=1, search_seconds=1))


def engine_for(server: FakeWhisperServer, timer: Timer = REAL_TIME, **options: object) -> ApiEngine:
    return ApiEngine(GROQ, api_key=KEY, base_url=server.url, options=ApiOptions(**{**FAST, **options}), timer=timer)


def run(flac: Path, engine: ApiEngine, chunk_seconds: float = 12.0, **kwargs: object) -> list[ChunkResult]:
    async def go() -> list[ChunkResult]:
        try:
            return await transcribe_chunks(flac, plan(flac, chunk_seconds), engine, **kwargs)  # type: ignore[arg-type]
        finally:
            await engine.aclose()

    return asyncio.run(go())


def test_request_is_what_the_api_expects(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(11)
    [result] = run(flac, engine_for(server), options=TranscribeOptions(language="en", prompt="Acme Corp."))
    [record] = server.records
    assert record.path == "/openai/v1/audio/transcriptions"
    assert record.authorization == f"Bearer {KEY}"
    assert record.fields["model"] == ["whisper-large-v3-turbo"]
    assert record.fields["response_format"] == ["verbose_json"]
    assert record.fields["timestamp_granularities[]"] == ["word", "segment"]
    assert record.fields["language"] == ["en"] and record.fields["prompt"] == ["Acme Corp."]
    assert record.filename == "chunk-0.flac" and record.audio_seconds == pytest.approx(11)
    assert result.language == "en" and result.duration == pytest.approx(11)
    assert len(result.words) == 11 and result.request_id and result.attempts == 1


def test_translation_uses_large_v3_and_refuses_turbo(server: FakeWhisperServer,
                                                     noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(11)
    run(flac, engine_for(server), options=TranscribeOptions(task="translate", language="de"))
    [record] = server.records
    assert record.path == "/openai/v1/audio/translations"
    assert record.fields["model"] == ["whisper-large-v3"]
    assert "timestamp_granularities[]" not in record.fields and "language" not in record.fields
    turbo = ApiEngine(GROQ, api_key=KEY, base_url=server.url, model="whisper-large-v3-turbo")
    with pytest.raises(errors.UnsupportedTask, match="cannot translate"):
        run(flac, turbo, options=TranscribeOptions(task="translate"))
    assert len(server.records) == 1, "nothing sent for an impossible task"


def test_faults_are_retried_and_no_chunk_is_lost_or_paid_twice(
        server: FakeWhisperServer, noise_flac: Callable[[float], Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    flac = noise_flac(100)
    server.script(Action(status=500), Action(status=502), Action(drop=True),
                  Action(status=429, headers={"retry-after": "0.2"}), Action(status=503), Action(status=498))
    engine = engine_for(server, concurrency=3)
    results = run(flac, engine)
    chunks = plan(flac)
    assert [r.chunk for r in results] == chunks
    assert sorted(server.successes().values()) == [1] * len(chunks), "each chunk answered exactly once"
    assert engine.usage.retries == 6 and engine.usage.requests == len(chunks) + 6
    assert sum(r.attempts for r in results) == len(chunks) + 6
    assert engine.usage.billed_seconds == pytest.approx(sum(max(10, c.duration) for c in chunks))
    assert KEY not in caplog.text and KEY not in repr(engine)


def test_retry_after_is_waited_in_every_form(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    from email.utils import formatdate

    flac = noise_flac(11)
    date_deadline = time.monotonic() + 4
    server.script(Action(status=429, headers={"retry-after": "1"}),
                  Action(status=503, headers={"retry-after-ms": "700"}),
                  Action(status=429, headers={"retry-after": formatdate(time.time() + 4, usegmt=True)}))
    run(flac, engine_for(server))
    first, second, third, done = server.records
    assert second.started - first.ended >= 0.95
    assert third.started - second.ended >= 0.65
    assert done.started >= date_deadline - 1.1  # an HTTP date has one-second resolution
    assert done.status == 200


def test_a_429_pauses_the_whole_client(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(60)
    server.default = lambda path, fields, seconds: Action(delay=0.1)
    server.script(Action(status=429, headers={"retry-after": "1"}))
    run(flac, engine_for(server, concurrency=2))
    limited = next(r for r in server.records if r.status == 429)
    # a request the client sent before the 429 reached it may still arrive just after it
    later = [r for r in server.records if r.started > limited.ended + 0.05]
    assert later and min(r.started for r in later) >= limited.ended + 0.95


def test_in_flight_requests_never_exceed_the_limit(server: FakeWhisperServer,
                                                   noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(240)
    server.default = lambda path, fields, seconds: Action(delay=0.15)
    results = run(flac, engine_for(server, concurrency=3))
    assert len(results) == len(server.records) == 20
    assert server.max_in_flight == 3


def test_a_hung_request_times_out_and_is_retried(server: FakeWhisperServer,
                                                 noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(11)
    server.script(Action(delay=2.0))
    engine = engine_for(server, read_timeout_base=0.5, read_timeout_per_audio_second=0.0)
    [result] = run(flac, engine)
    assert result.attempts == 2 and engine.usage.failed_requests == 1


def test_413_splits_the_chunk_and_goes_on(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(40)
    chunks = plan(flac, seconds=40)
    assert len(chunks) == 1
    server.script(Action(status=413, body={"error": {"message": "Request Entity Too Large"}}))
    results = run(flac, engine_for(server), chunk_seconds=40)
    assert [r.chunk.name for r in results] == ["0.0", "0.1"]
    assert results[0].chunk.keep_end == results[1].chunk.keep_start
    assert (results[0].chunk.keep_start, results[1].chunk.keep_end) == (0, 40 * 16000)


def test_401_stops_everything_at_once(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    flac = noise_flac(200)
    server.default = lambda path, fields, seconds: Action(
        status=401, delay=0.05, body={"error": {"message": f"Invalid API Key {KEY}"}})
    started = time.monotonic()
    with pytest.raises(errors.AuthenticationError) as caught:
        run(flac, engine_for(server, concurrency=2))
    assert time.monotonic() - started < 2
    assert len(server.records) <= 2, "no request after the first refusal"
    assert "GROQ_API_KEY" in str(caught.value) and KEY not in str(caught.value) and KEY not in caught.value.body


def test_unknown_model_lists_what_the_server_offers(server: FakeWhisperServer,
                                                    noise_flac: Callable[[float], Path]) -> None:
    engine = ApiEngine(GROQ, api_key=KEY, base_url=server.url, model="whisper-huge")
    with pytest.raises(errors.ModelNotFound) as caught:
        run(noise_flac(11), engine)
    assert caught.value.available == ("whisper-large-v3", "whisper-large-v3-turbo")
    assert "whisper-large-v3-turbo" in str(caught.value)


def test_bad_audio_is_not_retried(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    server.script(Action(status=400, body={"error": {"message": "could not process file"}}))
    with pytest.raises(errors.BadAudioRequest, match="could not process file"):
        run(noise_flac(11), engine_for(server))
    assert len(server.records) == 1


def test_attempts_run_out(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    server.default = lambda path, fields, seconds: Action(status=503)
    with pytest.raises(errors.ApiStatusError) as caught:
        run(noise_flac(11), engine_for(server, max_attempts=3))
    assert caught.value.status == 503 and len(server.records) == 3


def test_a_wait_over_the_cap_fails_fast(server: FakeWhisperServer, noise_flac: Callable[[float], Path]) -> None:
    server.script(Action(status=429, headers={"retry-after": "3600"}))
    with pytest.raises(errors.RateLimited, match="over the cap"):
        run(noise_flac(11), engine_for(server, retry_cap_seconds=60))


def test_openai_compatible_server(server: FakeWhisperServer, noise_flac: Callable[[float], Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server.models.append("whisper-1")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    engine = ApiEngine(OPENAI, options=ApiOptions(**FAST))  # type: ignore[arg-type]
    run(noise_flac(11), engine)
    assert server.records[0].fields["model"] == ["whisper-1"]

    async def models() -> list[str]:
        engine = ApiEngine(OPENAI)
        try:
            return await engine.list_models()
        finally:
            await engine.aclose()

    assert asyncio.run(models()) == ["whisper-1", "whisper-large-v3", "whisper-large-v3-turbo"]


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    with pytest.raises(errors.AuthenticationError, match="GROQ_API_KEY"):
        ApiEngine(GROQ)


def test_client_rpm_keeps_a_rate_limited_server_happy(noise_flac: Callable[[float], Path]) -> None:
    # Client and server share a timer 5x faster than real time: the minute takes 12 s, and the
    # client's one-second margin (upload time) is still 0.2 s of real time.
    flac = noise_flac(84)  # 7 chunks
    timer = FastTimer(5)
    with FakeWhisperServer(rpm=5, timer=timer) as limited:
        engine = engine_for(limited, rpm=5, concurrency=4, timer=timer)
        results = run(flac, engine)
    assert len(results) == 7
    assert [r.status for r in limited.records].count(429) == 0
    assert limited.records[-1].started - limited.records[0].started >= 60
