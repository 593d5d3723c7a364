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


def _export(transcript: Transcript, options: CueOptions | None, highlight_words: bool | None,
            speaker_style: str | None) -> ExportOptions:
    """What is given, and for the rest what the transcript's run was told (its ``subtitle_style``,
    limits, ``highlight_words`` and ``speaker_style``)."""
    recorded = transcript.options.export_options()
    return ExportOptions(recorded.cues if options is None else options,
                         recorded.highlight_words if highlight_words is None else highlight_words,
                         recorded.speaker_style if speaker_style is None else speaker_style)


def render(transcript: Transcript, fmt: str, options: CueOptions | None = None, highlight_words: bool | None = None,
           speaker_style: str | None = None) -> str:
    """``transcript`` in one format (``srt``, ``vtt``, ``json``, ``txt`` or ``ass``), as a string.
    ``options`` (the subtitle layout), ``highlight_words`` and ``speaker_style`` (``names`` or
    ``dashes``: how SubRip and ASS show who speaks) default to what the transcript's run was told."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise UsageError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}") from None
    stream = io.StringIO()
    writer(transcript, stream, _export(transcript, options, highlight_words, speaker_style))
    return stream.getvalue()


def write_outputs(transcript: Transcript, out_dir: Path, stem: str, formats: Iterable[str],
                  options: CueOptions | None = None, highlight_words: bool | None = None,
                  speaker_style: str | None = None) -> list[Path]:
    """Write ``<out_dir>/<stem>.<ext>`` for each format, atomically (the options as for
    :func:`render`); returns the paths."""
    paths = []
    for fmt in formats:
        path = Path(out_dir) / f"{stem}.{fmt}"
        write_atomic(path, render(transcript, fmt, options, highlight_words, speaker_style))
        paths.append(path)
    return paths


def save(transcript: Transcript, path: str | os.PathLike[str], highlight_words: bool | None = None,
         speaker_style: str | None = None, options: CueOptions | None = None) -> Path:
    """Write ``transcript`` to ``path`` in the format its extension names (.srt .vtt .json
    .txt .ass), atomically; the options as for :func:`render` (``CueOptions.style("bbc")``, ...).
    Returns the path."""
    target = Path(path)
    return write_outputs(transcript, target.parent, target.stem, [target.suffix.lstrip(".").lower()],
                         options, highlight_words, speaker_style)[0]
