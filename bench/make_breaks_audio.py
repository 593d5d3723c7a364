"""Make a long meeting-like file for benchmarks of voice-activity detection and silence skipping.

    .venv/bin/python bench/make_breaks_audio.py [--minutes 25] [--seed 0] [--out bench/out/vad]

Real English speech from ``../shared/audio`` (every ``.wav``/``.flac`` in ``short_en/`` and
``long_en/`` with a reference transcript ``.txt`` beside it, taken whole) alternates with
inserted breaks of 15-60 s. The clip order (shuffled passes over all clips; clips repeat once
every clip has been used) and the break lengths are drawn from ``--seed``, so a seed always
gives the same file. The breaks rotate through three kinds:

* ``silence``: digital silence, exact zeros;
* ``white``: white noise at -50 dBFS RMS;
* ``hum``: mains hum (50 Hz and its harmonics) mixed with low-passed pink room tone, -45 dBFS
  RMS together.

dBFS RMS is ``20 * log10(rms)`` with full scale 1.0 (a full-scale sine is -3 dBFS). Each noise
break fades in and out over 10 ms and is scaled after the fades, so its whole span has the
stated RMS. The file starts and ends with speech; breaks make up at least a third of it (breaks
are lengthened towards 60 s if the draw falls short). It runs to ``--minutes`` plus at most one
break and one clip of 30 s more.

Written to ``--out``: ``breaks_meeting.flac`` (16 kHz mono PCM_16), ``breaks_meeting.txt`` (the
clips' reference texts joined by spaces, in order) and ``breaks_meeting.json`` (``duration``,
``speech_seconds``, ``clips`` and ``breaks`` with start and end in seconds). The script then
reads the flac back and prints each break kind's measured level. Other bench scripts import
:func:`build`. Clips that are not 16 kHz are resampled with scipy, or left out without it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "audio"
SR = 16000
STEM = "breaks_meeting"
BREAK_KINDS = ("silence", "white", "hum")
LEVELS_DBFS = {"silence": None, "white": -50.0, "hum": -45.0}
BREAK_SECONDS = (15.0, 60.0)
MIN_BREAK_SHARE = 1 / 3
OVERSHOOT_SECONDS = 30.0  # a clip may end this far past the target length
FADE_SECONDS = 0.010


@dataclass(frozen=True)
class Clip:
    """A speech clip: its name under the shared folder, 16 kHz mono samples, reference text."""

    name: str
    samples: np.ndarray
    text: str

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return len(self.samples) / SR


@dataclass(frozen=True)
class Break:
    """An inserted break of ``length`` samples of one of :data:`BREAK_KINDS`."""

    kind: str
    length: int

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return self.length / SR


Piece = Clip | Break


def read_16k(path: Path) -> np.ndarray | None:
    """The file as float32 mono at 16 kHz, or None if it needs resampling and scipy is missing."""
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1, dtype=np.float32)
    if rate == SR:
        return mono
    try:
        from scipy.signal import resample_poly
    except ImportError:
        return None
    common = math.gcd(SR, rate)
    return resample_poly(mono, SR // common, rate // common).astype(np.float32)


def load_clips(shared: Path = SHARED) -> list[Clip]:
    """Every English clip with a reference transcript, in name order."""
    clips = []
    for folder in ("short_en", "long_en"):
        for path in sorted(p for p in (shared / folder).iterdir() if p.suffix in (".wav", ".flac")):
            reference = path.with_suffix(".txt")
            if not reference.is_file():
                continue
            samples = read_16k(path)
            if samples is not None:
                text = " ".join(reference.read_text(encoding="utf-8").split())
                clips.append(Clip(f"{folder}/{path.name}", samples, text))
    if not clips:
        raise FileNotFoundError(f"no English clips with transcripts under {shared}")
    return clips


def _pop_clip(queue: list[Clip], remaining: float) -> Clip:
    """Take the first queued clip that fits in ``remaining`` seconds (with the overshoot
    allowed), else the shortest queued one."""
    fitting = [i for i, clip in enumerate(queue) if clip.seconds <= remaining + OVERSHOOT_SECONDS]
    index = fitting[0] if fitting else min(range(len(queue)), key=lambda i: queue[i].seconds)
    return queue.pop(index)


def plan_layout(clips: list[Clip], seconds: float, rng: random.Random) -> list[Piece]:
    """Clips and breaks in order, starting and ending with a clip, about ``seconds`` long."""
    kinds = itertools.cycle(BREAK_KINDS)
    queue: list[Clip] = []
    pieces: list[Piece] = []
    total = 0.0
    while total < seconds:
        if not queue:
            queue = rng.sample(clips, len(clips))  # a new pass in a new order
        if pieces:
            gap = Break(next(kinds), round(rng.uniform(*BREAK_SECONDS) * SR))
            pieces.append(gap)
            total += gap.seconds
        clip = _pop_clip(queue, seconds - total)
        pieces.append(clip)
        total += clip.seconds
    return ensure_break_share(pieces)


def ensure_break_share(pieces: list[Piece], share: float = MIN_BREAK_SHARE) -> list[Piece]:
    """Lengthen breaks to the longest break length, first to last, until breaks make up
    ``share`` of the whole."""
    speech = sum(len(p.samples) for p in pieces if isinstance(p, Clip))
    needed = math.ceil(speech * share / (1 - share))
    longest = round(BREAK_SECONDS[1] * SR)
    result = list(pieces)
    for i, piece in enumerate(result):
        missing = needed - sum(p.length for p in result if isinstance(p, Break))
        if missing <= 0:
            break
        if isinstance(piece, Break):
            result[i] = Break(piece.kind, min(longest, piece.length + missing))
    if sum(p.length for p in result if isinstance(p, Break)) < needed:
        raise ValueError("too few breaks for the break share; ask for more minutes")
    return result


def at_level(signal: np.ndarray, dbfs: float) -> np.ndarray:
    """``signal`` faded in and out over :data:`FADE_SECONDS`, then scaled to ``dbfs`` RMS."""
    faded = signal.astype(np.float64)
    fade = min(int(FADE_SECONDS * SR), len(faded) // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
        faded[:fade] *= ramp
        faded[-fade:] *= ramp[::-1]
    rms = float(np.sqrt(np.mean(faded**2)))
    return (faded * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def room_tone(length: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise (power falling 3 dB an octave) from 20 Hz, low-passed at 800 Hz (second
    order), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length, 1 / SR)
    gain = np.where(freqs >= 20.0, 1 / np.sqrt(np.maximum(freqs, 20.0)), 0.0)
    gain /= np.sqrt(1 + (freqs / 800.0) ** 4)
    tone = np.fft.irfft(spectrum * gain, n=length)
    return tone / np.sqrt(np.mean(tone**2))


def mains_hum(length: int, rng: np.random.Generator) -> np.ndarray:
    """50 Hz hum with its first harmonics (100 Hz strongest after the fundamental), random
    phases, unit RMS."""
    t = np.arange(length) / SR
    amplitudes = (1.0, 0.7, 0.45, 0.25, 0.2, 0.1, 0.08, 0.05)
    hum = sum(a * np.sin(2 * np.pi * 50.0 * (k + 1) * t + rng.uniform(0, 2 * np.pi))
              for k, a in enumerate(amplitudes))
    return hum / np.sqrt(np.mean(hum**2))


def break_audio(gap: Break, rng: np.random.Generator) -> np.ndarray:
    """The samples of one break."""
    if gap.kind == "silence":
        return np.zeros(gap.length, dtype=np.float32)
    if gap.kind == "white":
        return at_level(rng.standard_normal(gap.length), LEVELS_DBFS["white"])
    mix = 0.6 * mains_hum(gap.length, rng) + 0.8 * room_tone(gap.length, rng)  # equal-ish power
    return at_level(mix, LEVELS_DBFS["hum"])


def _span(start: int, length: int) -> tuple[float, float]:
    return round(start / SR, 6), round((start + length) / SR, 6)


def write_outputs(out_dir: Path, pieces: list[Piece], seed: int) -> Path:
    """Write the flac (piece by piece), the reference text and the layout; the flac's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    flac = out_dir / f"{STEM}.flac"
    rng = np.random.default_rng(seed)
    clips: list[dict[str, object]] = []
    breaks: list[dict[str, object]] = []
    position = 0
    with sf.SoundFile(flac, "w", SR, 1, subtype="PCM_16", format="FLAC") as sink:
        for piece in pieces:
            if isinstance(piece, Clip):
                sink.write(np.clip(piece.samples, -1.0, 1.0))
                start, end = _span(position, len(piece.samples))
                clips.append({"name": piece.name, "start": start, "end": end})
                position += len(piece.samples)
            else:
                sink.write(break_audio(piece, rng))
                start, end = _span(position, piece.length)
                breaks.append({"kind": piece.kind, "start": start, "end": end})
                position += piece.length
    speech = sum(len(p.samples) for p in pieces if isinstance(p, Clip))
    layout = {"duration": round(position / SR, 6), "speech_seconds": round(speech / SR, 6),
              "sample_rate": SR, "seed": seed, "clips": clips, "breaks": breaks}
    (out_dir / f"{STEM}.json").write_text(json.dumps(layout, indent=1) + "\n", encoding="utf-8")
    text = " ".join(p.text for p in pieces if isinstance(p, Clip))
    (out_dir / f"{STEM}.txt").write_text(text + "\n", encoding="utf-8")
    return flac


