"""The merge: constructed chunk results with known overlaps, and property tests."""

from __future__ import annotations

import random
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from stt_toolkit.assemble.merge import merge
from stt_toolkit.core.records import Chunk, ChunkResult, Segment, Word

SR = 16000


def chunk(index: int, start: float, end: float, keep_start: float, keep_end: float) -> Chunk:
    return Chunk(index, round(start * SR), round(end * SR), round(keep_start * SR), round(keep_end * SR))


def result(c: Chunk, words: Sequence[tuple[str, float, float]], segment_words: int = 4,
           task: str = "transcribe") -> ChunkResult:
    """A chunk result from words in file time, grouped into segments of ``segment_words``."""
    off = c.start / SR
    local = [Word(" " + t, s - off, e - off, 0.9) for t, s, e in words]
    segments = tuple(
        Segment(i, group[0].start, group[-1].end, "".join(w.word for w in group), -0.2, 0.01, 1.4, 0.0, tuple(group))
        for i, group in enumerate(local[k:k + segment_words] for k in range(0, len(local), segment_words)))
    return ChunkResult(c, task, "".join(w.word for w in local), segments, tuple(local), "en",
                       c.duration, "m")


def random_plan(total: float, target: float, overlap: float, rng: random.Random) -> list[Chunk]:
    """Chunks of about ``target`` seconds (+/- 3 s) over ``total`` seconds, ``overlap`` apart."""
    cuts = [0.0]
    while total - cuts[-1] > target + 10:
        cuts.append(cuts[-1] + target + rng.uniform(-3, 3))
    cuts.append(total)
    return [chunk(i, max(0.0, ks - overlap / 2), min(total, ke + overlap / 2), ks, ke)
            for i, (ks, ke) in enumerate(zip(cuts, cuts[1:]))]


def truth(n: int, step: float = 1.0) -> list[tuple[str, float, float]]:
    return [(f"w{i}", i * step + 0.1, i * step + 0.8) for i in range(n)]


def inside(words: list[tuple[str, float, float]], start: float, end: float) -> list[tuple[str, float, float]]:
    return [w for w in words if w[1] >= start and w[2] <= end]


def texts(transcript_words: Sequence[Word]) -> list[str]:
    return [w.word.strip() for w in transcript_words]


def test_agreeing_overlap_keeps_every_word_once() -> None:
    words = truth(30)
    a, b = chunk(0, 0, 17, 0, 15), chunk(1, 13, 30, 15, 30)
    t = merge([result(b, inside(words, 13, 30)), result(a, inside(words, 0, 17))], duration=30)
    assert texts(t.words) == [w for w, _, _ in words]
    assert t.text.split() == [w for w, _, _ in words]
    assert [c.name for c in t.chunks] == ["0", "1"]


def test_cut_words_at_chunk_edges_are_resolved_by_the_other_chunk() -> None:
    words = truth(30)
    a, b = chunk(0, 0, 17, 0, 15), chunk(1, 13, 30, 15, 30)
    a_words = inside(words, 0, 17) + [("w1", 16.9, 17.0)]  # garbage where the chunk cuts a word
    b_words = [("w", 13.0, 13.05)] + inside(words, 13, 30)
    t = merge([result(a, a_words), result(b, b_words)], duration=30)
    assert texts(t.words) == [w for w, _, _ in words]


def test_collapsed_words_at_a_chunk_end_are_not_said_twice() -> None:
    # Seen with tiny.en (stitched file, 60 s chunks, 2 s overlap): the earlier chunk ends in
    # "Thou w" with both words at one instant, 1 s too early; the later chunk heard "Thou art".
    words = truth(30)
    a, b = chunk(0, 0, 17, 0, 15), chunk(1, 14.5, 30, 15, 30)
    a_words = inside(words, 0, 14.9) + [("w16", 14.95, 14.95), ("x", 14.95, 14.95)]
    t = merge([result(a, a_words), result(b, inside(words, 14.5, 30))], duration=30)
    assert texts(t.words) == [w for w, _, _ in words]
    # the same collapse where the later chunk did not hear that word: nothing is dropped
    b_words = [w for w in inside(words, 14.5, 30) if w[0] != "w16"]
    kept = texts(merge([result(a, a_words), result(b, b_words)], duration=30).words)
    assert kept.count("w16") == 1


