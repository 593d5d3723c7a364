"""Retry flagged segments: which stretches to send again, and whether a retry replaces them
(pure; :func:`stt_toolkit.run.repairs.retry_flagged` sends them).

Opt-in (``retry_flagged``). After the merge, runs of segments flagged ``failed_decode``,
``low_confidence`` or ``repetition`` are cut out of the 16 kHz FLAC (with the pauses around
them) and sent again, with the text before them as the prompt, to the same engine or to a
stronger model (``retry_model``, for example whisper-large-v3 instead of turbo). The retry
replaces the original segments only when its duration-weighted ``avg_logprob`` is higher.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.flags import FAILED_DECODE, LOW_CONFIDENCE, NO_SPEECH, REPETITION, SILENCE_HALLUCINATION
from ..core.options import QualityOptions
from ..core.records import Segment
from ..core.transcript import Transcript
from .context import join_prompt, tail
from .quality import flag_segments
from .splice import Span, neighbours, splice, without_echoes
from .timeline import clip_segment, make_monotonic


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


def _bounds(segment: Segment) -> tuple[float, float]:
    if segment.words:
        return segment.words[0].start, segment.words[-1].end
    return segment.start, segment.end


def find_retry_spans(segments: Sequence[Segment], duration: float,
                     options: RetryOptions = RetryOptions()) -> list[Span]:
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
        span = Span(first, last, max(before, start - options.pad, 0.0), min(after, end + options.pad, duration))
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


def sent_window(span: Span, duration: float, options: RetryOptions = RetryOptions()) -> tuple[float, float]:
    """The seconds of audio sent for ``span``: the span and its context."""
    return max(0.0, span.start - options.context_seconds), min(duration, span.end + options.context_seconds)


def replacement(answer: Sequence[Segment], span: Span, segments: Sequence[Segment],
                quality: QualityOptions = QualityOptions()) -> list[Segment] | None:
    """What a retry's ``answer`` (segments in file time) puts in place of ``span``'s segments,
    or ``None`` when the original stays: only words inside the span, none repeating a
    neighbour, no segment the model itself calls non-speech (a stretch cut out of its context
    often ends in a pause, where Whisper likes to add "Thank you."), and only if it
    :func:`is_better`."""
    label = f"retry {span.start:.1f}-{span.end:.1f}"
    new = [c for s in answer if (c := clip_segment(s, span.start, span.end, label))]
    new = without_echoes(new, *neighbours(segments, span))
    new = [s for s in flag_segments(new, quality) if NO_SPEECH not in s.flags]
    return new if is_better(new, segments[span.first:span.last + 1]) else None


def with_replacements(transcript: Transcript, kept: Sequence[tuple[Span, list[Segment]]]) -> Transcript:
    """``transcript`` with each span's segments replaced, times made monotonic."""
    return dataclasses.replace(transcript, segments=tuple(make_monotonic(splice(transcript.segments, kept))))
