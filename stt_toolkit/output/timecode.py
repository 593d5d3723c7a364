"""Subtitle timestamps and text safety shared by the SRT and WebVTT writers (pure)."""

from __future__ import annotations


def format_timestamp(seconds: float, decimal_marker: str = ",") -> str:
    """``HH:MM:SS,mmm`` (hours always shown, and more than two digits past 99 hours)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_marker}{millis:03d}"


def no_arrow(text: str) -> str:
    """``text`` without ``-->``, which would end a cue's text in both formats."""
    return text.replace("-->", "→")
