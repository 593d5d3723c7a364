"""The library facade: transcribe, translate, transcribe_many and their async twins."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import stt_toolkit as stt
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


def test_option_errors(speech: Path) -> None:
    clip = speech / "jfk_inaugural_1961_excerpt.flac"
    with pytest.raises(TypeError, match="unknown option"):
        stt.transcribe(clip, chunk_secs=10)
    with pytest.raises(stt.UnsupportedTask):
        stt.translate(clip, engine="local")
