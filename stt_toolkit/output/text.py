"""Plain text (``.txt``): readable paragraphs, the segments joined, a new paragraph after a
pause over 2 s; the same segments as :attr:`~stt_toolkit.Transcript.text`. With speakers
labelled, a new paragraph at every change of speaker, led by the speaker's name ("Ana: ")."""

from __future__ import annotations

from typing import TextIO

from ..core.flags import shown
from ..core.options import ExportOptions
from ..core.transcript import Transcript

_PARAGRAPH_PAUSE = 2.0
_UNSPACED = ("ja", "zh", "yue", "th", "lo", "my", "km")  # scripts written without spaces


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as paragraphs of plain text onto ``stream``."""
    paragraphs: list[tuple[str | None, list[str]]] = []
    previous_end = None
    speaker = None
    for segment in transcript.segments:
        text = segment.text.strip()
        if not text or not shown(segment.flags, transcript.options.keep_hallucinations):
            continue
        if segment.speaker != speaker:
            paragraphs.append((segment.speaker, []))
        elif previous_end is None or segment.start - previous_end > _PARAGRAPH_PAUSE:
            paragraphs.append((None, []))  # the same speaker goes on
        paragraphs[-1][1].append(text)
        previous_end, speaker = segment.end, segment.speaker
    spaced = "" if (transcript.language or "") in _UNSPACED else " "
    lines = [(f"{name}: " if name else "") + spaced.join(texts) for name, texts in paragraphs]
    stream.write("\n\n".join(lines) + ("\n" if lines else ""))
