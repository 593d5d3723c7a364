"""SubRip (``.srt``): cues numbered from 1, ``HH:MM:SS,mmm``, a blank line after each."""

from __future__ import annotations

from typing import TextIO

from ..core.options import ExportOptions
from ..core.transcript import Transcript
from .cues import build_cues
from .timecode import format_timestamp, no_arrow


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as SubRip onto ``stream``."""
    cues = build_cues(transcript.segments, options.cues, transcript.duration, transcript.options.keep_hallucinations)
    for number, cue in enumerate(cues, start=1):
        stream.write(f"{number}\n{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}\n"
                     f"{no_arrow(cue.text)}\n\n")