def test_a_stretched_word_does_not_hide_what_the_other_chunk_heard() -> None:
    # Seen with tiny.en (podcast, 30 s chunks, 2 s overlap): the earlier chunk ends in "to a"
    # with "a" stretched over 2.3 s and "cloud service" lost; the later chunk heard "service".
    words = truth(30)
    a, b = chunk(0, 0, 17, 0, 16), chunk(1, 15, 30, 16, 30)
    a_words = inside(words, 0, 14) + [("w14", 14.1, 16.9)]
    t = merge([result(a, a_words), result(b, inside(words, 15, 30))], duration=30)
    assert texts(t.words) == [w for w, _, _ in words]


def test_words_after_a_stretched_word_are_judged_by_their_text() -> None:
    # Seen with tiny.en (LJSpeech, 60 s chunks, 2 s overlap): "in" stretched over 2.6 s, then
    # "the year" placed a second too late, over the later chunk's first words.
    words = truth(30)
    a, b = chunk(0, 0, 17.5, 0, 16), chunk(1, 15.5, 30, 16, 30)
    a_words = inside(words, 0, 14) + [("w14", 14.1, 16.9), ("w15", 17.2, 17.2), ("w16", 17.2, 17.45)]
    b_words = [("x", 15.5, 15.8)] + inside(words, 16, 30)  # b starts inside w15
    t = merge([result(a, a_words), result(b, b_words)], duration=30)
    assert texts(t.words) == [f"w{k}" for k in range(16)] + ["x"] + [f"w{k}" for k in range(16, 30)]


def test_a_long_word_before_a_pause_mid_chunk_is_not_a_stretch() -> None:
    # Seen with tiny.en (stitched file, 30 s chunks, 5 s overlap): "posterity," lasting 1.2 s
    # before a pause, 2.5 s before the chunk's end, made the words after it look "late", and a
    # word the chunks disagreed on ("our" / "art") was kept twice over.
    words = truth(30)
    a, b = chunk(0, 0, 20, 0, 17), chunk(1, 14, 30, 17, 30)
    a_words = [("x" if w == "w17" else w, s, 16.35 if w == "w15" else e) for w, s, e in inside(words, 0, 20)]
    t = merge([result(a, a_words), result(b, inside(words, 14, 30))], duration=30)
    assert texts(t.words) == [w for w, _, _ in words]


def test_disagreeing_overlap_cuts_at_the_planned_silence() -> None:
    words = truth(30)
    a, b = chunk(0, 0, 17, 0, 15), chunk(1, 13, 30, 15, 30)
    b_words = [(f"x{i}", s, e) for i, (_, s, e) in enumerate(inside(words, 13, 17))] + inside(words, 17, 30)
    t = merge([result(a, inside(words, 0, 17)), result(b, b_words)], duration=30)
    expected = [w for w, s, e in words if (s + e) / 2 < 15] + ["x2", "x3"] + [f"w{i}" for i in range(17, 30)]
    assert texts(t.words) == expected
    assert any("boundary" in s.flags for s in t.segments)


def test_empty_and_silent_chunks_merge_cleanly() -> None:
    words = truth(14)
    a, b, c = chunk(0, 0, 17, 0, 15), chunk(1, 13, 32, 15, 30), chunk(2, 28, 45, 30, 45)
    silent = ChunkResult(b, "transcribe", "", (), (), "en", b.duration, "m")
    late = [("late", 40.1, 40.6)]
    t = merge([result(a, inside(words, 0, 17)), silent, result(c, late)], duration=45)
    assert texts(t.words) == [w for w, _, _ in words] + ["late"]
    nothing = merge([ChunkResult(x, "transcribe", "", (), (), None, x.duration, "m") for x in (a, b, c)], 45)
    assert nothing.text == "" and nothing.segments == () and nothing.duration == 45
    assert merge([], duration=3).text == ""


def test_one_word_chunks() -> None:
    a, b = chunk(0, 0, 12, 0, 10), chunk(1, 8, 20, 10, 20)
    t = merge([result(a, [("hello", 9.0, 9.5)]), result(b, [("hello", 9.0, 9.5)])], duration=20)
    assert texts(t.words) == ["hello"]
    t = merge([result(a, [("one", 2.0, 2.5)]), result(b, [("two", 15.0, 15.5)])], duration=20)
    assert texts(t.words) == ["one", "two"]


