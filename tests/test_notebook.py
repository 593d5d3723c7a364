"""The demo notebook runs from top to bottom (executed with nbclient)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent


def test_notebook_executes(tmp_path: Path) -> None:
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copytree(REPO / "audio_samples", tmp_path / "audio_samples")
    notebook = nbformat.read(REPO / "notebooks" / "podcast_transcription.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "ask not what your country" in outputs.lower()
    assert "-->" in outputs and "WEBVTT" in outputs
    assert (work / "quality_signals.png").stat().st_size > 10_000
    assert (work / "transcript_demo.srt").exists()
