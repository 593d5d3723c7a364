"""Benchmark of silence skipping and the voice-activity map. Prints a Markdown report.

    python bench/bench_vad.py skip  [--minutes 25] [--seeds 0,1,2]   # meeting-like files with inserted breaks
    python bench/bench_vad.py long                   # the shared long files as they are
    python bench/bench_vad.py time  [--hours 2]      # VAD time and memory; share of a run's wall time
    python bench/bench_vad.py local [--minutes 25]   # the local engine with and without the VAD

``skip``: ``bench/make_breaks_audio.py`` builds real speech with inserted breaks (digital
silence, noise at -50 dBFS, hum and room tone at -45 dBFS; over a third of the file). It goes
through the loopback FakeWhisperServer answering with a real recognizer (faster-whisper
tiny.en, ``bench/vad_recognizer.py``), with skipping (the default for a billed engine) and
without. From the server's ledger: seconds sent and billed (10 s minimum a request) against the
seconds of speech (the clips' length); WER against the clips' reference texts; words whose
middle lies inside an inserted break (0.25 s from its edges); subtitle cues wholly inside a
break, and cues reaching more than 0.25 s into one. One file per seed (clip order and breaks).

``long``: the seconds a run would bill with and without skipping (the dry run's plan) for the
shared long files, against their length and the seconds of speech the VAD finds.

``time``: a file of ``--hours`` made by repeating the meeting-like file; the VAD's time and
peak memory (RSS of a child process doing only that), then the same file through the
loopback server (1 s + audio/200 a request, concurrency 4) with the VAD and with ``--no-vad``.

``local``: the local engine's wall time on the meeting-like file with and without the VAD.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_breaks_audio import build  # noqa: E402

from stt_toolkit import RunOptions, Transcript, render  # noqa: E402
from stt_toolkit.engines import GROQ, ApiEngine  # noqa: E402
from stt_toolkit.run.file import plan_audio, transcribe_audio  # noqa: E402
from stt_toolkit.testing import FakeWhisperServer  # noqa: E402
from stt_toolkit.testing.wer import word_error_rate  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out" / "vad"
SHARED = REPO.parent / "shared" / "audio"
MARGIN = 0.25


async def through_server(path: Path, options: RunOptions, server: FakeWhisperServer) -> tuple[Transcript, float]:
    engine = ApiEngine(GROQ, api_key="bench", base_url=server.url, options=options.api_options())
    async with engine:
        started = time.perf_counter()
        transcript = await transcribe_audio(path, engine, options)
        return transcript, time.perf_counter() - started


def cues_in_breaks(transcript: Transcript, breaks: list[tuple[float, float]]) -> tuple[int, int]:
    """Cues of the SRT wholly inside a break, and cues reaching more than MARGIN seconds into one
    (a cue lingers after its last word for reading time, so one may reach into a break)."""
    inside = reaching = 0
    for block in render(transcript, "srt").strip().split("\n\n"):
        times = block.splitlines()[1].split(" --> ")
        start, end = (sum(float(x) * m for x, m in zip(t.replace(",", ".").split(":"), (3600, 60, 1))) for t in times)
        inside += any(a <= start and end <= b for a, b in breaks)
        reaching += any(min(end, b) - max(start, a) > MARGIN for a, b in breaks)
    return inside, reaching


def skip(minutes: float, seeds: list[int]) -> None:
    from vad_recognizer import local_recognizer

    recognizer = local_recognizer("tiny.en")
    print("| seed | file s | clips s | breaks s | run | sent s | billed s | billed / clips | requests | WER % | "
          "words in breaks | cues inside breaks | cues reaching > 0.25 s into one | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    wers: dict[str, list[float]] = {"skip": [], "whole": []}
    for seed in seeds:
        flac = build(OUT / f"seed{seed}", minutes=minutes, seed=seed)
        layout = json.loads(flac.with_suffix(".json").read_text())
        reference = flac.with_suffix(".txt").read_text()
        breaks = [(b["start"], b["end"]) for b in layout["breaks"]]
        speech = layout["speech_seconds"]
        head = f"| {seed} | {layout['duration']:.0f} | {speech:.0f} | {sum(b - a for a, b in breaks):.0f}"
        for label, options in (("skip", RunOptions(engine="groq")),
                               ("whole", RunOptions(engine="groq", skip_silence=False))):
            with FakeWhisperServer() as server:
                server.recognizer = recognizer
                transcript, wall = asyncio.run(through_server(flac, options, server))
                answered = [r.audio_seconds for r in server.records if r.status == 200]
            billed = sum(max(10.0, s) for s in answered)
            inside = sum(1 for w in transcript.words if any(a + MARGIN < (w.start + w.end) / 2 < b - MARGIN
                                                            for a, b in breaks))
            wers[label].append(word_error_rate(reference, transcript.text) * 100)
            cues = cues_in_breaks(transcript, breaks)
            print(f"{head} | {label} | {sum(answered):.0f} | {billed:.0f} | {billed / speech:.3f} | {len(answered)} | "
                  f"{wers[label][-1]:.2f} | {inside} | {cues[0]} | {cues[1]} | {wall:.0f} |", flush=True)
            flac.with_suffix(f".{label}.json").write_text(transcript.to_json())
    diffs = [a - b for a, b in zip(wers["skip"], wers["whole"])]
    print(f"\nWER skipping minus not skipping, per seed: {', '.join(f'{d:+.2f}' for d in diffs)}; "
          f"mean {np.mean(diffs):+.2f} points.")


def long_files() -> None:
    print("| file | length s | VAD speech s | billed s skipping | billed s not skipping |")
    print("|---|---|---|---|---|")
    for path in sorted((SHARED / "long_en").glob("*.flac")) + sorted((SHARED / "synthetic").glob("*.flac")):
        plan = plan_audio(path, RunOptions(engine="groq"))
        print(f"| {path.stem[:40]} | {plan.duration:.1f} | {plan.speech_seconds:.1f} | {plan.billed_seconds:.1f} | "
              f"{plan.billed_without_skipping:.1f} |")


def vad_only(path: str) -> None:
    """In a child process: the VAD alone; prints its seconds, the peak of Python-tracked memory
    during it (numpy buffers), and the process's peak RSS before and after it in MB."""
    import tracemalloc

    from stt_toolkit.audio.vad import THREADS, _session, speech_map

    for index in range(THREADS):
        _session(index)  # the model loaded: what follows is the run alone
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    started = time.perf_counter()
    speech_map(path)
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": took, "traced_mb": peak, "rss_before_mb": before, "rss_after_mb": after}))