def test_times_never_decrease_even_when_chunks_disagree_on_timing() -> None:
    words = truth(30)
    a, b = chunk(0, 0, 17, 0, 15), chunk(1, 13, 30, 15, 30)
    skewed = [(w, s - 0.4, e - 0.4) for w, s, e in inside(words, 13, 30)]
    backwards = inside(words, 0, 17)
    backwards[3] = (backwards[3][0], backwards[2][1] - 0.2, backwards[3][2])
    t = merge([result(a, backwards), result(b, skewed)], duration=30)
    assert texts(t.words) == [w for w, _, _ in words]
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)
    assert all(w.end >= w.start for w in t.words)
    assert all(x.end <= y.start + 1e-9 for x, y in zip(t.words, t.words[1:]))
    assert "timing" in t.segments[0].flags, "out-of-order words are flagged before being clamped"


def test_translations_without_words_merge_by_segments() -> None:
    a, b = chunk(0, 0, 17, 0, 15), chunk(1, 13, 30, 15, 30)

    def segs(c: Chunk, items: list[tuple[float, float, str]]) -> ChunkResult:
        off = c.start / SR
        segments = tuple(Segment(i, s - off, e - off, " " + t, -0.3, 0.02, 1.3, 0.0) for i, (s, e, t) in enumerate(items))
        return ChunkResult(c, "translate", "", segments, (), "en", c.duration, "m")

    ra = segs(a, [(0, 6, "The first sentence."), (6, 12, "The second one."), (12, 16.9, "A third that is")])
    rb = segs(b, [(13, 17.2, "A third that is cut."), (17.2, 25, "The fourth."), (25, 30, "The end.")])
    t = merge([ra, rb], duration=30)
    assert [s.text.strip() for s in t.segments] == [
        "The first sentence.", "The second one.", "A third that is cut.", "The fourth.", "The end."]
    assert t.task == "translate"


@settings(max_examples=300, deadline=None)
@given(
    n_words=st.integers(0, 400),
    step=st.floats(0.3, 1.5),
    target=st.floats(12, 60),
    overlap=st.floats(1, 10),
    jitter=st.floats(0, 0.15),
    seed=st.integers(0, 10_000),
)
def test_no_word_lost_or_doubled(n_words: int, step: float, target: float, overlap: float, jitter: float,
                                 seed: int) -> None:
    rng = random.Random(seed)
    words = [(f"w{i}", i * step + 0.05, i * step + step * 0.7) for i in range(n_words)]
    total = max(n_words * step + 1, 15.0)
    results = []
    for c in random_plan(total, target, overlap, rng):
        seen = [(w, s + rng.uniform(-jitter, jitter), e + rng.uniform(-jitter, jitter))
                for w, s, e in words if s >= c.start / SR and e <= c.end / SR]
        results.append(result(c, seen))
    t = merge(results, duration=total)
    assert texts(t.words) == [w for w, _, _ in words]
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)
    segment_starts = [s.start for s in t.segments]
    assert segment_starts == sorted(segment_starts)


@settings(max_examples=300, deadline=None)
@given(
    n_words=st.integers(20, 300),
    step=st.floats(0.3, 1.2),
    target=st.floats(12, 60),
    overlap=st.floats(2, 10),
    fault=st.sampled_from(["stretched", "collapsed", "late"]),
    seed=st.integers(0, 10_000),
)
def test_whisper_timing_faults_at_chunk_ends_lose_and_double_nothing(
        n_words: int, step: float, target: float, overlap: float, fault: str, seed: int) -> None:
    # Each chunk but the last ends with the timing faults seen with real models: its last word
    # stretched to the chunk's end, its last two words collapsed to one instant, or a word
    # stretched over seconds with the last two squeezed in after it, late. The words themselves
    # are right, and the next chunk heard them whole.
    rng = random.Random(seed)
    words = [(f"w{i}", i * step + 0.05, i * step + step * 0.7) for i in range(n_words)]
    total = n_words * step + 1
    plan = random_plan(total, target, overlap, rng)
    results = []
    for c in plan:
        start, end = c.start / SR, c.end / SR
        seen = [w for w in words if w[1] >= start and w[2] <= end]
        if c.index < len(plan) - 1 and len(seen) >= 3:
            (w1, s1, e1), (w2, s2, e2) = seen[-2], seen[-1]
            if fault == "stretched":
                seen[-1] = (w2, s2, end)
            elif fault == "collapsed":
                seen[-2:] = [(w1, s1, s1), (w2, s1, s1)]
            elif end - 0.6 - seen[-3][1] > 1.5:  # the third-last word soaks up the time
                seen[-3:] = [(seen[-3][0], seen[-3][1], end - 0.6), (w1, end - 0.6, end - 0.3), (w2, end - 0.3, end)]
        results.append(result(c, seen))
    t = merge(results, duration=total)
    assert texts(t.words) == [w for w, _, _ in words]
