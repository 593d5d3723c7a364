"""SubRip (``.srt``): cues numbered from 1, ``HH:MM:SS,mmm``, a blank line after each.

With speakers labelled, a new cue starts at every change of speaker. The ``names`` style
starts each speaker's turn with "Name: "; the ``dashes`` style puts a short exchange of two
speakers in one cue, each line led by "- ", as broadcast subtitles do.
"""

from __future__ import annotations

from typing import TextIO

from ..core.options import ExportOptions
from ..core.transcript import Transcript
from .cues import build_cues, dialogue_cues, labelled_text
from .timecode import format_timestamp, no_arrow


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as SubRip onto ``stream``."""
    cues = build_cues(transcript.segments, options.cues, transcript.duration, transcript.options.keep_hallucinations,
                      names=options.speaker_style == "names")
    if options.speaker_style == "dashes":
        cues = dialogue_cues(cues, options.cues)
    previous: str | None = None
    for number, cue in enumerate(cues, start=1):
        stream.write(f"{number}\n{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}\n"
                     f"{no_arrow(labelled_text(cue, previous, options.speaker_style))}\n\n")
        previous = cue.line_speakers[-1] if cue.line_speakers else None
