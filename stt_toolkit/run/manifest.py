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

from ..core.errors import OutputError
from ..output.files import write_atomic
from .inputs import OUTPUT_MARKER

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


class RunInputs:
    """The inputs of one run, known by path and by file identity (a hard link is the same file)."""

    def __init__(self, paths: Iterable[Path]) -> None:
        paths = list(paths)
        self.paths = {p.resolve() for p in paths}
        self.ids = {_file_id(p) for p in paths} - {None}

    def holds(self, target: Path) -> bool:
        """Whether writing ``target`` would replace one of the inputs, under any name."""
        return target.resolve() in self.paths or (target.exists() and _file_id(target) in self.ids)


def refusal(targets: Iterable[Path], inputs: RunInputs, manifest: OutputManifest,
            overwrite: bool) -> OutputError | None:
    """Why ``targets`` must not be written, said before any work: they would replace an input
    of the run (never allowed), or, without ``overwrite``, a file the toolkit did not write."""
    targets = list(targets)
    if clash := [t for t in targets if inputs.holds(t)]:
        return OutputError(f"its output {clash[0]} would replace an input; choose another output folder")
    foreign = [] if overwrite else manifest.foreign(targets)
    if foreign:
        return OutputError(f"{foreign[0]} exists and was not written by stt-toolkit (or was changed since); "
                           "pass --overwrite to replace it")
    return None


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


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
