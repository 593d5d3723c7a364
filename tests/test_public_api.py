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


def test_each_error_knows_its_exit_code_and_one_line_form() -> None:
    assert errors.UsageError("x").exit_code == 2 and errors.UnknownOption("x").exit_code == 2
    assert all(cls.exit_code == 1 for cls in (errors.AudioError, errors.ApiError, errors.OutputBusy,
                                                errors.OutputError, errors.MissingDependency))
    assert isinstance(errors.UnknownOption("x"), TypeError) and isinstance(errors.UsageError("x"), ValueError)
    assert errors.NoAudioStream("talk.mp4", "no audio stream").summary == "no audio stream"
    assert errors.ApiTimeout("chunk 3: no answer in time\nmore").summary == "chunk 3: no answer in time"


def test_a_failed_outcome_keeps_its_exception() -> None:
    from pathlib import Path

    from stt_toolkit.run.inputs import InputFile

    item = InputFile(Path("a.mp3"), Path("a.mp3"))
    error = errors.NotAudioError("a.mp3", "not an audio or video file")
    outcome = stt_toolkit.FileOutcome(item, "failed", error=error)
    assert outcome.error is error and outcome.reason == "not an audio or video file"
    stopped = stt_toolkit.FileOutcome(item, "failed", error=errors.AuthenticationError("bad key", 401), stopped=True)
    assert stopped.reason == "run stopped: bad key"
    bug = stt_toolkit.FileOutcome(item, "failed", error=KeyError("x"))
    assert bug.reason == "internal error: KeyError('x')"
    assert stt_toolkit.FileOutcome(item, "done").reason is None
