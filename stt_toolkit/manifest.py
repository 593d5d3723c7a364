"""Which files in an output folder the toolkit wrote: so that a run replaces only its own.

``OUT_DIR/.stt-toolkit-outputs.json`` maps each output written (its path relative to the
folder) to the SHA-256 of its content. A file there with the same content is the toolkit's
own and may be rewritten; any other file (the user's ``talk.txt`` beside ``talk.wav``, an
output the user has since edited) is replaced only with ``--overwrite``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from .files import OUTPUT_MARKER, write_atomic

MANIFEST = OUTPUT_MARKER


class OutputManifest:
    """The record of the outputs written into one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST
        self._written: dict[str, str] = _read(self.path)

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is an output the toolkit wrote, unchanged since."""
        recorded = self._written.get(self._name(path))
        return recorded is not None and path.is_file() and _sha256(path) == recorded

    def foreign(self, paths: Iterable[Path]) -> list[Path]:
        """The ``paths`` that exist but were not written by the toolkit (or were changed since)."""
        return [p for p in paths if p.exists() and not self.owns(p)]

    def record(self, paths: Iterable[Path]) -> None:
        """Note ``paths`` as written now, and save the record."""
        for path in paths:
            self._written[self._name(path)] = _sha256(path)
        write_atomic(self.path, json.dumps(self._written, indent=1, sort_keys=True, ensure_ascii=False))

    def _name(self, path: Path) -> str:
        return path.resolve().relative_to(self.folder.resolve()).as_posix()


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: nothing counts as ours, so nothing is replaced
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
