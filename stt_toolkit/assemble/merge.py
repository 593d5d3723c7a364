"""Stage 4: stitch chunk results into one :class:`~stt_toolkit.Transcript` (pure).

For each pair of neighbouring chunks, the words of the overlap are aligned (rapidfuzz on
normalised words) and the cut goes in the middle of the longest run where both chunks agree:
words before it come from the earlier chunk, words from it on from the later one. Where they
do not agree, the cut is the planned silence and each word goes to the side of its midpoint.
Results without words (translations) merge by segment midpoints plus fuzzy removal of a
segment both chunks transcribed. Times are shifted to the file, made monotonic, and every
segment keeps the quality values of the chunk that produced it.

Whisper's word times fail in known ways near the end of a chunk, and the merge allows for
them: one word stretched over seconds of speech the decoder lost (it does not count as
hearing that span), the words after it timed late (matched by text, kept in order), and the
last words collapsed to one instant (handed to the next chunk when it says them too).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from ..core.billing import Usage
from ..core.flags import BOUNDARY
from ..core.options import QualityOptions, RunOptions
from ..core.records import ChunkResult, Segment, Word, words_text
from ..core.transcript import ChunkRecord, Transcript
from .quality import flag_segments
from .timeline import TimeMap, make_monotonic

_MIN_AGREEMENT = 2  # words that must agree, in a row, to trust an alignment
_MAX_SKEW = 1.0  # seconds two chunks' times of one agreed word may differ
_SINGLE_WORD_SKEW = 0.3  # the same, where only one word agrees
_DUPLICATE_SIMILARITY = 85.0
_TOLERANCE = 0.1  # seconds of timing noise between two chunks' views of one word
_STRETCHED = 1.2  # seconds: a longer word ending a chunk soaked up speech the decoder lost
_COLLAPSED = 0.02  # seconds: a word this short had its timestamps collapsed by the decoder


@dataclass(frozen=True)
class _Piece:
    """One chunk's result in file time: its words and segments, and its planned cuts."""

    result: ChunkResult
    offset: float
    start: float
    end: float
    keep_start: float
    keep_end: float
    words: tuple[Word, ...]
    segments: tuple[Segment, ...]


def normalize_word(text: str) -> str:
    """Case- and punctuation-free form of a word, for alignment."""
    return re.sub(r"[^\w']", "", text.lower())


def merge(results: Sequence[ChunkResult], duration: float | None = None, usage: Usage | None = None,
          options: RunOptions = RunOptions(), quality: QualityOptions = QualityOptions()) -> Transcript:
    """Merge chunk results (any order) into one transcript of a file of ``duration`` seconds,
    made with ``options``; ``quality`` holds the flags' thresholds."""
    pieces = [_shift(r) for r in sorted(results, key=lambda r: (r.chunk.start, r.chunk.end))]
    if not pieces:
        return Transcript(language=None, duration=duration or 0.0, segments=(), usage=usage or Usage(),
                          options=options)
    kept = [set(range(len(p.words))) for p in pieces]
    seg_cuts = [(p.keep_start, p.keep_end) for p in pieces]
    seg_cuts[0] = (float("-inf"), seg_cuts[0][1])
    seg_cuts[-1] = (seg_cuts[-1][0], float("inf"))
    # words before a cut (and words timed late after a stretched word) come before the next
    # chunk's words after it: (index of the cut in the earlier chunk, index of its first late
    # word, first start after the cut in the later chunk)
    bounds: list[tuple[int, int, float]] = [(len(p.words), len(p.words), float("inf")) for p in pieces]
    for n, (a, b) in enumerate(zip(pieces, pieces[1:])):
        if a.words and b.words:
            stretch = _first_stretched(a, b)
            i, j = _align_cut(a, b, stretch)
            collapsed, handed_from = _collapsed_tail(a, b, i)
            extra_a, extra_b = _unheard(a, b, i, j, collapsed, stretch)
            if handed_from is not None:
                extra_b |= set(range(handed_from, j))
            kept[n] -= (set(range(i, len(a.words))) - extra_a) | collapsed
            kept[n + 1] -= set(range(j)) - extra_b
            bounds[n] = (i, stretch + 1, min((w.start for w in b.words[j:]), default=float("inf")))
    segments = _drop_repeated_segments(_in_order(pieces, kept, seg_cuts, bounds))
    segments = make_monotonic(flag_segments(segments, quality))
    total = duration if duration is not None else max(p.end for p in pieces)
    return Transcript(
        language=_language(pieces), duration=total, segments=tuple(segments), task=pieces[0].result.task,
        chunks=tuple(ChunkRecord(p.result.chunk.name, p.start, p.end, p.result.model, p.result.request_id,
                                 p.result.attempts) for p in pieces),
        usage=usage or Usage(), options=options,
    )


