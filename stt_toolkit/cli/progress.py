"""Progress for the CLI: a bar over total audio seconds with an ETA on a terminal, plain log
lines otherwise, nothing with ``--quiet``."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..run.batch import FileOutcome
from ..run.inputs import InputFile


class LineReporter:
    """One line per event, for logs and pipes."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream

    def file_started(self, item: InputFile, duration: float) -> None:
        """Say a file's length once it is decoded."""
        print(f"started  {item.relative} ({duration / 60:.1f} min)", file=self.stream, flush=True)

    def chunk_done(self, item: InputFile, seconds: float) -> None:
        """Chunks are not worth a line each."""

    def file_finished(self, outcome: FileOutcome) -> None:
        """One line per finished file."""
        print(describe(outcome), file=self.stream, flush=True)


class BarReporter(LineReporter):
    """A tqdm bar over the audio seconds of every decoded file, plus a line per file. The bar
    appears with the first file, so that what is said before (the engine chosen) keeps its line."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        super().__init__(stream)
        self.bar: Any = None

    def _shown(self) -> Any:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=0.0, unit="s", unit_scale=True, desc="audio", file=self.stream, dynamic_ncols=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s "
                                       "[{elapsed}<{remaining}]")
        return self.bar

    def file_started(self, item: InputFile, duration: float) -> None:
        """Grow the bar's total by the file's duration."""
        bar = self._shown()
        bar.total += duration
        bar.refresh()

    def chunk_done(self, item: InputFile, seconds: float) -> None:
        """Advance the bar."""
        self._shown().update(seconds)

    def file_finished(self, outcome: FileOutcome) -> None:
        """A line above the bar."""
        self._shown().write(describe(outcome), file=self.stream)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()


class QuietReporter:
    """No progress at all."""

    def file_started(self, item: InputFile, duration: float) -> None:
        """Nothing."""

    def chunk_done(self, item: InputFile, seconds: float) -> None:
        """Nothing."""

    def file_finished(self, outcome: FileOutcome) -> None:
        """Nothing."""


def describe(outcome: FileOutcome) -> str:
    """A one-line account of a file's outcome."""
    if outcome.status == "done" and outcome.transcript is not None:
        t = outcome.transcript
        unheard = "".join(f"; NO WORDS for speech at {a:.1f}-{b:.1f} s" for a, b in t.quality.unheard_speech)
        return (f"done     {outcome.input.relative} ({t.duration / 60:.1f} min, {len(t.chunks)} chunk(s), "
                f"{t.quality.flagged_segments} flagged segment(s){unheard})")
    if outcome.status == "skipped":
        return f"skipped  {outcome.input.relative} (outputs exist; --overwrite to redo)"
    return f"FAILED   {outcome.input.relative}: {outcome.reason}"
