"""The codecs a chunk can be uploaded in: the one table of their names, file endings and
MIME types, and how many bytes a second of 16 kHz mono speech takes in each (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Codec = Literal["flac", "wav", "ogg-opus"]


@dataclass(frozen=True)
class CodecInfo:
    """One upload codec. ``bytes_per_second`` is a cautious ceiling for 16 kHz mono 16-bit
    audio (FLAC's real rate is measured per file, never above this)."""

    name: str
    extension: str
    mime_type: str
    bytes_per_second: float


#: Every codec, by name; the first is the default.
CODECS: dict[str, CodecInfo] = {
    "flac": CodecInfo("flac", "flac", "audio/flac", 32_000 * 1.02),
    "wav": CodecInfo("wav", "wav", "audio/wav", 32_000),
    "ogg-opus": CodecInfo("ogg-opus", "ogg", "audio/ogg", 5_000),  # 32 kbit/s plus Ogg framing, with margin
}
#: The names, for choices and messages.
CODEC_NAMES: tuple[str, ...] = tuple(CODECS)