def _in_order(pieces: Sequence[_Piece], kept: Sequence[set[int]], seg_cuts: Sequence[tuple[float, float]],
              bounds: Sequence[tuple[int, int, float]]) -> list[Segment]:
    """Every piece's kept segments, by time, except that a segment of words before a cut (or
    timed late) never goes after the next piece's first word after that cut."""
    keyed: list[tuple[float, float, Segment]] = []
    for piece, indices, cut, (i, late, limit) in zip(pieces, kept, seg_cuts, bounds):
        position = {id(w): k for k, w in enumerate(piece.words)}
        for segment in _kept_segments(piece, indices, cut):
            before_cut = bool(segment.words) and all(not i <= position[id(w)] < late for w in segment.words)
            keyed.append((min(segment.start, limit - 0.001) if before_cut else segment.start, segment.end, segment))
    return [s for _, _, s in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _shift(result: ChunkResult) -> _Piece:
    chunk = result.chunk
    rate = chunk.sample_rate
    time_map = TimeMap.of(chunk)
    segments = tuple(time_map.segment(s, chunk.name) for s in result.segments)
    nested = tuple(w for s in segments for w in s.words)
    words = nested or tuple(time_map.word(w) for w in result.words)
    offset = time_map.offset
    return _Piece(result, offset, offset, chunk.end / rate, chunk.keep_start / rate, chunk.keep_end / rate,
                  words, segments)


def _mid(item: Word | Segment) -> float:
    return (item.start + item.end) / 2


def _place(word: Word) -> float:
    """Where a word was said: its midpoint, or just after its start if it is stretched."""
    return word.start + 0.25 if word.end - word.start > _STRETCHED else _mid(word)


def _align_cut(a: _Piece, b: _Piece, stretch: int) -> tuple[int, int]:
    """Where to cut between ``a`` and ``b``: keep ``a.words[:i]`` and ``b.words[j:]``
    (``stretch``: index of ``a``'s stretched word, see :func:`_first_stretched`)."""
    a_from = next((i for i, w in enumerate(a.words) if _mid(w) >= b.start - _MAX_SKEW), len(a.words))
    b_to = next((j for j, w in enumerate(b.words) if _mid(w) > a.end + _MAX_SKEW), len(b.words))
    a_tail = [normalize_word(w.word) for w in a.words[a_from:]]
    b_head = [normalize_word(w.word) for w in b.words[:b_to]]
    best: tuple[int, float, int, int] | None = None
    for op in Indel.opcodes(a_tail, b_head):
        if op.tag != "equal":
            continue
        i1, j1, length = op.src_start, op.dest_start, op.src_end - op.src_start
        k = length // 2
        wa, wb = a.words[a_from + i1 + k], b.words[j1 + k]
        # one agreeing word is trusted only where both chunks put it at nearly the same time;
        # after a stretched word, a's times run late by about the time the stretch soaked up
        skew = _MAX_SKEW if length >= _MIN_AGREEMENT else _SINGLE_WORD_SKEW
        if length >= _MIN_AGREEMENT and a_from + i1 + k > stretch:
            skew += a.words[stretch].end - a.words[stretch].start
        if abs(_mid(wa) - _mid(wb)) > skew or not a_tail[i1 + k]:
            continue
        key = (length, -abs(_mid(wb) - a.keep_end), a_from + i1 + k, j1 + k)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is not None:
        return best[2], best[3]
    return _cut_at_silence(a, b)


def _first_stretched(a: _Piece, b: _Piece) -> int:
    """Index of ``a``'s first word in the overlap that lasts over 1.2 s and ends within 1 s of
    the chunk's end (``len(a.words)`` if none): Whisper stretches a word over speech it lost
    near a chunk's end, and times the rest late. (A word before a pause in mid-chunk often
    lasts that long too, harmlessly: it does not end the chunk.)"""
    return next((k for k, w in enumerate(a.words) if _mid(w) >= b.start - _MAX_SKEW
                 and w.end - w.start > _STRETCHED and w.end >= a.end - _MAX_SKEW), len(a.words))


def _cut_at_silence(a: _Piece, b: _Piece) -> tuple[int, int]:
    """Each word to the side of the planned cut its midpoint lies on (one word both chunks
    heard on either side of the cut is kept once)."""
    cut = a.keep_end
    i = next((i for i, w in enumerate(a.words) if _mid(w) >= cut), len(a.words))
    j = next((j for j, w in enumerate(b.words) if _mid(w) >= cut), len(b.words))
    while (i and j < len(b.words) and normalize_word(a.words[i - 1].word) == normalize_word(b.words[j].word)
           and b.words[j].start < a.words[i - 1].end + _TOLERANCE):
        j += 1
    return i, j


def _collapsed_tail(a: _Piece, b: _Piece, i: int) -> tuple[set[int], int | None]:
    """``a``'s last words before the cut whose timestamps collapsed (no duration: speech cut
    off at the chunk's end, put at one instant, often too early) and that ``b``, which heard
    that stretch whole, says too: they would be said twice. Returns the indices of ``a`` to
    drop and the index of ``b`` from which ``b`` keeps every word (``None``: nothing changes).
    The whole run is handed to ``b`` when ``b`` says its first word in the overlap, else the
    end of it that ``b`` starts with."""
    run: list[int] = []
    k = i - 1
    while k >= 0 and a.words[k].end - a.words[k].start <= _COLLAPSED and _mid(a.words[k]) >= b.start - 2 * _MAX_SKEW:
        run.insert(0, k)
        k -= 1
    if not run:
        return set(), None
    said_before = a.words[k].end - _TOLERANCE if k >= 0 else b.start  # what a said before the run
    head = [m for m, w in enumerate(b.words) if said_before <= w.start <= a.end + _TOLERANCE]
    said = [normalize_word(b.words[m].word) for m in head]
    texts = [normalize_word(a.words[k].word) for k in run]
    if texts[0] in said:
        return set(run), head[said.index(texts[0])]
    for size in range(len(run), 0, -1):
        for skip in (0, 1):  # b may open with a cut-off word
            if texts[-size:] == said[skip:skip + size]:
                return set(run[-size:]), head[skip]
    return set(), None


def _unheard(a: _Piece, b: _Piece, i: int, j: int, dropped: set[int], stretch: int) -> tuple[set[int], set[int]]:
    """Words one chunk heard where the other, past the cut, heard nothing at all (a word that
    straddled the other chunk's edge, or a stretch the other chunk's decoder skipped):
    indices of ``a.words`` after ``i`` and of ``b.words`` before ``j`` to keep as well
    (``dropped``: words of ``a`` before ``i`` that will not be kept).
    A word of ``a`` that lasts over 1.2 s and ends the chunk does not count as hearing its span:
    near a chunk's end Whisper stretches one word over the speech it failed to transcribe, and
    places the words after it too late, so those are kept unless ``b`` says them too."""

    # after a stretched word, a's times run late by about the time the stretch soaked up
    late = {id(w) for w in a.words[stretch + 1:]}
    stretched = id(a.words[stretch]) if stretch < len(a.words) else None
    slack = a.words[stretch].end - a.words[stretch].start if stretch < len(a.words) else 0.0

    def silent(word: Word, others: Sequence[Word]) -> bool:
        lo, hi = sorted((word.start, word.end))
        text = normalize_word(word.word)
        for other in others:
            o_lo, o_hi = sorted((other.start, other.end))
            reliable = id(other) != stretched and id(other) not in late and id(word) not in late
            if reliable and o_lo < hi + _TOLERANCE and lo - _TOLERANCE < o_hi:
                return False  # the other chunk heard something here
            skew = _MAX_SKEW + (slack if id(other) in late or id(word) in late else 0.0)
            if normalize_word(other.word) == text and abs(_place(other) - _place(word)) < skew:
                return False  # ...and this very word, a little earlier or later
        return True

    extra_a = {k for k in range(i, len(a.words)) if silent(a.words[k], b.words[j:])}
    a_kept = [*(w for k, w in enumerate(a.words[:i]) if k not in dropped), *(a.words[k] for k in sorted(extra_a))]
    extra_b = {k for k in range(j) if silent(b.words[k], a_kept) and b.words[k].start >= a.start}
    return extra_a, extra_b


def _kept_segments(piece: _Piece, kept: set[int], keep: tuple[float, float]) -> list[Segment]:
    """The piece's segments restricted to its kept words; a segment whose kept words are not
    contiguous becomes one segment per run."""
    position = {id(w): k for k, w in enumerate(piece.words)}
    owner = _assign_words(piece)
    out: list[Segment] = []
    for index, segment in enumerate(piece.segments):
        words = owner.get(index, [])
        if not words:  # no words to go by: keep it where its midpoint lies in this chunk's stretch
            if keep[0] <= _mid(segment) < keep[1]:
                out.append(segment)
            continue
        runs: list[list[Word]] = []
        previous = -2
        for word in words:
            k = position[id(word)]
            if k in kept:
                if k != previous + 1:
                    runs.append([])
                runs[-1].append(word)
                previous = k
        if len(runs) == 1 and len(runs[0]) == len(words):
            out.append(dataclasses.replace(segment, words=tuple(words)))
            continue
        for run in runs:
            out.append(dataclasses.replace(
                segment, start=min(segment.start, run[0].start) if run[0] is words[0] else run[0].start,
                end=max(segment.end, run[-1].end) if run[-1] is words[-1] else run[-1].end,
                text=words_text(run), words=tuple(run), flags=(*segment.flags, BOUNDARY)))
    return out


def _assign_words(piece: _Piece) -> dict[int, list[Word]]:
    """Which segment each word of the piece belongs to: its own list when the engine nested
    words in segments, else the segment containing the word's midpoint (or the nearest)."""
    if not piece.segments:
        return {}
    if any(s.words for s in piece.segments):
        return {i: list(s.words) for i, s in enumerate(piece.segments)}
    owner: dict[int, list[Word]] = {}
    for word in piece.words:
        mid = _mid(word)
        index = min(range(len(piece.segments)), key=lambda i: _distance(piece.segments[i], mid))
        owner.setdefault(index, []).append(word)
    return owner


def _distance(segment: Segment, t: float) -> float:
    return 0.0 if segment.start <= t <= segment.end else min(abs(segment.start - t), abs(segment.end - t))


def _drop_repeated_segments(segments: list[Segment]) -> list[Segment]:
    """Where two chunks both transcribed a segment that straddles their cut (no words to
    align), keep the fuller one."""
    out: list[Segment] = []
    for segment in segments:
        previous = out[-1] if out else None
        if (previous is not None and previous.chunk != segment.chunk and not previous.words
                and not segment.words and segment.start < previous.end
                and fuzz.partial_ratio(previous.text.lower(), segment.text.lower()) >= _DUPLICATE_SIMILARITY):
            if len(segment.text.strip()) > len(previous.text.strip()):
                out[-1] = segment
            continue
        out.append(segment)
    return out


def _language(pieces: Sequence[_Piece]) -> str | None:
    weights: dict[str, float] = {}
    for p in pieces:
        if p.result.language:
            weights[p.result.language] = weights.get(p.result.language, 0.0) + p.end - p.start
    return max(weights, key=lambda code: weights[code]) if weights else None
