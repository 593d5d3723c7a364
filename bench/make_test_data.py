"""Build tests/data/ from the shared speech (../shared/audio): the clips the tests need.

Only clips whose licence allows redistribution (the demo-ok ones of ../shared/audio/README.md,
and the public-domain LJSpeech reading) are taken. Short clips become 16 kHz mono FLAC made by
:func:`stt_toolkit.audio.decode.preprocess` itself, so the tests see exactly the samples the pipeline would
make from the originals; the 3 min 49 s reading becomes 32 kbit/s Opus (0.9 MB instead of
4.4 MB). Measured in one run (tiny.en, whole file): the Opus gives the same words as the
original FLAC, WER 7.13 % without and 5.57 % with the stretched-word redo on both, and the
decoding faults the tests rely on are still there. Opus and MP3 clips are copied unchanged.

    python bench/make_test_data.py [--shared ../shared/audio]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stt_toolkit.audio.decode import preprocess  # noqa: E402
from stt_toolkit.audio.ffmpeg import ffmpeg_binary  # noqa: E402

TO_FLAC = [
    "short_en/jfk_inaugural_1961_excerpt.wav",
    "short_en/librispeech_dev-clean_1272-128104-0000.wav",
    "short_en/librispeech_dev-clean_2412-153948-0000.flac",
    "short_en/librivox_sense_and_sensibility_0870.wav",
    "short_en/librivox_sense_and_sensibility_0920.wav",
    "short_en/ljspeech_LJ001-0001.wav",
    "short_en/ami_ES2011a_headset0_40-46s.wav",
]
AS_IS = ["non_en/mls_es_13697_11991_000000.opus", "non_en/common_voice_ja_24511055.mp3"]
TO_OPUS = ["long_en/ljspeech_LJ001-0001_to_0032_continuous.flac"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "audio")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in TO_FLAC + AS_IS + TO_OPUS:
        src = args.shared / name
        stem = src.stem
        if name in TO_FLAC:
            preprocess(src, args.out / f"{stem}.flac")
        elif name in AS_IS:
            shutil.copyfile(src, args.out / src.name)
        else:
            subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-ar", "16000",
                            "-ac", "1", "-c:a", "libopus", "-b:a", "32k", str(args.out / f"{stem}.opus")], check=True)
        for extra in src.parent.glob(f"{stem}.*"):
            if extra.suffix in {".txt", ".tsv"} or extra.name.endswith(".segments.tsv"):
                shutil.copyfile(extra, args.out / extra.name)
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"{args.out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
