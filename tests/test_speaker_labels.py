"""Speaker labels on a transcript (pure): words to turns, smoothing, segment splits, names,
the JSON, and every writer's way of showing who speaks."""

from __future__ import annotations

import json

import pytest

from stt_toolkit import RunOptions, Transcript, UsageError, render
from stt_toolkit.assemble.speakers import Smoothing, label_words, with_speakers
from stt_toolkit.core.records import Segment, SpeakerTurn, Word


def words(*spec: tuple[str, float, float]) -> tuple[Word, ...]:
    return tuple(Word(f" {w}", a, b) for w, a, b in spec)


def transcript(segments: list[Segment], **options: object) -> Transcript:
    end = max(s.end for s in segments)
    return Transcript(language="en", duration=end + 1, segments=tuple(segments), options=RunOptions(**options))


def segment(i: int, ws: tuple[Word, ...]) -> Segment:
    return Segment(i, ws[0].start, ws[-1].end, "".join(w.word for w in ws), words=ws, chunk="0")


def test_each_word_goes_to_the_turn_that_covers_most_of_it() -> None:
    ws = words(("a", 0.0, 1.0), ("b", 1.8, 2.6), ("c", 5.0, 5.4), ("d", 9.0, 9.0))
    turns = [SpeakerTurn(0.0, 2.0, "X"), SpeakerTurn(2.0, 4.0, "Y"), SpeakerTurn(8.0, 10.0, "Z")]
    # b: 0.2 s in X, 0.6 s in Y; c lies in no turn: the nearest (Y ends 1 s before, Z starts 3 s after)
    assert label_words(ws, turns, Smoothing(0, 0)) == ["X", "Y", "Y", "Z"]
    assert label_words(ws, [], Smoothing(0, 0)) == [None] * 4


def test_a_short_flip_inside_continuous_speech_is_smoothed_but_not_across_a_pause() -> None:
    ws = words(("one", 0.0, 0.4), ("two", 0.45, 0.8), ("three", 0.85, 1.2), ("four", 1.25, 1.6), ("five", 1.65, 2.0))
    turns = [SpeakerTurn(0.0, 0.82, "A"), SpeakerTurn(0.82, 1.22, "B"), SpeakerTurn(1.22, 2.0, "A")]
    assert label_words(ws, turns, Smoothing(0, 0)) == ["A", "A", "B", "A", "A"]
    assert label_words(ws, turns) == ["A"] * 5
    # the same flip set off by pauses is a real interjection: kept
    paused = words(("one", 0.0, 0.4), ("two", 0.45, 0.8), ("yes", 1.3, 1.6), ("four", 2.1, 2.4), ("five", 2.45, 2.8))
    turns = [SpeakerTurn(0.0, 1.0, "A"), SpeakerTurn(1.0, 1.9, "B"), SpeakerTurn(1.9, 3.0, "A")]
    assert label_words(paused, turns) == ["A", "A", "B", "A", "A"]


def test_a_change_with_no_pause_moves_to_the_pause_a_word_away() -> None:
    # A says "so that is it." and B answers "Right, thanks a lot"; the diarizer's boundary
    # comes late and gives B's first word to A
    ws = words(("so", 0.0, 0.3), ("that", 0.35, 0.6), ("is", 0.65, 0.8), ("it.", 0.85, 1.1),
               ("Right,", 1.6, 1.9), ("thanks", 1.95, 2.4), ("a", 2.45, 2.6), ("lot", 2.65, 3.0))
    turns = [SpeakerTurn(0.0, 1.8, "A"), SpeakerTurn(1.8, 3.0, "B")]
    assert label_words(ws, turns, Smoothing(0, 0)) == ["A"] * 5 + ["B"] * 3
    assert label_words(ws, turns) == ["A"] * 4 + ["B"] * 4


