"""Finding the audio and video files under the paths a user names, and naming their outputs."""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import AudioFileNotFound, UsageError

_MAX_DEPTH = 64
#: The file that marks a folder of the toolkit's outputs (the manifest, see :mod:`stt_toolkit.run.manifest`).
OUTPUT_MARKER = ".stt-toolkit-outputs.json"
_OUTPUT_ENDINGS = frozenset({".srt", ".vtt", ".json", ".txt"})
#: File endings treated as audio or video when a folder is searched.
MEDIA_EXTENSIONS = frozenset(
    ".aac .aif .aiff .amr .ape .au .avi .caf .flac .m4a .m4b .m4v .mka .mkv .mov .mp2 .mp3 .mp4 "
    ".mpeg .mpg .mpga .oga .ogg .opus .ts .wav .weba .webm .wma .wmv .wv".split()
)


@dataclass(frozen=True)
class InputFile:
    """A file to process, its path relative to the folder it was found in, and the name of
    its outputs relative to the output folder (see :func:`name_outputs`)."""

    path: Path
    relative: Path
    stem: Path | None = None

    @property
    def output_stem(self) -> Path:
        """``<stem>`` of ``<out_dir>/<stem>.srt`` and the others."""
        return self.stem if self.stem is not None else self.relative.with_suffix("")


def name_outputs(items: Iterable[InputFile]) -> list[InputFile]:
    """Give every input of a run outputs of its own (pure; the same file named twice counts once).

    The rule: outputs are named after the input's path relative to the folder it was found in,
    without its ending (``talks/a.mp3`` -> ``talks/a.srt``). Inputs that would share a name
    (compared without case, as some file systems do) keep their ending (``a.mp3.srt`` and
    ``a.wav.srt``); files named one by one that still share one go under as many of their
    parent folders' names as tell them apart (``x/talk.mp3.srt``, ``y/talk.mp3.srt``); any
    left get a number (``Talk.mp3-2.srt``).
    """
    unique: dict[Path, InputFile] = {}
    for item in items:
        unique.setdefault(item.path.resolve(), item)
    named = [dataclasses.replace(i, stem=i.relative.with_suffix("")) for i in unique.values()]
    for depth in range(_MAX_DEPTH):
        changed = False
        for group in _clashes(named):
            if depth and len({named[i].path.resolve().parent for i in group}) == 1:
                continue  # one folder: its name cannot tell them apart (a number will)
            for index in group:
                item = named[index]
                folders = item.path.resolve().parent.parts[1:]
                kept = folders[max(0, len(folders) - depth):] if depth else ()
                named[index] = dataclasses.replace(item, stem=Path(*kept, item.relative))
                changed = True
        if not changed:
            break
    for group in _clashes(named):
        for number, index in enumerate(group[1:], start=2):
            stem = named[index].output_stem
            named[index] = dataclasses.replace(named[index], stem=stem.with_name(f"{stem.name}-{number}"))
    return named


_FILE_ENDINGS = MEDIA_EXTENSIONS | _OUTPUT_ENDINGS


def _clashes(items: Sequence[InputFile]) -> list[list[int]]:
    by_name: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_name.setdefault(item.output_stem.as_posix().casefold(), []).append(index)
    return [group for group in by_name.values() if len(group) > 1]


def find_media_files(paths: Iterable[str | Path], include: Sequence[str] = (),
                     exclude: Sequence[str] = ()) -> list[InputFile]:
    """Expand files and folders (recursively, media endings only) into a sorted file list.

    A named file is taken whatever its ending. Inside folders, ``include`` globs (any of
    them) and ``exclude`` globs (none of them) filter the paths relative to the folder.
    A missing path raises :class:`~stt_toolkit.AudioFileNotFound`. Each file's
    outputs get a name of their own (:func:`name_outputs`).
    """
    found: dict[Path, InputFile] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            outputs = _output_folders(path)
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = file.relative_to(path)
                if (file.suffix.lower() in MEDIA_EXTENSIONS and not any(p.startswith(".") for p in relative.parts)
                        and not any(folder in outputs for folder in file.parents)
                        and _selected(relative, include, exclude)):
                    found.setdefault(file.resolve(), InputFile(file, relative))
        elif path.exists():
            found.setdefault(path.resolve(), InputFile(path, Path(path.name)))
        else:
            raise AudioFileNotFound(str(path), "no such file or folder")
    return name_outputs(found.values())


def _output_folders(root: Path) -> set[Path]:
    """Folders below ``root`` that hold the toolkit's own outputs (``prepare``'s FLAC, say):
    they are not searched for inputs, or a run would transcribe what a run wrote."""
    return {marker.parent for marker in root.rglob(OUTPUT_MARKER) if marker.parent != root}


def _selected(relative: Path, include: Sequence[str], exclude: Sequence[str]) -> bool:
    text = relative.as_posix()
    if include and not any(fnmatch.fnmatch(text, g) or fnmatch.fnmatch(relative.name, g) for g in include):
        return False
    return not any(fnmatch.fnmatch(text, g) or fnmatch.fnmatch(relative.name, g) for g in exclude)


def check_out_dir(path: Path) -> None:
    """Refuse, as a :class:`~stt_toolkit.UsageError`, an output folder that is a file or that is
    named like one (``-o talk.srt`` would otherwise become a folder ``talk.srt/``)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"-o {path}: that is a file; -o takes a folder (outputs are named after the inputs)")
    if not path.exists() and path.suffix.lower() in _FILE_ENDINGS:
        raise UsageError(f"-o {path}: that looks like a file name; -o takes a folder (outputs are named after "
                         "the inputs)")
