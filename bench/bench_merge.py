"""Merge quality on real long-form speech: whole-file versus chunked transcription.

    python bench/bench_merge.py [--chunks 30,60,120] [--overlaps 2,5,10] [--retry-flagged]
    python bench/bench_merge.py --leads 0,0.5,1    # every WER a mean over three runs
    python bench/bench_merge.py --noise-floor
    python bench/bench_merge.py --chunks 30,60 --overlaps 5 [--no-vad]   # cuts by speech or energy

With the local engine (tiny.en), each file in ../shared/audio/long_en and the synthetic
podcast is transcribed as one chunk and then chunked at every (chunk, overlap) pair. For each
run: word error rate against the reference, the merge penalty (chunked WER minus whole WER),
and words doubled or dropped near the cuts, found by aligning the words to the reference.
WER uses ``stt_toolkit.testing.wer`` (hesitations left out, "etc." compared as "et cetera", each
spelling of a compound the reference hyphenates accepted); the last column is the WER and
penalty with ``strict=True`` (only case, punctuation and small numbers normalised).
``--retry-flagged`` runs both sides with flagged segments retried. ``--no-vad`` runs without
the voice-activity map: cuts at the quietest point by energy alone (as before it). ``--noise-floor``
measures how much the whole-file WER moves when nothing but leading silence is added.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf
from rapidfuzz.distance import Levenshtein

from stt_toolkit.core.options import RunOptions
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.engines import LocalEngine
from stt_toolkit.run.file import transcribe_audio
from stt_toolkit.testing.wer import normalize_words, reference_compounds, split_compounds, word_error_rate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"
FILES = [SHARED / "long_en" / "ljspeech_LJ001-0001_to_0032_continuous.flac",
         SHARED / "long_en" / "stitched_multispeaker_real_speech_16k.flac",
         SHARED / "synthetic" / "tts_podcast_2voices_16k.flac"]
MODES = {"off": (False,), "on": (True,), "both": (False, True)}
NEAR = 1.0  # seconds around an overlap that count as "near a cut"


def timed_words(transcript: Transcript, compounds: dict[str, list[str]]) -> list[tuple[str, float]]:
    return [(token, (w.start + w.end) / 2) for w in transcript.words
            for token in split_compounds(normalize_words(w.word), compounds)]


def cut_regions(transcript: Transcript) -> list[tuple[float, float]]:
    chunks = transcript.chunks
    return [(b.start - NEAR, a.end + NEAR) for a, b in zip(chunks, chunks[1:])]


def errors_near_cuts(reference: str, transcript: Transcript, regions: list[tuple[float, float]]) -> tuple[int, int]:
    """(doubled, dropped): inserted words repeating a neighbour, and deleted reference words,
    inside the regions."""
    ref = normalize_words(reference)
    hyp = timed_words(transcript, reference_compounds(reference))
    tokens = [t for t, _ in hyp]

    def near(t: float) -> bool:
        return any(lo <= t <= hi for lo, hi in regions)

    doubled = dropped = 0
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(ref, tokens):
        if tag == "insert":
            for j in range(j1, j2):
                window = tokens[max(0, j - 3):j] + tokens[j + 1:j + 4]
                if near(hyp[j][1]) and tokens[j] in window:
                    doubled += 1
        if tag == "delete":
            # place the missing words evenly between the hypothesis words around them
            before = hyp[j1 - 1][1] if j1 > 0 else (hyp[0][1] if hyp else 0.0)
            after = hyp[j1][1] if j1 < len(hyp) else before
            count = i2 - i1
            dropped += sum(near(before + (after - before) * (m + 1) / (count + 1)) for m in range(count))
    return doubled, dropped


# two-sided 95 % quantiles of Student's t, by degrees of freedom
T95 = {1: 12.71, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def interval(chunked: list[float], whole: list[float]) -> str:
    """95 % confidence interval of the mean penalty in points, from the paired runs (same lead)."""
    diffs = [(c - w) * 100 for c, w in zip(chunked, whole)]
    if len(diffs) < 2:
        return "-"
    half = T95.get(len(diffs) - 1, 2.0) * statistics.stdev(diffs) / len(diffs) ** 0.5
    mean = statistics.mean(diffs)
    return f"{mean - half:+.2f} .. {mean + half:+.2f}"


async def run_file(path: Path, engine: LocalEngine, chunks: list[int], overlaps: list[int],
                   retry: bool, leads: list[float], modes: tuple[bool, ...] = (False,), vad: bool = True) -> list[str]:
    """Rows for one file. With several ``leads`` (seconds of silence put before the audio),
    every WER is the mean over them and the near-cut counts are their sums. ``modes`` says
    whether the chunked runs condition each chunk on the text before it (one row for each)."""
    reference = path.with_suffix(".txt").read_text()
    whole_file = RunOptions(chunk_seconds=10_000, retry_flagged=retry, vad=vad)
    audio, rate = sf.read(path, dtype="float32")
    inputs = [(np.concatenate([np.zeros(int(lead * rate), dtype=np.float32), audio]), rate) for lead in leads]
    wholes = [await transcribe_audio(x, engine, whole_file)
              for x in inputs]
    whole_wers = [word_error_rate(reference, w.text) for w in wholes]
    whole_strict = statistics.mean(word_error_rate(reference, w.text, strict=True) for w in wholes)
    whole_wer = statistics.mean(whole_wers)
    rows = [f"| {path.stem[:32]} | whole | - | 1 | {whole_wer * 100:.2f} | - | - | - | - | {whole_strict * 100:.2f} |"]
    for size in chunks:
        for overlap in overlaps:
            options = RunOptions(chunk_seconds=size, overlap_seconds=overlap, search_seconds=size / 6,
                                 retry_flagged=retry, vad=vad)
            for condition in modes:
                wers, stricts, counts = [], [], [0, 0, 0, 0]
                for x, whole in zip(inputs, wholes):
                    chunked = await transcribe_audio(x, engine, replace(options, condition_on_previous=condition))
                    wers.append(word_error_rate(reference, chunked.text))
                    stricts.append(word_error_rate(reference, chunked.text, strict=True))
                    regions = cut_regions(chunked)
                    for k, n in enumerate((*errors_near_cuts(reference, chunked, regions),
                                           *errors_near_cuts(reference, whole, regions))):
                        counts[k] += n
                wer = statistics.mean(wers)
                doubled, dropped, base_doubled, base_dropped = counts
                label = f"{size} s" + (" prompted" if condition else "")
                rows.append(f"| {path.stem[:32]} | {label} | {overlap} s | {len(chunked.chunks)} | {wer * 100:.2f} | "
                            f"{(wer - whole_wer) * 100:+.2f} | {interval(wers, whole_wers)} | "
                            f"{doubled} ({base_doubled}) | {dropped} ({base_dropped}) | "
                            f"{statistics.mean(stricts) * 100:.2f} ({(statistics.mean(stricts) - whole_strict) * 100:+.2f}) |")
                print(rows[-1], file=sys.stderr)
    return rows


async def noise_floor(path: Path, engine: LocalEngine, leads: list[float]) -> str:
    """One row: the whole-file WER with each amount of leading silence, and their spread."""
    reference = path.with_suffix(".txt").read_text()
    audio, rate = sf.read(path, dtype="float32")
    wers = []
    for lead in leads:
        padded = np.concatenate([np.zeros(int(lead * rate), dtype=np.float32), audio])
        whole = await transcribe_audio((padded, rate), engine, RunOptions(chunk_seconds=10_000))
        wers.append(word_error_rate(reference, whole.text) * 100)
    cells = " | ".join(f"{w:.2f}" for w in wers)
    return (f"| {path.stem[:32]} | {cells} | {max(wers) - min(wers):.2f} | "
            f"{statistics.pstdev(wers):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", default="30,60,120")
    parser.add_argument("--overlaps", default="2,5,10")
    parser.add_argument("--retry-flagged", action="store_true", help="retry flagged segments on both sides")
    parser.add_argument("--condition-on-previous", choices=("off", "on", "both"), default="off",
                        help="prompt each chunk with the text before it (chunked runs); both: a row for each")
    parser.add_argument("--files", default="", help="only files whose name contains one of these (comma-separated)")
    parser.add_argument("--noise-floor", action="store_true", help="whole-file WER with added leading silence")
    parser.add_argument("--leads", default="0", help="seconds of silence to put before the audio, one run each "
                        "(WERs are averaged): 0,0.5,1 evens out the decoder's chance")
    parser.add_argument("--no-vad", dest="vad", action="store_false", help="cut by energy alone")
    args = parser.parse_args()
    chunks = [int(x) for x in args.chunks.split(",")]
    overlaps = [int(x) for x in args.overlaps.split(",")]
    engine = LocalEngine()
    if args.noise_floor:
        leads = [0.0, 0.25, 0.5, 1.0, 2.0]
        print("| file | " + " | ".join(f"+{x:g} s" for x in leads) + " | range pp | stdev pp |")
        print("|---|" + "---|" * (len(leads) + 2))
        for path in FILES:
            print(asyncio.run(noise_floor(path, engine, leads)))
        return
    print("| file | chunk | overlap | chunks | WER % | penalty pp | 95 % CI pp | doubled near cuts (whole) | "
          "dropped near cuts (whole) | strict WER % (penalty) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    wanted = [f for f in args.files.split(",") if f]
    for path in FILES:
        if wanted and not any(f in path.name for f in wanted):
            continue
        leads = [float(x) for x in args.leads.split(",")]
        for row in asyncio.run(run_file(path, engine, chunks, overlaps, args.retry_flagged, leads,
                                        MODES[args.condition_on_previous], args.vad)):
            print(row)


if __name__ == "__main__":
    main()
