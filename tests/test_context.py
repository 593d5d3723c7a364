"""Conditioning each chunk on the text before it: what goes into the prompt, and the waiting."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from stt_toolkit.assemble.context import CONTEXT_CHARS, previous_text, text_before, with_context
from stt_toolkit.audio.plan import plan_chunks
from stt_toolkit.core.options import ApiOptions, ChunkOptions, RunOptions, TranscribeOptions
from stt_toolkit.core.records import Chunk, ChunkResult, Segment, Word
from stt_toolkit.engines import GROQ, ApiEngine, LocalEngine
from stt_toolkit.run.chunks import transcribe_chunks
from stt_toolkit.run.file import transcribe_audio
from stt_toolkit.testing import Action, FakeWhisperServer
from stt_toolkit.testing.wer import word_error_rate

SR = 16000
KEY = "gsk_context_test_key_0123456789"


def result(start: float, end: float, words: list[tuple[str, float, float]], temperature: float = 0.0,
           with_words: bool = True) -> ChunkResult:
    """A chunk of file time [start, end] that heard ``words`` (file times), one segment each."""
    chunk = Chunk(0, round(start * SR), round(end * SR), round(start * SR), round(end * SR))
    local = [Word(f" {t}", s - start, e - start) for t, s, e in words]
    segments = tuple(Segment(i, w.start, w.end, w.word, -0.2, 0.01, 1.3, temperature, (w,) if with_words else ())
                     for i, w in enumerate(local))
    return ChunkResult(chunk, "transcribe", "".join(w.word for w in local), segments,
                       tuple(local) if with_words else (), "en", end - start, "m")


def test_only_words_said_before_the_next_chunk_starts_go_into_the_prompt() -> None:
    first = result(0, 32, [("one", 25.0, 25.5), ("two", 28.8, 29.4), ("three", 30.5, 31.0)])
    # the next chunk starts at 29.0: "two" (midpoint 29.1) is in the audio it hears itself
    assert text_before(first, 29.0) == "one"
    assert text_before(first, 40.0) == "one two three"
    without_words = result(0, 32, [("one", 25.0, 25.5), ("two", 28.8, 29.4)], with_words=False)
    assert text_before(without_words, 29.0) == "one", "segments count only when they end in time"


def test_a_decode_at_high_temperature_is_not_passed_on() -> None:
    looping = result(0, 30, [("la", 1.0, 2.0), ("la", 2.0, 3.0)], temperature=0.8)
    assert text_before(looping, 29.0) == ""
    mixed = ChunkResult(looping.chunk, "transcribe", "", looping.segments + result(
        0, 30, [("fine", 5.0, 5.5)]).segments, looping.words + (Word(" fine", 5.0, 5.5),), "en", 30.0, "m")
    assert text_before(mixed, 29.0) == "fine", "text after the bad segment still counts"


def test_previous_text_takes_the_latest_chunk_that_said_something_and_cuts_at_a_word() -> None:
    spoken = result(0, 32, [(f"word{i}", i * 0.5, i * 0.5 + 0.4) for i in range(40)])
    silent = result(30, 62, [])
    assert previous_text([spoken, silent], 60.0, max_chars=1000) == text_before(spoken, 60.0), "silence skipped"
    short = previous_text([spoken], 60.0, max_chars=40)
    assert len(short) <= 40 and short.endswith("word39") and short.split()[0].startswith("word")
    assert previous_text([spoken], 0.0) == "", "nothing is said before the first chunk"
    assert previous_text([], 10.0) == ""


def test_the_users_prompt_comes_first() -> None:
    options = TranscribeOptions(prompt="Glossary: Zed.")
    assert with_context(options, "said before").prompt == "Glossary: Zed. said before"
    assert with_context(TranscribeOptions(), "said before").prompt == "said before"
    assert with_context(options, "") is options


def _run(flac: Path, server: FakeWhisperServer, condition: bool) -> list[ChunkResult]:
    engine = ApiEngine(GROQ, api_key=KEY, base_url=server.url, options=ApiOptions(concurrency=4))
    chunks = plan_chunks(flac, ChunkOptions(target_seconds=20, overlap_seconds=4, search_seconds=2))

    async def go() -> list[ChunkResult]:
        try:
            return await transcribe_chunks(flac, chunks, engine, TranscribeOptions(prompt="Glossary: Zed."),
                                           condition_on_previous=condition)
        finally:
            await engine.aclose()
    return asyncio.run(go())


def test_prompted_chunks_go_one_after_another_over_http(
        flac_with_silences: Callable[[float, list[tuple[float, float]]], Path]) -> None:
    flac = flac_with_silences(75.0, [(19.0, 21.0), (38.0, 40.0), (57.0, 59.0)])
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(delay=0.2)
        at_once = _run(flac, server, condition=False)
        assert server.max_in_flight > 1
        assert {r.fields["prompt"][0] for r in server.records} == {"Glossary: Zed."}
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(delay=0.2)
        in_turn = _run(flac, server, condition=True)
        assert server.max_in_flight == 1, "each chunk waits for the one before it"
        records = sorted(server.records, key=lambda r: r.started)
    assert len(in_turn) == len(at_once) == len(records) == 4
    assert records[0].fields["prompt"] == ["Glossary: Zed."]
    for before, record, chunk in zip(in_turn, records[1:], in_turn[1:]):
        heard = [w for w in before.words
                 if before.chunk.start_seconds + (w.start + w.end) / 2 < chunk.chunk.start_seconds]
        assert heard, "the server's answers have a word a second"
        said = "".join(w.word for w in heard).strip()
        user, _, context = record.fields["prompt"][0].partition("Glossary: Zed. ")
        assert not user and said.endswith(context), "the user's prompt, then the end of what was said"
        assert len(said) > CONTEXT_CHARS >= len(context) > CONTEXT_CHARS - 12, "as much as fits, whole words"
        assert context.split()[0] in said.split()


def test_cli_flag_sends_a_files_chunks_in_turn(
        tmp_path: Path, flac_with_silences: Callable[[float, list[tuple[float, float]]], Path]) -> None:
    flac = flac_with_silences(45.0, [(19.0, 21.0)])
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(delay=0.3)
        env = {"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url, "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(flac), "-o", str(tmp_path),
                               "--engine", "groq", "--no-vad", "--chunk-seconds", "20", "--overlap-seconds", "4",
                               "--condition-on-previous", "--no-fill-gaps", "-q"],
                              capture_output=True, text=True, env=env, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        records = sorted(server.records, key=lambda r: r.started)
        assert len(records) >= 2 and server.max_in_flight == 1
        assert "prompt" not in records[0].fields, "no prompt of the user's and nothing said before"
        for before, record in itertools.pairwise(records):
            words = record.fields["prompt"][0].split()
            assert before.file_sha and all(w.startswith(f"w{before.file_sha[:6]}_") for w in words)


@pytest.mark.slow
def test_prompted_chunks_with_the_real_model_lose_nothing_at_the_starts(speech: Path,
                                                                        local_engine: LocalEngine) -> None:
    # LJSpeech reading, 60 s chunks with 2 s overlaps: each chunk prompted with the text before
    # it. Measured (bench/bench_merge.py, mean of 3 runs): 7.7 % WER unprompted, 5.2 % prompted,
    # 6.9 % whole-file. A prompt that echoed the overlap's words made tiny.en skip the first
    # words of every chunk ("the invention of movable" -> "movable").
    src = speech / "ljspeech_LJ001-0001_to_0032_continuous.opus"
    reference = src.with_suffix(".txt").read_text()
    engine = local_engine
    chunks = RunOptions(chunk_seconds=60, overlap_seconds=2, search_seconds=10)
    plain = asyncio.run(transcribe_audio(src, engine, chunks))
    prompted = asyncio.run(transcribe_audio(src, engine, replace(chunks, condition_on_previous=True)))
    assert len(prompted.chunks) == 4
    assert word_error_rate(reference, prompted.text) <= word_error_rate(reference, plain.text) + 0.005
    times = [w.start for w in prompted.words]
    assert times == sorted(times)
    starts = [c.start for c in prompted.chunks[1:]]
    for start in starts:
        said = [w.word.strip() for w in prompted.words if start <= w.start < start + 4]
        assert len(said) >= 6, f"words in the first 4 s of the chunk at {start:.1f} s: {said}"
