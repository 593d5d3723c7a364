"""Retry flagged segments: transcribe the audio under them once more, keep the better decode.

Opt-in (``retry_flagged``). After the merge, runs of segments flagged ``failed_decode``,
``low_confidence`` or ``repetition`` are cut out of the 16 kHz FLAC (with the pauses around
them) and sent again, with the text before them as the prompt, to the same engine or to a
stronger model (``retry_model``, for example whisper-large-v3 instead of turbo). The retry
replaces the original segments only when its duration-weighted ``avg_logprob`` is higher.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import soundfile

from .context import join_prompt, tail
from .engines.base import Engine, TranscribeOptions
from .merge import make_monotonic, normalize_word
from .quality import (
    FAILED_DECODE,
    LOW_CONFIDENCE,
    NO_SPEECH,
    REPETITION,
    SILENCE_HALLUCINATION,
    QualityOptions,
    flag_segments,
    spoken_text,
    summarize,
)
from .spans import charge, clip_segment, try_transcribe_span
from .transcript import Transcript
from .types import Segment, Word

log = logging.getLogger("stt_toolkit")


@dataclass(frozen=True)
class RetryOptions:
    """Which segments are retried and how.

    Segments carrying any of ``flags`` are retried; flagged segments less than ``join_gap``
    seconds apart go in one request of at most ``max_seconds`` (one Whisper window). Each
    request takes up to ``pad`` seconds of the pause on either side (never reaching into a
    neighbour's words); stretches shorter than ``min_seconds`` even so are not retried. The
    audio sent reaches ``context_seconds`` further on either side, so that the model hears
    whole words and their surroundings, but only words inside the stretch are kept. The prompt is the user's prompt
    followed by the last ``context_chars`` characters of the transcript before the span.
    """

    flags: frozenset[str] = frozenset({FAILED_DECODE, LOW_CONFIDENCE, REPETITION})
    join_gap: float = 1.0
    max_seconds: float = 30.0
    pad: float = 0.5
    min_seconds: float = 1.0
    context_seconds: float = 2.0
    context_chars: int = 400


@dataclass(frozen=True)
class RetrySpan:
    """Segments ``first`` to ``last`` (indices, inclusive) and the seconds sent for them."""

    first: int
    last: int
    start: float
    end: float


def _bounds(segment: Segment) -> tuple[float, float]:
    if segment.words:
        return segment.words[0].start, segment.words[-1].end
    return segment.start, segment.end


def find_retry_spans(segments: Sequence[Segment], duration: float,
                     options: RetryOptions = RetryOptions()) -> list[RetrySpan]:
    """Group the flagged segments into the stretches to send again (pure)."""
    runs: list[list[int]] = []
    for index, segment in enumerate(segments):
        if not options.flags.intersection(segment.flags) or not segment.text.strip():
            continue
        if runs and _joins(segments, runs[-1], index, options):
            runs[-1].append(index)
        else:
            runs.append([index])
    spans = []
    for run in runs:
        first, last = run[0], run[-1]
        start, end = _bounds(segments[first])[0], _bounds(segments[last])[1]
        before = _bounds(segments[first - 1])[1] if first > 0 else 0.0
        after = _bounds(segments[last + 1])[0] if last + 1 < len(segments) else duration
        span = RetrySpan(first, last, max(before, start - options.pad, 0.0), min(after, end + options.pad, duration))
        if span.end - span.start >= options.min_seconds:
            spans.append(span)
    return spans


def _joins(segments: Sequence[Segment], run: list[int], index: int, options: RetryOptions) -> bool:
    """Whether segment ``index`` goes in the same request as the flagged ``run`` before it."""
    start, end = _bounds(segments[index])
    close = start - _bounds(segments[run[-1]])[1] < options.join_gap
    short = end - _bounds(segments[run[0]])[0] <= options.max_seconds
    adjacent = all(options.flags.intersection(s.flags) for s in segments[run[-1] + 1:index])
    return close and short and adjacent


def score(segments: Sequence[Segment]) -> float | None:
    """Duration-weighted mean ``avg_logprob`` of ``segments`` (``None`` if none reports it)."""
    rated = [(s.avg_logprob, max(s.end - s.start, 0.01)) for s in segments if s.avg_logprob is not None]
    if not rated:
        return None
    return sum(v * w for v, w in rated) / sum(w for _, w in rated)


def is_better(new: Sequence[Segment], old: Sequence[Segment]) -> bool:
    """Whether a retry beats the original: it must have words, not loop where the original
    did not (``repetition``), keep at least 80 % as many words unless the original looped (a
    retry that loses words at the edges of its stretch scores well but drops speech), and
    score a higher ``avg_logprob`` (pure)."""
    new_score, old_score = score(new), score(old)
    if not new or new_score is None:
        return False
    loops_now = any(REPETITION in s.flags for s in new)
    looped = any(REPETITION in s.flags for s in old)
    if loops_now != looped:
        return looped
    if not looped and _count(new) < 0.8 * _count(old):
        return False
    return old_score is None or new_score > old_score


def _count(segments: Sequence[Segment]) -> int:
    return sum(len(s.words) or len(s.text.split()) for s in segments)


def retry_prompt(user_prompt: str | None, before: Sequence[Segment], context_chars: int) -> str | None:
    """The user's prompt, then the end of the text spoken before the span (cut at a word;
    flagged silence hallucinations left out)."""
    context = " ".join(s.text.strip() for s in before if s.text.strip() and SILENCE_HALLUCINATION not in s.flags)
    return join_prompt(user_prompt, tail(context, context_chars))


async def retry_flagged(transcript: Transcript, flac: str | Path, engine: Engine, options: TranscribeOptions,
                        quality: QualityOptions = QualityOptions(),
                        retry_options: RetryOptions = RetryOptions()) -> Transcript:
    """The transcript with each run of flagged segments replaced by a retry that scored better.

    The retries are sent concurrently (the engine bounds the requests in flight); each is
    prompted with the text before it as first transcribed.
    """
    segments = list(transcript.segments)
    spans = find_retry_spans(segments, transcript.duration, retry_options)
    if not spans:
        return transcript
    rate = (await asyncio.to_thread(soundfile.info, str(flac))).samplerate

    async def attempt(number: int, span: RetrySpan) -> tuple[RetrySpan, list[Segment] | None] | None:
        """``None`` if the request failed; else the span and its replacement (``None``: keep)."""
        prompt = retry_prompt(options.prompt, segments[:span.first], retry_options.context_chars)
        answer = await try_transcribe_span(flac, engine, dataclasses.replace(options, prompt=prompt),
                                           *_sent(span, transcript.duration, retry_options), rate, 1_000 + number)
        if answer is None:
            return None
        label = f"retry {span.start:.1f}-{span.end:.1f}"
        new = [c for s in answer if (c := clip_segment(s, span.start, span.end, label))]
        new = without_echoes(new, segments[span.first - 1] if span.first else None,
                              segments[span.last + 1] if span.last + 1 < len(segments) else None)
        # a stretch cut out of its context often ends in a pause, where Whisper likes to add
        # "Thank you." or "You": segments the model itself calls non-speech are not kept
        new = [s for s in flag_segments(new, quality) if NO_SPEECH not in s.flags]
        old = segments[span.first:span.last + 1]
        log.debug("%s: avg_logprob %s -> %s", label, score(old), score(new))
        return span, (new if is_better(new, old) else None)

    answered = [r for r in await asyncio.gather(*(attempt(n, s) for n, s in enumerate(spans))) if r]
    kept = [(span, new) for span, new in answered if new is not None]
    merged = make_monotonic(splice(segments, kept))
    return dataclasses.replace(
        transcript, segments=tuple(merged), text=spoken_text(merged, quality),
        usage=charge(transcript.usage, [_sent(s, transcript.duration, retry_options) for s, _ in answered],
                     engine, options),
        quality=summarize(merged, transcript.duration))


def _sent(span: RetrySpan, duration: float, options: RetryOptions) -> tuple[float, float]:
    """The seconds of audio sent for ``span``: the span and its context."""
    return max(0.0, span.start - options.context_seconds), min(duration, span.end + options.context_seconds)


def without_echoes(new: list[Segment], before: Segment | None, after: Segment | None) -> list[Segment]:
    """``new`` without a first word that repeats the word just before the span, or a last word
    that repeats the word just after it (timestamps at a cut are a few tenths of a second off)."""
    words = [w for s in new for w in s.words]
    drop: set[int] = set()
    if words and before is not None and before.words and _same(words[0], before.words[-1]):
        drop.add(id(words[0]))
    if words and after is not None and after.words and _same(words[-1], after.words[0]):
        drop.add(id(words[-1]))
    if not drop:
        return new
    out = []
    for segment in new:
        kept = tuple(w for w in segment.words if id(w) not in drop)
        if kept:
            out.append(dataclasses.replace(segment, words=kept, start=kept[0].start, end=kept[-1].end,
                                           text="".join(w.word for w in kept)))
    return out


def _same(a: Word, b: Word) -> bool:
    return normalize_word(a.word) == normalize_word(b.word) and abs(a.start - b.start) < 1.0


def splice(segments: Sequence[Segment], replacements: Sequence[tuple[RetrySpan, list[Segment]]]) -> list[Segment]:
    """``segments`` with each span's segments replaced by its new ones (pure)."""
    by_first = {span.first: (span.last, new) for span, new in replacements}
    out: list[Segment] = []
    index = 0
    while index < len(segments):
        if index in by_first:
            last, new = by_first[index]
            out.extend(new)
            index = last + 1
        else:
            out.append(segments[index])
            index += 1
    return out