def build(out_dir: Path, minutes: float = 25.0, seed: int = 0, shared: Path = SHARED) -> Path:
    """Write the benchmark file of about ``minutes`` into ``out_dir`` (its ``.txt`` and
    ``.json`` beside it) and return the flac's path. The same seed gives the same file."""
    pieces = plan_layout(load_clips(shared), minutes * 60, random.Random(seed))
    return write_outputs(Path(out_dir), pieces, seed)


def dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS (full scale 1.0); -inf for digital silence (None in :func:`measure`)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def measure(flac: Path) -> dict[str, object]:
    """Read the written flac back: each break kind's count, seconds, RMS levels and non-zero
    samples, the speech level, and the share of breaks, against its ``.json`` layout."""
    layout = json.loads(flac.with_suffix(".json").read_text(encoding="utf-8"))
    samples, rate = sf.read(flac, dtype="float32")
    info = sf.info(flac)
    kinds: dict[str, dict[str, object]] = {}
    for kind in BREAK_KINDS:
        spans = [samples[round(b["start"] * rate):round(b["end"] * rate)]
                 for b in layout["breaks"] if b["kind"] == kind]
        levels = [dbfs(s) for s in spans]
        finite = [level for level in levels if math.isfinite(level)]
        kinds[kind] = {"count": len(spans), "seconds": round(sum(len(s) for s in spans) / rate, 1),
                       "dbfs_min": round(min(finite), 2) if finite else None,
                       "dbfs_max": round(max(finite), 2) if finite else None,
                       "nonzero_samples": int(sum(np.count_nonzero(s) for s in spans))}
    speech = np.concatenate([samples[round(c["start"] * rate):round(c["end"] * rate)] for c in layout["clips"]])
    breaks = sum(b["end"] - b["start"] for b in layout["breaks"])
    return {"file": str(flac), "rate": rate, "channels": info.channels, "subtype": info.subtype,
            "seconds": round(len(samples) / rate, 3), "json_duration": layout["duration"],
            "speech_seconds": layout["speech_seconds"], "break_seconds": round(breaks, 3),
            "break_share": round(breaks / layout["duration"], 4), "clips": len(layout["clips"]),
            "distinct_clips": len({c["name"] for c in layout["clips"]}),
            "speech_dbfs": round(dbfs(speech), 2), "breaks": kinds}


def main() -> None:
    """Build the file and print the measured summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "vad")
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    flac = build(args.out, args.minutes, args.seed, args.shared)
    print(json.dumps(measure(flac), indent=1))


if __name__ == "__main__":
    main()