def timing(hours: float) -> None:
    source = build(OUT, minutes=25, seed=0)
    audio, rate = sf.read(source, dtype="int16")
    long_path = OUT / f"meeting_{hours:g}h.flac"
    if not long_path.exists():
        reps = int(np.ceil(hours * 3600 * rate / len(audio)))
        with sf.SoundFile(long_path, "w", rate, 1, format="FLAC", subtype="PCM_16") as f:
            for _ in range(reps):
                f.write(audio)
    seconds = sf.info(str(long_path)).duration
    child = subprocess.run([sys.executable, __file__, "vad-only", str(long_path)], capture_output=True, text=True,
                           check=True)
    measured = json.loads(child.stdout)
    print(f"VAD on {seconds / 3600:.2f} h: {measured['seconds']:.1f} s (real-time factor "
          f"{measured['seconds'] / seconds:.5f}); memory: numpy buffers peak {measured['traced_mb']:.0f} MB, "
          f"process RSS {measured['rss_before_mb']:.0f} MB with the model loaded, "
          f"{measured['rss_after_mb']:.0f} MB at the end.\n")
    print("| run (loopback, 1 s + audio/200, concurrency 4) | wall s | sent s |")
    print("|---|---|---|")
    for label, options in (("VAD, skipping", RunOptions(engine="groq")),
                           ("VAD, no skipping", RunOptions(engine="groq", skip_silence=False)),
                           ("--no-vad", RunOptions(engine="groq", vad=False))):
        with FakeWhisperServer(latency=lambda s: 1.0 + s / 200) as server:
            _, wall = asyncio.run(through_server(long_path, options, server))
            sent = sum(r.audio_seconds for r in server.records if r.status == 200)
        print(f"| {label} | {wall:.1f} | {sent:.0f} |")


def local_share(minutes: float) -> None:
    """The local engine on the meeting-like file without the VAD, with it but not skipping,
    and with it (the default), and the VAD alone on the same file."""
    from stt_toolkit.audio.vad import speech_map
    from stt_toolkit.engines import LocalEngine

    flac = build(OUT, minutes=minutes, seed=0)
    engine = LocalEngine()
    started = time.perf_counter()
    speech_map(flac)
    vad = time.perf_counter() - started
    reference = flac.with_suffix(".txt").read_text()
    breaks = [(b["start"], b["end"]) for b in json.loads(flac.with_suffix(".json").read_text())["breaks"]]
    print(f"| local engine (tiny.en), file of {sf.info(str(flac)).duration:.0f} s | wall s | WER % | cues inside breaks |")
    print("|---|---|---|---|")
    for label, options in (("--no-vad", RunOptions(vad=False)), ("VAD, no skipping", RunOptions(skip_silence=False)),
                           ("VAD, skipping", RunOptions(skip_silence=True))):
        started = time.perf_counter()
        transcript = asyncio.run(transcribe_audio(flac, engine, options))
        print(f"| {label} | {time.perf_counter() - started:.1f} | "
              f"{word_error_rate(reference, transcript.text) * 100:.2f} | {cues_in_breaks(transcript, breaks)[0]} |",
              flush=True)
    print(f"\nThe VAD alone on this file: {vad:.2f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("skip", "long", "time", "local", "vad-only"))
    parser.add_argument("path", nargs="?")
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--seeds", default="0,1,2", help="one meeting-like file per seed (skip)")
    args = parser.parse_args()
    if args.part == "skip":
        skip(args.minutes, [int(x) for x in args.seeds.split(",")])
    elif args.part == "long":
        long_files()
    elif args.part == "time":
        timing(args.hours)
    elif args.part == "local":
        local_share(args.minutes)
    else:
        vad_only(args.path)


if __name__ == "__main__":
    main()
