"""The public API: a sorted ``__all__`` that names only real, documented objects."""

from __future__ import annotations

import inspect

import stt_toolkit
from stt_toolkit import errors


def test_all_is_sorted_and_complete() -> None:
    assert stt_toolkit.__all__ == sorted(stt_toolkit.__all__)
    for name in stt_toolkit.__all__:
        obj = getattr(stt_toolkit, name)
        if name != "__version__":
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_one_exception_hierarchy() -> None:
    for name, obj in vars(errors).items():
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, errors.SttError), name
            assert name in stt_toolkit.__all__, f"{name} is not exported"


def test_audio_errors_name_the_file_and_reason() -> None:
    error = errors.NoAudioStream("talk.mp4", "no audio stream", ["line one"])
    assert str(error) == "talk.mp4: no audio stream"
    assert error.source == "talk.mp4" and error.details == ("line one",)
    assert error.explain() == "talk.mp4: no audio stream\n    line one"
