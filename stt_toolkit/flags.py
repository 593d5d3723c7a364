"""The command line's own names for options, and turning option errors into usage errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from .errors import UsageError

T = TypeVar("T")
#: The flag that sets each option, for messages (the options' classes name their fields).
_FLAG_NAMES = {"target_seconds": "--chunk-seconds", "overlap_seconds": "--overlap-seconds",
               "search_seconds": "--search-seconds", "max_bytes": "--max-bytes", "chunk_seconds": "--chunk-seconds",
               "audio_seconds_per_hour": "--audio-seconds-per-hour", "rpm": "--rpm", "concurrency": "--concurrency",
               "max_attempts": "--max-attempts", "temperature": "--temperature"}


def usage(check: Callable[[], T]) -> T:
    """Run ``check``; a ``ValueError`` or ``TypeError`` from it is the user's: a
    :class:`UsageError` in the flags' own names (``--chunk-seconds``, not ``target_seconds``)."""
    try:
        return check()
    except UsageError:
        raise
    except (ValueError, TypeError) as exc:
        message = str(exc)
        for internal, flag in _FLAG_NAMES.items():
            message = re.sub(rf"\b{internal}\b", flag, message)
        raise UsageError(message) from None
