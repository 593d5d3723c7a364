"""WebVTT (``.vtt``): a ``WEBVTT`` header, ``HH:MM:SS.mmm``, escaped text; ``NOTE`` blocks
only where a viewer may miss or misread something and the signal is about that place: before a
cue whose own words the engine heard with low confidence (their mean probability under
:data:`DOUBTFUL_WORDS`), and where speech has no words. The segment flags (``no_speech``,
``low_confidence``, ``repetition``: Whisper computes them per 30-s window, not per cue) stay in
the JSON. With ``highlight_words``,
inline word timestamps (karaoke); with speakers labelled, a voice span (``<v Ana>``) on every
cue, a new cue at every change of speaker."""

from __future__ import annotations

from typing import TextIO

from ..core.options import ExportOptions
from ..core.transcript import Transcript
from .cues import Cue, build_cues
from .timecode import format_timestamp, no_arrow

#: A cue is noted as doubtful when its words' mean probability is under this (Whisper's word
#: probabilities; engines without them get no such note).
DOUBTFUL_WORDS = 0.5


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions(),
          notes: bool = True) -> None:
    """Write ``transcript`` as WebVTT onto ``stream`` (``notes``: the quality notes)."""
    stream.write("WEBVTT\n\n")
    unheard = list(transcript.quality.unheard_speech) if notes else []
    cues = build_cues(transcript.segments, options.cues, transcript.duration, transcript.options.keep_hallucinations)
    for cue in cues:
        while unheard and unheard[0][0] <= cue.start:
            _note_unheard(stream, *unheard.pop(0))
        if notes and doubtful(cue):
            stream.write("NOTE quality: low word confidence, the words below may be wrong\n\n")
        text = _karaoke(cue) if options.highlight_words else "\n".join(_escape(line) for line in cue.lines)
        if cue.speaker is not None:
            text = "\n".join(f"<v {_voice(cue.speaker)}>{line}</v>" for line in text.split("\n"))
        stream.write(f"{format_timestamp(cue.start, '.')} --> {format_timestamp(cue.end, '.')}\n{text}\n\n")
    for stretch in unheard:
        _note_unheard(stream, *stretch)


def doubtful(cue: Cue) -> bool:
    """Whether the engine heard ``cue``'s own words with low confidence."""
    known = [w.probability for w in cue.words if w.probability is not None]
    return bool(known) and sum(known) / len(known) < DOUBTFUL_WORDS


def _escape(text: str) -> str:
    return no_arrow(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _voice(name: str) -> str:
    """A speaker's name as a voice annotation: one line, no ``>``, entities escaped."""
    return " ".join(_escape(name).split()) or "?"


def _note_unheard(stream: TextIO, start: float, end: float) -> None:
    stream.write(f"NOTE no words: {format_timestamp(start, '.')} to {format_timestamp(end, '.')} is as loud "
                 "as the speech but has no words\n\n")


def _karaoke(cue: Cue) -> str:
    """Cue text with ``<HH:MM:SS.mmm>`` before every word after the first, lines kept."""
    lines, first = [], True
    for line in cue.line_words:
        tokens = []
        for word in line:
            token = _escape(word.word)
            if not first:
                stamp = format_timestamp(min(max(word.start, cue.start), cue.end), ".")
                token = f"{token[:len(token) - len(token.lstrip())]}<{stamp}>{token.lstrip()}"
            tokens.append(token)
            first = False
        lines.append("".join(tokens).strip())
    return "\n".join(lines)
