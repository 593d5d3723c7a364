"""Stalled requests (issue #18): a request that waits far longer than the run's answers take
is given up on at a learnt deadline and sent again, and counted as possibly billed."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.billing import Usage, answered, billed_seconds
from stt_toolkit.core.errors import UsageError
from stt_toolkit.core.options import ApiOptions, ChunkOptions
from stt_toolkit.core.records import ChunkResult
from stt_toolkit.engines import GROQ, ApiEngine
from stt_toolkit.engines.deadlines import OVERHEAD_SECONDS, Deadlines, quantile
from stt_toolkit.run.cache import result_from_dict, result_to_dict
from stt_toolkit.run.chunks import chunks_usage, transcribe_chunks
from stt_toolkit.run.repairs import Answer, charged
from stt_toolkit.testing import Action, FakeWhisperServer

KEY = "gsk_stall_test_key_never_logged_0123456789"
NORMAL = 0.05  # the server's usual latency in these tests
# learnt after 4 answers; 3 x the 95th percentile, at least 0.1 s; no hedges (tested apart)
QUICK = dict(backoff_base_seconds=0.05, backoff_max_seconds=0.1, concurrency=1, deadline_min_samples=4,
             deadline_floor_seconds=0.1, deadline_multiplier=3.0, hedge_requests=False)
# a deadline far off (60 x the wait: over 3 s), a hedge after 0.1 s (the floor)
HEDGED = dict(concurrency=2, hedge_requests=True, deadline_multiplier=60.0)

Decide = Callable[[str, dict[str, list[str]], float], Action]


@pytest.fixture
def server() -> Iterator[FakeWhisperServer]:
    with FakeWhisperServer() as s:
        yield s


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two minutes of noise: ten chunks of 12 s."""
    path = tmp_path_factory.mktemp("stalls") / "noise.flac"
    rng = np.random.default_rng(7)
    sf.write(path, (rng.standard_normal(120 * 16000) * 3000).astype(np.int16), 16000)
    return path


def numbered(special: dict[int, Action], normal: Action = Action(delay=NORMAL)) -> Decide:
    """The server's decisions: request number ``n`` (from 0, in arrival order) gets
    ``special[n]``, every other one ``normal``."""
    numbers = itertools.count()
    return lambda path, fields, seconds: special.get(next(numbers), normal)


def run(flac: Path, server: FakeWhisperServer, max_pending: int = 1,
        **options: object) -> tuple[list[ChunkResult], ApiEngine, float]:
    """Transcribe ``flac`` in ten chunks; by default one chunk at a time: request n is chunk n,
    and a retry is the next request."""
    engine = ApiEngine(GROQ, api_key=KEY, base_url=server.url, options=ApiOptions(**{**QUICK, **options}))
    chunks = plan_chunks(flac, ChunkOptions(target_seconds=12, overlap_seconds=0, search_seconds=0))

    async def go() -> list[ChunkResult]:
        try:
            return await transcribe_chunks(flac, chunks, engine, max_pending=max_pending)
        finally:
            await engine.aclose()

    started = time.monotonic()
    results = asyncio.run(go())
    return results, engine, time.monotonic() - started


def settled(server: FakeWhisperServer, count: int) -> None:
    """Wait (a little) until the server has recorded ``count`` requests: a stalled handler
    records its request when it notices the client has gone."""
    until = time.monotonic() + 3
    while len(server.records) < count and time.monotonic() < until:
        time.sleep(0.02)


def assert_given_up_once(results: list[ChunkResult], engine: ApiEngine, server: FakeWhisperServer,
                         index: int) -> None:
    """Request ``index`` was given up on and sent again, and nothing else."""
    assert [(r.attempts, r.abandoned) for r in results] == [(1, 0)] * index + [(2, 1)] + [(1, 0)] * (9 - index)
    stalled = results[index]
    usage = chunks_usage(results, bills=True)
    assert usage.abandoned_requests == 1
    assert usage.possibly_billed_seconds == pytest.approx(billed_seconds(stalled.chunk.duration))
    assert usage.billed_seconds == pytest.approx(sum(billed_seconds(r.chunk.duration) for r in results))
    assert (engine.usage.abandoned_requests, engine.usage.retries) == (1, 1)
    settled(server, len(results) + 1)
    assert set(server.successes().values()) == {1} and len(server.successes()) == len(results)
    assert [r.client_left for r in server.records].count(True) == 1


