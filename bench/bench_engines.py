"""Benchmark of the engines. Prints a Markdown report.

    python bench/bench_engines.py api   [--chunks 60 --concurrency 8 --runs 3]
    python bench/bench_engines.py local [--runs 3]

``api``: a loopback FakeWhisperServer answering each request after 1 s + audio/200; wall time
of ``transcribe_chunks`` against the ideal ``ceil(chunks / concurrency) * latency``, without
faults (also with the latency jittered, to count requests given up on a normal server), with
10 % injected faults (5xx, dropped connections, 429 with retry-after 1 s), and with 10 %
faults of which some are stalls (no byte for 4x and 10x the latency, a body trickling over
10x); then a server enforcing 40 requests a minute, with and without the client's own ``rpm``.

``issue``: issue #18's case, an hour of audio in 60 s chunks at Groq's speed with 10 % faults
and two 20 s hangs (``python bench/bench_engines.py issue --runs 5``).

``local``: the real-time factor of our local engine on a 10-minute file against calling
faster-whisper directly on the same audio with the same model and settings.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stt_toolkit.audio.decode import preprocess
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.billing import Usage
from stt_toolkit.core.options import ApiOptions, ChunkOptions, TranscribeOptions
from stt_toolkit.core.records import Chunk
from stt_toolkit.engines import GROQ, ApiEngine, LocalEngine
from stt_toolkit.run.chunks import transcribe_chunks
from stt_toolkit.testing import Action, FakeWhisperServer, in_shape
from stt_toolkit.testing.fake_api import default_transcript

CHUNK_SECONDS = 30.0


def latency(audio_seconds: float) -> float:
    return 1.0 + audio_seconds / 200


def noise_file(path: Path, seconds: float, amplitude: float = 2000) -> Path:
    rng = np.random.default_rng(0)
    sf.write(path, (rng.standard_normal(int(seconds * 16000)) * amplitude).astype(np.int16), 16000)
    return path


FAULTS = [Action(status=500), Action(status=503), Action(drop=True), Action(status=429, headers={"retry-after": "1"})]


def body_bytes(seconds: float) -> int:
    """The length of the server's default answer for a chunk of ``seconds``."""
    return len(json.dumps(in_shape(default_transcript("0" * 64, seconds), "api")).encode())


def stalls(seconds: float) -> list[Action]:
    """The stalls of the hang case: no byte for 4x and for 10x the normal latency (then the
    answer), and a body trickling over 10x the normal latency."""
    normal = latency(seconds)
    return [Action(hang=4 * normal), Action(hang=10 * normal),
            Action(drip_body=10 * normal / body_bytes(seconds))]


def faulty(rate: float, seed: int, hangs: bool = False, jitter: float = 0.0,
           speed: Callable[[float], float] = latency):  # noqa: ANN201 - returns the server's decision function
    """The server's decisions: a fault with probability ``rate`` (with ``hangs``, stalls are
    among them), else the answer after ``speed(seconds)``, times a lognormal ``jitter``."""
    rng = random.Random(seed)

    def decide(path: str, fields: dict[str, list[str]], seconds: float) -> Action:
        if rng.random() < rate:
            fault = rng.choice(FAULTS + (stalls(seconds) if hangs else []))
            if fault.hang or fault.drip_body:
                return fault
            return Action(fault.status, fault.body, fault.headers, delay=speed(seconds) / 2, drop=fault.drop)
        return Action(delay=speed(seconds) * (rng.lognormvariate(0.0, jitter) if jitter else 1.0))

    return decide


@dataclass
class Tally:
    """What the runs of one case came to."""

    walls: list[float] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    lost: int = 0
    per_chunk: set[int] = field(default_factory=set)
    gave_up: list[int] = field(default_factory=list)  # requests the client left (server's count)
    abandoned: list[int] = field(default_factory=list)  # the client's count of possibly billed requests
    possibly_billed: list[float] = field(default_factory=list)

    def add(self, server: FakeWhisperServer, wall: float, usage: Usage, n_chunks: int) -> None:
        successes = server.successes()
        self.walls.append(wall)
        self.lost += n_chunks - len(successes)
        self.per_chunk |= set(successes.values())
        self.failed.append(sum(1 for r in server.records if r.status != 200))
        self.gave_up.append(sum(1 for r in server.records if r.client_left))
        self.abandoned.append(getattr(usage, "abandoned_requests", 0))
        self.possibly_billed.append(getattr(usage, "possibly_billed_seconds", 0.0))

    def row(self, label: str, ideal: float) -> str:
        median = statistics.median(self.walls)
        return (f"| {label} | {median:.2f} | {', '.join(f'{w:.2f}' for w in self.walls)} | **{median / ideal:.3f}** "
                f"| {self.lost} | {sorted(self.per_chunk)} | {', '.join(map(str, self.failed))} "
                f"| {', '.join(map(str, self.gave_up))} | {', '.join(map(str, self.abandoned))} "
                f"| {statistics.median(self.possibly_billed):.0f} |")


