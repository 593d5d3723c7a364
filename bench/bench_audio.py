"""Benchmark of the audio stage: preprocessing speed against plain ffmpeg, peak memory,
and chunk-planning time. Prints a Markdown report.

    python bench/bench_audio.py [--runs 5] [--lengths 600,3600,7200] [--work bench/out]

* Speed: on the longest file, ``stt_toolkit.audio.decode.preprocess`` against
  ``ffmpeg -i IN -ar 16000 -ac 1 -map 0:a -c:a flac OUT.flac`` run from the same Python
  process, alternating, median of ``--runs``.
* Memory: for each length, a fresh Python process runs preprocess and plan_chunks and reports
  its own peak RSS (ffmpeg's memory is reported apart, as the children's peak).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_long_audio import make_long_mp3  # noqa: E402

from stt_toolkit.audio.decode import preprocess
from stt_toolkit.audio.ffmpeg import ffmpeg_binary
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.options import ChunkOptions

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from stt_toolkit import plan_chunks, preprocess
info = preprocess(sys.argv[1], sys.argv[2])
t1 = time.perf_counter()
after_pre = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
chunks = plan_chunks(info)
t2 = time.perf_counter()
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_after_preprocess_mb": after_pre / 1024,
                  "ffmpeg_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "preprocess_s": t1 - t0, "plan_s": t2 - t1, "chunks": len(chunks),
                  "duration_s": info.duration}))
"""


def time_speed(src: Path, work: Path, runs: int) -> tuple[list[float], list[float]]:
    ours, plain = [], []
    for i in range(runs):
        out = work / "plain.flac"
        t = time.perf_counter()
        subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src),
                        "-ar", "16000", "-ac", "1", "-map", "0:a", "-c:a", "flac", str(out)], check=True)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        preprocess(src, work / "ours.flac")
        ours.append(time.perf_counter() - t)
        print(f"  run {i + 1}: ours {ours[-1]:.2f} s, plain ffmpeg {plain[-1]:.2f} s", file=sys.stderr)
    return ours, plain


def measure_child(src: Path, work: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(src), str(work / f"{src.stem}.flac")],
                         check=True, capture_output=True, text=True, env={**os.environ})
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description="audio-stage benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lengths", default="600,3600,7200")
    parser.add_argument("--work", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    lengths = [int(x) for x in args.lengths.split(",")]
    sources = {}
    for seconds in lengths:
        path = args.work / f"speech_{seconds}s_44k_stereo.mp3"
        if not path.exists():
            print(f"making {path}", file=sys.stderr)
            make_long_mp3(path, seconds)
        sources[seconds] = path
    longest = sources[max(lengths)]
    print(f"speed on {longest.name}", file=sys.stderr)
    ours, plain = time_speed(longest, args.work, args.runs)
    memory = {s: measure_child(p, args.work) for s, p in sources.items()}
    plan_times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        chunks = plan_chunks(args.work / "ours.flac", ChunkOptions())
        plan_times.append(time.perf_counter() - t)
    report(longest, ours, plain, memory, plan_times, len(chunks))


def report(longest: Path, ours: list[float], plain: list[float], memory: dict[int, dict[str, float]],
           plan_times: list[float], chunks: int) -> None:
    mo, mp = statistics.median(ours), statistics.median(plain)
    print(f"### Preprocessing speed ({longest.name}, {longest.stat().st_size / 1e6:.0f} MB, "
          f"median of {len(ours)})\n")
    print("| | median s | all runs s |\n|---|---|---|")
    print(f"| stt_toolkit.preprocess | {mo:.2f} | {', '.join(f'{x:.2f}' for x in ours)} |")
    print(f"| plain ffmpeg | {mp:.2f} | {', '.join(f'{x:.2f}' for x in plain)} |")
    print(f"\nRatio ours / plain ffmpeg: **{mo / mp:.3f}** (target <= 1.1)\n")
    print("### Peak memory (fresh process: preprocess + plan_chunks)\n")
    print("| input | Python peak RSS MB | after preprocess only MB | ffmpeg peak RSS MB | preprocess s | plan s | chunks |")
    print("|---|---|---|---|---|---|---|")
    for seconds, m in memory.items():
        print(f"| {seconds / 60:.0f} min mp3 | {m['rss_mb']:.0f} | {m['rss_after_preprocess_mb']:.0f} | "
              f"{m['ffmpeg_rss_mb']:.0f} | {m['preprocess_s']:.2f} | {m['plan_s']:.2f} | {m['chunks']:.0f} |")
    print(f"\n### Chunk planning of the longest file (median of {len(plan_times)})\n")
    print(f"plan_chunks: **{statistics.median(plan_times):.2f} s** for {chunks} chunks "
          f"(all runs: {', '.join(f'{x:.2f}' for x in plan_times)}; target < 5 s)")


if __name__ == "__main__":
    main()
