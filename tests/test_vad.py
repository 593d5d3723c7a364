"""The voice-activity map (real Silero model on real speech), the skip plan and its time map,
text over non-speech, and chunk cuts where speech is least likely."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from stt_toolkit.assemble.speech import flag_non_speech, restore_skipped
from stt_toolkit.audio.plan import plan_from_energy
from stt_toolkit.audio.vad import BATCH, STRIPE_SECONDS, speech_map
from stt_toolkit.core.flags import NON_SPEECH_TEXT
from stt_toolkit.core.errors import UsageError
from stt_toolkit.core.options import ChunkOptions, RunOptions, VadOptions
from stt_toolkit.core.records import EnergyProfile, Segment, Word
from stt_toolkit.core.speech import FRAME, SkipMap, SpeechMap
from stt_toolkit.core.transcript import Transcript

from .conftest import DATA

SR = 16000


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_speech_is_found_and_breaks_are_not(speech_with_breaks: dict) -> None:
    found = speech_map(speech_with_breaks["path"]).spans()
    for clip in speech_with_breaks["clips"]:
        covered = sum(overlap(clip, s) for s in found)
        assert covered > 0.6 * (clip[1] - clip[0]), f"clip {clip} is mostly speech"
    for kind, start, end in speech_with_breaks["breaks"]:
        inside = sum(overlap((start + 0.3, end - 0.3), s) for s in found)
        assert inside == 0, f"the {kind} break {start:.1f}-{end:.1f} s holds no speech, found {found}"


def test_the_map_is_the_same_in_every_stripe_and_batch(tmp_path: Path) -> None:
    clip, _ = sf.read(DATA / "jfk_inaugural_1961_excerpt.flac", dtype="float32")
    period = len(clip) + 3 * SR + 100  # not a whole number of frames: stripes fall anywhere in it
    rounds = int(BATCH * STRIPE_SECONDS * SR / period) + 3  # past the first batch of stripes
    one = np.concatenate([clip, np.zeros(period - len(clip), dtype=np.float32)])
    sf.write(tmp_path / "tiled.flac", np.tile(one, rounds), SR, subtype="PCM_16")
    spans = speech_map(tmp_path / "tiled.flac").spans()
    first = [(a, b) for a, b in spans if b <= period / SR]
    assert first, "the clip holds speech"
    for n in range(1, rounds):
        shifted = [(a - n * period / SR, b - n * period / SR) for a, b in spans
                   if n * period / SR <= a < (n + 1) * period / SR]
        assert len(shifted) == len(first), f"round {n}"
        assert np.allclose(shifted, first, atol=0.1), f"round {n}: {shifted} vs {first}"
    assert speech_map(tmp_path / "tiled.flac").probs.tobytes() == speech_map(tmp_path / "tiled.flac").probs.tobytes()


def probs_for(spans: list[tuple[float, float]], seconds: float) -> SpeechMap:
    frames = int(seconds * SR) // FRAME
    probs = np.zeros(frames, dtype=np.float32)
    for a, b in spans:
        probs[int(a * SR) // FRAME:int(b * SR) // FRAME] = 0.9
    return SpeechMap(probs, frames * FRAME)


def test_long_non_speech_is_left_out_and_short_pauses_are_kept() -> None:
    speech = probs_for([(5.0, 10.0), (11.5, 14.0), (40.0, 50.0)], 60.0)
    skips = SkipMap.plan(speech.spans(), speech.total_samples)
    kept = [(p.start / SR, p.end / SR) for p in skips.pieces]
    assert len(kept) == 2, "the 1.5 s pause stays, the 26 s break goes"
    assert kept[0][0] == pytest.approx(4.5, abs=0.07) and kept[0][1] == pytest.approx(14.5, abs=0.07)
    assert skips.skipped[0] == pytest.approx((0.0, kept[0][0])) and len(skips.skipped) == 3
    assert skips.sent_seconds == pytest.approx(10.0 + 11.0, abs=0.2)
    for sent, file in ((0.0, kept[0][0]), (1.0, kept[0][0] + 1.0), (kept[0][1] - kept[0][0] + 0.5, kept[1][0] + 0.5)):
        assert skips.to_file(sent) == pytest.approx(file, abs=1e-6)


@given(st.lists(st.tuples(st.floats(0, 590), st.floats(0.3, 20)), max_size=12), st.floats(2.0, 8.0))
def test_the_time_map_is_monotonic_and_keeps_all_speech(raw: list[tuple[float, float]], min_skip: float) -> None:
    spans = sorted((a, min(600.0, a + d)) for a, d in raw)
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    skips = SkipMap.plan(merged, 600 * SR, VadOptions(min_skip_seconds=min_skip))
    if not merged:
        assert not skips.pieces and skips.skipped == ((0.0, 600.0),)
        return
    for a, b in merged:
        assert any(p.start <= a * SR + 1 and b * SR - 1 <= p.end for p in skips.pieces), "speech is sent"
    times = np.linspace(0, skips.sent_seconds, 200)
    mapped = [skips.to_file(t) for t in times]
    assert all(x <= y + 1e-9 for x, y in zip(mapped, mapped[1:]))
    assert all(any(p.start / SR - 1e-9 <= m <= p.end / SR + 1e-9 for p in skips.pieces) for m in mapped)
    for x, y in skips.skipped:
        assert y - x >= min_skip - 1.0 - 2 * FRAME / SR


def words(*spec: tuple[str, float, float]) -> tuple[Word, ...]:
    return tuple(Word(f" {w}", a, b) for w, a, b in spec)


def test_a_segment_across_a_joint_is_split_and_timed_in_the_file() -> None:
    skips = SkipMap.plan([(1.0, 4.0), (30.0, 33.0)], 40 * SR)  # pieces 0-4.5 and 29.5-33.5 s
    ws = words(("before", 3.5, 4.1), ("the", 4.2, 4.45), ("break", 4.55, 5.0))  # sent time; joint at 4.5
    segment = Segment(0, 3.3, 5.1, " before the break", words=ws)
    t = restore_skipped(Transcript("en", 8.0, (segment,)), skips, 40.0)
    assert [s.text for s in t.segments] == [" before the", " break"]
    assert t.duration == 40.0 and len(t.skipped) == 2, "0.5 s before the first word is not worth leaving out"
    assert np.allclose(t.skipped, ((4.5, 29.5), (33.5, 40.0)), atol=FRAME / SR)
    offsets = [p.start / SR - p.sent_start / SR for p in skips.pieces]
    got = [(w.word, w.start, w.end) for w in t.words]
    expected = [(" before", 3.5 + offsets[0], 4.1 + offsets[0]), (" the", 4.2 + offsets[0], 4.45 + offsets[0]),
                (" break", 4.55 + offsets[1], 5.0 + offsets[1])]
    assert [w for w, _, _ in got] == [w for w, _, _ in expected]
    assert np.allclose([t[1:] for t in got], [t[1:] for t in expected])
    assert t.segments[1].start >= skips.pieces[1].start / SR, "no segment spans the stretch left out"


def test_text_over_non_speech_is_flagged_and_left_out_unless_kept() -> None:
    said = Segment(0, 1.0, 1.9, " hello there", words=words(("hello", 1.0, 1.4), ("there", 1.5, 1.9)))
    made_up = Segment(1, 9.0, 9.6, " Thank you.", words=words(("Thank", 9.0, 9.3), ("you.", 9.3, 9.6)))
    t = Transcript("en", 12.0, (said, made_up))
    flagged = flag_non_speech(t, [(0.9, 2.0)])
    assert [s.flags for s in flagged.segments] == [(), (NON_SPEECH_TEXT,)]
    assert flagged.text == "hello there"
    assert "Thank" in flagged.to_json() and NON_SPEECH_TEXT in flagged.to_json()
    kept = dataclasses.replace(flagged, options=RunOptions(keep_hallucinations=True))
    assert kept.text == "hello there Thank you."
    assert flag_non_speech(t, [(0.9, 2.0), (9.7, 11.0)]).text == "hello there Thank you.", "beside speech is speech"


def test_real_words_timed_late_are_not_taken_for_made_up_text() -> None:
    # Whisper's last words of a sentence, timed after the speech ended or all at one instant
    late = Segment(0, 1.0, 4.0, " in the exhibition.", words=words(("in", 1.0, 1.3), ("the", 1.3, 1.5),
                                                                   ("exhibition.", 3.0, 4.0)))
    collapsed = Segment(1, 7.0, 7.0, " printed at", words=words(("printed", 7.0, 7.0), ("at", 7.0, 7.0)))
    t = flag_non_speech(Transcript("en", 12.0, (late, collapsed)), [(0.9, 1.6), (6.0, 6.8)])
    assert t.text == "in the exhibition. printed at"


def test_a_last_word_at_a_joint_stays_with_the_speech_before_it() -> None:
    skips = SkipMap.plan([(0.0, 10.0), (30.0, 40.0)], 40 * SR)
    joint = skips.pieces[1].sent_start / SR
    segment = Segment(0, 8.0, joint, " in the exhibition.",
                      words=words(("in", 9.0, 9.4), ("the", 9.4, joint), ("exhibition.", joint, joint)))
    t = restore_skipped(Transcript("en", skips.sent_seconds, (segment,)), skips, 40.0)
    assert [round(w.start, 2) for w in t.words] == [9.0, 9.4, round(skips.pieces[0].end / SR, 2)]
    assert flag_non_speech(t, [(0.0, 10.0), (30.0, 40.0)]).text == "in the exhibition."


def test_a_cut_goes_where_speech_is_least_likely_not_where_it_is_quietest() -> None:
    seconds, flen = 120.0, 320
    db = np.full(int(seconds * SR) // flen, -20.0, dtype=np.float32)
    frame = SR // flen  # energy frames a second
    db[58 * frame:60 * frame] = -45.0  # a quiet stretch of speech (a soft voice)
    db[63 * frame:65 * frame] = -30.0  # a louder stretch with no speech (music, a door)
    profile = EnergyProfile(db, flen, 0, int(seconds * SR), SR)
    options = ChunkOptions(target_seconds=60, overlap_seconds=2, search_seconds=10)
    by_energy = plan_from_energy(profile, options, 32000.0)
    assert 58 <= by_energy[0].keep_end / SR <= 60
    probs = np.full(int(seconds * SR) // FRAME, 0.95, dtype=np.float32)
    probs[int(63 * SR) // FRAME:int(65 * SR) // FRAME] = 0.05
    by_speech = plan_from_energy(profile, options, 32000.0, SpeechMap(probs, int(seconds * SR)))
    assert 63 <= by_speech[0].keep_end / SR <= 65


def test_chunk_records_and_unheard_speech_span_the_file_they_cover() -> None:
    from stt_toolkit.core.transcript import ChunkRecord

    skips = SkipMap.plan([(1.0, 4.0), (30.0, 33.0), (60.0, 63.0)], 70 * SR)  # pieces 0-4.5, 29.5-33.5, 59.5-63.5
    sent = skips.sent_seconds
    t = Transcript("en", sent, (), chunks=(ChunkRecord("0", 0.0, sent, "m"),), unheard_speech=((5.0, 8.0),))
    restored = restore_skipped(t, skips, 70.0)
    assert restored.chunks[0].start == 0.0 and restored.chunks[0].end == pytest.approx(skips.pieces[-1].end / SR)
    a, b = restored.unheard_speech[0]
    assert skips.pieces[1].start / SR <= a < b <= skips.pieces[1].end / SR
    across = restore_skipped(dataclasses.replace(t, unheard_speech=((3.0, 6.0),)), skips, 70.0).unheard_speech
    assert len(across) == 2, "a stretch across a joint is reported a part a piece, never over what was left out"
    for (x, y), piece in zip(across, skips.pieces):
        assert piece.start / SR <= x < y <= piece.end / SR


def test_loud_non_speech_is_not_sent_again_nor_called_unheard() -> None:
    from stt_toolkit.assemble.gaps import find_speech_gaps

    flen = 320
    db = np.full(30 * SR // flen, -25.0, dtype=np.float32)  # loud throughout: speech, then music
    profile = EnergyProfile(db, flen, 0, 30 * SR, SR)
    said = [Word(" a", 0.5, 1.0), Word(" b", 1.2, 1.8), Word(" c", 25.0, 25.5)]
    assert find_speech_gaps(said, profile, 30.0) == [(1.8, 25.0), (25.5, 30.0)], "by energy, all of it"
    assert find_speech_gaps(said, profile, 30.0, speech=[(0.4, 2.0), (24.9, 25.6)]) == []
    assert find_speech_gaps(said, profile, 30.0, speech=[(0.4, 2.0), (10.0, 14.0), (24.9, 25.6)]) == []
    assert find_speech_gaps(said, profile, 30.0, speech=[(0.4, 2.0), (3.0, 20.0), (24.9, 25.6)]) == [(1.8, 25.0)]


def test_options_say_what_happens() -> None:
    assert RunOptions(vad=False).skip_silence is False, "nothing is skipped without the map"
    assert RunOptions().skips_silence and not RunOptions(skip_silence=False).skips_silence
    for bad in ({"min_skip_seconds": 0.5}, {"min_skip_seconds": 10**400}, {"skip_silence": "no"}, {"vad": None}):
        with pytest.raises(UsageError):
            RunOptions(**bad).validate()
