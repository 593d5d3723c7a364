"""Chunks are planned and sent while the file still decodes, with the plan, the bytes and the
files of the whole-file path: real ffmpeg, the real VAD, the loopback API server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from stt_toolkit.audio import ffmpeg as ffmpeg_module
from stt_toolkit.audio.condense import write_sent_audio
from stt_toolkit.audio.decode import preprocess, preprocess_streaming
from stt_toolkit.audio.encode import encode_chunk, export_chunk
from stt_toolkit.audio.live import Tape, decode_live
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.audio.vad import speech_map
from stt_toolkit.core import errors
from stt_toolkit.core.options import ChunkOptions, RunOptions, VadOptions
from stt_toolkit.core.speech import FRAME, SkipMap, SpeechMap, settled_skips
from stt_toolkit.engines import GROQ, ApiEngine
from stt_toolkit.run import file as file_module
from stt_toolkit.run.file import FileHooks, transcribe_audio
from stt_toolkit.testing import Action, FakeWhisperServer

KEY = "gsk_stream_test_key"
OPTIONS = ChunkOptions(target_seconds=40.0, search_seconds=6.0, overlap_seconds=4.0)


@pytest.fixture(scope="module")
def long_mp3(speech_with_breaks: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About seven minutes of real speech and breaks (past two VAD batches) as 44.1 kHz stereo mp3."""
    samples, _ = sf.read(str(speech_with_breaks["path"]), dtype="int16")
    folder = tmp_path_factory.mktemp("stream")
    wav = folder / "long.wav"
    sf.write(wav, np.tile(samples, 5), 16000, subtype="PCM_16")
    mp3 = folder / "long.mp3"
    subprocess.run([ffmpeg_module.ffmpeg_binary(), "-v", "error", "-y", "-i", str(wav), "-ar", "44100", "-ac", "2",
                    "-b:a", "96k", str(mp3)], check=True)
    return mp3


def whole_file_path(source: Path, tmp: Path, vad: VadOptions | None, skip: bool) -> tuple[Path, Path, list]:
    """The plan as the whole-file functions make it, each step after the last: decode, speech
    map, skip plan, the speech alone, chunk plan."""
    info = preprocess(source, tmp / "whole.flac")
    if vad is None:
        return info.path, info.path, plan_chunks(info, OPTIONS)
    speech = speech_map(info)
    skips = SkipMap.plan(speech.spans(vad), info.frames, vad) if skip else SkipMap.whole(info.frames)
    if not skips.skips_anything:
        return info.path, info.path, plan_chunks(info, OPTIONS, speech)
    sent = write_sent_audio(info, skips, tmp / "whole.sent.flac")
    return info.path, sent.path, plan_chunks(sent, OPTIONS, speech.sent(skips))


@pytest.mark.parametrize("vad, skip", [(None, False), (VadOptions(), False), (VadOptions(), True)],
                         ids=["energy cuts", "vad cuts", "vad cuts and skipping"])
@pytest.mark.parametrize("kind", ["mp3", "flac"])
def test_the_live_plan_is_the_whole_file_plan(long_mp3: Path, tmp_path: Path, kind: str,
                                              vad: VadOptions | None, skip: bool) -> None:
    source = long_mp3 if kind == "mp3" else preprocess(long_mp3, tmp_path / "input.flac").path
    flac, sent_flac, chunks = whole_file_path(source, tmp_path, vad, skip)
    emitted: list = []
    live = decode_live(source, tmp_path / "live.flac", OPTIONS, lambda c, a: emitted.append((c, a)), vad=vad,
                       skip=skip)
    assert len(chunks) >= (4 if skip else 10)
    assert [c for c, _ in emitted] == live.chunks == chunks
    # the same samples, so the same bytes: the resume cache finds what an earlier run stored
    assert all(encode_chunk(c, a, 16000, OPTIONS.codec).data == export_chunk(sent_flac, c, OPTIONS.codec).data
               for c, a in emitted)
    assert sf.read(str(live.info.path), dtype="int16")[0].tobytes() == sf.read(str(flac), dtype="int16")[0].tobytes()
    assert sf.read(str(live.sent.path), dtype="int16")[0].tobytes() == sf.read(str(sent_flac), dtype="int16")[0].tobytes()
    assert live.skips.skips_anything == skip
    if skip:
        assert live.sent.duration < 0.8 * live.info.duration


