"""Finding the audio and video files under the paths a user names."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
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


def find_media_files(paths: Iterable[str | Path], include: Sequence[str] = (),
                     exclude: Sequence[str] = ()) -> list[InputFile]:
    """Expand files and folders (recursively, media endings only) into a sorted file list.

    A named file is taken whatever its ending. Inside folders, ``include`` globs (any of
    them) and ``exclude`` globs (none of them) filter the paths relative to the folder.
    A missing path raises :class:`~stt_toolkit.errors.AudioFileNotFound`.
    """
    found: dict[Path, InputFile] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = file.relative_to(path)
                if (file.suffix.lower() in MEDIA_EXTENSIONS and not any(p.startswith(".") for p in relative.parts)
                        and _selected(relative, include, exclude)):
                    found.setdefault(file.resolve(), InputFile(file, relative))
        elif path.exists():
            found.setdefault(path.resolve(), InputFile(path, Path(path.name)))
        else:
            raise AudioFileNotFound(str(path), "no such file or folder")
    return list(found.values())


def _selected(relative: Path, include: Sequence[str], exclude: Sequence[str]) -> bool:
    text = relative.as_posix()
    if include and not any(fnmatch.fnmatch(text, g) or fnmatch.fnmatch(relative.name, g) for g in include):
        return False
    return not any(fnmatch.fnmatch(text, g) or fnmatch.fnmatch(relative.name, g) for g in exclude)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary name, so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
