"""Stage 6: SRT, VTT, JSON and TXT writers onto text streams, and atomic file output.

Each writer only formats onto a stream it is handed; :func:`write_outputs` opens
``<out_dir>/<stem>.<ext>`` once, through a temporary name, for every format.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .cues import Cue, CueOptions, build_cues
from .files import write_atomic
from .quality import SILENCE_HALLUCINATION, notable_flags

if TYPE_CHECKING:
    from .transcript import Transcript

#: Every output format, by file extension.
FORMATS = ("srt", "vtt", "json", "txt")
_PARAGRAPH_PAUSE = 2.0


def format_timestamp(seconds: float, decimal_marker: str = ",") -> str:
    """``HH:MM:SS,mmm`` (hours always shown, and more than two digits past 99 hours)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_marker}{millis:03d}"


def _no_arrow(text: str) -> str:
    return text.replace("-->", "→")


def write_srt(transcript: Transcript, stream: TextIO, options: CueOptions = CueOptions()) -> None:
    """SubRip: cues numbered from 1, ``HH:MM:SS,mmm``, a blank line after each."""
    for number, cue in enumerate(build_cues(transcript.segments, options, transcript.duration), start=1):
        stream.write(f"{number}\n{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}\n"
                     f"{_no_arrow(cue.text)}\n\n")


def _vtt_escape(text: str) -> str:
    return _no_arrow(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_vtt(transcript: Transcript, stream: TextIO, options: CueOptions = CueOptions(),
              highlight_words: bool = False, notes: bool = True) -> None:
    """WebVTT: a ``WEBVTT`` header, ``HH:MM:SS.mmm``, escaped text; ``NOTE`` blocks before
    cues from flagged segments; with ``highlight_words``, inline word timestamps (karaoke)."""
    stream.write("WEBVTT\n\n")
    unheard = list(transcript.quality.unheard_speech) if notes else []
    for cue in build_cues(transcript.segments, options, transcript.duration):
        while unheard and unheard[0][0] <= cue.start:
            _note_unheard(stream, *unheard.pop(0))
        noted = notable_flags(cue.flags)
        if notes and noted:
            stream.write(f"NOTE quality: {', '.join(noted)}\n\n")
        text = _karaoke(cue) if highlight_words else _vtt_escape(cue.text)
        stream.write(f"{format_timestamp(cue.start, '.')} --> {format_timestamp(cue.end, '.')}\n{text}\n\n")
    for stretch in unheard:
        _note_unheard(stream, *stretch)


def _note_unheard(stream: TextIO, start: float, end: float) -> None:
    stream.write(f"NOTE no words: {format_timestamp(start, '.')} to {format_timestamp(end, '.')} is as loud "
                 "as the speech but has no words\n\n")


def _karaoke(cue: Cue) -> str:
    """Cue text with ``<HH:MM:SS.mmm>`` before every word after the first, lines kept."""
    lines, first = [], True
    for line in cue.line_words:
        tokens = []
        for word in line:
            token = _vtt_escape(word.word)
            if not first:
                stamp = format_timestamp(min(max(word.start, cue.start), cue.end), ".")
                token = f"{token[:len(token) - len(token.lstrip())]}<{stamp}>{token.lstrip()}"
            tokens.append(token)
            first = False
        lines.append("".join(tokens).strip())
    return "\n".join(lines)


def write_json(transcript: Transcript, stream: TextIO) -> None:
    """The full transcript (see :mod:`stt_toolkit.transcript`)."""
    stream.write(transcript.to_json())


def write_txt(transcript: Transcript, stream: TextIO) -> None:
    """Readable paragraphs: segments joined, a new paragraph after a pause over 2 s."""
    paragraphs: list[list[str]] = []
    previous_end = None
    for segment in transcript.segments:
        text = segment.text.strip()
        if not text or SILENCE_HALLUCINATION in segment.flags:
            continue
        if previous_end is None or segment.start - previous_end > _PARAGRAPH_PAUSE:
            paragraphs.append([])
        paragraphs[-1].append(text)
        previous_end = segment.end
    spaced = " " if (transcript.language or "") not in ("ja", "zh", "yue", "th", "lo", "my", "km") else ""
    stream.write("\n\n".join(spaced.join(p) for p in paragraphs) + ("\n" if paragraphs else ""))


def render(transcript: Transcript, fmt: str, options: CueOptions = CueOptions(), highlight_words: bool = False) -> str:
    """One format as a string."""
    stream = io.StringIO()
    if fmt == "srt":
        write_srt(transcript, stream, options)
    elif fmt == "vtt":
        write_vtt(transcript, stream, options, highlight_words=highlight_words)
    elif fmt == "json":
        write_json(transcript, stream)
    elif fmt == "txt":
        write_txt(transcript, stream)
    else:
        raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    return stream.getvalue()


def write_outputs(transcript: Transcript, out_dir: Path, stem: str, formats: Iterable[str],
                  options: CueOptions = CueOptions(), highlight_words: bool = False) -> list[Path]:
    """Write ``<out_dir>/<stem>.<ext>`` for each format, atomically; returns the paths."""
    paths = []
    for fmt in formats:
        path = Path(out_dir) / f"{stem}.{fmt}"
        write_atomic(path, render(transcript, fmt, options, highlight_words))
        paths.append(path)
    return paths
