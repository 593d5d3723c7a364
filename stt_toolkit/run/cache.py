"""Resume after a crash: every finished chunk result, and a file's speaker turns, are kept on
disk until the file is done.

An entry is keyed by the SHA-256 of the chunk's audio bytes and the request parameters
(engine, model, task, language, prompt, temperature, word timestamps), so a run killed at any
moment and started again re-sends no chunk that had finished. Entries are written atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

from ..core.options import TranscribeOptions
from ..core.records import Chunk, ChunkAudio, ChunkResult, Segment, SpeakerTurn, Word
from ..output.files import write_atomic

log = logging.getLogger("stt_toolkit")
_FORMAT = 2
# Stored times may exceed the chunk by float rounding, nothing more.
_SLACK_SECONDS = 0.01


def result_to_dict(result: ChunkResult) -> dict[str, Any]:
    """A JSON-ready form of a chunk result."""
    return dataclasses.asdict(result)


def result_from_dict(data: dict[str, Any]) -> ChunkResult:
    """Rebuild a chunk result from :func:`result_to_dict` output."""
    chunk = Chunk(**{**data["chunk"], "part": tuple(data["chunk"].get("part", ()))})
    segments = tuple(Segment(**{**s, "words": tuple(Word(**w) for w in s.get("words", ())),
                                "flags": tuple(s.get("flags", ()))}) for s in data["segments"])
    return ChunkResult(**{**data, "chunk": chunk, "segments": segments,
                          "words": tuple(Word(**w) for w in data["words"])})


class ChunkCache:
    """Finished chunk results of one input file under ``folder`` (created on first write)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def key(self, audio: ChunkAudio, engine: str, model: str, options: TranscribeOptions) -> str:
        """The entry name for this chunk audio and these request parameters."""
        digest = hashlib.sha256(audio.data)
        params = json.dumps([engine, model, dataclasses.asdict(options), audio.codec], sort_keys=True)
        digest.update(params.encode())
        return digest.hexdigest()

    def get(self, key: str, chunk: Chunk) -> ChunkResult | None:
        """The stored result for ``key`` (re-attached to ``chunk``), or None when there is
        none or it is not sound (then it is deleted, and the chunk is done again)."""
        path = self.folder / f"{key}.json"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        result = _load(raw, chunk)
        if result is None:
            log.info("cache entry %s is damaged; its chunk is done again", path.name)
            path.unlink(missing_ok=True)
        return result

    def put(self, key: str, result: ChunkResult) -> None:
        """Store a finished result (a result that is not sound is not stored)."""
        if not is_sound(result):
            return
        payload = result_to_dict(result)
        entry = {"format": _FORMAT, "sha256": _digest(payload), "result": payload}
        write_atomic(self.folder / f"{key}.json", json.dumps(entry, ensure_ascii=False))

    def turns_key(self, flac: str | Path, backend: str, params: Any) -> str:
        """The entry name for the speaker turns of the audio ``flac`` found by ``backend``
        with ``params`` (the count asked for, the windowing)."""
        digest = hashlib.sha256()
        with open(flac, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        digest.update(json.dumps(["speakers", backend, params], sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def get_turns(self, key: str) -> list[SpeakerTurn] | None:
        """The speaker turns stored under ``key``, or None (a damaged entry is deleted)."""
        path = self.folder / f"{key}.json"
        try:
            entry = json.loads(path.read_bytes())
            if entry.get("format") != _FORMAT or entry.get("sha256") != _digest(entry.get("turns")):
                raise ValueError("damaged")
            turns = [SpeakerTurn(float(t[0]), float(t[1]), str(t[2])) for t in entry["turns"]]
            if not all(math.isfinite(t.start) and 0 <= t.start <= t.end for t in turns):
                raise ValueError("damaged")
            return turns
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            log.info("cache entry %s is damaged; its speakers are found again", path.name)
            path.unlink(missing_ok=True)
            return None

    def put_turns(self, key: str, turns: list[SpeakerTurn]) -> None:
        """Store the speaker turns of a file."""
        payload = [[t.start, t.end, t.speaker] for t in turns]
        write_atomic(self.folder / f"{key}.json",
                     json.dumps({"format": _FORMAT, "sha256": _digest(payload), "turns": payload}, ensure_ascii=False))

    def clear(self) -> None:
        """Forget every entry (the file they belong to is done)."""
        if self.folder.is_dir():
            for entry in self.folder.glob("*.json"):
                entry.unlink(missing_ok=True)
            try:
                self.folder.rmdir()
            except OSError:
                pass  # something else lives there: leave it


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _load(raw: bytes, chunk: Chunk) -> ChunkResult | None:
    """The result an entry holds, if the entry is whole and the result sound; else None."""
    try:
        entry = json.loads(raw)
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("sha256") != _digest(
                entry.get("result")):
            return None
        result = dataclasses.replace(result_from_dict(entry["result"]), chunk=chunk)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return result if is_sound(result) else None


def is_sound(result: ChunkResult) -> bool:
    """Whether every value of ``result`` is of its type and every time inside its chunk."""
    limit = result.chunk.duration + _SLACK_SECONDS
    items = [*result.words, *result.segments, *(w for s in result.segments for w in s.words)]
    if not isinstance(result.text, str) or not all(isinstance(i.word if isinstance(i, Word) else i.text, str)
                                                   for i in items):
        return False
    for item in items:
        times = (item.start, item.end)
        if not all(isinstance(t, (int, float)) and math.isfinite(t) for t in times):
            return False
        if not 0 <= item.start <= item.end <= limit:
            return False
    signals = [v for s in result.segments for v in (s.avg_logprob, s.no_speech_prob, s.compression_ratio)]
    return all(v is None or (isinstance(v, (int, float)) and math.isfinite(v)) for v in signals)
