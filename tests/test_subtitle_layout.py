"""Subtitles that read well: breaks chosen over the whole text, cues that linger into pauses,
presets and single limits, on made-up word times and on real speech with the real model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import srt

from stt_toolkit import UsageError, transcribe
from stt_toolkit.assemble.quality import flag_segments
from stt_toolkit.core.options import SUBTITLE_STYLES, CueOptions, RunOptions
from stt_toolkit.core.records import Segment, Word
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.output.breaks import binds, break_cost, ends_sentence
from stt_toolkit.output.cues import Cue, build_cues
from stt_toolkit.output.writers import render

DATA = Path(__file__).parent / "data"


def spoken(text: str, start: float = 0.0, pace: float = 0.065, gaps: dict[int, float] | None = None) -> list[Word]:
    """Words of ``text`` one after another with no gaps (as Whisper times them), each lasting
    ``pace`` seconds a character plus 0.1 s; ``gaps`` adds a pause before the word at an index."""
    words, clock = [], start
    for index, token in enumerate(text.split()):
        clock += (gaps or {}).get(index, 0.0)
        length = 0.1 + pace * len(token)
        words.append(Word(" " + token, round(clock, 3), round(clock + length, 3), 0.9))
        clock += length
    return words


def transcript(words: list[Word], per_segment: int = 12) -> Transcript:
    parts = [words[k:k + per_segment] for k in range(0, len(words), per_segment)]
    segments = [Segment(i, part[0].start, part[-1].end, "".join(w.word for w in part), -0.2, 0.01, 1.4, 0.0,
                        tuple(part)) for i, part in enumerate(parts)]
    return Transcript("en", words[-1].end + 2.0, flag_segments(segments))


def lines_ending_on_binding_words(cues: list[Cue]) -> list[str]:
    return [" ".join(w.word.strip() for w in line) for cue in cues for line in cue.line_words if binds(line[-1])]


PARAGRAPH = ("It was a hard decision for me to leave my native country. We went to the market on Friday and "
             "bought the new display layout, and the option to return it. It worked. Can't you fake the clock? "
             "I think that the one where the music stops is the best, because I have a feeling that it is "
             "what people will remember about this evening. So we said yes.")


def test_no_line_ends_on_a_word_that_binds_to_the_next() -> None:
    cues = build_cues(transcript(spoken(PARAGRAPH)).segments)
    assert lines_ending_on_binding_words(cues) == []
    assert " ".join(" ".join(c.lines) for c in cues).split() == PARAGRAPH.split(), "every word once, in order"


def test_no_lone_word_and_no_sentence_tail_at_the_start_of_a_cue() -> None:
    for pace in (0.045, 0.065, 0.09):  # fast to slow speech: the cue limits fall in different places
        cues = build_cues(transcript(spoken(PARAGRAPH, pace=pace)).segments)
        assert [c.text for c in cues if len(c.words) == 1] == [], pace
        for previous, cue in zip(cues, cues[1:]):
            opening = [ends_sentence(w) for w in cue.words[:2]]
            assert ends_sentence(previous.words[-1]) or not any(opening[:len(cue.words) - 1]), (pace, cue.text)


def test_a_word_standing_alone_in_speech_keeps_its_own_cue() -> None:
    words = spoken("Well, I am not sure. Yes. Then we go on with the rest of it.", gaps={5: 1.5, 6: 1.5})
    cues = build_cues(transcript(words).segments)
    assert "Yes." in [c.text for c in cues]


def test_cues_linger_into_the_pause_to_be_read_but_never_reach_the_next_speech() -> None:
    options = CueOptions()
    words = spoken("Here is a sentence that takes a while to read.", start=1.0, pace=0.03)
    words += spoken("And here the next one starts.", start=words[-1].end + 3.0)
    first, second = build_cues(transcript(words, per_segment=20).segments, options)
    reading = len(first.text.replace("\n", " ")) / (options.max_chars_per_second * 0.85)
    assert first.start == words[0].start
    assert first.end > words[9].end + 0.5, "stays up after the last word"
    assert first.end == pytest.approx(first.start + reading, abs=0.01), "as long as reading it takes"
    assert second.start == pytest.approx(words[10].start) and second.start - first.end >= options.min_gap - 1e-6


def test_a_short_gap_is_closed_and_a_flash_is_joined_not_shown() -> None:
    options = CueOptions()
    words = spoken("This is the first thing we said today.", pace=0.02)
    words += spoken("And this comes just after it, without much of a pause.", start=words[-1].end + 0.3)
    cues = build_cues(transcript(words, per_segment=30).segments, options)
    for a, b in zip(cues, cues[1:]):
        assert b.start - a.end == pytest.approx(options.min_gap, abs=0.002), "a gap under 0.5 s is closed"
    # "So, what kind of thing?" with its word times collapsed into 0.12 s, then more speech at once
    collapsed = [Word(w.word, 5.0 + 0.02 * i, 5.02 + 0.02 * i, 0.9) for i, w in enumerate(spoken("So, what kind of thing?"))]
    later = spoken("Something that you could hold in your hand, I suppose.", start=5.12)
    cues = build_cues(transcript(collapsed + later, per_segment=30).segments, options)
    assert all(c.end - c.start >= options.min_duration for c in cues[:-1]), [(c.text, c.end - c.start) for c in cues]


def test_a_cue_never_starts_before_its_word_when_the_next_follows_at_once() -> None:
    # one word a cue (lines of 1 character), the words 40 ms apart: each cue starts at its word
    # and lasts at least the gap between cues; the next one waits rather than overlap
    options = CueOptions(max_line_chars=1)
    words = [Word(" so,", 1.0, 1.38, 0.9), Word(" my", 1.38, 1.42, 0.9), Word(" fellow", 1.42, 2.0, 0.9)]
    cues = build_cues(transcript(words).segments, options, audio_end=4.0)
    assert [c.text for c in cues] == ["so,", "my", "fellow"]
    for cue, word in zip(cues, words):
        assert cue.start >= word.start and cue.end - cue.start >= options.min_gap - 1e-6, cue
    assert all(b.start >= a.end + options.min_gap - 0.002 for a, b in zip(cues, cues[1:]))


def test_a_name_or_a_number_and_its_noun_stay_on_one_line() -> None:
    options = CueOptions(max_line_chars=24)
    [cue] = build_cues(transcript(spoken("She saw John Dashwood there today")).segments, options)
    assert cue.lines == ("She saw John Dashwood", "there today")
    assert break_cost(Word(" 15th", 0, 1), Word(" century", 1, 2)) > break_cost(Word(" old", 0, 1), Word(" city", 1, 2))


def test_abbreviations_do_not_end_sentences() -> None:
    assert not ends_sentence(Word(" Mr.", 0, 1)) and not ends_sentence(Word(" J.", 0, 1))
    assert ends_sentence(Word(" it.", 0, 1)) and ends_sentence(Word(" no.", 0, 1)) and ends_sentence(Word(" why?”", 0, 1))
    cues = build_cues(transcript(spoken("And Mr. John Dashwood had then leisure to consider how much there "
                                        "might be prudently in his power to do for them.")).segments)
    assert all(line[-1].word.strip() != "Mr." for c in cues for line in c.line_words)


def test_presets_and_single_limits() -> None:
    assert SUBTITLE_STYLES["netflix"] == CueOptions()
    assert (CueOptions.style("bbc").max_line_chars, CueOptions.style("bbc").max_chars_per_second) == (37, 17.0)
    assert CueOptions.style("compact", max_lines=1).max_lines == 1
    options = RunOptions(subtitle_style="compact", max_line_chars=18, max_cue_seconds=3.0).export_options().cues
    assert (options.max_line_chars, options.max_duration, options.max_lines) == (18, 3.0, 2)
    cues = build_cues(transcript(spoken(PARAGRAPH)).segments, options)
    assert all(len(line) <= 18 for c in cues for line in c.lines)
    assert all(c.end - c.start <= 3.0 + 1e-6 for c in cues)
    for bad, message in (({"subtitle_style": "tiktok"}, "unknown subtitle style"), ({"max_lines": 0}, "max_lines"),
                         ({"max_cps": float("nan")}, "max_cps"), ({"max_lines": "2"}, "max_lines"),
                         ({"min_cue_seconds": 8.0}, "min_cue_seconds"), ({"max_line_chars": True}, "max_line_chars")):
        with pytest.raises(UsageError, match=message):
            RunOptions(**bad)  # type: ignore[arg-type]


def test_vtt_notes_only_cues_whose_own_words_are_doubtful() -> None:
    words = spoken("This part is heard clearly and well.") + spoken("mumble grumble", start=6.0)
    words = [Word(w.word, w.start, w.end, 0.2 if w.start >= 6.0 else 0.95) for w in words]
    segment = Segment(0, 0.0, words[-1].end, "".join(w.word for w in words), -0.9, 0.7, 1.4, 0.0, tuple(words))
    flagged = Transcript("en", 10.0, flag_segments([segment]))
    assert set(flagged.segments[0].flags) & {"low_confidence", "no_speech"}, "the window's signals flag the segment"
    vtt = render(flagged, "vtt")
    assert vtt.count("NOTE") == 1 and vtt.index("NOTE") > vtt.index("heard clearly"), vtt


@pytest.fixture(scope="module")
def read_aloud() -> Transcript:
    """Three minutes 49 of one chapter read aloud (LJ Speech), transcribed by the real model."""
    return transcribe(DATA / "ljspeech_LJ001-0001_to_0032_continuous.opus", engine="local")


def test_real_speech_reads_well(read_aloud: Transcript, tmp_path: Path) -> None:
    options = CueOptions()
    cues = build_cues(read_aloud.segments, options, read_aloud.duration)
    assert lines_ending_on_binding_words(cues) == []
    assert [c.text for c in cues if len(c.words) == 1] == []
    fast = [c for c in cues if len(c.text.replace("\n", " ")) / (c.end - c.start) > options.max_chars_per_second]
    assert len(fast) <= 0.03 * len(cues), [c.text for c in fast]
    assert all(c.end - c.start >= options.min_duration for c in cues)
    assert [w.word for c in cues for w in c.words] == [w.word for s in read_aloud.segments for w in s.words]
    parsed = list(srt.parse(render(read_aloud, "srt")))
    assert len(parsed) == len(cues) and parsed[-1].end.total_seconds() <= read_aloud.duration


def test_the_cli_takes_a_style_and_a_limit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(DATA / "jfk_inaugural_1961_excerpt.flac"),
                           "-o", str(out), "--engine", "local", "-f", "srt", "--subtitle-style", "compact",
                           "--max-line-chars", "16"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    subs = list(srt.parse((out / "jfk_inaugural_1961_excerpt.srt").read_text(encoding="utf-8")))
    assert len(subs) >= 4 and all(len(line) <= 16 for s in subs for line in s.content.splitlines())
    assert all((s.end - s.start).total_seconds() <= 4.0 for s in subs)
    bad = subprocess.run([sys.executable, "-m", "stt_toolkit", "transcribe", str(DATA / "jfk_inaugural_1961_excerpt.flac"),
                          "-o", str(out), "--min-cue-seconds", "9"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--min-cue-seconds" in bad.stderr and "Traceback" not in bad.stderr
