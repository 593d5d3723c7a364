"""Benchmark of the engines. Prints a Markdown report.

    python bench/bench_engines.py api   [--chunks 60 --concurrency 8 --runs 3]
    python bench/bench_engines.py local [--runs 3]

``api``: a loopback FakeWhisperServer answering each request after 1 s + audio/200; wall time
of ``transcribe_chunks`` against the ideal ``ceil(chunks / concurrency) * latency``, without
faults and with 10 % injected faults (5xx, dropped connections, 429 with retry-after 1 s);
then a server enforcing 30 requests a minute, with and without the client's own ``rpm``.

``local``: the real-time factor of our local engine on a 10-minute file against calling
faster-whisper directly on the same audio with the same model and settings.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stt_toolkit.audio.decode import preprocess
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.options import ApiOptions, ChunkOptions, TranscribeOptions
from stt_toolkit.core.records import Chunk
from stt_toolkit.engines import GROQ, ApiEngine, LocalEngine
from stt_toolkit.run.chunks import transcribe_chunks
from stt_toolkit.testing import Action, FakeWhisperServer

CHUNK_SECONDS = 30.0


def latency(audio_seconds: float) -> float:
    return 1.0 + audio_seconds / 200


def noise_file(path: Path, seconds: float) -> Path:
    rng = np.random.default_rng(0)
    sf.write(path, (rng.standard_normal(int(seconds * 16000)) * 2000).astype(np.int16), 16000)
    return path


def faulty(rate: float, seed: int):  # noqa: ANN201 - returns the server's decision function
    rng = random.Random(seed)
    kinds = [Action(status=500), Action(status=503), Action(drop=True),
             Action(status=429, headers={"retry-after": "1"})]

    def decide(path: str, fields: dict[str, list[str]], seconds: float) -> Action:
        if rng.random() < rate:
            fault = rng.choice(kinds)
            return Action(fault.status, fault.body, fault.headers, delay=latency(seconds) / 2, drop=fault.drop)
        return Action(delay=latency(seconds))

    return decide


async def timed_run(flac: Path, chunks: list[Chunk], server: FakeWhisperServer, options: ApiOptions) -> float:
    engine = ApiEngine(GROQ, api_key="bench-key", base_url=server.url, options=options)
    started = time.perf_counter()
    try:
        results = await transcribe_chunks(flac, chunks, engine)
    finally:
        await engine.aclose()
    assert len(results) == len(chunks)
    return time.perf_counter() - started


def api_bench(n_chunks: int, concurrency: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        flac = noise_file(Path(tmp) / "noise.flac", n_chunks * CHUNK_SECONDS)
        chunks = plan_chunks(flac, ChunkOptions(target_seconds=CHUNK_SECONDS, overlap_seconds=0,
                                                        search_seconds=0))
        assert len(chunks) == n_chunks
        ideal = math.ceil(n_chunks / concurrency) * latency(CHUNK_SECONDS)
        print(f"### HTTP engine: {n_chunks} chunks of {CHUNK_SECONDS:.0f} s, concurrency {concurrency}, "
              f"latency 1 s + audio/200 = {latency(CHUNK_SECONDS):.2f} s; ideal {ideal:.2f} s\n")
        print("| case | median wall s | runs s | ratio to ideal | chunks lost | 200s per chunk | retries |")
        print("|---|---|---|---|---|---|---|")
        for label, rate in (("no faults", 0.0), ("10 % faults", 0.10)):
            walls, retries, lost, per_chunk = [], [], 0, set()
            for run in range(runs):
                with FakeWhisperServer() as server:
                    server.default = faulty(rate, seed=run)
                    options = ApiOptions(concurrency=concurrency, backoff_base_seconds=0.5)
                    walls.append(asyncio.run(timed_run(flac, chunks, server, options)))
                    successes = server.successes()
                    lost += n_chunks - len(successes)
                    per_chunk |= set(successes.values())
                    retries.append(sum(1 for r in server.records if r.status != 200))
            median = statistics.median(walls)
            print(f"| {label} | {median:.2f} | {', '.join(f'{w:.2f}' for w in walls)} | **{median / ideal:.3f}** "
                  f"| {lost} | {sorted(per_chunk)} | {', '.join(map(str, retries))} |")
        rpm_bench(flac)


def rpm_bench(flac: Path) -> None:
    chunks = plan_chunks(flac, ChunkOptions(target_seconds=CHUNK_SECONDS, overlap_seconds=0,
                                                    search_seconds=0))
    print(f"\n### Rate limits: server allows 40 requests a minute; {len(chunks)} chunks, concurrency 8\n")
    print("| client | wall s | 429 answers | chunks answered |\n|---|---|---|---|")
    for label, rpm in (("no client limit", None), ("client rpm=40", 40.0)):
        with FakeWhisperServer(latency=lambda s: 0.2, rpm=40) as server:
            wall = asyncio.run(timed_run(flac, chunks, server, ApiOptions(concurrency=8, rpm=rpm, max_attempts=100)))
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
    parser.add_argument("which", choices=["api", "local"])
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=Path("bench/out/speech_600s_44k_stereo.mp3"))
    args = parser.parse_args()
    if args.which == "api":
        api_bench(args.chunks, args.concurrency, args.runs)
    else:
        local_bench(args.runs, args.source)


if __name__ == "__main__":
    main()
