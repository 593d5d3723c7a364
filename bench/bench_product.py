"""End-to-end benchmarks of the CLI. Prints a Markdown report.

    python bench/bench_product.py api   [--files 20 --minutes 3.2 --concurrency 8 --runs 3] [--flag=--no-vad]
    python bench/bench_product.py local [--runs 3]

``api``: 20 files of mixed formats (mp3, m4a, ogg, opus, wav, flac; real speech looped with
pauses) totalling over an hour, through ``stt-toolkit transcribe`` (a subprocess) against a
loopback FakeWhisperServer answering after 1 s + audio/200. Wall time against the ideal
``ceil(chunks / concurrency) * latency`` for the concurrency.

``local``: ``stt-toolkit transcribe --engine local`` on ../shared/audio/long_en against a
script calling faster-whisper directly on the same audio with the same model and settings,
both as fresh processes (model loading included in both).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import soundfile as sf  # noqa: E402
from make_long_audio import SHARED, make_long_mp3  # noqa: E402

from stt_toolkit.audio.ffmpeg import ffmpeg_binary
from stt_toolkit.testing import Action, FakeWhisperServer

FORMATS = [("mp3", ["-ar", "44100", "-c:a", "libmp3lame"]), ("m4a", ["-ar", "44100", "-c:a", "aac"]),
           ("ogg", ["-ar", "44100", "-c:a", "libvorbis"]), ("opus", ["-ar", "48000", "-c:a", "libopus"]),
           ("wav", ["-ar", "22050", "-c:a", "pcm_s16le"]), ("flac", ["-ar", "48000", "-c:a", "flac"])]
CHUNK_SECONDS = 60.0


def make_files(folder: Path, count: int, minutes: float) -> list[Path]:
    base = make_long_mp3(folder / "base.mp3", count * minutes * 60 + 60)
    files = []
    for i in range(count):
        ext, codec = FORMATS[i % len(FORMATS)]
        out = folder / "in" / f"group{i % 3}" / f"talk{i:02d}.{ext}"
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-ss", str(i * minutes * 60),
                        "-t", str(minutes * 60), "-i", str(base), *codec, str(out)], check=True)
        if ext == "flac":  # re-encode with libFLAC, as FLAC in the wild is (see BENCHMARKS.md)
            data, rate = sf.read(out, dtype="int16")
            sf.write(out, data, rate, subtype="PCM_16")
        files.append(out)
    base.unlink()
    return files


def api_bench(count: int, minutes: float, concurrency: int, runs: int, flags: list[str] | None = None) -> None:
    flags = flags or []
    latency = 1.0 + CHUNK_SECONDS / 200
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_files(folder, count, minutes)
        walls, chunk_counts, ideals = [], [], []
        for run in range(runs):
            with FakeWhisperServer() as server:
                server.default = lambda path, fields, seconds: Action(delay=1.0 + seconds / 200)
                env = {**os.environ, "GROQ_API_KEY": "bench-key", "GROQ_BASE_URL": server.url}
                started = time.perf_counter()
                result = subprocess.run(
                    [sys.executable, "-m", "stt_toolkit", "transcribe", str(folder / "in"), "-o",
                     str(folder / f"out{run}"), "--chunk-seconds", str(CHUNK_SECONDS), "--overlap-seconds", "0",
                     "--concurrency", str(concurrency), "-q", *flags], env=env, capture_output=True, text=True)
                walls.append(time.perf_counter() - started)
                assert result.returncode == 0, result.stderr
                chunks = len(server.records)
                assert sorted(set(server.successes().values())) == [1]
                chunk_counts.append(chunks)
                ideals.append(math.ceil(chunks / concurrency) * latency)
        audio_min = count * minutes
        median, ideal = statistics.median(walls), statistics.median(ideals)
        print(f"### CLI: {count} files ({', '.join(e for e, _ in FORMATS)}), {audio_min:.0f} min of audio, "
              f"{chunk_counts[0]} chunks of <= {CHUNK_SECONDS:.0f} s, concurrency {concurrency}"
              f"{' ' + ' '.join(flags) if flags else ''}\n")
        print("| median wall s | runs s | ideal s | ratio |\n|---|---|---|---|")
        print(f"| {median:.2f} | {', '.join(f'{w:.2f}' for w in walls)} | {ideal:.2f} | **{median / ideal:.3f}** |")


DIRECT = """
import sys, soundfile as sf
from faster_whisper import WhisperModel
from stt_toolkit.engines.models import tiny_en_path
from stt_toolkit import preprocess
model = WhisperModel(str(tiny_en_path()), device="cpu", compute_type="int8")
for path in sys.argv[1:]:
    info = preprocess(path)
    samples, _ = sf.read(info.path, dtype="float32")
    segments, _ = model.transcribe(samples, word_timestamps=True, beam_size=5, vad_filter=False)
    print(len("".join(s.text for s in segments)))
"""


def local_bench(runs: int) -> None:
    files = sorted(str(p) for p in (SHARED / "long_en").glob("*.flac"))
    ours, direct = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", DIRECT, *files], check=True, capture_output=True)
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", *files, "-o", f"{tmp}/o{run}",
                            "--engine", "local", "-q"], check=True, capture_output=True)
            ours.append(time.perf_counter() - started)
    mo, md = statistics.median(ours), statistics.median(direct)
    print("### Local engine end to end: the two long_en files (3.8 + 5.0 min), fresh processes\n")
    print("| | median s | runs s |\n|---|---|---|")
    print(f"| `stt-toolkit transcribe --engine local` (all four formats written) | {mo:.1f} | "
          f"{', '.join(f'{x:.1f}' for x in ours)} |")
    print(f"| faster-whisper directly (same model, settings and 16 kHz audio) | {md:.1f} | "
          f"{', '.join(f'{x:.1f}' for x in direct)} |")
    print(f"\nDifference: **{(mo / md - 1) * 100:+.1f} %** (target: within 10 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description="end-to-end CLI benchmarks")
    parser.add_argument("which", choices=["api", "local"])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3.2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flag", action="append", default=[], help="one more CLI flag for the api runs (--flag=--no-vad)")
    args = parser.parse_args()
    if args.which == "api":
        api_bench(args.files, args.minutes, args.concurrency, args.runs, args.flag)
    else:
        local_bench(args.runs)


if __name__ == "__main__":
    main()
