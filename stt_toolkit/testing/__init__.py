"""Test helpers shipped with the library: a fake Whisper API server on 127.0.0.1, and a
timer that runs faster than real time."""

from .clock import FastTimer
from .fake_api import Action, FakeWhisperServer, RequestRecord, Shape, in_shape

__all__ = ["Action", "FakeWhisperServer", "FastTimer", "RequestRecord", "Shape", "in_shape"]
