"""Runs a config to a finished dataset: checks, picks a back end, streams frames to disk, merges
the per-frame records, writes the dataset card; resumes an interrupted run.

Each frame is a pure function of (config, seed, frame index); the frame records written per
frame make an interrupted run resumable, and the final files appear atomically.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .backends.threads import cores
from .config import Config
from .errors import SynthError
from .pipeline import FrameMaker, input_paths, preload
from .render import Renderer
from .render.platform import describe, device_for, gpu_devices, use_device
from .writers import coco
from .writers.bop import export_bop
from .writers.dataset import dataset_card, frame_done, make_folders, prepare_output, resolved_config_text
from .writers.files import write_atomic

log = logging.getLogger(__name__)


RAY_RENDERER = "each Ray actor's node: its GPUs in turn, else llvmpipe on the CPU"


@dataclass
class Summary:
    out: Path
    images: dict[str, int]
    annotations: int
    annotations_per_category: dict[str, int]
    seconds: float
    rendered: int
    notes: dict[int, list[str]] = field(default_factory=dict)  # frame -> what the user should know (frames with notes only)
    failed: dict[int, str] = field(default_factory=dict)  # frames left out (on_error="skip"), with the reason
    renderer: str = ""  # what rendered the frames: a GPU and its EGL devices, or llvmpipe on the CPU


def shard_frames(num_images: int, shard: tuple[int, int] | None) -> list[int]:
    """The frames of shard (I, N): the I-th of N contiguous blocks, 1-based; all frames without one."""
    if shard is None:
        return list(range(num_images))
    i, n = shard
    if not 1 <= i <= n:
        raise SynthError(f"--shard {i}/{n}: I must be between 1 and N")
    return list(range((i - 1) * num_images // n, i * num_images // n))


def generate(
    cfg: Config,
    out: Path,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    renderer: Renderer | None = None,
    on_frame: Callable[[int], None] | None = None,
    workers: int = 1,
    on_error: str = "stop",
    shard: tuple[int, int] | None = None,
    backend: str = "local",
    address: str | None = None,
) -> Summary:
    """Generate `cfg.num_images` frames into `out` (seed and count already set on `cfg`), in this
    process (workers=1), in `workers` local processes, or on a Ray cluster; the same bytes every way.
    `shard` = (I, N) makes only the I-th of N blocks of frames (1-based), a dataset of its own
    that `synth merge` joins with the others. `on_error`: "stop" or "skip" a frame that fails twice.
    `renderer`: render in this process with this one (the benchmark shares one between runs).
    `on_frame(k)` is called when the k-th frame of this run is on disk (the benchmark samples memory there)."""
    os.environ.setdefault("LP_NUM_THREADS", str(cores()))  # llvmpipe: the cores this process may use (taskset)
    text = resolved_config_text(cfg)
    preload(cfg)
    frames = shard_frames(cfg.num_images, shard)
    if backend == "ray":
        try:
            import ray  # noqa: F401 - present before OUT is touched
        except ImportError:
            raise SynthError("--backend ray needs Ray: pip install 'synth[ray]'") from None
    run_text = text + (f"# shard {shard[0]}/{shard[1]}\n" if shard else "")
    existed = out.exists()
    resuming, lock = prepare_output(out, overwrite, resume, run_text, input_paths(cfg))
    try:
        return _run(cfg, out, frames, resuming, text, progress, renderer, on_frame, workers, on_error, backend, address)
    except BaseException:
        if not resuming and not any(coco.frames_dir(out).glob("*.json")):  # nothing made: leave no half-made OUT
            shutil.rmtree(out, ignore_errors=True)
            if existed:
                out.mkdir(exist_ok=True)
        raise
    finally:
        lock.release()


def _run(
    cfg: Config,
    out: Path,
    frames: list[int],
    resuming: bool,
    text: str,
    progress: bool,
    renderer: Renderer | None,
    on_frame: Callable[[int], None] | None,
    workers: int,
    on_error: str,
    backend: str,
    address: str | None,
) -> Summary:
    """The frames not yet done, then the dataset's files (OUT prepared and locked)."""
    todo = [i for i in frames if not (resuming and frame_done(out, cfg, i))]
    make_folders(out, cfg)
    parallel = (workers > 1 or backend == "ray") and renderer is None and len(todo) > 1
    how = (backend if backend == "ray" else f"{workers} worker processes") if parallel else "this process"
    log.debug("%d of %d frames to make%s, in %s", len(todo), len(frames), " (resuming)" if resuming else "", how)
    t0 = time.perf_counter()
    finished = 0
    bar = tqdm(
        total=len(frames), initial=len(frames) - len(todo), unit="img", disable=not progress, desc=cfg.name, dynamic_ncols=True
    )

    def tick() -> None:
        nonlocal finished
        finished += 1
        bar.update(1)
        if on_frame:
            on_frame(finished)

    try:
        if parallel and backend == "ray":
            from .backends.ray_actors import run_ray

            notes, failed = run_ray(cfg, out, todo, workers, tick, address)
        elif parallel:
            from .backends.pool import run_pool

            notes, failed = run_pool(cfg, out, todo, workers, tick, on_error)
        else:
            from .backends.serial import run_serial

            if renderer is None:
                use_device(device_for(0, gpu_devices()))
            with FrameMaker(cfg, renderer) as maker:
                notes, failed = run_serial(maker, out, todo, tick)
    except OSError as e:
        raise SynthError(f"{out}: writing failed ({e.strerror or e}); fix it and rerun with --resume") from None
    finally:
        bar.close()
    done = [i for i in frames if i not in failed]
    try:
        a = cfg.annotations
        extra = {"polygon_convention": a.polygon_convention} if a.mask_format == "polygon" else None
        stats = coco.merge(out, done, cfg.splits, cfg.categories(), f"synth dataset '{cfg.name}'", extra)
        if cfg.outputs.bop:
            export_bop(out, cfg)
        write_atomic(out / "config.yaml", text.encode())
        seconds = time.perf_counter() - t0
        write_atomic(out / "README.md", dataset_card(cfg, stats).encode())
    except OSError as e:  # every frame is on disk: --resume only writes these files again
        raise SynthError(f"{out}: writing the dataset files failed ({e.strerror or e}); fix it and rerun with --resume") from None
    coco.finish(out)
    return Summary(
        out=out,
        images=stats["images"],
        annotations=stats["annotations"],
        annotations_per_category=stats["annotations_per_category"],
        seconds=seconds,
        rendered=len(todo) - len(failed),
        notes={i: notes[i] for i in sorted(notes) if notes[i]},
        failed=failed,
        renderer=describe(workers if parallel else 1)
        if backend != "ray"
        else "each Ray actor's own (its node's GPUs in turn, else llvmpipe)",
    )
