"""Chunk planning (pure, property-tested) and chunk export (real FLAC files)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

import stt_toolkit as stt
from stt_toolkit.audio.decode import preprocess
from stt_toolkit.audio.encode import export_chunk, export_chunks
from stt_toolkit.audio.energy import estimate_bytes_per_second, measure_energy
from stt_toolkit.audio.plan import plan_chunks, plan_from_energy, quietest_point, split_chunk
from stt_toolkit.core.options import ChunkOptions
from stt_toolkit.core.records import Chunk, EnergyProfile

SR = 16000


def check_plan(chunks: list[Chunk], total: int, options: ChunkOptions, bytes_per_second: float) -> None:
    """The invariants every plan keeps."""
    overlap = round(options.overlap_seconds * SR)
    assert chunks[0].start == chunks[0].keep_start == 0
    assert chunks[-1].end == chunks[-1].keep_end == total
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for a, b in zip(chunks, chunks[1:]):
        assert a.keep_end == b.keep_start, "kept stretches tile the audio: every sample covered once"
        assert a.end - b.start == min(overlap, a.end - a.start, b.end - b.start) or b.start == 0 or a.end == total
        assert b.start <= a.keep_end <= a.end, "the overlap is around the cut"
    for c in chunks:
        assert c.start <= c.keep_start < c.keep_end <= c.end
        if len(chunks) > 1:
            assert c.keep_end - c.keep_start >= round(options.min_seconds * SR) - 1, "no short chunk"
        assert c.duration * bytes_per_second + 8192 <= options.max_bytes, "fits the byte limit"


def flat_profile(db: np.ndarray, flen: int = 320) -> EnergyProfile:
    return EnergyProfile(db=db.astype(np.float32), frame_length=flen, offset=0,
                         total_samples=len(db) * flen, sample_rate=SR)


def test_cuts_land_in_the_known_silences(flac_with_silences: Callable[..., Path]) -> None:
    silences = [(20, 21), (55.0, 55.6), (58, 59.5), (118.2, 118.8), (125, 126.5), (180, 180.8)]
    flac = flac_with_silences(200, silences)
    options = ChunkOptions(target_seconds=60, overlap_seconds=4, search_seconds=10)
    chunks = plan_chunks(flac, options)
    cuts = [c.keep_start / SR for c in chunks[1:]]
    # the longest silence inside each search window, at its middle
    assert cuts == pytest.approx([58.75, 125.75, 180.4], abs=0.05)
    check_plan(chunks, 200 * SR, options, estimate_bytes_per_second(flac, "flac"))


def test_quietest_point_prefers_the_longest_pause_then_the_nearest() -> None:
    db = np.full(1000, -20.0)
    db[100:110] = -80  # short pause
    db[300:340] = -80  # long pause
    db[600:640] = -80  # equally long, further from ideal
    cut = quietest_point(flat_profile(db), 0, 1000 * 320, 400 * 320)
    assert cut == 320 * 320
    db[700:702] = -95  # a much quieter blip wins even though it is short
    assert quietest_point(flat_profile(db), 0, 1000 * 320, 400 * 320) == 701 * 320


def test_short_audio_is_one_chunk_and_empty_audio_is_refused() -> None:
    five_seconds = flat_profile(np.full(250, -30.0))
    [only] = plan_from_energy(five_seconds, ChunkOptions(), 20000)
    assert (only.start, only.end, only.keep_start, only.keep_end) == (0, 5 * SR, 0, 5 * SR)
    with pytest.raises(stt.ChunkingError):
        plan_from_energy(flat_profile(np.zeros(0)), ChunkOptions(), 20000)


@pytest.mark.parametrize("extra", [0.5, 3, 9.9, 25])
def test_no_tail_shorter_than_the_billing_minimum(extra: float) -> None:
    options = ChunkOptions(target_seconds=60, overlap_seconds=4, search_seconds=10)
    profile = flat_profile(np.random.default_rng(0).uniform(-60, -20, int((120 + extra) * 50)))
    chunks = plan_from_energy(profile, options, 20000)
    assert min(c.keep_end - c.keep_start for c in chunks) >= 10 * SR
    check_plan(chunks, profile.total_samples, options, 20000)


def test_byte_limit_shrinks_the_target() -> None:
    options = ChunkOptions(target_seconds=600, overlap_seconds=10, search_seconds=30, max_bytes=1_000_000)
    profile = flat_profile(np.random.default_rng(1).uniform(-60, -20, 3600 * 50))
    chunks = plan_from_energy(profile, options, 32000)
    assert max(c.duration for c in chunks) <= (1_000_000 - 8192) / 32000
    check_plan(chunks, profile.total_samples, options, 32000)
    with pytest.raises(stt.ChunkingError, match="max_bytes"):
        plan_from_energy(profile, ChunkOptions(max_bytes=100_000), 32000)


def test_options_are_validated() -> None:
    for bad in ({"target_seconds": 0}, {"overlap_seconds": -1}, {"overlap_seconds": 700},
                {"codec": "mp3"}, {"max_bytes": 10}):
        with pytest.raises(ValueError):
            ChunkOptions(**bad)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    seconds=st.floats(0.5, 20000),
    target=st.floats(15, 900),
    overlap_share=st.floats(0, 0.9),
    window=st.floats(0, 60),
    max_bytes=st.sampled_from([1_000_000, 5_000_000, 24_500_000, 99_000_000]),
    bytes_per_second=st.sampled_from([5000.0, 17000.0, 32640.0]),
    seed=st.integers(0, 2**16),
)
def test_plan_invariants_hold_for_any_audio(seconds: float, target: float, overlap_share: float, window: float,
                                            max_bytes: int, bytes_per_second: float, seed: int) -> None:
    options = ChunkOptions(target_seconds=target, overlap_seconds=min(20, target * overlap_share) * 0.5,
                               search_seconds=window, max_bytes=max_bytes)
    frames = max(1, int(seconds * 50))
    db = np.random.default_rng(seed).uniform(-90, -10, frames)
    profile = flat_profile(db)
    try:
        chunks = plan_from_energy(profile, options, bytes_per_second)
    except stt.ChunkingError:
        assert (max_bytes - 8192) / bytes_per_second - options.overlap_seconds < 2 * options.min_seconds + window
        return
    check_plan(chunks, profile.total_samples, options, bytes_per_second)


# --- real files ---------------------------------------------------------------------------

def test_cuts_in_real_speech_are_in_quiet_places(speech: Path, joined_speech: Path, tmp_path: Path) -> None:
    for src in (speech / "ljspeech_LJ001-0001_to_0032_continuous.opus", joined_speech):
        name = src.name
        info = preprocess(src, tmp_path / f"{src.stem}.flac")
        options = ChunkOptions(target_seconds=30, overlap_seconds=2, search_seconds=5)
        chunks = plan_chunks(info, options)
        assert len(chunks) >= 4
        check_plan(chunks, info.frames, options, estimate_bytes_per_second(info.path, "flac"))
        audio, _ = sf.read(info.path, dtype="float32")
        loud = np.sqrt(np.mean(audio ** 2))
        for c in chunks[1:]:
            around = audio[c.keep_start - 800:c.keep_start + 800]
            assert np.sqrt(np.mean(around ** 2)) < loud * 0.2, f"{name}: cut at {c.keep_start / SR:.2f} s is loud"


def test_energy_profile_streams_the_same_numbers(flac_with_silences: Callable[..., Path]) -> None:
    flac = flac_with_silences(30, [(10, 11)])
    profile = measure_energy(flac)
    audio, _ = sf.read(flac, dtype="float32")
    power = np.square(audio[: len(audio) // 320 * 320]).reshape(-1, 320).mean(axis=1)
    smoothed = np.convolve(power, np.ones(5) / 5, mode="same")
    assert len(profile.db) == len(power)
    np.testing.assert_allclose(profile.db, 10 * np.log10(smoothed + 1e-12), atol=0.01)
    region = measure_energy(flac, start=16000 * 5, end=16000 * 15)
    assert region.offset == 80000 and len(region.db) == 500


@pytest.mark.parametrize("codec", ["flac", "wav", "ogg-opus"])
def test_export_is_the_exact_chunk(flac_with_silences: Callable[..., Path], codec: str) -> None:
    flac = flac_with_silences(100, [(30, 31), (62, 63)])
    options = ChunkOptions(target_seconds=30, overlap_seconds=2, search_seconds=5, codec=codec)  # type: ignore[arg-type]
    chunks = plan_chunks(flac, options)
    source, _ = sf.read(flac, dtype="int16")
    for audio in export_chunks(flac, chunks, options):
        assert audio.codec == codec and audio.filename.startswith("chunk-")
        assert len(audio.data) <= options.max_bytes
        if codec == "ogg-opus":
            assert audio.mime_type == "audio/ogg" and audio.data[:4] == b"OggS"
            continue
        decoded, rate = sf.read(io.BytesIO(audio.data), dtype="int16")
        assert rate == SR
        np.testing.assert_array_equal(decoded, source[audio.chunk.start:audio.chunk.end])


def test_export_reads_only_the_chunk(flac_with_silences: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    flac = flac_with_silences(120, [(40, 41), (80, 81)])
    chunks = plan_chunks(flac, ChunkOptions(target_seconds=40, overlap_seconds=2, search_seconds=5))
    reads: list[int] = []
    real_read = sf.SoundFile.read

    def spy(self: sf.SoundFile, frames: int = -1, *args: object, **kwargs: object) -> np.ndarray:
        reads.append(frames)
        return real_read(self, frames, *args, **kwargs)

    monkeypatch.setattr(sf.SoundFile, "read", spy)
    export_chunk(flac, chunks[1])
    assert reads == [chunks[1].end - chunks[1].start]


def test_oversize_chunks_are_split_and_still_cover_everything(flac_with_silences: Callable[..., Path]) -> None:
    flac = flac_with_silences(90, [(20, 20.5), (44, 45), (70, 70.5)])
    options = ChunkOptions(target_seconds=60, overlap_seconds=2, search_seconds=5, max_bytes=1_000_000)
    profile = measure_energy(flac)
    chunks = plan_from_energy(profile, options, bytes_per_second=5000)  # a far too hopeful estimate
    exported = list(export_chunks(flac, chunks, options))
    assert len(exported) > len(chunks)
    assert all(len(a.data) <= options.max_bytes for a in exported)
    assert any(a.chunk.part for a in exported)
    kept = [(a.chunk.keep_start, a.chunk.keep_end) for a in exported]
    assert kept[0][0] == 0 and kept[-1][1] == profile.total_samples
    assert all(a[1] == b[0] for a, b in zip(kept, kept[1:]))


def test_split_chunk_cuts_near_the_middle_in_silence(flac_with_silences: Callable[..., Path]) -> None:
    flac = flac_with_silences(60, [(31, 32)])
    options = ChunkOptions(target_seconds=60, overlap_seconds=2, search_seconds=10)
    [whole] = plan_chunks(flac, options)
    left, right = split_chunk(whole, measure_energy(flac), options)
    assert left.keep_end == right.keep_start == pytest.approx(31.5 * SR, abs=800)
    assert (left.name, right.name) == ("0.0", "0.1")
    assert left.end - right.start == 2 * SR
    tiny = Chunk(0, 0, 15 * SR, 0, 15 * SR)
    with pytest.raises(stt.ChunkingError, match="too short"):
        split_chunk(tiny, measure_energy(flac), options)