def test_a_hung_request_is_given_up_at_the_learnt_deadline_and_sent_again(noise: Path,
                                                                           server: FakeWhisperServer) -> None:
    # the conservative deadline of a 12 s chunk is over two minutes; the hang is 6 s
    server.default = numbered({5: Action(hang=6.0)})
    results, engine, wall = run(noise, server)
    assert len(results) == 10
    assert wall < 3.0  # ten answers of 0.05 s and one learnt deadline, not the 6 s hang
    assert_given_up_once(results, engine, server, 5)


def test_an_answer_that_trickles_is_given_up_too(noise: Path, server: FakeWhisperServer) -> None:
    # the head at once, then the body a byte every 20 ms: several KB take a minute and more
    server.default = numbered({6: Action(drip_body=0.02)})
    results, engine, wall = run(noise, server)
    assert wall < 3.0
    assert_given_up_once(results, engine, server, 6)


def test_before_enough_answers_the_conservative_deadline_holds(noise: Path, server: FakeWhisperServer) -> None:
    # three answers are known when the fourth request takes 1 s (20x the others): too few to
    # learn from, so it is waited for
    server.default = numbered({3: Action(delay=1.0)})
    results, engine, wall = run(noise, server)
    assert [r.attempts for r in results] == [1] * 10 and wall > 1.0
    assert engine.usage.abandoned_requests == 0 and not any(r.client_left for r in server.records)


def test_a_uniformly_slow_server_is_learnt_not_cut(noise: Path, server: FakeWhisperServer) -> None:
    server.default = lambda path, fields, seconds: Action(delay=0.25)
    results, engine, _ = run(noise, server, deadline_floor_seconds=0.0)
    assert len(results) == 10 and all(r.attempts == 1 for r in results)
    assert engine.usage.abandoned_requests == 0 and engine.usage.retries == 0


def test_a_server_that_slows_down_is_not_cut_in_a_loop(noise: Path, server: FakeWhisperServer) -> None:
    # fast for five answers, then every answer takes 8x as long: the first slow request is cut
    # (the learnt deadline is 3x the fast one), sent again with twice the deadline, cut, and
    # answered with four times it; its answer is learnt, and nothing more is given up on
    slow = Action(delay=8 * NORMAL)
    server.default = numbered({n: Action(delay=NORMAL) for n in range(5)}, normal=slow)
    results, engine, _ = run(noise, server)
    assert len(results) == 10
    assert [r.abandoned for r in results] == [0] * 5 + [2] + [0] * 4
    assert engine.usage.abandoned_requests == 2 and set(server.successes().values()) == {1}


def test_the_last_attempt_waits_the_conservative_deadline(noise: Path, server: FakeWhisperServer) -> None:
    # a slow but living server: with two attempts, the second is not cut at the learnt deadline
    server.default = numbered({5: Action(hang=0.8), 6: Action(hang=0.8)})
    results, engine, _ = run(noise, server, max_attempts=2)
    assert [(r.attempts, r.abandoned) for r in results][5] == (2, 1)
    assert sum(r.attempts for r in results) == 11
    assert engine.usage.abandoned_requests == 1


def test_without_the_adaptive_deadline_a_hang_is_waited_for(noise: Path, server: FakeWhisperServer) -> None:
    server.default = numbered({5: Action(hang=1.0)})
    results, engine, wall = run(noise, server, adaptive_deadline=False)
    assert wall > 1.0 and all(r.attempts == 1 for r in results) and engine.usage.abandoned_requests == 0


# -- hedged requests --------------------------------------------------------------------------


def test_a_late_request_with_a_free_slot_gets_a_second_copy_that_wins(noise: Path,
                                                                      server: FakeWhisperServer) -> None:
    # one chunk at a time, so a slot is free and nobody waits: the hung sixth request gets a
    # second copy 0.1 s after its upload (its deadline is 3 s away) and that answers
    server.default = numbered({5: Action(hang=8.0)})
    results, engine, wall = run(noise, server, **HEDGED)
    assert wall < 2.0
    assert_given_up_once(results, engine, server, 5)  # two requests, the hung one given up on


def test_without_hedging_the_same_request_waits_for_its_deadline(noise: Path, server: FakeWhisperServer) -> None:
    server.default = numbered({5: Action(hang=8.0)})
    results, engine, wall = run(noise, server, **{**HEDGED, "hedge_requests": False})
    assert 2.8 < wall < 7.0
    assert_given_up_once(results, engine, server, 5)


