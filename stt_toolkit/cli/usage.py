"""The command line's own names for options: a usage error names the flag, not the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from typing import TypeVar

from ..core.errors import UsageError
from ..core.options import RunOptions

T = TypeVar("T")
#: Option fields named otherwise on the command line (every other field ``x_y`` is ``--x-y``).
_RENAMED = {"target_seconds": "chunk_seconds"}


def flag(field_name: str) -> str:
    """The flag that sets an option field: ``chunk_seconds`` -> ``--chunk-seconds``."""
    return "--" + _RENAMED.get(field_name, field_name).replace("_", "-")


# the field names a message may use: those with an underscore, and the one-word numeric ones
# (a word such as "engine" or "model" is left alone: it is also plain English)
_ONE_WORD = {"rpm", "concurrency", "temperature", "speakers"}
_FIELDS = {f.name for f in fields(RunOptions) if "_" in f.name} | set(_RENAMED) | _ONE_WORD
_NAMES = re.compile(r"(?<![-\w])(" + "|".join(sorted(_FIELDS, key=len, reverse=True)) + r")\b")


def usage(check: Callable[[], T]) -> T:
    """Run ``check``; its :class:`UsageError` is said in the flags' own names
    (``--chunk-seconds``, not ``target_seconds``)."""
    try:
        return check()
    except UsageError as exc:
        raise type(exc)(_NAMES.sub(lambda m: flag(m.group(1)), str(exc))) from None
