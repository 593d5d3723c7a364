"""One run per output folder, and no temporary files left behind by a run that was killed.

A run that writes into ``OUT_DIR`` holds ``OUT_DIR/.stt-toolkit.lock`` (an ``flock``, which
the system releases however the run ends, SIGKILL included); a second run on the same folder
is refused at once with the first one's process id, instead of paying for every chunk again.
Each run's temporary files live in ``stt-<pid>-*`` folders; a run removes those of runs that
are no longer alive.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core import errors

LOCK_NAME = ".stt-toolkit.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]


@contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder for this run; :class:`~errors.OutputBusy` if another run does."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_NAME, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise errors.OutputBusy(f"another stt-toolkit run (process {holder}) is writing to {folder}; "
                                    "wait for it to finish, or choose another output folder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def temp_prefix() -> str:
    """The prefix of this run's temporary folders."""
    return f"stt-{os.getpid()}-"


def sweep_stale_temp() -> None:
    """Remove the temporary folders of runs that died without cleaning up (SIGKILL)."""
    for path in Path(tempfile.gettempdir()).glob("stt-*-*"):
        pid = path.name.split("-")[1]
        if path.is_dir() and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
