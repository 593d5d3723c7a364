"""Test helpers shipped with the library: a fake Whisper API server on 127.0.0.1."""

from .fake_api import Action, FakeWhisperServer, RequestRecord

__all__ = ["Action", "FakeWhisperServer", "RequestRecord"]
