"""Finding the audio and video files under the paths a user names."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import AudioFileNotFound

#: File endings treated as audio or video when a folder is searched.
MEDIA_EXTENSIONS = frozenset(
    ".aac .aif .aiff .amr .ape .au .avi .caf .flac .m4a .m4b .m4v .mka .mkv .mov .mp2 .mp3 .mp4 "
    ".mpeg .mpg .mpga .oga .ogg .opus .ts .wav .weba .webm .wma .wmv .wv".split()
)


@dataclass(frozen=True)
class InputFile:
    """A file to process and its path relative to the folder it was found in (for outputs)."""

    path: Path
    relative: Path


def find_media_files(paths: Iterable[str | Path]) -> list[InputFile]:
    """Expand files and folders (recursively, media endings only) into a sorted file list.

    A named file is taken whatever its ending; a missing path raises
    :class:`~stt_toolkit.errors.AudioFileNotFound`.
    """
    found: dict[Path, InputFile] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if file.suffix.lower() in MEDIA_EXTENSIONS and not file.name.startswith("."):
                    found.setdefault(file.resolve(), InputFile(file, file.relative_to(path)))
        elif path.exists():
            found.setdefault(path.resolve(), InputFile(path, Path(path.name)))
        else:
            raise AudioFileNotFound(str(path), "no such file or folder")
    return list(found.values())


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary name, so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
