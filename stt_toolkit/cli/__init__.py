"""The ``stt-toolkit`` command: a thin layer over the library.

Library errors (:class:`~stt_toolkit.SttError`) become one clear line naming the
file and the reason; one bad file never stops the others. Each error class knows its exit
code (:attr:`~stt_toolkit.SttError.exit_code`): 0 when every file succeeded, 1 when
any failed, 2 for usage errors, 3 for a bug (any other exception), 130 when interrupted.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..audio.ffmpeg import stop_all
from ..core.errors import SttError, UsageError
from . import commands
from .args import COMMANDS, build_parser, run_options

__all__ = ["build_parser", "main", "run_options"]
_BUG = 3
_INTERRUPTED = 130
#: How long a stopped run may take to unwind before the process leaves without it.
UNWIND_SECONDS = 4.0  # the README promises an end within 5 s of the signal
_INTERRUPT_NOTE = "stt-toolkit: interrupted; finished chunks and files are kept, run again to resume"


def _stop_children_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the run at once: ffmpeg is killed (not waited for) and the
    run unwinds as for Ctrl-C, so temporary files are removed and finished work is kept.
    A worker thread stuck in native code cannot hold the process: if the run has not ended
    :data:`UNWIND_SECONDS` after the signal (or at a second signal), it leaves without it."""
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stop_all()
        if stopping.is_set():
            _leave()
        stopping.set()
        threading.Thread(target=_leave, args=(UNWIND_SECONDS,), daemon=True).start()
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)


def _leave(after: float = 0.0) -> None:
    """End the process with the interrupted exit code, ``after`` seconds from now (the
    temporary folders are gone by then: the run's tasks were cancelled at the signal)."""
    time.sleep(after)
    print(f"{_INTERRUPT_NOTE} (a worker did not stop; left without it)", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(_INTERRUPTED)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. ``stt-toolkit talk.mp3`` means ``stt-toolkit
    transcribe talk.mp3``."""
    words = list(sys.argv[1:] if argv is None else argv)
    first = words[0] if words else ""
    if first not in COMMANDS and not first.startswith("-") and (Path(first).exists() or Path(first).suffix):
        words.insert(0, "transcribe")  # a file or folder, not a mistyped command
    args = build_parser((__doc__ or "").splitlines()[0]).parse_args(words)
    if argv is None:  # a real command line (not a caller's own process): take over the signals
        _stop_children_on_signals()
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(message)s")
    for noisy in ("httpx", "faster_whisper"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return {"prepare": commands.prepare, "models": commands.models}.get(args.command, commands.transcribe)(args)
    except KeyboardInterrupt:
        print(_INTERRUPT_NOTE, file=sys.stderr)
        return _INTERRUPTED
    except SttError as exc:
        print(f"stt-toolkit: {'error: ' if isinstance(exc, UsageError) else ''}{exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # for example an output folder that cannot be written
        print(f"stt-toolkit: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: say so, apart from the user's own mistakes
        if os.environ.get("STT_TOOLKIT_DEBUG"):
            raise
        print(f"stt-toolkit: internal error: {exc!r}; please report it (STT_TOOLKIT_DEBUG=1 shows where)",
              file=sys.stderr)
        return _BUG
