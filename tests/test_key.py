"""The API key is read clean and never shown, whatever it looks like."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

import stt_toolkit as stt
from stt_toolkit import errors
from stt_toolkit.engines import GROQ, ApiEngine
from stt_toolkit.engines.secrets import secret_forms
from stt_toolkit.testing import Action, FakeWhisperServer

KEY = "gsk_Zq8+p/w=Key_0123456789"


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "OPENAI_"))}
    return subprocess.run([sys.executable, "-m", "stt_toolkit", *args], capture_output=True, text=True,
                          env={**environment, **env}, cwd=cwd, timeout=120)


def shown(text: str, key: str = KEY) -> list[str]:
    """The forms of ``key`` (or a telling piece of it) that appear in ``text``."""
    pieces = [*secret_forms(key), key[4:14]]
    return [p for p in pieces if p and p in text]


@pytest.mark.parametrize("ending", ["\r\n", "\n", " ", "\r"])
def test_a_key_with_a_line_ending_is_used_clean(ending: str, tmp_path: Path,
                                                flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    with FakeWhisperServer() as server:
        done = cli(["transcribe", str(src), "-o", str(tmp_path / "out"), "--engine", "groq", "--no-vad"],
                   {"GROQ_API_KEY": KEY + ending, "GROQ_BASE_URL": server.url}, tmp_path)
        assert done.returncode == 0, done.stderr
        assert {r.authorization for r in server.records} == {f"Bearer {KEY}"}
    assert not shown(done.stderr + done.stdout)
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert not shown(path.read_text()), path


@pytest.mark.parametrize("bad", [KEY[:10] + "\n" + KEY[10:], KEY[:10] + "é" + KEY[10:], KEY[:10] + " " + KEY[10:]])
def test_a_key_a_header_cannot_carry_is_refused_without_echoing_it(bad: str, tmp_path: Path,
                                                                   flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    with FakeWhisperServer() as server:
        done = cli(["transcribe", str(src), "-o", str(tmp_path / "out"), "--engine", "groq", "--no-vad"],
                   {"GROQ_API_KEY": bad, "GROQ_BASE_URL": server.url}, tmp_path)
        assert not server.records, "nothing is sent with a broken key"
    assert done.returncode == 1 and "GROQ_API_KEY" in done.stderr and "header cannot carry" in done.stderr
    assert "Traceback" not in done.stderr
    assert not shown(done.stderr + done.stdout, bad) and KEY[:10] not in done.stderr and KEY[10:] not in done.stderr


def test_every_form_of_the_key_is_scrubbed_from_messages(flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(12.0, [])
    echoed = (f"key {KEY} / {urllib.parse.quote(KEY, safe='')} / {urllib.parse.quote_plus(KEY)} / "
              f"{KEY.encode()!r}")
    with FakeWhisperServer() as server:
        server.default = lambda path, fields, seconds: Action(status=400, body={"error": {"message": echoed}})
        with pytest.raises(errors.BadAudioRequest) as caught:
            stt.transcribe(src, engine="groq", vad=False, api_key=KEY, base_url=server.url)
    assert "key *** / *** / *** / b'***'" in str(caught.value)
    assert not shown(str(caught.value)) and not shown(caught.value.body) and not shown(repr(caught.value))


def test_plain_http_beyond_this_machine_is_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    async def make(url: str) -> None:
        await ApiEngine(GROQ, api_key=KEY, base_url=url).aclose()

    with caplog.at_level(logging.WARNING, logger="stt_toolkit"):
        for url in ("http://127.0.0.1:9/openai/v1", "http://localhost:9/openai/v1", "https://api.example.org/v1"):
            asyncio.run(make(url))
        assert not caplog.records, "loopback and https need no warning"
        for _ in range(2):
            asyncio.run(make("http://transcribe.example.org/openai/v1"))
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "unencrypted to transcribe.example.org" in warnings[0]
    assert not shown(caplog.text)