def test_the_decode_hands_on_the_samples_it_writes(long_mp3: Path, tmp_path: Path) -> None:
    blocks: list[np.ndarray] = []
    info = preprocess_streaming(long_mp3, tmp_path / "a.flac", blocks.append)
    written, _ = sf.read(str(info.path), dtype="int16")
    assert len(blocks) > 10  # in pieces, as they come
    assert np.array_equal(np.concatenate(blocks), written)
    assert np.array_equal(written, sf.read(str(preprocess(long_mp3, tmp_path / "b.flac").path), dtype="int16")[0])


async def run_file(source: Path, server: FakeWhisperServer, options: RunOptions, hooks: FileHooks = FileHooks()):
    """``source`` through the loopback server, the engine opened and closed in one loop."""
    engine = ApiEngine(GROQ, api_key=KEY, base_url=server.url)
    try:
        return await transcribe_audio(source, engine, options, hooks=hooks)
    finally:
        await engine.aclose()


def test_the_first_request_goes_out_before_the_decode_ends(long_mp3: Path) -> None:
    decoded_at: list[float] = []
    hooks = FileHooks(on_decoded=lambda info, chunks: decoded_at.append(time.monotonic()))
    options = RunOptions(chunk_seconds=40.0, concurrency=8, vad=False)  # the VAD of a short file ends with it
    with FakeWhisperServer(latency=lambda seconds: 0.05) as server:
        transcript = asyncio.run(run_file(long_mp3, server, options, hooks))
        first = min(r.started for r in server.records)
    assert len(server.successes()) == len(transcript.chunks) >= 5
    assert first < decoded_at[0]  # sent while the rest of the file was still decoding


