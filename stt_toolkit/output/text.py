"""Plain text (``.txt``): readable paragraphs, the segments joined, a new paragraph after a
pause over 2 s; the same segments as :attr:`~stt_toolkit.Transcript.text`."""

from __future__ import annotations

from typing import TextIO

from ..core.flags import shown
from ..core.options import ExportOptions
from ..core.transcript import Transcript

_PARAGRAPH_PAUSE = 2.0
_UNSPACED = ("ja", "zh", "yue", "th", "lo", "my", "km")  # scripts written without spaces


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as paragraphs of plain text onto ``stream``."""
    paragraphs: list[list[str]] = []
    previous_end = None
    for segment in transcript.segments:
        text = segment.text.strip()
        if not text or not shown(segment.flags, transcript.options.keep_hallucinations):
            continue
        if previous_end is None or segment.start - previous_end > _PARAGRAPH_PAUSE:
            paragraphs.append([])
        paragraphs[-1].append(text)
        previous_end = segment.end
    spaced = "" if (transcript.language or "") in _UNSPACED else " "
    stream.write("\n\n".join(spaced.join(p) for p in paragraphs) + ("\n" if paragraphs else ""))
