"""Resume after a crash: every finished chunk result is kept on disk until its file is done.

An entry is keyed by the SHA-256 of the chunk's audio bytes and the request parameters
(engine, model, task, language, prompt, temperature, word timestamps), so a run killed at any
moment and started again re-sends no chunk that had finished. Entries are written atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from .engines.base import TranscribeOptions
from .files import write_atomic
from .types import Chunk, ChunkAudio, ChunkResult, Segment, Word


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
        """The stored result for ``key`` (re-attached to ``chunk``), or None."""
        path = self.folder / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return dataclasses.replace(result_from_dict(data), chunk=chunk)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # a damaged entry is simply redone
            return None

    def put(self, key: str, result: ChunkResult) -> None:
        """Store a finished result."""
        write_atomic(self.folder / f"{key}.json", json.dumps(result_to_dict(result), ensure_ascii=False))

    def clear(self) -> None:
        """Forget every entry (the file they belong to is done)."""
        if self.folder.is_dir():
            for entry in self.folder.glob("*.json"):
                entry.unlink(missing_ok=True)
            try:
                self.folder.rmdir()
            except OSError:
                pass  # something else lives there: leave it