def test_a_hedge_that_loses_is_given_up_on(noise: Path, server: FakeWhisperServer) -> None:
    # the sixth request answers after 0.4 s; its second copy (the seventh request) hangs
    server.default = numbered({5: Action(delay=0.4), 6: Action(hang=8.0)})
    results, engine, wall = run(noise, server, **HEDGED)
    assert wall < 2.5
    assert_given_up_once(results, engine, server, 5)


def test_no_hedge_while_requests_wait_for_a_slot(noise: Path, server: FakeWhisperServer) -> None:
    # two slots, every chunk queued: the fourth request is late (0.4 s, 4x the others) while
    # the other slot still has chunks waiting, so it gets no second copy
    normal = Action(delay=0.1)
    server.default = numbered({3: Action(delay=0.4)}, normal=normal)
    results, engine, _ = run(noise, server, max_pending=16, **{**HEDGED, "deadline_min_samples": 2})
    assert [r.attempts for r in results] == [1] * 10
    assert engine.usage.requests == 10 and engine.usage.abandoned_requests == 0


# -- the rule itself ---------------------------------------------------------------------------


def test_no_deadline_is_learnt_before_min_samples() -> None:
    rule = Deadlines(min_samples=3, floor_seconds=0.0)
    for _ in range(2):
        rule.record(1.0, 30.0)
        assert rule.deadline(30.0) is None and rule.expected(30.0) is None
    rule.record(1.0, 30.0)
    assert rule.deadline(30.0) == pytest.approx(3.0)


def test_the_deadline_is_a_multiple_of_the_percentile_scaled_to_the_audio() -> None:
    rule = Deadlines(percentile=0.9, multiplier=2.0, floor_seconds=0.0, min_samples=1)
    for wait in [1.0] * 9 + [5.0]:  # the 90th percentile of ten is the ninth: 1.0
        rule.record(wait, 30.0)
    assert rule.expected(30.0) == pytest.approx(1.0)
    assert rule.deadline(30.0) == pytest.approx(2.0)
    # a chunk of 90 s is (90 + 30) / (30 + 30) times the size: twice the wait
    assert rule.deadline(90.0) == pytest.approx(4.0)
    rule.record(5.0, 30.0)  # now two of eleven are slow: the 90th percentile is 5.0
    assert rule.deadline(30.0) == pytest.approx(10.0)


def test_the_floor_and_the_doubling_after_a_give_up() -> None:
    rule = Deadlines(multiplier=3.0, floor_seconds=2.0, min_samples=1)
    rule.record(0.1, 30.0)
    assert rule.deadline(30.0) == pytest.approx(2.0)  # 0.3 s is under the floor
    assert rule.deadline(30.0, given_up=2) == pytest.approx(8.0)


def test_a_hedge_comes_before_the_deadline() -> None:
    rule = Deadlines(multiplier=3.0, floor_seconds=0.5, min_samples=2)
    rule.record(1.0, 30.0)
    assert rule.hedge_after(30.0) is None
    rule.record(1.0, 30.0)
    assert rule.hedge_after(30.0) == pytest.approx(1.5) and rule.deadline(30.0) == pytest.approx(3.0)
    assert rule.hedge_after(30.0, given_up=1) == pytest.approx(3.0)
    tight = Deadlines(multiplier=1.0, floor_seconds=0.0, min_samples=1)
    tight.record(1.0, 30.0)
    assert tight.hedge_after(30.0) == pytest.approx(1.0)  # never after the deadline


def test_old_waits_leave_the_window() -> None:
    rule = Deadlines(percentile=1.0, multiplier=1.0, floor_seconds=0.0, min_samples=1, window=4)
    rule.record(10.0, 0.0)
    for _ in range(4):
        rule.record(1.0, 0.0)
    assert rule.samples == 4 and rule.deadline(0.0) == pytest.approx(1.0)


def test_waits_that_are_no_numbers_are_not_learnt() -> None:
    rule = Deadlines(min_samples=1)
    for wait in (float("nan"), float("inf"), -1.0):
        rule.record(wait, 10.0)
    assert rule.samples == 0


@given(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=50), st.floats(0.0, 3600.0), st.floats(0.0, 3600.0),
       st.integers(0, 5), st.floats(0.5, 1.0))
def test_the_deadline_keeps_its_floor_and_grows_with_audio_and_give_ups(
        waits: list[float], short: float, extra: float, given_up: int, percentile: float) -> None:
    rule = Deadlines(percentile=percentile, multiplier=3.0, floor_seconds=1.5, min_samples=1)
    for wait in waits:
        rule.record(wait, 60.0)
    first = rule.deadline(short, given_up)
    assert first is not None and first >= 1.5
    assert rule.deadline(short + extra, given_up) >= first  # type: ignore[operator]
    assert rule.deadline(short, given_up + 1) >= first  # type: ignore[operator]
    assert min(waits) <= quantile(waits, percentile) <= max(waits)
    expected = rule.expected(60.0)
    assert expected is not None and min(waits) - 1e-9 <= expected <= max(waits) + 1e-9


