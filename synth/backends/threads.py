"""How many workers, and how many threads each: cores, memory, and the thread variables of the
render driver and numpy's BLAS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def cores() -> int:
    """CPU cores this process may use (its affinity mask, e.g. under taskset or a cgroup)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """All cores, but no more workers than GiB of memory (each holds a renderer: about 0.7 GB)."""
    try:
        gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        gib = float("inf")
    return max(1, min(cores(), int(gib)))


def thread_env(threads: int) -> dict[str, str]:
    """Environment for a worker with `threads` cores: llvmpipe renders with that many threads,
    and numpy's OpenBLAS does not start a thread per core of the machine (its idle threads spin,
    and with one worker per core they took a third of the CPU: 2 workers made 5.2 images/s
    with them, 7.0 without)."""
    n = str(threads)
    return {"LP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n}


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set (processes spawned inside inherit them), restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
