"""Stage 6: the output formats, one writer module each, in one registry.

A writer only formats onto a stream it is handed (``write(transcript, stream, options)``);
:func:`write_outputs` opens ``<out_dir>/<stem>.<ext>`` once, through a temporary name, for
every format. A new format is one module and one line in :data:`WRITERS`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from ..core.errors import UsageError
from ..core.options import CueOptions, ExportOptions
from ..core.transcript import Transcript
from . import ass, jsondoc, srt, text, vtt
from .files import write_atomic

Writer = Callable[[Transcript, TextIO, ExportOptions], None]
#: Every output format, by file extension.
WRITERS: dict[str, Writer] = {"srt": srt.write, "vtt": vtt.write, "json": jsondoc.write, "txt": text.write,
                              "ass": ass.write}
FORMATS = tuple(WRITERS)
#: What a run writes unless told otherwise.
DEFAULT_FORMATS = ("srt", "vtt", "json", "txt")


def render(transcript: Transcript, fmt: str, options: CueOptions = CueOptions(), highlight_words: bool = False,
           speaker_style: str = "names") -> str:
    """``transcript`` in one format (``srt``, ``vtt``, ``json``, ``txt`` or ``ass``), as a string;
    ``speaker_style`` (``names`` or ``dashes``) is how SubRip shows who speaks."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise UsageError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}") from None
    stream = io.StringIO()
    writer(transcript, stream, ExportOptions(options, highlight_words, speaker_style))
    return stream.getvalue()


def write_outputs(transcript: Transcript, out_dir: Path, stem: str, formats: Iterable[str],
                  options: CueOptions = CueOptions(), highlight_words: bool = False,
                  speaker_style: str = "names") -> list[Path]:
    """Write ``<out_dir>/<stem>.<ext>`` for each format, atomically; returns the paths."""
    paths = []
    for fmt in formats:
        path = Path(out_dir) / f"{stem}.{fmt}"
        write_atomic(path, render(transcript, fmt, options, highlight_words, speaker_style))
        paths.append(path)
    return paths


def save(transcript: Transcript, path: str | os.PathLike[str], highlight_words: bool = False,
         speaker_style: str = "names", options: CueOptions = CueOptions()) -> Path:
    """Write ``transcript`` to ``path`` in the format its extension names (.srt .vtt .json
    .txt .ass), atomically, subtitles laid out by ``options`` (``CueOptions.style("bbc")``, ...);
    returns the path."""
    target = Path(path)
    return write_outputs(transcript, target.parent, target.stem, [target.suffix.lstrip(".").lower()],
                         options, highlight_words, speaker_style)[0]