HEADER = ("| case | median wall s | runs s | ratio to ideal | chunks lost | 200s per chunk | failed requests "
          "| given up (server) | possibly billed requests (client) | possibly billed s (median) |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


async def timed_run(flac: Path, chunks: list[Chunk], server: FakeWhisperServer,
                    options: ApiOptions) -> tuple[float, Usage]:
    engine = ApiEngine(GROQ, api_key="bench-key", base_url=server.url, options=options)
    started = time.perf_counter()
    try:
        results = await transcribe_chunks(flac, chunks, engine)
    finally:
        await engine.aclose()
    assert len(results) == len(chunks)
    return time.perf_counter() - started, engine.usage


def api_bench(n_chunks: int, concurrency: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        flac = noise_file(Path(tmp) / "noise.flac", n_chunks * CHUNK_SECONDS)
        chunks = plan_chunks(flac, ChunkOptions(target_seconds=CHUNK_SECONDS, overlap_seconds=0,
                                                        search_seconds=0))
        assert len(chunks) == n_chunks
        ideal = math.ceil(n_chunks / concurrency) * latency(CHUNK_SECONDS)
        print(f"### HTTP engine: {n_chunks} chunks of {CHUNK_SECONDS:.0f} s, concurrency {concurrency}, "
              f"latency 1 s + audio/200 = {latency(CHUNK_SECONDS):.2f} s; ideal {ideal:.2f} s\n")
        print(HEADER)
        no_hedges = {"hedge_requests": False} if "hedge_requests" in ApiOptions.__dataclass_fields__ else None
        cases = [("no faults", 0.0, False, 0.0, {}), ("no faults, latency jitter (lognormal sigma 0.3)", 0.0, False, 0.3, {}),
                 ("10 % faults", 0.10, False, 0.0, {}), ("10 % faults with hangs", 0.10, True, 0.0, {})]
        if no_hedges:
            cases.append(("10 % faults with hangs, no hedged requests", 0.10, True, 0.0, no_hedges))
        for label, rate, hangs, jitter, extra in cases:
            tally = Tally()
            for run in range(runs):
                with FakeWhisperServer() as server:
                    server.default = faulty(rate, seed=run, hangs=hangs, jitter=jitter)
                    options = ApiOptions(concurrency=concurrency, backoff_base_seconds=0.5, **extra)
                    tally.add(server, *asyncio.run(timed_run(flac, chunks, server, options)), n_chunks)
            print(tally.row(label, ideal))
        rpm_bench(flac)


def groq_latency(audio_seconds: float) -> float:
    return 0.3 + audio_seconds / 216


def with_hangs(decide: Callable[[str, dict[str, list[str]], float], Action], at: tuple[int, ...],
               seconds: float) -> Callable[[str, dict[str, list[str]], float], Action]:
    """``decide``, but the requests numbered ``at`` (from 0, in arrival order) hang ``seconds``."""
    numbers = itertools.count()

    def decide_or_hang(path: str, fields: dict[str, list[str]], audio_seconds: float) -> Action:
        return Action(hang=seconds) if next(numbers) in at else decide(path, fields, audio_seconds)

    return decide_or_hang


def issue_bench(runs: int, concurrency: int = 8) -> None:
    """The issue's case: an hour in 60 s chunks at concurrency 8, Groq's speed, 10 % faults,
    and two requests that hang 20 s (the 10th and the 40th)."""
    with tempfile.TemporaryDirectory() as tmp:
        flac = noise_file(Path(tmp) / "hour.flac", 3600.0, amplitude=300)
        chunks = plan_chunks(flac, ChunkOptions(target_seconds=60.0, overlap_seconds=0, search_seconds=0))
        ideal = math.ceil(len(chunks) / concurrency) * groq_latency(60.0)
        print(f"\n### The issue's case: one hour in {len(chunks)} chunks of 60 s, concurrency {concurrency}, "
              f"latency 0.3 s + audio/216 = {groq_latency(60.0):.2f} s, 10 % faults and two 20 s hangs; "
              f"ideal {ideal:.2f} s\n")
        print(HEADER)
        tally = Tally()
        for run in range(runs):
            with FakeWhisperServer() as server:
                server.default = with_hangs(faulty(0.10, seed=run, speed=groq_latency), at=(9, 39), seconds=20.0)
                options = ApiOptions(concurrency=concurrency, backoff_base_seconds=0.5)
                tally.add(server, *asyncio.run(timed_run(flac, chunks, server, options)), len(chunks))
        print(tally.row("10 % faults, two 20 s hangs", ideal))


def rpm_bench(flac: Path) -> None:
    chunks = plan_chunks(flac, ChunkOptions(target_seconds=CHUNK_SECONDS, overlap_seconds=0,
                                                    search_seconds=0))
    print(f"\n### Rate limits: server allows 40 requests a minute; {len(chunks)} chunks, concurrency 8\n")
    print("| client | wall s | 429 answers | chunks answered |\n|---|---|---|---|")
    for label, rpm in (("no client limit", None), ("client rpm=40", 40.0)):
        with FakeWhisperServer(latency=lambda s: 0.2, rpm=40) as server:
            wall, _ = asyncio.run(timed_run(flac, chunks, server, ApiOptions(concurrency=8, rpm=rpm, max_attempts=100)))
            limited = sum(1 for r in server.records if r.status == 429)
            print(f"| {label} | {wall:.1f} | {limited} | {len(server.successes())} |")


def local_bench(runs: int, source: Path) -> None:
    from faster_whisper import WhisperModel

    from stt_toolkit.engines.models import tiny_en_path

    with tempfile.TemporaryDirectory() as tmp:
        info = preprocess(source, Path(tmp) / "ten.flac")
        samples, _ = sf.read(info.path, dtype="float32")
        direct_model = WhisperModel(str(tiny_en_path()), device="cpu", compute_type="int8")
        engine = LocalEngine()
        ours, direct = [], []
        for _ in range(runs):
            t = time.perf_counter()
            segments, _info = direct_model.transcribe(samples, word_timestamps=True, beam_size=5, vad_filter=False)
            direct_text = "".join(s.text for s in segments)
            direct.append(time.perf_counter() - t)
            t = time.perf_counter()
            chunks = plan_chunks(info.path)
            results = asyncio.run(transcribe_chunks(info.path, chunks, engine, TranscribeOptions()))
            ours.append(time.perf_counter() - t)
        ours_text = "".join(r.text for r in results)
    mo, md = statistics.median(ours), statistics.median(direct)
    print(f"### Local engine on {source.name} ({info.duration / 60:.1f} min), tiny.en int8, beam 5, word timestamps\n")
    print("| | median s | runs s | real-time factor |\n|---|---|---|---|")
    print(f"| stt-toolkit (plan + export + LocalEngine) | {mo:.1f} | {', '.join(f'{x:.1f}' for x in ours)} "
          f"| {info.duration / mo:.1f}x |")
    print(f"| faster-whisper directly | {md:.1f} | {', '.join(f'{x:.1f}' for x in direct)} | {info.duration / md:.1f}x |")
    print(f"\nOverhead: **{(mo / md - 1) * 100:+.1f} %** (target <= 10 %); same words: "
          f"{ours_text.split() == direct_text.split()}")


def main() -> None:
    parser = argparse.ArgumentParser(description="engine benchmarks")
    parser.add_argument("which", choices=["api", "issue", "local"])
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=Path("bench/out/speech_600s_44k_stereo.mp3"))
    args = parser.parse_args()
    if args.which == "api":
        api_bench(args.chunks, args.concurrency, args.runs)
    elif args.which == "issue":
        issue_bench(args.runs, args.concurrency)
    else:
        local_bench(args.runs, args.source)


if __name__ == "__main__":
    main()
