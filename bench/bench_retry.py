"""What retrying segments is worth with the local engine: every segment flagged and retried.

    python bench/bench_retry.py [--chunk 60] [--overlap 5] [--contexts 0,1,2]

Each long_en file is transcribed in chunks with ``low_logprob=0`` (so every segment carries
``low_confidence``), then :func:`stt_toolkit.run.repairs.retry_flagged` retries them all with each
amount of context audio. Prints WER % of the first pass and of each retried transcript.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from stt_toolkit.assemble.retry import RetryOptions
from stt_toolkit.audio.decode import preprocess
from stt_toolkit.core.options import QualityOptions, RunOptions, TranscribeOptions
from stt_toolkit.engines import LocalEngine
from stt_toolkit.run.file import transcribe_audio
from stt_toolkit.run.repairs import retry_flagged
from stt_toolkit.testing.wer import word_error_rate

LONG_EN = Path(__file__).resolve().parents[2] / "shared" / "audio" / "long_en"


async def row(src: Path, engine: LocalEngine, chunks: RunOptions, contexts: list[float]) -> str:
    reference = src.with_suffix(".txt").read_text()
    quality = QualityOptions(low_logprob=0.0)
    first = await transcribe_audio(src, engine, chunks, quality=quality)
    cells = [word_error_rate(reference, first.text) * 100]
    with tempfile.TemporaryDirectory() as tmp:
        info = preprocess(src, Path(tmp) / "audio.flac")
        for context in contexts:
            retried = await retry_flagged(first, info.path, engine, TranscribeOptions(), quality,
                                          RetryOptions(context_seconds=context))
            cells.append(word_error_rate(reference, retried.text) * 100)
    return f"| {src.stem} | " + " | ".join(f"{c:.2f}" for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=float, default=60)
    parser.add_argument("--overlap", type=float, default=5)
    parser.add_argument("--contexts", default="0,1,2")
    args = parser.parse_args()
    contexts = [float(x) for x in args.contexts.split(",")]
    chunks = RunOptions(chunk_seconds=args.chunk, overlap_seconds=args.overlap, search_seconds=args.chunk / 6,
                        fill_gaps=False)
    engine = LocalEngine()
    print("| file | first pass | " + " | ".join(f"retried, {c:g} s context" for c in contexts) + " |")
    print("|---|" + "---|" * (len(contexts) + 1))
    for src in sorted(LONG_EN.glob("*.flac")):
        print(asyncio.run(row(src, engine, chunks, contexts)))


if __name__ == "__main__":
    main()
