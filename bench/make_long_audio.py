"""Make long test audio: real speech clips from ../shared/audio looped with pauses.

``python bench/make_long_audio.py OUT.mp3 --seconds 7200`` writes a 44.1 kHz stereo mp3
(128 kbit/s) of that length. The clips are decoded once into a ~4-minute cycle with pauses
of 0.4 to 2.5 s between them, then ffmpeg loops the cycle and encodes the mp3 in one pass.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from stt_toolkit.audio.decode import preprocess
from stt_toolkit.audio.ffmpeg import ffmpeg_binary

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"


def speech_cycle(shared: Path, seed: int = 0) -> np.ndarray:
    """All short English clips at 16 kHz, joined with random pauses (float32, mono)."""
    rng = random.Random(seed)
    parts: list[np.ndarray] = []
    clips = sorted((shared / "short_en").glob("*.wav")) + sorted((shared / "short_en").glob("*.flac"))
    for clip in clips:
        info = preprocess(clip)
        data, _ = sf.read(info.path, dtype="float32")
        if info.reencoded:
            info.path.unlink()
        parts += [data, np.zeros(int(16000 * rng.uniform(0.4, 2.5)), dtype=np.float32)]
    return np.concatenate(parts)


def make_long_mp3(out: Path, seconds: float, shared: Path = SHARED) -> Path:
    """Write ``out``: looped speech of ``seconds`` as 44.1 kHz stereo 128 kbit/s mp3."""
    with tempfile.TemporaryDirectory() as tmp:
        cycle = Path(tmp) / "cycle.wav"
        sf.write(cycle, speech_cycle(shared), 16000, subtype="PCM_16")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1",
                        "-i", str(cycle), "-t", str(seconds), "-ar", "44100", "-ac", "2",
                        "-c:a", "libmp3lame", "-b:a", "128k", str(out)], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=7200)
    args = parser.parse_args()
    make_long_mp3(args.out, args.seconds)


if __name__ == "__main__":
    main()
