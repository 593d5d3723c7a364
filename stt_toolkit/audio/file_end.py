"""Whether a FLAC or WAV file still ends where its header says: the fact that tells a file
cut short from one damaged inside, the same with any decoder (ffmpeg builds lose different
amounts of audio around damage, and ffmpeg takes a cut WAV's length from the file's size).

A FLAC stream's STREAMINFO states its total samples; every frame starts with a header (sync
code, block size, the frame's or first sample's number, CRC-8). A file whose last frame header
covers the last announced sample ends whole; a file cut short does not. A WAV file's ``data``
chunk states its size; a file with fewer bytes after it was cut short.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

_TAIL_BYTES = 1 << 18
_BLOCK_SIZES = {1: 192, 2: 576, 3: 1152, 4: 2304, 5: 4608, **{c: 256 << (c - 8) for c in range(8, 16)}}


def ends_whole(path: str | Path) -> bool | None:
    """True when the file holds all the audio its header announces, False when it ends
    before; None when it is neither FLAC nor WAV, or the header states no length."""
    with open(path, "rb") as f:
        head = f.read(42)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _wav_ends_whole(f)
        if head[:4] != b"fLaC" or len(head) < 42 or head[4] & 0x7F != 0:
            return None
        info = head[8:42]
        fixed_block = int.from_bytes(info[2:4], "big")  # every frame but the last, in fixed-size streams
        total = int.from_bytes(info[13:18], "big") & ((1 << 36) - 1)
        size = f.seek(0, 2)
        f.seek(max(42, size - _TAIL_BYTES))
        tail = f.read()
    if total == 0:
        return None
    last = last_frame_end(tail, fixed_block)
    return last is not None and last >= total


def _wav_ends_whole(f: BinaryIO) -> bool | None:
    size = f.seek(0, 2)
    pos = 12
    while pos + 8 <= size:
        f.seek(pos)
        chunk = f.read(8)
        length = int.from_bytes(chunk[4:8], "little")
        if chunk[:4] == b"data":
            if length in (0, 0xFFFFFFFF):
                return None  # written by a streaming writer that never went back to fill it in
            return pos + 8 + length <= size
        pos += 8 + length + (length & 1)
    return None


def last_frame_end(data: bytes, fixed_block: int) -> int | None:
    """The sample number just after the last valid frame header in ``data`` (pure)."""
    end = None
    index = data.find(b"\xff", 0)
    while index != -1 and index + 6 <= len(data):
        if data[index + 1] in (0xF8, 0xF9):
            found = _frame_span(data, index, fixed_block)
            if found is not None:
                end = found
        index = data.find(b"\xff", index + 1)
    return end


def _frame_span(data: bytes, at: int, fixed_block: int) -> int | None:
    """The end sample of the frame whose header starts at ``at``, if the header is valid."""
    variable = data[at + 1] == 0xF9
    block_code, rate_code = data[at + 2] >> 4, data[at + 2] & 0x0F
    if block_code == 0 or rate_code == 15 or data[at + 3] & 0x01 or (data[at + 3] >> 4) > 10:
        return None
    number, pos = _utf8_number(data, at + 4)
    if number is None:
        return None
    if block_code == 6:
        block, pos = data[pos] + 1 if pos < len(data) else None, pos + 1
    elif block_code == 7:
        block, pos = int.from_bytes(data[pos:pos + 2], "big") + 1 if pos + 2 <= len(data) else None, pos + 2
    else:
        block = _BLOCK_SIZES.get(block_code)
    pos += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if block is None or pos >= len(data) or _crc8(data[at:pos]) != data[pos]:
        return None
    first = number if variable else number * fixed_block
    return first + block


def _utf8_number(data: bytes, pos: int) -> tuple[int | None, int]:
    if pos >= len(data):
        return None, pos
    lead = data[pos]
    if lead < 0x80:
        return lead, pos + 1
    # n more bytes: the lead byte starts with n + 1 ones and a zero
    extra = next((n for n in range(1, 7) if lead >> (6 - n) == (1 << (n + 2)) - 2), None)
    if extra is None or pos + extra >= len(data):
        return None, pos
    value = lead & (0x3F >> extra)
    for byte in data[pos + 1:pos + 1 + extra]:
        if byte & 0xC0 != 0x80:
            return None, pos
        value = (value << 6) | (byte & 0x3F)
    return value, pos + 1 + extra


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc
