"""Frames in this process, on one `FrameMaker`: the next scene is sampled in a thread while
this one renders (numba's kernels release the GIL), and encoding and writing overlap the next
render."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ..config import Config
from ..frame import FrameResult
from ..pipeline import FrameMaker
from ..scene import Scene
from ..writers.dataset import encode_frame, save_frame


def _write(cfg: Config, out: Path, result: FrameResult) -> None:
    save_frame(out, result, encode_frame(cfg, result))


def run_serial(
    maker: FrameMaker, out: Path, todo: list[int], tick: Callable[[], None]
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """Make and write frames `todo`; returns the notes per frame (and no failed frames: a failing
    frame stops the run)."""
    notes: dict[int, list[str]] = {}
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=1) as io_pool, ThreadPoolExecutor(max_workers=1) as sampler:
        ahead: deque[Future[Scene]] = deque(sampler.submit(maker.scene, i) for i in todo[:1])
        for k, i in enumerate(todo):
            if k + 1 < len(todo):
                ahead.append(sampler.submit(maker.scene, todo[k + 1]))
            scene = ahead.popleft().result()
            result = maker.make(i, scene)
            notes[i] = result.notes
            pending.append(io_pool.submit(_write, maker.cfg, out, result))
            while len(pending) > 2:
                pending.popleft().result()
                tick()
        while pending:
            pending.popleft().result()
            tick()
    return notes, {}
