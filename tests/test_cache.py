"""The resume cache cannot poison a file: what does not load or validate is redone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stt_toolkit.core.options import RunOptions
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.run.batch import CACHE_FOLDER, process_files
from stt_toolkit.run.cache import _digest
from stt_toolkit.run.inputs import find_media_files
from stt_toolkit.testing import Action, FakeWhisperServer

KEY = "gsk_test_cache_0123456789"


def poisoned(entry: dict[str, Any]) -> dict[str, Any]:
    """A start the merge would choke on, under a checksum that matches (an old or forged entry)."""
    entry["result"]["words"][0]["start"] = 1e308
    entry["result"]["segments"][0]["words"][0]["start"] = 1e308
    entry["sha256"] = _digest(entry["result"])
    return entry


def emptied(entry: dict[str, Any]) -> dict[str, Any]:
    """Valid JSON of the right shape, but not what was stored."""
    entry["result"].update(text="", words=[], segments=[])
    return entry


TAMPER: dict[str, Callable[[bytes], bytes]] = {
    "poisoned": lambda raw: json.dumps(poisoned(json.loads(raw))).encode(),
    "emptied": lambda raw: json.dumps(emptied(json.loads(raw))).encode(),
    "wrong type": lambda raw: b"[1, 2, 3]",
    "cut short": lambda raw: raw[: len(raw) // 2],
    "not json": lambda raw: b"\x00\xff garbage",
    "old format": lambda raw: json.dumps(json.loads(raw)["result"]).encode(),
}


def run(src: Path, out: Path, server: FakeWhisperServer) -> Any:
    options = RunOptions(engine="groq", vad=False, api_key=KEY, base_url=server.url, chunk_seconds=12, overlap_seconds=1,
                         search_seconds=1, fill_gaps=False, max_attempts=1, concurrency=1)
    return asyncio.run(process_files(find_media_files([src]), out, ["json"], options))


@pytest.mark.parametrize("kind", TAMPER)
def test_a_damaged_cache_entry_is_redone_not_used(kind: str, tmp_path: Path,
                                                  flac_with_silences: Callable[..., Path]) -> None:
    src = flac_with_silences(36.0, [])
    out = tmp_path / "out"
    with FakeWhisperServer() as server:
        server.script(Action(), Action(), Action(status=400, body={"error": {"message": "could not process"}}))
        first = run(src, out, server)
        assert first.count("failed") == 1
    entries = sorted((out / CACHE_FOLDER).rglob("*.json"))
    assert len(entries) == 2, "the two answered chunks are kept for the rerun"
    entries[0].write_bytes(TAMPER[kind](entries[0].read_bytes()))
    with FakeWhisperServer() as server:
        again = run(src, out, server)
        assert again.count("done") == 1, again.outcomes
        assert len(server.records) == 2, "the damaged entry's chunk and the failed one are sent, no more"
    transcript = Transcript.from_json((out / f"{src.stem}.json").read_text())
    assert len({w.word.strip()[:7] for w in transcript.words}) == 3, "every chunk's words are in the transcript"
    assert all(0 <= w.start <= transcript.duration for w in transcript.words)
    assert not list((out / CACHE_FOLDER).rglob("*.json"))
