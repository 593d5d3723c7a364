"""Advanced SubStation Alpha (``.ass``): styled subtitles for players and for burning into video
with ffmpeg (``-vf subtitles=talk.ass``, rendered by libass).

The same cues as SubRip (:mod:`.cues`, with speakers' names or dialogue dashes), on a 1920x1080
canvas in white with a black outline at the bottom centre, times in centiseconds
(``H:MM:SS.cc``). Each cue's speaker is also in the event's ``Name`` field. With
``highlight_words``, karaoke timing: each word carries ``{\\kN}``, its time in centiseconds until
the next word, and turns from white to yellow as it is spoken (the ``Karaoke`` style).
ASS has no escape for its override braces or backslashes, so ``{ } \\`` in the text are written
as their full-width forms ``｛ ｝ ＼``; the text is otherwise as spoken.
"""

from __future__ import annotations

from typing import TextIO

from ..core.options import ExportOptions
from ..core.transcript import Transcript
from .cues import Cue, labelled_cues

#: The script header: the canvas, the two styles (colours are &HAABBGGRR) and the event format.
HEADER = """[Script Info]
; Written by stt-toolkit
ScriptType: v4.00+
PlayResX: 1920
PlayResY: 1080
WrapStyle: 2
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Arial,64,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,3,1,2,120,120,60,1
Style: Karaoke,Arial,64,&H0000FFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,3,1,2,120,120,60,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
_UNSAFE = str.maketrans({"{": "｛", "}": "｝", "\\": "＼", "\n": " ", "\r": " "})


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as ASS onto ``stream``."""
    stream.write(HEADER)
    for cue, labelled in labelled_cues(transcript.segments, options, transcript.duration,
                                       transcript.options.keep_hallucinations):
        karaoke = options.highlight_words and not cue.is_dialogue
        lines = labelled.split("\n")
        text = _karaoke(cue, labelled) if karaoke else "\\N".join(line.translate(_UNSAFE) for line in lines)
        name = (cue.speaker or "").translate(_UNSAFE).replace(",", " ")
        stream.write(f"Dialogue: 0,{timestamp(cue.start)},{timestamp(cue.end)},{'Karaoke' if karaoke else 'Default'},"
                     f"{name},0,0,0,,{text}\n")


def timestamp(seconds: float) -> str:
    """``H:MM:SS.cc``, rounded to the centisecond."""
    total = max(round(seconds * 100), 0)
    hours, rest = divmod(total, 360_000)
    minutes, rest = divmod(rest, 6_000)
    return f"{hours}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def _karaoke(cue: Cue, labelled: str) -> str:
    """The cue's words, each after ``{\\kN}`` (centiseconds from its start to the next word's),
    lines joined by ``\\N``; a speaker's name before the first line is shown as it is."""
    prefix = labelled[: len(labelled) - len(cue.text)] if labelled.endswith(cue.text) else ""
    marks = [round((min(max(w.start, cue.start), cue.end) - cue.start) * 100) for w in cue.words]
    marks.append(round((cue.end - cue.start) * 100))
    out, index = [prefix.translate(_UNSAFE), f"{{\\k{marks[0]}}}" if marks[0] > 0 else ""], 0
    for number, line in enumerate(cue.line_words):
        if number:
            out.append("\\N")
        for position, word in enumerate(line):
            token = word.word.strip() if position == 0 else word.word
            out.append(f"{{\\k{max(marks[index + 1] - marks[index], 0)}}}{token.translate(_UNSAFE)}")
            index += 1
    return "".join(out)
