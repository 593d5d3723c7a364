"""Parsing the API's ``verbose_json`` answers as real servers send them (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..languages import language_code
from ..types import Chunk, ChunkResult, Segment, Word


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _word(raw: Mapping[str, Any]) -> Word | None:
    start, end = _number(raw.get("start")), _number(raw.get("end"))
    text = raw.get("word", raw.get("text"))
    if start is None or end is None or not isinstance(text, str):
        return None
    return Word(text, start, end, _number(raw.get("probability")))


def _segment(raw: Mapping[str, Any], index: int) -> Segment | None:
    start, end = _number(raw.get("start")), _number(raw.get("end"))
    if start is None or end is None:
        return None
    words = tuple(w for w in map(_word, raw.get("words") or ()) if w is not None)
    return Segment(
        id=int(raw["id"]) if isinstance(raw.get("id"), int) else index,
        start=start, end=end, text=str(raw.get("text", "")),
        avg_logprob=_number(raw.get("avg_logprob")), no_speech_prob=_number(raw.get("no_speech_prob")),
        compression_ratio=_number(raw.get("compression_ratio")), temperature=_number(raw.get("temperature")),
        words=words,
    )


def parse_verbose_json(body: Mapping[str, Any], *, chunk: Chunk, task: str, model: str,
                       request_id: str | None, attempts: int) -> ChunkResult:
    """Turn a ``verbose_json`` (or plain ``json``) body into a :class:`ChunkResult`.

    Accepts ``duration`` as a string or a number, ``language`` as a name or a code, missing
    ``words`` or ``segments`` (a body with only ``text`` becomes one segment over the chunk),
    and extra fields. Word times are kept as sent; the merge makes them monotonic.
    """
    duration = _number(body.get("duration")) or chunk.duration
    text = str(body.get("text") or "")
    segments = tuple(s for i, raw in enumerate(body.get("segments") or ()) if (s := _segment(raw, i)))
    if not segments and text.strip():
        segments = (Segment(id=0, start=0.0, end=duration, text=text),)
    words = tuple(w for w in map(_word, body.get("words") or ()) if w is not None)
    if not words:
        words = tuple(w for s in segments for w in s.words)
    groq = body.get("x_groq")
    request_id = request_id or (groq.get("id") if isinstance(groq, Mapping) else None)
    language = language_code(body.get("language")) if isinstance(body.get("language"), str) else None
    return ChunkResult(
        chunk=chunk, task=task, text=text, segments=segments, words=words, language=language,
        duration=duration, model=model, request_id=request_id, attempts=attempts,
    )
