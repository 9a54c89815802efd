"""Frames in a pool of worker processes: each keeps one renderer, renders with its share of the
cores and writes its frames itself (atomically, the record last), so the dataset is the same
bytes as a serial run, whatever the order frames finish in.

A worker that dies (a crash in the driver, the OOM killer, kill -9) breaks the pool: a new pool
takes over and the frames that were in flight run again one at a time, so the frame that kills a
worker is found; a frame that fails twice on its own is reported and, as configured, stops the
run or is left out. Ctrl-C stops handing out frames, lets the ones in flight finish, and returns.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from .config import Config
from .errors import SynthError

_WORKER: dict = {}
ATTEMPTS = 2  # a frame that fails this many times alone is given up


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
def environ(values: dict[str, str]):
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


def _start(raw: dict, base_dir: str, out: str, threads: int) -> None:
    """In each worker process (spawned, so its EGL context is its own): Ctrl-C is the parent's
    to handle; llvmpipe renders with `threads` threads; one renderer serves every frame."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(thread_env(threads))
    from .config import config_from_dict
    from .render import Renderer

    cfg = config_from_dict(raw, base_dir=Path(base_dir))
    cat_ids = {c["name"]: c["id"] for c in cfg.categories()}
    _WORKER.update(cfg=cfg, out=Path(out), cat_ids=cat_ids, renderer=Renderer.for_config(cfg))


def _inject_fault(i: int, out: Path) -> None:
    """For the tests: SYNTH_FAULT="crash:I" kills the worker on frame I every time,
    "crash_once:I" only the first time (a marker file remembers it)."""
    spec = os.environ.get("SYNTH_FAULT", "")
    kind, _, frame = spec.partition(":")
    if not frame or int(frame) != i:
        return
    marker = out / ".synth" / f"fault_{i}"
    if kind == "crash" or (kind == "crash_once" and not marker.exists()):
        marker.touch()
        os._exit(3)


def _frame(i: int) -> list[str]:
    """Make and write frame i in a worker; returns its notes."""
    from .runner import expose, frame_outputs, write_frame
    from .scene import sample_scene

    w = _WORKER
    _inject_fault(i, w["out"])
    scene = sample_scene(w["cfg"], i)
    frame = expose(w["cfg"], scene, w["renderer"], i)
    write_frame(*frame_outputs(w["cfg"], w["out"], scene, frame, i, w["cat_ids"]))
    return scene.notes


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

    def pool() -> ProcessPoolExecutor:
        args = (raw, str(cfg.base_dir), str(out), threads)
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start, initargs=args)

    queue, alone = deque(todo), deque()  # `alone`: frames in flight when a worker died, rerun one at a time
    notes: dict[int, list[str]] = {}
    failed: dict[int, str] = {}
    tries: Counter = Counter()
    inflight: dict[Future, int] = {}
    executor = pool()

    def give_up(i: int, reason: str) -> None:
        tries[i] += 1
        if tries[i] < ATTEMPTS:
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
