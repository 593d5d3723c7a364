"""Servers lay out words in two ways; the toolkit reads both into one form.

OpenAI and Groq send words bare (``"Okay,"``) and only at the top level of verbose_json;
servers built on faster-whisper send ``" Okay,"``, inside segments too. Every writer and every
repair path must give the same readable text from either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import srt
import webvtt

import stt_toolkit as stt
from stt_toolkit.testing import Action, FakeWhisperServer, Shape, in_shape

KEY = "gsk_test_word_shapes_0123456789"
SHAPES: list[Shape] = ["api", "faster-whisper"]
SENTENCE = "Okay, it's two minutes past 10, so let's get started."


def body(text: str, start: float, end: float, seconds: float, logprob: float = -0.2) -> dict[str, Any]:
    """A verbose_json answer saying ``text`` evenly between ``start`` and ``end``."""
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [{"word": t, "start": start + i * step, "end": start + (i + 0.8) * step} for i, t in enumerate(tokens)]
    return {"task": "transcribe", "language": "English", "duration": seconds, "text": " " + text,
            "segments": [{"id": 0, "start": start, "end": end, "text": " " + text, "avg_logprob": logprob,
                          "compression_ratio": 1.3, "no_speech_prob": 0.01, "temperature": 0.0}],
            "words": words}


def flat(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", text).split())


def rendered(transcript: stt.Transcript, tmp_path: Path) -> dict[str, str]:
    """What every writer says, as plain text with single spaces."""
    (tmp_path / "a.vtt").write_text(stt.render(transcript, "vtt"))
    (tmp_path / "b.vtt").write_text(stt.render(transcript, "vtt", highlight_words=True))
    again = stt.Transcript.from_json(transcript.to_json())
    return {
        "srt": flat(" ".join(s.content for s in srt.parse(stt.render(transcript, "srt")))),
        "vtt": flat(" ".join(c.text for c in webvtt.read(tmp_path / "a.vtt"))),
        "vtt words": flat(" ".join(c.text for c in webvtt.read(tmp_path / "b.vtt"))),
        "txt": flat(stt.render(transcript, "txt")),
        "text": flat(transcript.text),
        "json, read back, srt": flat(" ".join(s.content for s in srt.parse(stt.render(again, "srt")))),
    }


@pytest.mark.parametrize("shape", SHAPES)
def test_every_writer_keeps_the_spaces_between_words(shape: Shape, tmp_path: Path,
                                                     flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    with FakeWhisperServer(shape=shape) as server:
        server.script(Action(body=in_shape(body(SENTENCE, 0.5, 11.0, 12.0), shape)))
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url, fill_gaps=False)
    for writer, text in rendered(transcript, tmp_path).items():
        assert SENTENCE in text, f"{writer}: {text}"
    assert all(w.word.startswith(" ") for w in transcript.words), "one form inside the toolkit"
    assert [len(s.words) for s in transcript.segments] == [len(SENTENCE.split())]


@pytest.mark.parametrize("shape", SHAPES)
def test_gap_filling_works_against_either_shape(shape: Shape, tmp_path: Path,
                                                flac_with_silences: Callable[..., Path]) -> None:
    # 30 s of speech-loud audio; the first answer has words only in 0-8 s and 22-30 s.
    src = flac_with_silences(30.0, [])
    first = body("we begin here with the first part", 0.5, 8.0, 30.0)
    late = body("and this is how it ends", 22.0, 29.5, 30.0)
    first["segments"].append({**late["segments"][0], "id": 1})
    first["words"] += late["words"]
    first["text"] += late["text"]
    with FakeWhisperServer(shape=shape) as server:
        server.script(Action(body=in_shape(first, shape)))
        server.default = lambda path, fields, seconds: Action(
            body=in_shape(body("the middle part that the first answer skipped", 0.0, seconds, seconds), shape))
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url)
        assert len(server.records) >= 2, "the wordless stretch was sent again"
    for writer, text in rendered(transcript, tmp_path).items():
        assert "the middle part that the first answer skipped" in text, f"{writer}: {text}"
        assert text.index("first part") < text.index("middle part") < text.index("how it ends"), writer


@pytest.mark.parametrize("shape", SHAPES)
def test_retries_work_against_either_shape(shape: Shape, tmp_path: Path,
                                           flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])

    def answer(path: str, fields: dict[str, list[str]], seconds: float) -> Action:
        better = fields["model"][0] == "whisper-large-v3"
        text = "better words from the stronger model" if better else "mumbled guess of the fast model"
        return Action(body=in_shape(body(text, 0.1, seconds - 0.1, seconds, -0.3 if better else -1.3), shape))

    with FakeWhisperServer(shape=shape) as server:
        server.default = answer
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url, fill_gaps=False,
                                    model="whisper-large-v3-turbo", retry_model="whisper-large-v3")
    for writer, text in rendered(transcript, tmp_path).items():
        assert "better words from the stronger model" in text and "mumbled" not in text, f"{writer}: {text}"


@pytest.mark.parametrize("shape", SHAPES)
def test_the_stretched_word_redo_works_against_either_shape(shape: Shape, tmp_path: Path,
                                                            flac_with_silences: Callable[..., Path]) -> None:
    # The first answer's "the" lasts 4.6 s over speech-loud audio: Whisper skipped what was said.
    src = flac_with_silences(12.0, [])
    first = body("but the first", 1.0, 6.5, 12.0)
    first["words"] = [{"word": "but", "start": 1.0, "end": 1.3}, {"word": "the", "start": 1.4, "end": 6.0},
                      {"word": "first", "start": 6.0, "end": 6.5}]
    said = "but the first bible actually dated which also was printed at mainz by peter"
    with FakeWhisperServer(shape=shape) as server:
        server.script(Action(body=in_shape(first, shape)))
        server.default = lambda path, fields, seconds: Action(body=in_shape(body(said, 0.0, seconds, seconds), shape))
        transcript = stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url)
        redone = [r for r in server.records[1:] if abs(r.audio_seconds - 8.5) < 0.05]  # 1.0-6.5 s, 2 s each side
        assert len(redone) == 1, "the stretched segment was sent again"
    assert max(w.end - w.start for w in transcript.words) < 2.5, "the stretched word is gone"
    for writer, text in rendered(transcript, tmp_path).items():
        assert "bible actually dated" in text, f"{writer}: {text}"