def test_the_options_refuse_values_that_cannot_work() -> None:
    for bad in (dict(deadline_percentile=0.0), dict(deadline_percentile=1.5), dict(deadline_multiplier=0.9),
                dict(deadline_floor_seconds=-1.0), dict(deadline_floor_seconds=float("nan")),
                dict(deadline_min_samples=0), dict(deadline_min_samples=2.5), dict(adaptive_deadline="yes")):
        with pytest.raises(UsageError):
            ApiOptions(**bad)  # type: ignore[arg-type]
    assert ApiOptions().adaptive_deadline and OVERHEAD_SECONDS > 0


# -- the accounting ----------------------------------------------------------------------------


def test_possibly_billed_requests_are_summed_and_old_usage_still_reads() -> None:
    one = answered("whisper-large-v3-turbo", 3.0, True, attempts=3, abandoned=2)
    assert (one.abandoned_requests, one.possibly_billed_seconds, one.billed_seconds) == (2, 20.0, 10.0)
    both = one + answered("whisper-large-v3-turbo", 60.0, True, attempts=2, abandoned=1)
    assert (both.abandoned_requests, both.possibly_billed_seconds, both.requests) == (3, 80.0, 5)
    assert answered("m", 60.0, False, attempts=2, abandoned=1).possibly_billed_seconds == 0.0
    assert answered("m", 60.0, True, attempts=0, abandoned=1) == Usage()  # from the resume cache
    old = Usage.from_dict({"audio_seconds": 5.0, "billed_seconds": 10.0, "requests": 1, "retries": 0,
                           "billed_by_model": {}, "failed_requests": 0})
    assert (old.abandoned_requests, old.possibly_billed_seconds) == (0, 0.0)
    assert Usage.from_dict(dataclasses.asdict(both)) == both


def test_chunk_results_keep_their_given_up_requests_in_the_cache(noise: Path) -> None:
    chunk = plan_chunks(noise, ChunkOptions(target_seconds=12, overlap_seconds=0, search_seconds=0))[0]
    result = ChunkResult(chunk, "transcribe", "hi", (), (), "en", chunk.duration, "m", attempts=3, abandoned=2)
    assert result_from_dict(result_to_dict(result)) == result
    stored = result_to_dict(result)
    del stored["abandoned"]  # an entry written before the field
    assert result_from_dict(stored).abandoned == 0
    restored = dataclasses.replace(result, attempts=0)
    assert chunks_usage([restored], bills=True) == Usage()


def test_repairs_count_the_requests_given_up_on() -> None:
    class Billing:
        bills = True

        def model_for(self, task: str) -> str:
            return "whisper-large-v3-turbo"

    usage = charged(Usage(), [((0.0, 4.0), Answer([], 2, 1)), ((5.0, 8.0), Answer([], 0))], Billing(),  # type: ignore[arg-type]
                    __import__("stt_toolkit").core.options.TranscribeOptions())
    assert (usage.requests, usage.retries, usage.abandoned_requests, usage.possibly_billed_seconds,
            usage.billed_seconds) == (2, 1, 1, 10.0, 10.0)


# -- the CLI -----------------------------------------------------------------------------------


def test_the_summary_shows_the_possibly_billed_requests(tmp_path: Path, noise: Path) -> None:
    # concurrency 2: the tenth request starts when eight have answered; it hangs far past the
    # learnt deadline (the 2 s floor) and is sent again
    with FakeWhisperServer() as server:
        server.default = numbered({9: Action(hang=8.0)}, normal=Action(delay=0.02))
        environment = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "stt_toolkit", "transcribe", str(noise), "-o", str(tmp_path / "out"),
             "--engine", "groq", "--chunk-seconds", "10", "--overlap-seconds", "1", "--search-seconds", "1",
             "--concurrency", "2", "--no-vad", "-f", "txt"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env={**environment, "GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url})
        wall = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert re.search(r"billed: \d+ s, estimated cost \$[\d.]+ \([\w.-]+\); possibly billed: 1 request given up on "
                     r"after sending, 1\d s", result.stderr), result.stderr
    assert wall < 8.0 and KEY not in result.stderr
