"""The demo notebook runs from top to bottom (executed with nbclient), as a user's Jupyter would."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent


def test_notebook_executes_cleanly_and_shows_its_plot(tmp_path: Path) -> None:
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copytree(REPO / "audio_samples", tmp_path / "audio_samples")
    notebook = nbformat.read(REPO / "notebooks" / "podcast_transcription.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    printed = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    assert "ask not what your country" in printed.lower()
    assert "-->" in printed and "WEBVTT" in printed
    warnings = [o.get("text", "") for o in outputs if o.get("name") == "stderr" or o.output_type == "error"]
    assert warnings == [], "the notebook prints no warnings or errors"
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(images) == 1 and len(images[0]["data"]["image/png"]) > 10_000, "the plot is shown inline"
    assert list(work.iterdir()) == [], "nothing is left beside the notebook"