def test_a_fatal_answer_stops_the_decode_and_its_ffmpeg(long_mp3: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[object] = []

    def counted(audio, flac, options, emit, **kw):  # noqa: ANN001, ANN003, ANN202 - a spy
        return decode_live(audio, flac, options, lambda c, a: (handed.append(c), emit(c, a)), **kw)

    monkeypatch.setattr(file_module, "decode_live", counted)
    options = RunOptions(chunk_seconds=20.0, search_seconds=3.0, overlap_seconds=2.0, vad=False)
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(status=401, body={"error": {"message": "bad key"}})
        with pytest.raises(errors.AuthenticationError):
            asyncio.run(run_file(long_mp3, server, options))
        assert len(server.records) == 1
    whole = decode_live(long_mp3, long_mp3.with_suffix(".flac"), options.chunk_options(), None).chunks
    assert len(handed) < len(whole) // 2  # the decode stopped instead of handing out the rest
    assert not ffmpeg_module._live  # and its ffmpeg is gone


def test_a_file_found_damaged_at_its_end_fails_as_before(long_mp3: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp3"
    data = long_mp3.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(errors.TruncatedAudioError) as before:
        preprocess(cut, tmp_path / "a.flac")
    with pytest.raises(errors.TruncatedAudioError) as live:
        decode_live(cut, tmp_path / "b.flac", OPTIONS, lambda c, a: None)
    assert str(live.value) == str(before.value)


def probs_of(runs: list[tuple[bool, int]], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(0.55, 1.0, n) if speech else rng.uniform(0.0, 0.3, n) for speech, n in runs]
    return np.concatenate(parts).astype(np.float32)


def keep_mask(skips: SkipMap, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for piece in skips.pieces:
        mask[piece.start:min(piece.end, n)] = True
    return mask


@settings(max_examples=150, deadline=None)
@given(runs=st.lists(st.tuples(st.booleans(), st.integers(1, 150)), min_size=1, max_size=30),
       seed=st.integers(0, 1000), cut=st.floats(0.0, 1.0), min_skip=st.sampled_from([1.0, 2.0, 3.5]),
       pad=st.sampled_from([0.03, 0.3]))
def test_what_is_settled_while_analysing_never_changes(runs: list[tuple[bool, int]], seed: int, cut: float,
                                                       min_skip: float, pad: float) -> None:
    options = VadOptions(min_skip_seconds=min_skip, pad_seconds=pad)
    probs = probs_of(runs, seed)
    total = len(probs) * FRAME - seed % FRAME
    whole = SkipMap.plan(SpeechMap(probs, total).spans(options), total, options)
    known = max(1, int(cut * len(probs)))
    partial, settled = settled_skips(probs[:known], options)
    settled = min(settled, total)
    assert np.array_equal(keep_mask(partial, settled), keep_mask(whole, total)[:settled])
    ended = [(p.start, p.end) for p in partial.pieces if p.end < settled]
    assert ended == [(p.start, p.end) for p in whole.pieces][:len(ended)]


def test_the_tape_keeps_only_what_is_still_needed() -> None:
    tape = Tape()
    for i in range(10):
        tape.append(np.full(100, i, dtype=np.int16))
    assert tape.read(250, 260).tolist() == [2] * 10
    tape.drop_before(420)
    assert tape.start == 420 and tape.read(420, 430).tolist() == [4] * 10
    assert sum(len(b) for _, b in tape._blocks) == 580  # nothing before 420 is held
    with pytest.raises(ValueError):
        tape.read(400, 430)


def test_chunks_sent_before_damage_is_found_are_not_paid_for_again(long_mp3: Path, tmp_path: Path) -> None:
    """A cut-off file is found damaged only when its decode ends, after its first chunks went
    out; their answers stay in the resume cache, so taking what decodes (``--no-strict``)
    does not send them again."""
    folder = tmp_path / "in"
    folder.mkdir()
    data = long_mp3.read_bytes()
    (folder / "cut.mp3").write_bytes(data[:len(data) * 2 // 3])
    out = tmp_path / "out"
    with FakeWhisperServer() as server:
        def run(*flags: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(folder), "-o", str(out),
                                   "--engine", "groq", "--no-vad", "--chunk-seconds", "40", *flags],
                                  capture_output=True, text=True, timeout=300,
                                  env={**os.environ, "GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url})
        first = run()
        assert first.returncode == 1 and "truncated" in first.stderr and "Traceback" not in first.stderr
        sent_before = len(server.records)
        assert sent_before >= 2  # sent while decoding
        second = run("--no-strict")
        assert second.returncode == 0, second.stderr
        shas = [r.file_sha for r in server.records]
        assert len(shas) == len(set(shas))  # no chunk was sent twice
        assert (out / "cut.srt").exists()


def test_the_map_does_not_depend_on_how_stripes_are_batched(long_mp3: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The live decode's first batches are small (the first minutes' map comes sooner); the
    probabilities are those of full batches, bit for bit, so the cuts are too."""
    from stt_toolkit.audio import vad as vad_module

    flac = preprocess(long_mp3, tmp_path / "a.flac").path
    ramped = speech_map(flac).probs
    monkeypatch.setattr(vad_module, "RAMP", ())
    assert ramped.tobytes() == speech_map(flac).probs.tobytes()


@pytest.mark.parametrize("in_turn", [False, True], ids=["at once", "condition on previous"])
def test_a_chunk_refused_for_size_is_split_while_the_file_still_decodes(long_mp3: Path, in_turn: bool) -> None:
    """A 413 on a live chunk is split from the chunk's own samples: nothing waits for the
    whole file (which, sending in turn, would wait for the uploader: a deadlock)."""
    options = RunOptions(chunk_seconds=40.0, search_seconds=6.0, overlap_seconds=4.0, vad=False,
                         condition_on_previous=in_turn)
    with FakeWhisperServer() as server:
        server.script(Action(status=413, body={"error": {"message": "too large"}}))
        transcript = asyncio.run(asyncio.wait_for(run_file(long_mp3, server, options), 120))
    assert server.records[0].status == 413
    assert len(server.successes()) == len(server.records) - 1  # every other request answered, once
    assert len(transcript.chunks) == len(server.records) - 1  # the refused chunk went as two halves
