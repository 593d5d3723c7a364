"""Benchmark of decoding while uploading (issue #18). Prints a Markdown report.

    python bench/bench_stream.py first  --source bench/out/long_7200s.mp3 [--runs 3]
    python bench/bench_stream.py e2e    --source bench/out/long_3600s.mp3 [--runs 3]

Both run the library's front door (``stt_toolkit.transcribe``) against the loopback
FakeWhisperServer answering at Groq's speed (0.3 s + audio/216 a request), concurrency 8,
and time a plain ffmpeg decode of the same file to 16 kHz mono FLAC in the same run (one
before each of our runs; the medians are compared).

``first``: seconds from the call to the first request the server sees, against the plain
decode (target: at most a quarter of it). ``e2e``: the whole call's wall time (target: at most
1.2x the plain decode). Each for the default run (VAD, silence skipped, 600 s chunks) and the
variants named in the table. Only the public API is used, so the same script measures an
older checkout: ``PYTHONPATH=/path/to/old/checkout python bench/bench_stream.py ...``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import stt_toolkit as stt
from stt_toolkit.audio.ffmpeg import ffmpeg_binary
from stt_toolkit.testing import FakeWhisperServer

KEY = "bench-key"
CASES = {
    "default (VAD, skipping, 600 s chunks)": {},
    "VAD, no skipping": {"skip_silence": False},
    "--no-vad": {"vad": False},
    "VAD, skipping, 60 s chunks": {"chunk_seconds": 60.0},
    "--no-vad, 60 s chunks": {"vad": False, "chunk_seconds": 60.0},
}


def groq_speed(audio_seconds: float) -> float:
    return 0.3 + audio_seconds / 216


def plain_decode(source: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run([ffmpeg_binary(), "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0:a:0",
                        "-ac", "1", "-ar", "16000", "-sample_fmt", "s16", f"{tmp}/plain.flac"], check=True)
        return time.perf_counter() - started


def one_run(source: Path, options: dict[str, object]) -> tuple[float, float, int]:
    """(seconds to the first request, wall seconds, requests)."""
    with FakeWhisperServer(latency=groq_speed) as server:
        started = time.monotonic()
        stt.transcribe(source, engine="groq", api_key=KEY, base_url=server.url, concurrency=8, **options)
        wall = time.monotonic() - started
        first = min(r.started for r in server.records) - started
        return first, wall, len(server.records)


def bench(source: Path, runs: int, cases: list[str]) -> None:
    print(f"### {source.name}, loopback server at Groq's speed, concurrency 8, median of {runs}\n")
    print("| run | plain ffmpeg decode s | first request s | first / decode | wall s | wall / decode | requests |")
    print("|---|---|---|---|---|---|---|")
    for label in cases:
        decodes, firsts, walls, requests = [], [], [], 0
        for _ in range(runs):
            decodes.append(plain_decode(source))
            first, wall, requests = one_run(source, CASES[label])
            firsts.append(first)
            walls.append(wall)
        d, f, w = statistics.median(decodes), statistics.median(firsts), statistics.median(walls)
        print(f"| {label} | {d:.2f} | {f:.2f} ({', '.join(f'{x:.2f}' for x in firsts)}) | **{f / d:.2f}** "
              f"| {w:.2f} ({', '.join(f'{x:.2f}' for x in walls)}) | **{w / d:.2f}** | {requests} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="decode-while-uploading benchmark")
    parser.add_argument("which", choices=["first", "e2e"])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--case", action="append", choices=list(CASES), help="only these runs (default: all)")
    args = parser.parse_args()
    bench(args.source, args.runs, args.case or list(CASES))


if __name__ == "__main__":
    main()
