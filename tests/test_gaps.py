"""Recovering speech that no chunk transcribed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

import stt_toolkit as stt
from stt_toolkit.chunking import EnergyProfile
from stt_toolkit.gaps import find_speech_gaps
from stt_toolkit.pipeline import transcribe_audio
from stt_toolkit.types import Word


def profile(db: np.ndarray) -> EnergyProfile:
    return EnergyProfile(db=db.astype(np.float32), frame_length=320, offset=0, total_samples=len(db) * 320,
                         sample_rate=16000)


def test_only_loud_gaps_are_found() -> None:
    db = np.full(50 * 30, -80.0)  # 30 s of silence...
    db[0:250] = -20  # speech 0-5 s (with words)
    db[500:750] = -22  # speech 10-15 s (no words: skipped by the decoder)
    db[1000:1250] = -20  # speech 20-25 s (with words)
    words = [Word("a", 0.5, 4.5), Word("b", 20.5, 24.5)]
    assert find_speech_gaps(words, profile(db), 30.0) == [(4.5, 20.5)]
    db[500:750] = -80  # the same gap, silent
    assert find_speech_gaps(words, profile(db), 30.0) == []
    assert find_speech_gaps([], profile(db), 30.0) == []


def test_skipped_speech_is_recovered_with_the_real_model(shared_audio: Path) -> None:
    # tiny.en skips "I'm Abigail Claflin, you can call me Abbie ..." (236-245 s) in one of these
    # 30 s chunks, and the overlaps are too short for a neighbour to have heard it.
    src = shared_audio / "long_en" / "stitched_multispeaker_real_speech_16k.flac"
    options = stt.ChunkOptions(target_seconds=30, overlap_seconds=10, search_seconds=5)
    engine = stt.LocalEngine()
    plain = asyncio.run(transcribe_audio(src, engine, chunk_options=options, fill_gaps=False))
    filled = asyncio.run(transcribe_audio(src, engine, chunk_options=options))
    assert "abigail" not in plain.text.lower()
    assert "abigail" in filled.text.lower() and "call me" in filled.text.lower()
    assert len(filled.words) > len(plain.words) and filled.usage.requests > plain.usage.requests
    starts = [w.start for w in filled.words]
    assert starts == sorted(starts)
    texts = [w.word.strip().lower() for w in filled.words]
    assert texts.count("abigail") == 1
