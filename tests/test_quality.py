"""Quality flags, the summary, and the Transcript's JSON round trip."""

from __future__ import annotations

import json

import pytest

from stt_toolkit.assemble.quality import flag_segments, segment_flags
from stt_toolkit.core.billing import Usage
from stt_toolkit.core.options import QualityOptions, RunOptions
from stt_toolkit.core.records import Segment, Word
from stt_toolkit.core.transcript import ChunkRecord, QualitySummary, Transcript, spoken_text


def seg(logprob: float | None = -0.2, no_speech: float | None = 0.01, ratio: float | None = 1.5,
        words: tuple[Word, ...] = (), start: float = 0.0, end: float = 2.0, text: str = " hi") -> Segment:
    return Segment(0, start, end, text, logprob, no_speech, ratio, 0.0, words)


@pytest.mark.parametrize(("segment", "flags"), [
    (seg(), ()),
    (seg(logprob=-0.7), ("low_confidence",)),
    (seg(logprob=-1.2), ("failed_decode", "low_confidence")),
    (seg(no_speech=0.8), ("no_speech",)),
    (seg(no_speech=0.8, logprob=-1.5), ("failed_decode", "low_confidence", "no_speech", "silence_hallucination")),
    (seg(ratio=2.6), ("repetition",)),
    (seg(logprob=None, no_speech=None, ratio=None), ()),
    (seg(words=(Word("a", 1.0, 1.0),)), ("timing",)),
    (seg(words=(Word("a", 1.0, 1.5), Word("b", 0.8, 1.9))), ("timing",)),
    (seg(words=(Word("a", 1.0, 1.5), Word("b", 1.5, 1.9))), ()),
])
def test_flags_follow_whispers_thresholds(segment: Segment, flags: tuple[str, ...]) -> None:
    assert segment_flags(segment) == flags


def test_thresholds_are_options_and_boundary_is_kept() -> None:
    strict = QualityOptions(low_logprob=-0.1)
    assert segment_flags(seg(logprob=-0.2), strict) == ("low_confidence",)
    from dataclasses import replace

    assert segment_flags(replace(seg(), flags=("boundary",))) == ("boundary",)


def test_hallucinations_leave_the_text_but_stay_flagged() -> None:
    segments = flag_segments([seg(text=" Hello."), seg(no_speech=0.9, logprob=-2, text=" Thanks for watching!"),
                              seg(text=" Bye.")])
    assert spoken_text(segments) == "Hello. Bye."
    assert spoken_text(segments, keep_hallucinations=True) == "Hello. Thanks for watching! Bye."
    kept = Transcript("en", 6.0, segments, options=RunOptions(keep_hallucinations=True))
    assert kept.text == "Hello. Thanks for watching! Bye." and Transcript("en", 6.0, segments).text == "Hello. Bye."
    assert "silence_hallucination" in segments[1].flags


def test_summary_shares() -> None:
    segments = flag_segments([seg(logprob=-0.7, start=0, end=10), seg(ratio=3, start=10, end=15),
                              seg(start=15, end=40)])
    summary = QualitySummary.of(segments, 40)
    assert summary.flagged_share == {"low_confidence": 0.25, "repetition": 0.125}
    assert summary.any_flag_share == 0.375 and summary.flagged_segments == 2
    assert QualitySummary.of(segments, 0) == QualitySummary()


def test_json_round_trip_is_lossless() -> None:
    segments = (
        Segment(0, 0.0, 2.5, " Héllo wörld, 日本語", -0.123456789, 0.0123, 1.61, 0.2,
                (Word(" Héllo", 0.0, 1.0, 0.91), Word(" wörld,", 1.0, 1.75, None), Word(" 日本語", 1.75, 2.5, 0.5)),
                "0", ("boundary",)),
        Segment(1, 2.5, 4.0, " no words", None, None, None, None, (), "1", ()),
    )
    transcript = Transcript(
        language="en", duration=4.000001, segments=segments,
        chunks=(ChunkRecord("0", 0.0, 3.0, "whisper-large-v3-turbo", "req_1", 2), ChunkRecord("1", 2.0, 4.0, "m")),
        usage=Usage(4.0, 20.0, 3, 1, {"whisper-large-v3-turbo": 10.0, "whisper-large-v3": 10.0}),
        unheard_speech=((3.0, 3.5),), options=RunOptions(engine="groq", api_key="gsk_secret", chunk_seconds=60),
    )
    assert transcript.text == "Héllo wörld, 日本語 no words"
    # boundary is informational: it counts in the shares, not among the flagged segments
    assert transcript.quality == QualitySummary({"boundary": 0.625}, 0.625, 0, ((3.0, 3.5),))
    text = transcript.to_json()
    again = Transcript.from_json(text)
    assert again == transcript and again.text == transcript.text and again.quality == transcript.quality
    assert "gsk_secret" not in text and transcript.options.api_key is None and again.options.chunk_seconds == 60
    data = json.loads(text)
    assert set(data) >= {"task", "language", "duration", "text", "segments", "words", "chunks", "usage", "quality"}
    assert set(data["segments"][0]) >= {"id", "start", "end", "text", "avg_logprob", "no_speech_prob",
                                        "compression_ratio", "temperature", "words", "chunk", "flags"}
    assert [w["word"] for w in data["words"]] == [" Héllo", " wörld,", " 日本語"]
    assert "日本語" in text, "UTF-8, not escaped"


def test_cost_prices_each_models_seconds_and_the_rest_as_the_default() -> None:
    prices = {"turbo": 0.04, "large": 0.111}
    usage = Usage(30.0, 40.0, 3, 0, {"turbo": 20.0, "large": 10.0})
    assert usage.cost(prices) == pytest.approx((0.04 * 20 + 0.111 * 10) / 3600)
    # 10 s not attributed (a transcript written before billing by model): the default's price
    assert usage.cost(prices, "turbo") == pytest.approx((0.04 * 30 + 0.111 * 10) / 3600)
    assert Usage(10.0, 10.0, 1, 0).cost(prices, "large") == pytest.approx(0.111 * 10 / 3600)
    assert Usage(10.0, 10.0, 1, 0, {"unknown": 10.0}).cost(prices) == 0.0
