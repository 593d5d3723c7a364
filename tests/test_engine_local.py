"""The offline engine: the real tiny.en model on real speech."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import stt_toolkit as stt
from stt_toolkit import errors
from stt_toolkit.engines import LocalEngine, TranscribeOptions, create_engine
from stt_toolkit.engines.models import tiny_en_path
from stt_toolkit.wer import normalize_words, word_error_rate


@pytest.fixture(scope="module")
def engine() -> LocalEngine:
    return LocalEngine()


def one_chunk(path: Path) -> stt.ChunkAudio:
    info = stt.preprocess(path)
    [chunk] = stt.plan_chunks(info)
    audio = stt.export_chunk(info, chunk)
    if info.reencoded:
        info.path.unlink()
    return audio


# Word error rates tiny.en reached on these clips when the thresholds were set: 0 to 5 % on
# read speech, 12 % spontaneous, 25 % on the 6 s meeting excerpt.
CLIPS = [
    ("jfk_inaugural_1961_excerpt.wav", 0.08),
    ("librispeech_dev-clean_1272-128104-0000.wav", 0.08),
    ("librispeech_dev-clean_2412-153948-0000.flac", 0.08),
    ("librivox_sense_and_sensibility_0870.wav", 0.12),
    ("ljspeech_LJ001-0001.wav", 0.1),
    ("mfa_acoustic_corpus_spontaneous.wav", 0.2),
    ("ami_ES2011a_headset0_40-46s.wav", 0.4),
]


@pytest.mark.parametrize(("name", "threshold"), CLIPS, ids=[c[0] for c in CLIPS])
def test_word_error_rate_on_real_speech(engine: LocalEngine, shared_audio: Path, name: str, threshold: float) -> None:
    path = shared_audio / "short_en" / name
    result = asyncio.run(engine.transcribe(one_chunk(path), TranscribeOptions()))
    reference = path.with_suffix(".txt").read_text()
    assert word_error_rate(reference, result.text) <= threshold, result.text
    assert result.language == "en" and result.task == "transcribe"
    assert result.words and all(w.end >= w.start for w in result.words)
    assert all(s.avg_logprob is not None and s.no_speech_prob is not None for s in result.segments)
    assert result.duration == pytest.approx(result.chunk.duration, abs=0.01)


def test_english_only_model_refuses_to_translate(engine: LocalEngine, shared_audio: Path) -> None:
    audio = one_chunk(shared_audio / "short_en" / "jfk_inaugural_1961_excerpt.wav")
    with pytest.raises(errors.UnsupportedTask, match="English-only"):
        asyncio.run(engine.transcribe(audio, TranscribeOptions(task="translate")))


def test_decoding_runs_off_the_event_loop(engine: LocalEngine, shared_audio: Path) -> None:
    audio = one_chunk(shared_audio / "short_en" / "pyannote_sample_2spk_conversation.wav")
    ticks = 0

    async def ticker(stop: asyncio.Event) -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def main() -> float:
        stop = asyncio.Event()
        tick_task = asyncio.create_task(ticker(stop))
        started = time.monotonic()
        await engine.transcribe(audio, TranscribeOptions())
        stop.set()
        await tick_task
        return time.monotonic() - started

    elapsed = asyncio.run(main())
    assert ticks >= elapsed / 0.01 * 0.5, "the event loop kept running while the model decoded"


def test_model_choice(shared_audio: Path) -> None:
    explicit = LocalEngine(tiny_en_path())
    audio = one_chunk(shared_audio / "short_en" / "librispeech_dev-clean_1272-128104-0000.wav")
    assert asyncio.run(explicit.transcribe(audio, TranscribeOptions())).text.strip()
    with pytest.raises(errors.EngineError, match="not a CTranslate2"):
        asyncio.run(LocalEngine("/no/such/model/dir").transcribe(audio, TranscribeOptions()))


def test_auto_picks_local_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    assert create_engine("auto").name == "local"
    monkeypatch.setenv("GROQ_API_KEY", "gsk_x")
    engine = create_engine("auto")
    assert engine.name == "groq"
    asyncio.run(engine.aclose())
    with pytest.raises(ValueError, match="unknown engine"):
        create_engine("whisper.cpp")


@pytest.fixture(scope="module")
def base_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))  # assemble into a fresh cache
        yield LocalEngine("base")


def test_multilingual_base_translates_and_detects_languages(base_engine: LocalEngine, shared_audio: Path) -> None:
    from stt_toolkit.engines.models import base_path

    french = shared_audio / "non_en" / "picovoice_fr.wav"
    english = asyncio.run(base_engine.transcribe(one_chunk(french), TranscribeOptions(task="translate")))
    reference = french.with_name("picovoice_fr.en.txt").read_text()
    # base's greedy translation of this sentence sits on a knife edge: float-rounding changes in
    # numpy 2.4.4 turn "of waters and forests" into a loop. Check that it is English that
    # carries the reference's words, not an exact wording.
    heard = set(normalize_words(english.text))
    found = [w for w in set(normalize_words(reference)) if w in heard]
    assert english.task == "translate" and len(found) >= 0.4 * len(set(normalize_words(reference))), english.text
    assert not heard & {"le", "il", "des", "et"}, "translated, not transcribed"
    spanish = shared_audio / "non_en" / "mls_es_13697_11991_000000.opus"
    result = asyncio.run(base_engine.transcribe(one_chunk(spanish), TranscribeOptions()))
    assert result.language == "es"
    assert word_error_rate(spanish.with_suffix(".txt").read_text(), result.text) < 0.5, result.text
    assembled = base_path()
    assert (assembled / "model.bin").stat().st_size > 100_000_000
    assert base_path() == assembled, "assembled once, then reused"
