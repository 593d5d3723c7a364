"""Benchmark of speaker labels (issue #15). Prints a Markdown report.

    python bench/bench_speakers.py [accuracy] [resources] [wall] [--runs 3] [--work bench/out/speakers]

* accuracy: on every shared file with speaker turns (RTTM) and on the repository's own
  dialogues, DER (collar 0.25 s either side of each reference boundary, overlap scored,
  ``stt_toolkit.testing.der``), speakers found against the reference count, and the share of
  words given the wrong speaker (words from the local engine, tiny.en), with the smoothing of
  ``assemble.speakers``, without it and with the first defaults (1.0 s, 2 words); last, the
  share scored only in reference turns of one speaker (the stitched file's RTTM labels a
  stretch of three voices as one speaker, ``multi:3spk_picovoice``). picovoice_diarization_3spk has per-word speaker tags
  but no times: only its count is scored.
* resources: diarization alone (``engines.diarize.diarize_file``, windows of 10 min) of the
  two-voice podcast tiled to 10 min, 1 h and 2 h, each in a fresh process: wall time, real-time
  factor and peak RSS (model included).
* wall: the CLI on the podcast tiled to 11.3 min, with and without ``--speakers auto``,
  alternating, median of ``--runs``: with the local engine, and with the HTTP engine against
  the loopback server answering in 1 s + 1 s per 200 s of audio (Groq's speed, about).
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

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "audio"
sys.path.insert(0, str(REPO / "tests"))

from stt_toolkit import transcribe  # noqa: E402
from stt_toolkit.assemble.speakers import Smoothing, with_speakers  # noqa: E402
from stt_toolkit.audio.decode import preprocess  # noqa: E402
from stt_toolkit.core.records import SpeakerTurn  # noqa: E402
from stt_toolkit.engines.diarize import diarize_file  # noqa: E402
from stt_toolkit.engines.speakers import SenkoDiarizer  # noqa: E402
from stt_toolkit.testing.der import diarization_error, read_rttm, wrong_speaker_share  # noqa: E402

RTTM_FILES = ("short_en/pyannote_sample_2spk_conversation.wav", "long_en/stitched_multispeaker_real_speech_16k.flac",
              "synthetic/tts_podcast_2voices_16k.flac")
PODCAST = SHARED / "synthetic" / "tts_podcast_2voices_16k.flac"


def _flac(source: Path, work: Path) -> Path:
    target = work / f"{source.stem}.16k.flac"
    if not target.exists():
        preprocess(source, target)
    return target


def accuracy(work: Path) -> list[str]:
    from conftest import make_dialogue

    diarizer = SenkoDiarizer()
    cases: list[tuple[str, Path, list[SpeakerTurn]]] = []
    for name in RTTM_FILES:
        source = SHARED / name
        cases.append((source.name, _flac(source, work), read_rttm(source.with_suffix(".rttm"))))
    for voices in (2, 3):
        path, turns = make_dialogue(work, voices)
        cases.append((f"tests: dialogue_{voices} (repository clips)", path, [SpeakerTurn(*t) for t in turns]))
    rows = ["| file | length | speakers (ref / found) | DER | wrong-speaker words | without smoothing | "
            "with the old smoothing (1.0 s, 2 words) | same, reference turns of one speaker only | diarize s |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, path, ref in cases:
        started = time.perf_counter()
        turns = diarize_file(path, diarizer)
        took = time.perf_counter() - started
        plain = transcribe(path, engine="local")
        score = diarization_error(ref, with_speakers(plain, turns).speaker_turns)
        # the stitched file's RTTM labels a stretch of three voices as one "multi:" speaker
        single = [t for t in ref if not t.speaker.startswith("multi:")]
        shares = []
        for smoothing, reference in ((Smoothing(), ref), (Smoothing(0, 0), ref), (Smoothing(1.0, 2), ref),
                                     (Smoothing(), single)):
            labelled = with_speakers(plain, turns, smoothing=smoothing)
            mapping = diarization_error(ref, labelled.speaker_turns).mapping
            shares.append(wrong_speaker_share(labelled.words, reference, mapping))
        rows.append(f"| {name} | {plain.duration:.0f} s | {len({t.speaker for t in ref})} / {len({t.speaker for t in turns})}"
                    f" | {score.der:.1%} | {' | '.join(f'{x:.1%}' for x in shares)} | {took:.1f} |")
    tags = json.loads((SHARED / "short_en" / "picovoice_diarization_3spk.words.json").read_text())
    pico = _flac(SHARED / "short_en" / "picovoice_diarization_3spk.wav", work)
    found = len({t.speaker for t in diarize_file(pico, diarizer)})
    rows.append(f"| picovoice_diarization_3spk.wav (word tags, no times) | 20 s | {len({t['speaker_tag'] for t in tags})}"
                f" / {found} | - | - | - | - | - | - |")
    return rows


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from stt_toolkit.engines.diarize import diarize_file
from stt_toolkit.engines.speakers import SenkoDiarizer
d = SenkoDiarizer(); d._load()
t1 = time.perf_counter()
turns = diarize_file(sys.argv[1], d)
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "diarize": t2 - t1, "speakers": len({t.speaker for t in turns}),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def tiled(work: Path, times: int) -> Path:
    target = work / f"podcast_x{times}.flac"
    if not target.exists():
        samples, rate = sf.read(PODCAST, dtype="int16")
        sf.write(target, np.tile(samples, times), rate, subtype="PCM_16")
    return target


def resources(work: Path) -> list[str]:
    rows = ["| audio | load s | diarize s | real-time factor | speakers (ref 2) | peak RSS MB |", "|---|---|---|---|---|---|"]
    for minutes, times in ((11.3, 3), (60.3, 16), (120.5, 32)):
        path = tiled(work, times)
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(f"| {minutes} min | {got['load']:.1f} | {got['diarize']:.1f} | {got['diarize'] / (minutes * 60):.3f}"
                    f" | {got['speakers']} | {got['rss_mb']:.0f} |")
    return rows


def _cli(path: Path, out: Path, extra: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(path), "-o", str(out), "--overwrite", "-q",
                    *extra], check=True, env=env, capture_output=True)
    return time.perf_counter() - started


def wall(work: Path, runs: int) -> list[str]:
    from stt_toolkit.testing import FakeWhisperServer

    path = tiled(work, 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "OPENAI_"))}
    rows = ["| engine | without s (runs) | with --speakers auto s (runs) | ratio of medians |", "|---|---|---|---|"]
    with FakeWhisperServer(latency=lambda seconds: 1.0 + seconds / 200) as server:
        engines = {"local": ["--engine", "local"],
                   "groq (loopback, 1 s + audio/200)": ["--engine", "groq", "--base-url", server.url]}
        api_env = {**env, "GROQ_API_KEY": "gsk_bench_speakers_0123456789"}
        for label, flags in engines.items():
            times: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(runs):
                for speakers in (False, True):
                    extra = flags + (["--speakers", "auto"] if speakers else [])
                    times[speakers].append(_cli(path, work / "out", extra, api_env))
            a, b = statistics.median(times[False]), statistics.median(times[True])
            rows.append(f"| {label} | {a:.1f} ({', '.join(f'{t:.1f}' for t in times[False])}) | {b:.1f} "
                        f"({', '.join(f'{t:.1f}' for t in times[True])}) | {b / a:.2f}x |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("parts", nargs="*", default=["accuracy", "resources", "wall"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "speakers")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for part in args.parts:
        rows = {"accuracy": lambda: accuracy(args.work), "resources": lambda: resources(args.work),
                "wall": lambda: wall(args.work, args.runs)}[part]()
        print(f"\n### {part}\n")
        print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main()
