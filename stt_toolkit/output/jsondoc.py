"""JSON (``.json``): the whole transcript, lossless (see :mod:`stt_toolkit.core.transcript`)."""

from __future__ import annotations

from typing import TextIO

from ..core.options import ExportOptions
from ..core.transcript import Transcript


def write(transcript: Transcript, stream: TextIO, options: ExportOptions = ExportOptions()) -> None:
    """Write ``transcript`` as JSON onto ``stream``."""
    stream.write(transcript.to_json())
