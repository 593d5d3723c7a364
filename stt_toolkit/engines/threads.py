"""One OpenBLAS thread while the local model works, so that a fork elsewhere cannot hang it.

faster-whisper computes each chunk's features with numpy, whose OpenBLAS keeps a pool of
worker threads. When another thread forks meanwhile (the toolkit starts ffmpeg for the next
file), OpenBLAS's fork handler tears that pool down under the running call, and the call
spins forever: a CLI run over a folder hung in 2 of 16 tries on two cores. With one BLAS
thread there is no pool to tear down (16 of 16 finished). The limit holds while any local
decode runs (counted, so overlapping decodes share it) and the previous one comes back after.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..core import errors

_lock = threading.Lock()
_users = 0
_limit: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Hold numpy's BLAS to one thread for the duration (process-wide, reference-counted)."""
    global _users, _limit
    with _lock:
        if _users == 0:
            _limit = _limits()(limits=1, user_api="blas")
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _limit is not None:
                _limit.restore_original_limits()
                _limit = None


def _limits() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        raise errors.MissingDependency(
            "the local engine needs threadpoolctl: pip install 'stt-toolkit[local]'") from exc
    return threadpool_limits
