"""Parsing the API's ``verbose_json`` answers as real servers send them (pure)."""

from __future__ import annotations

import bisect
import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..core import errors
from ..core.languages import language_code
from ..core.records import Chunk, ChunkResult, Segment, Word

# How far past a word's expected place its text is looked for (punctuation, a skipped token).
_SEARCH_AHEAD = 40
# A reported duration this much over the chunk's is taken as the server's rounding, not a lie.
_DURATION_SLACK = 1.0


def transcript_body(content: bytes) -> Mapping[str, Any]:
    """The JSON object of a 200 answer, if it is a transcript: valid JSON, an object, a string
    ``text``, lists of objects for ``segments`` and ``words``, no ``error``. Anything else (a
    proxy's HTML page, cut-off JSON, ``{}``) raises :class:`~errors.InvalidResponse` (pure)."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        head = content[:60].decode("utf-8", "replace").strip()
        raise errors.InvalidResponse(f"the answer is not JSON (it starts {head!r})") from None
    if not isinstance(body, Mapping):
        raise errors.InvalidResponse(f"the answer is a JSON {type(body).__name__}, not an object")
    if "error" in body:
        raise errors.InvalidResponse("the answer is an error object, not a transcript")
    if not isinstance(body.get("text"), str):
        raise errors.InvalidResponse("the answer has no text")
    for name in ("segments", "words"):
        items = body.get(name)
        if items is not None and not (isinstance(items, list) and all(isinstance(i, Mapping) for i in items)):
            raise errors.InvalidResponse(f"the answer's {name} is not a list of objects")
    return body


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clamp_times(start: float, end: float, limit: float) -> tuple[float, float]:
    """(start, end) inside a chunk of ``limit`` seconds: negative, reversed or too late times
    are moved to the nearest possible ones (every engine's times go through this)."""
    start = min(max(start, 0.0), limit)
    return start, min(max(end, start), limit)


def _times(raw: Mapping[str, Any], limit: float) -> tuple[float, float] | None:
    """A word's or segment's (start, end), clamped; None when a time is missing or NaN, or
    when it starts after the audio has ended (text for audio that does not exist)."""
    start, end = _number(raw.get("start")), _number(raw.get("end"))
    if start is None or end is None or start > limit + _DURATION_SLACK:
        return None
    return clamp_times(start, end, limit)


def _word(raw: Mapping[str, Any], limit: float) -> Word | None:
    times = _times(raw, limit)
    text = raw.get("word", raw.get("text"))
    if times is None or not isinstance(text, str):
        return None
    return Word(text, *times, _number(raw.get("probability")))


def _words(raws: Any, limit: float) -> tuple[Word, ...]:
    return tuple(w for raw in raws or () if isinstance(raw, Mapping) and (w := _word(raw, limit)) is not None)


def _segment(raw: Mapping[str, Any], index: int, limit: float) -> Segment | None:
    times = _times(raw, limit)
    if times is None:
        return None
    start, end = times
    words = _words(raw.get("words"), limit)
    return Segment(
        id=int(raw["id"]) if isinstance(raw.get("id"), int) else index,
        start=start, end=end, text=str(raw.get("text", "")),
        avg_logprob=_number(raw.get("avg_logprob")), no_speech_prob=_number(raw.get("no_speech_prob")),
        compression_ratio=_number(raw.get("compression_ratio")), temperature=_number(raw.get("temperature")),
        words=words,
    )


def spaced_words(words: Sequence[Word], text: str) -> tuple[Word, ...]:
    """The words in the toolkit's one form, faster-whisper's: each carries the space that
    comes before it in ``text`` (``" Okay,"``, ``" it's"``), none where the text has none
    (Japanese, a word split into pieces), so joining the words gives back the text.
    OpenAI and Groq send words bare; a word the text does not contain gets a space."""
    out: list[Word] = []
    pos = 0
    for word in words:
        bare = word.word.strip()
        if not bare:
            continue
        found = text.find(bare, pos, pos + len(bare) + _SEARCH_AHEAD)
        spaced = True
        if found >= 0:
            spaced = found == 0 or text[found - 1].isspace()
            pos = found + len(bare)
        out.append(dataclasses.replace(word, word=(" " if spaced else "") + bare))
    return tuple(out)


def _with_words(segments: Sequence[Segment], words: Sequence[Word]) -> tuple[Segment, ...]:
    """Give each segment the words that fall in it (by their midpoint), for answers that list
    words only at the top level, as OpenAI's and Groq's do."""
    starts = [s.start for s in segments]
    groups: list[list[Word]] = [[] for _ in segments]
    for word in words:
        index = bisect.bisect_right(starts, (word.start + word.end) / 2) - 1
        groups[max(index, 0)].append(word)
    return tuple(dataclasses.replace(s, words=tuple(g)) for s, g in zip(segments, groups))


def parse_verbose_json(body: Mapping[str, Any], *, chunk: Chunk, task: str, model: str,
                       request_id: str | None, attempts: int) -> ChunkResult:
    """Turn a ``verbose_json`` (or plain ``json``) body into a :class:`ChunkResult`.

    Accepts ``duration`` as a string or a number, ``language`` as a name or a code, missing
    ``words`` or ``segments`` (a body with only ``text`` becomes one segment over the chunk),
    and extra fields. Times are clamped to the chunk's audio (the merge makes them monotonic);
    a time that is not a number drops its word or segment. Words come
    out in one form whatever the server's shape (:func:`spaced_words`), and inside their
    segments even when the server lists them only at the top level.
    """
    limit = chunk.duration
    duration = _number(body.get("duration"))
    duration = duration if duration is not None and 0 < duration <= limit + _DURATION_SLACK else limit
    text = str(body.get("text") or "")
    segments = tuple(s for i, raw in enumerate(body.get("segments") or ())
                     if isinstance(raw, Mapping) and (s := _segment(raw, i, limit)))
    if not segments and text.strip():
        segments = (Segment(id=0, start=0.0, end=min(duration, limit), text=text),)
    words = _words(body.get("words"), limit)
    if any(s.words for s in segments):
        segments = tuple(dataclasses.replace(s, words=spaced_words(s.words, s.text)) for s in segments)
        words = spaced_words(words, text) if words else tuple(w for s in segments for w in s.words)
    elif words:
        words = spaced_words(words, text or "".join(s.text for s in segments))
        segments = _with_words(sorted(segments, key=lambda s: s.start), words)
    groq = body.get("x_groq")
    request_id = request_id or (groq.get("id") if isinstance(groq, Mapping) else None)
    language = language_code(body.get("language")) if isinstance(body.get("language"), str) else None
    return ChunkResult(
        chunk=chunk, task=task, text=text, segments=segments, words=words, language=language,
        duration=duration, model=model, request_id=request_id, attempts=attempts,
    )
