"""The library facade: transcribe, translate, transcribe_many and their async twins."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import stt_toolkit as stt
from stt_toolkit.testing import FakeWhisperServer
from stt_toolkit.testing.wer import word_error_rate


def test_transcribe_a_path_and_bytes(speech: Path) -> None:
    clip = speech / "jfk_inaugural_1961_excerpt.flac"
    reference = clip.with_suffix(".txt").read_text()
    from_path = stt.transcribe(clip, engine="local")
    assert word_error_rate(reference, from_path.text) < 0.1
    from_bytes = asyncio.run(stt.atranscribe(clip.read_bytes(), engine="local", chunk_seconds=30))
    assert from_bytes.text == from_path.text
    assert from_path.usage.billed_seconds == 0 and from_path.usage.requests == 1


def test_transcribe_many_yields_each_file(speech: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.mp3").write_text("no")
    paths = [speech / "librispeech_dev-clean_1272-128104-0000.flac", tmp_path / "bad.mp3"]
    outcomes = {o.input.path.name: o for o in stt.transcribe_many(paths, engine="local")}
    assert outcomes["librispeech_dev-clean_1272-128104-0000.flac"].status == "done"
    assert outcomes["bad.mp3"].status == "failed" and "not an audio" in (outcomes["bad.mp3"].reason or "")


@pytest.mark.parametrize(("option", "value", "said"), [
    ("chunk_seconds", "30", "chunk_seconds must be a number, not '30'"),
    ("chunk_seconds", True, "chunk_seconds must be a number, not True"),
    ("concurrency", 2.5, "concurrency must be a whole number, not 2.5"),
    ("strict", "no", "strict must be True or False, not 'no'"),
    ("rpm", "5", "rpm must be a number or None, not '5'"),
    ("model", 3, "model must be a string or a path or None, not 3"),
])
def test_a_value_of_the_wrong_kind_is_a_usage_error(speech: Path, option: str, value: object, said: str) -> None:
    with pytest.raises(stt.UsageError) as refused:
        stt.transcribe(speech / "jfk_inaugural_1961_excerpt.flac", engine="local", **{option: value})
    assert str(refused.value) == said


def test_option_errors(speech: Path) -> None:
    clip = speech / "jfk_inaugural_1961_excerpt.flac"
    with pytest.raises(TypeError, match="unknown option"):
        stt.transcribe(clip, chunk_secs=10)
    with pytest.raises(stt.UnsupportedTask):
        stt.translate(clip, engine="local")


@pytest.fixture
def speechlike(tmp_path: Path) -> Callable[[str, float], Path]:
    def make(name: str, seconds: float) -> Path:
        path = tmp_path / name
        noise = np.random.default_rng(7).standard_normal(int(seconds * 16000)) * 3000
        sf.write(path, noise.astype(np.int16), 16000, subtype="PCM_16")
        return path
    return make


def test_transcribe_many_takes_one_path_and_reports_a_missing_one(tmp_path: Path,
                                                                 speechlike: Callable[[str, float], Path]) -> None:
    folder = tmp_path / "pods"
    folder.mkdir()
    clip = speechlike("pods/a.wav", 11.0)
    with FakeWhisperServer() as server:
        options = {"engine": "groq", "api_key": "gsk_facade_test", "base_url": server.url, "fill_gaps": False}
        [one] = list(stt.transcribe_many(str(folder), **options))  # a string is one path, not its letters
        assert one.status == "done" and one.input.path == clip
        outcomes = list(stt.transcribe_many([clip, tmp_path / "nope.wav"], **options))
    by_name = {o.input.path.name: o for o in outcomes}
    assert by_name["a.wav"].status == "done", "a missing path does not stop the others"
    assert isinstance(by_name["nope.wav"].error, stt.AudioFileNotFound) and by_name["nope.wav"].status == "failed"


def test_leaving_transcribe_many_early_stops_the_run(tmp_path: Path, speechlike: Callable[[str, float], Path]) -> None:
    # Each request takes 1 s and one runs at a time: after the first outcome, closing the
    # generator must stop the run, not leave a thread sending (and paying for) the rest.
    clips = [speechlike(f"f{i}.wav", 11.0) for i in range(6)]
    with FakeWhisperServer(latency=lambda seconds: 1.0) as server:
        many = stt.transcribe_many(clips, engine="groq", vad=False, api_key="gsk_facade_test", base_url=server.url,
                                   fill_gaps=False, concurrency=1)
        first = next(many)
        assert first.status == "done"
        many.close()
        left = time.monotonic()
        time.sleep(2.5)  # long enough for two more requests, if the run went on
        assert len(server.records) <= 2, "at most the request in flight when the caller left"
        assert all(r.started < left for r in server.records), "nothing is sent once the caller has left"
