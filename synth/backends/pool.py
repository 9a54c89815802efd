"""Frames in a pool of worker processes: each keeps one renderer, renders with its share of the
cores and writes its frames itself (atomically, the record last), so the dataset is the same
bytes as a serial run, whatever the order frames finish in.

A worker that dies (a crash in the driver, the OOM killer, kill -9) breaks the pool: a new pool
takes over and the frames that were in flight run again one at a time, so the frame that kills a
worker is found; a frame that fails twice on its own is reported and, as configured, stops the
run or is left out. Ctrl-C stops handing out frames, lets the ones in flight finish, and returns.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..config import Config, config_from_dict
from ..errors import SynthError
from ..pipeline import FrameMaker
from ..render.platform import device_for, gpu_devices, use_device
from .frames import make_and_write
from .threads import cores, environ, thread_env

log = logging.getLogger(__name__)
_WORKER: dict = {}  # this worker process's FrameMaker and OUT
ATTEMPTS = 2  # a frame that fails this many times alone is given up


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (kill -9 of the run) stops within a second instead of rendering
    on for minutes with nobody to hand frames to; its half-written file is cleaned up by --resume."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _start(raw: dict, base_dir: str, out: str, threads: int, gpus: tuple[int, ...], started: Any) -> None:
    """In each worker process (spawned, so its EGL context is its own): Ctrl-C is the parent's
    to handle; llvmpipe renders with `threads` threads, or the worker takes the next of the
    machine's GPUs (`started` counts the workers so far); one FrameMaker serves every frame."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    os.environ.update(thread_env(threads))
    with started.get_lock():
        worker, started.value = started.value, started.value + 1
    use_device(device_for(worker, gpus))
    cfg = config_from_dict(raw, base_dir=Path(base_dir))
    _WORKER.update(maker=FrameMaker(cfg), out=Path(out))


def _frame(i: int) -> list[str]:
    """Make and write frame i in a worker; returns its notes."""
    return make_and_write(_WORKER["maker"], _WORKER["out"], i)


def run_pool(
    cfg: Config, out: Path, todo: list[int], workers: int, tick: Callable[[], None], on_error: str
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """Run frames `todo` on `workers` processes. Returns (notes per finished frame, reason per
    failed frame); raises SynthError on a failed frame when `on_error` is "stop", and
    KeyboardInterrupt after Ctrl-C once the frames in flight are on disk."""
    threads = max(1, cores() // workers)
    with environ(thread_env(threads)):  # workers are spawned as frames are submitted: they inherit it
        return _run_pool(cfg, out, todo, workers, threads, tick, on_error)


def _run_pool(
    cfg: Config, out: Path, todo: list[int], workers: int, threads: int, tick: Callable[[], None], on_error: str
) -> tuple[dict[int, list[str]], dict[int, str]]:
    raw = cfg.model_dump(mode="json")
    ctx = multiprocessing.get_context("spawn")

    gpus, started = gpu_devices(), ctx.Value("i", 0)

    def pool() -> ProcessPoolExecutor:
        args = (raw, str(cfg.base_dir), str(out), threads, gpus, started)
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start, initargs=args)

    queue, alone = deque(todo), deque[int]()  # `alone`: frames in flight when a worker died, rerun one at a time
    notes: dict[int, list[str]] = {}
    failed: dict[int, str] = {}
    tries: Counter = Counter()
    inflight: dict[Future, int] = {}
    executor = pool()

    def give_up(i: int, reason: str) -> None:
        tries[i] += 1
        if tries[i] < ATTEMPTS:
            log.debug("frame %d failed (%s); trying it once more", i, reason)
            alone.appendleft(i)
            return
        if on_error == "stop":
            raise SynthError(f"frame {i} failed {ATTEMPTS} times ({reason}); finished frames are kept, rerun with --resume")
        failed[i] = reason

    try:
        while queue or alone or inflight:
            limit = 1 if alone else 2 * workers  # two per worker: the next frame is waiting when one finishes
            while len(inflight) < limit and (alone or queue):
                i = alone.popleft() if alone else queue.popleft()
                inflight[executor.submit(_frame, i)] = i
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = []
            for fut in done:
                i = inflight.pop(fut)
                try:
                    notes[i] = fut.result()
                    tick()
                except BrokenProcessPool:
                    broken.append(i)
                except Exception as e:  # raised in the worker: this frame's own failure
                    give_up(i, f"{type(e).__name__}: {e}")
            if broken:  # a worker died: every frame in flight is lost with the pool
                broken += [inflight.pop(f) for f in list(inflight)]
                log.warning("a worker process died; frames %s run again, one at a time", sorted(broken))
                executor.shutdown(wait=False, cancel_futures=True)
                executor = pool()
                if len(broken) == 1:
                    give_up(broken[0], "the worker process died")
                else:
                    alone.extend(sorted(broken))
    except KeyboardInterrupt:
        # finish what is in flight (a second Ctrl-C abandons it: writes are atomic either way)
        wait(inflight)
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()
    return notes, failed
