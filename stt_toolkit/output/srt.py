"""SubRip (``.srt``): cues numbered from 1, ``HH:MM:SS,mmm``, a blank line after each.

With speakers labelled, a new cue starts at every change of speaker. The ``names`` style
starts each speaker's turn with "Name: "; the ``dashes`` style puts a short exchange of two
speakers in one cue, each line led by "- ", as broadcast subtitles do.
"""

from __future__ import annotations

from typing import TextIO

from ..core.options import ExportOptions
from ..core.transcript import Transcript
from .cues import labelled_cues
from .timecode import format_timestamp, no_arrow


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as SubRip onto ``stream``."""
    shown = labelled_cues(transcript.segments, options, transcript.duration, transcript.options.keep_hallucinations)
    for number, (cue, text) in enumerate(shown, start=1):
        stream.write(f"{number}\n{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}\n{no_arrow(text)}\n\n")