def test_segments_split_at_each_change_and_speakers_named_in_order_of_appearance() -> None:
    first = words(("Hello", 0.0, 0.5), ("there.", 0.6, 1.0), ("Hi", 2.0, 2.3), ("Ana.", 2.4, 2.8))
    second = words(("How", 4.0, 4.3), ("are", 4.4, 4.6), ("you?", 4.7, 5.0))
    turns = [SpeakerTurn(0.0, 1.2, "S7"), SpeakerTurn(1.8, 3.0, "S2"), SpeakerTurn(3.8, 5.2, "S7"),
             SpeakerTurn(8.0, 9.0, "S9")]  # S9 says no word
    labelled = with_speakers(transcript([segment(0, first), segment(1, second)]), turns, ["Ben"])
    assert [(s.id, s.text, s.speaker) for s in labelled.segments] == [
        (0, " Hello there.", "Ben"), (1, " Hi Ana.", "Speaker 2"), (2, " How are you?", "Ben")]
    assert labelled.segments[0].start == 0.0 and labelled.segments[1].start == 2.0
    assert [w.speaker for w in labelled.words] == ["Ben"] * 2 + ["Speaker 2"] * 2 + ["Ben"] * 3
    assert labelled.text == "Hello there. Hi Ana. How are you?"
    stats = {s.name: s for s in labelled.speakers}
    assert list(stats) == ["Ben", "Speaker 2", "Speaker 3"]
    assert stats["Ben"].talk_seconds == pytest.approx(2.6) and stats["Ben"].words == 5
    assert stats["Speaker 3"].words == 0
    assert sum(s.share for s in labelled.speakers) == pytest.approx(1.0, abs=1e-3)


def test_segments_without_words_take_the_speaker_of_their_time() -> None:
    plain = [Segment(0, 0.0, 3.0, " Bonjour."), Segment(1, 3.5, 6.0, " Merci.")]
    labelled = with_speakers(transcript(plain), [SpeakerTurn(0.0, 3.2, "x"), SpeakerTurn(3.2, 6.0, "y")])
    assert [s.speaker for s in labelled.segments] == ["Speaker 1", "Speaker 2"]


def test_the_json_keeps_speakers_and_stays_as_before_without_them() -> None:
    ws = words(("Hello", 0.0, 0.5), ("you", 1.5, 2.0))
    plain = transcript([segment(0, ws)], speakers="auto")
    before = json.loads(plain.to_json())
    assert "speakers" not in before and all("speaker" not in w for w in before["words"])
    labelled = with_speakers(plain, [SpeakerTurn(0.0, 1.0, "a"), SpeakerTurn(1.0, 2.0, "b")], ["Ana", "Ben"])
    data = json.loads(labelled.to_json())
    assert [s["name"] for s in data["speakers"]] == ["Ana", "Ben"]
    assert [w["speaker"] for w in data["words"]] == ["Ana", "Ben"]
    assert data["speaker_turns"][1] == {"start": 1.0, "end": 2.0, "speaker": "Ben"}
    again = Transcript.from_json(labelled.to_json())
    assert again == labelled and again.speakers == labelled.speakers


def dialogue() -> Transcript:
    ana = words(("Did", 0.0, 0.3), ("you", 0.35, 0.5), ("see", 0.55, 0.8), ("it?", 0.85, 1.1))
    ben = words(("Yes.", 1.6, 2.0))
    ana2 = words(("And", 2.6, 2.8), ("what", 2.85, 3.0), ("did", 3.05, 3.2), ("you", 3.25, 3.4), ("think?", 3.45, 3.9))
    turns = [SpeakerTurn(0.0, 1.3, "a"), SpeakerTurn(1.4, 2.2, "b"), SpeakerTurn(2.5, 4.0, "a")]
    return with_speakers(transcript([segment(0, ana), segment(1, ben), segment(2, ana2)]), turns, ["Ana", "Ben <3>"])


def test_srt_names_each_turn_and_starts_a_cue_at_every_change() -> None:
    srt = render(dialogue(), "srt")
    blocks = [b.split("\n", 2)[2] for b in srt.strip().split("\n\n")]
    assert blocks == ["Ana: Did you see it?", "Ben <3>: Yes.", "Ana: And what did you think?"]


