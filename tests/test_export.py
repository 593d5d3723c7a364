"""Subtitles and exports: independent parsers, ffmpeg, property tests, edge cases."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from stt_toolkit.assemble.quality import flag_segments
from stt_toolkit.audio.ffmpeg import ffmpeg_binary
from stt_toolkit.core.options import RunOptions
from stt_toolkit.core.records import Segment, Word
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.output.cues import CueOptions, build_cues
from stt_toolkit.output.timecode import format_timestamp
from stt_toolkit.output.writers import render, save, write_outputs


def transcript_of(words: list[tuple[str, float, float]], per_segment: int = 8, language: str = "en",
                  **segment_values: float) -> Transcript:
    segments = []
    for k in range(0, len(words), per_segment):
        group = tuple(Word(t, s, e) for t, s, e in words[k:k + per_segment])
        segments.append(Segment(len(segments), group[0].start, group[-1].end, "".join(w.word for w in group),
                                segment_values.get("avg_logprob", -0.2), segment_values.get("no_speech_prob", 0.01),
                                1.5, 0.0, group))
    duration = words[-1][2] + 1 if words else 0.0
    return Transcript(language, duration, flag_segments(segments))


def speech(n: int, start: float = 0.0, step: float = 0.4, text: str = "word") -> list[tuple[str, float, float]]:
    return [(f" {text}{i}", start + i * step, start + i * step + step * 0.8) for i in range(n)]


def vtt_captions(text: str) -> list[webvtt.Caption]:
    return list(webvtt.from_buffer(io.StringIO(text)))


def ffmpeg_converts(tmp_path: Path, text: str, ext: str) -> None:
    src = tmp_path / f"subs.{ext}"
    src.write_text(text, encoding="utf-8")
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src), str(tmp_path / "out.ass")],
                   check=True, capture_output=True)
    assert "Dialogue:" in (tmp_path / "out.ass").read_text(encoding="utf-8")


def test_srt_and_vtt_parse_and_round_trip_times(tmp_path: Path) -> None:
    transcript = transcript_of(speech(120) + speech(30, start=60, text="later"))
    cues = build_cues(transcript.segments)
    parsed_srt = list(srt.parse(render(transcript, "srt")))
    assert [p.index for p in parsed_srt] == list(range(1, len(cues) + 1))
    for cue, sub in zip(cues, parsed_srt):
        assert sub.start.total_seconds() == pytest.approx(cue.start, abs=0.001)
        assert sub.end.total_seconds() == pytest.approx(cue.end, abs=0.001)
        assert sub.content == cue.text
    vtt_text = render(transcript, "vtt")
    assert vtt_text.startswith("WEBVTT\n\n")
    for cue, caption in zip(cues, vtt_captions(vtt_text)):
        assert caption.start_in_seconds + caption.start_time.milliseconds / 1000 == pytest.approx(cue.start, abs=0.001)
        assert caption.text == cue.text
    ffmpeg_converts(tmp_path, render(transcript, "srt"), "srt")
    ffmpeg_converts(tmp_path, vtt_text, "vtt")


def test_karaoke_vtt(tmp_path: Path) -> None:
    transcript = transcript_of(speech(20))
    text = render(transcript, "vtt", highlight_words=True)
    captions = vtt_captions(text)
    assert "<00:00:00.400>word1" in text
    assert [c.text.split() for c in captions][0][:2] == ["word0", "word1"], "webvtt-py strips the timestamps"
    ffmpeg_converts(tmp_path, text, "vtt")


def test_text_is_escaped_and_never_contains_an_arrow(tmp_path: Path) -> None:
    transcript = transcript_of([(" a", 0.0, 0.5), (" <b>&", 0.5, 1.0), (" -->", 1.0, 1.5), (" b", 1.5, 2.0)])
    vtt_text = render(transcript, "vtt")
    payload = vtt_text.split("\n", 3)[3]
    assert "-->" not in payload and "<b>" not in payload and "&lt;b&gt;&amp;" in payload
    assert vtt_captions(vtt_text)[0].text == "a &lt;b&gt;&amp; → b"
    assert "-->" not in render(transcript, "srt").split("\n", 2)[2]


def test_edge_cases(tmp_path: Path) -> None:
    empty = Transcript(None, 0.0, ())
    assert render(empty, "srt") == "" and render(empty, "vtt") == "WEBVTT\n\n" and render(empty, "txt") == ""
    assert vtt_captions(render(empty, "vtt")) == []
    one = transcript_of([(" Hello.", 1.0, 1.2)])
    [cue] = list(srt.parse(render(one, "srt")))
    assert cue.content == "Hello." and cue.end.total_seconds() == pytest.approx(1.0 + 5 / 6, abs=0.001)
    long = transcript_of(speech(10, start=3 * 3600 - 5))
    assert "02:59:55,000" in render(long, "srt") and "02:59:55.000" in render(long, "vtt")
    assert format_timestamp(100 * 3600 + 0.0006) == "100:00:00,001"
    ffmpeg_converts(tmp_path, render(long, "srt"), "srt")


def test_japanese_counts_characters() -> None:
    text = "今日はとても良い天気ですね私たちは公園に行きました。そして昼ご飯を食べました。" * 3
    words = [(ch, i * 0.12, i * 0.12 + 0.1) for i, ch in enumerate(text)]
    transcript = transcript_of(words, per_segment=30, language="ja")
    cues = build_cues(transcript.segments, CueOptions(max_line_chars=16))
    assert all(len(line) <= 16 for c in cues for line in c.lines)
    assert "".join("".join(c.lines) for c in cues) == text, "no spaces added, nothing lost"
    assert render(transcript, "txt").strip() == text


def test_right_to_left_text_passes_through(tmp_path: Path) -> None:
    words = [(" مرحبا", 0.0, 0.5), (" بكم", 0.5, 1.0), (" في", 1.0, 1.3), (" البرنامج", 1.3, 2.0)]
    transcript = transcript_of(words, language="ar")
    [sub] = list(srt.parse(render(transcript, "srt")))
    assert sub.content == "مرحبا بكم في البرنامج"
    ffmpeg_converts(tmp_path, render(transcript, "vtt"), "vtt")


def test_txt_paragraphs_and_hallucinations() -> None:
    transcript = transcript_of(speech(5) + speech(5, start=10, text="next"), per_segment=5)
    assert render(transcript, "txt") == "word0 word1 word2 word3 word4\n\nnext0 next1 next2 next3 next4\n"
    ghost = transcript_of([(" Thanks", 0.0, 0.5), (" for", 0.5, 1.0), (" watching!", 1.0, 1.5)],
                          avg_logprob=-1.5, no_speech_prob=0.9)
    assert render(ghost, "txt") == "" and render(ghost, "srt") == ""


def test_every_format_follows_the_hallucination_setting_the_transcript_records() -> None:
    # A flagged silence hallucination between two sentences: with keep_hallucinations the
    # text and every format keep it; without, none does (the TXT once dropped it regardless).
    segments = flag_segments([
        Segment(0, 0.0, 2.0, " Hello there.", -0.2, 0.01, 1.2, 0.0,
                (Word(" Hello", 0.0, 0.8), Word(" there.", 0.8, 2.0))),
        Segment(1, 4.0, 6.0, " Thanks for watching!", -1.5, 0.9, 1.2, 0.0,
                (Word(" Thanks", 4.0, 4.5), Word(" for", 4.5, 5.0), Word(" watching!", 5.0, 6.0))),
        Segment(2, 8.0, 9.0, " Bye.", -0.2, 0.01, 1.2, 0.0, (Word(" Bye.", 8.0, 9.0),))])
    assert "silence_hallucination" in segments[1].flags
    for keep in (True, False):
        transcript = Transcript("en", 10.0, segments, options=RunOptions(keep_hallucinations=keep))
        shown = {"text": transcript.text, "json": Transcript.from_json(render(transcript, "json")).text,
                 **{fmt: render(transcript, fmt) for fmt in ("srt", "vtt", "txt")}}
        for name, text in shown.items():
            assert ("watching" in text) is keep, (keep, name, text)
            assert "Hello" in text and "Bye." in text, name


def test_translation_segments_without_words_are_split_by_characters() -> None:
    segment = Segment(0, 0.0, 10.0, " " + "This is a fairly long translated sentence without any word times. " * 2)
    transcript = Transcript("en", 10.0, (segment,), task="translate")
    cues = build_cues(transcript.segments)
    assert len(cues) >= 2
    assert " ".join(c.text.replace("\n", " ") for c in cues) == segment.text.strip()
    assert cues[0].start == 0.0 and cues[-1].end <= 10.0 + 1


def test_write_outputs_and_save(tmp_path: Path) -> None:
    transcript = transcript_of(speech(12))
    paths = write_outputs(transcript, tmp_path / "out", "talk", ["srt", "vtt", "json", "txt"])
    assert [p.name for p in paths] == ["talk.srt", "talk.vtt", "talk.json", "talk.txt"]
    assert Transcript.from_json(paths[2].read_text(encoding="utf-8")) == transcript
    assert save(transcript, tmp_path / "again.srt").read_text() == render(transcript, "srt")
    with pytest.raises(ValueError, match="unknown format"):
        save(transcript, tmp_path / "x.docx")
    assert not list((tmp_path / "out").glob(".*"))


word_lists = st.lists(
    st.tuples(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P")), min_size=1, max_size=50),
              st.floats(0.0, 3.0), st.floats(0.0, 1.5)),
    min_size=1, max_size=120)


@settings(max_examples=300, deadline=None)
@given(items=word_lists, max_chars=st.integers(10, 50))
def test_cue_properties(items: list[tuple[str, float, float]], max_chars: int) -> None:
    words, clock = [], 0.0
    for text, gap, length in items:
        start = clock + gap
        words.append((" " + text, round(start, 3), round(start + length, 3)))
        clock = start + length
    transcript = transcript_of(words, per_segment=7)
    options = CueOptions(max_line_chars=max_chars)
    cues = build_cues(transcript.segments, options)
    assert [w.word for c in cues for w in c.words] == [w for w, _, _ in words], "every word once, in order"
    for cue in cues:
        assert 1 <= len(cue.lines) <= options.max_lines
        for line, group in zip(cue.lines, cue.line_words):
            assert len(line) <= max_chars or len(group) == 1
        assert cue.end > cue.start
        assert cue.end - cue.start <= options.max_duration + 0.001
    for a, b in zip(cues, cues[1:]):
        assert b.start >= a.end + options.min_gap - 0.002, "never overlapping, 2 frames apart"
        if b.start - a.start >= options.min_duration + options.min_gap + 0.002:
            assert a.end - a.start >= min(options.min_duration, options.max_duration) - 0.002
    parsed = list(srt.parse(render(transcript, "srt", options)))
    assert len(parsed) == len(cues)