def test_srt_dashes_put_a_short_exchange_in_one_cue() -> None:
    srt = render(dialogue(), "srt", speaker_style="dashes")
    blocks = [b.split("\n", 2)[2] for b in srt.strip().split("\n\n")]
    assert blocks[0] == "- Did you see it?\n- Yes."
    assert blocks[1] == "And what did you think?"
    with pytest.raises(UsageError, match="speaker_style"):
        render(dialogue(), "srt", speaker_style="bold")


def test_vtt_has_a_voice_span_on_every_line() -> None:
    vtt = render(dialogue(), "vtt")
    assert "<v Ana>Did you see it?</v>" in vtt
    assert "<v Ben &lt;3&gt;>Yes.</v>" in vtt  # a name cannot break the cue's markup
    karaoke = render(dialogue(), "vtt", highlight_words=True)
    assert "<v Ana>Did <00:00:00.350>you" in karaoke


def test_txt_has_a_paragraph_per_turn_led_by_the_name() -> None:
    assert render(dialogue(), "txt") == "Ana: Did you see it?\n\nBen <3>: Yes.\n\nAna: And what did you think?\n"
    plain = transcript([segment(0, words(("Hello", 0.0, 0.5)))])
    assert render(plain, "txt") == "Hello\n"


@pytest.mark.parametrize("options, message", [
    ({"speakers": "many"}, "speakers must be 'auto'"),
    ({"speakers": 0}, "at least 1"),
    ({"speakers": 2, "max_speakers": 3}, "not both"),
    ({"min_speakers": 4, "max_speakers": 2}, "over max_speakers"),
    ({"speakers": "auto", "speaker_names": "Ana, Ana"}, "twice"),
    ({"speaker_names": "Ana"}, "needs speakers"),
    ({"speakers": 2.5}, "speakers must be"),
    ({"speakers": True}, "speakers must be"),
    ({"min_speakers": 0}, "min_speakers must be at least 1"),
    ({"speakers": 2, "speaker_names": "Ana,,Ben"}, "empty name at position 2"),
    ({"speakers": 2, "speaker_names": "Ana,Ben,Cy"}, "3 names for 2 speakers"),
    ({"speakers": 2, "speaker_names": "Ana\nEvil,Ben"}, "one line"),
    ({"speakers": 2, "speaker_names": "<b>Ana</b>"}, "without < >"),
    ({"speakers": 2, "speaker_names": "{\\an8}Ana"}, "without < >"),
    ({"speakers": 2, "speaker_names": "A" * 33}, "at most 32"),
])
def test_speaker_options_that_cannot_work_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        RunOptions(**options).validate()  # type: ignore[arg-type]


def test_speaker_names_come_as_text_or_a_list() -> None:
    assert RunOptions(speakers="auto", speaker_names=" Ana , Ben ,").speaker_names == ("Ana", "Ben")
    assert RunOptions(speakers=2, speaker_names=["Ana", "Ben"]).speaker_names == ("Ana", "Ben")
    assert RunOptions(max_speakers=3).labels_speakers and not RunOptions().labels_speakers


def test_a_name_before_a_cue_fits_in_the_line_length() -> None:
    said = "the committee agreed that the budget for next year should stay as it is for now".split()
    ws = tuple(Word(f" {w}", i * 0.3, i * 0.3 + 0.25) for i, w in enumerate(said))
    labelled = with_speakers(transcript([segment(0, ws)]), [SpeakerTurn(0.0, 30.0, "a")], ["Alexandra"])
    srt = render(labelled, "srt")
    lines = [line for block in srt.strip().split("\n\n") for line in block.split("\n")[2:]]
    assert lines[0].startswith("Alexandra: the committee")
    assert max(len(line) for line in lines) <= 42
    assert " ".join(lines).replace("Alexandra: ", "") == " ".join(said)
