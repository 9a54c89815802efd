"""`synth bench --stages` and `--scaling`: where a frame's time goes, and how runs scale over
worker processes.

Stages are timed one after the other in this process (no overlap), on the same frames:
scene sampling, the renderer's scene setup, RGB pass, label passes, cast shadows (from the
renderer's own timings), lens and sensor, annotation, encoding, writing.

Scaling runs each setting in a fresh process (so start-up costs are alike) pinned to a set of
cores with sched_setaffinity, the way `taskset` does: one worker on one core with one render
thread (the baseline), one process on every core, and N worker processes. Each reports its
images/s over the whole run and in the steady state (after the first fifth of the frames: worker
start-up, environment prefiltering and first uploads done), and images/hour/core.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from ..backends.threads import default_workers, environ, thread_env
from ..config import Config, config_from_dict
from ..pipeline import FrameMaker, render
from ..runner import generate
from ..writers.dataset import MARKER, encode_frame, make_folders, save_frame
from .timing import warm, with_overrides


def stage_times(cfg: Config, n: int, tmp: Path) -> dict[str, float]:
    """Median seconds per frame of each stage, over n frames after a warm-up."""
    (tmp / MARKER / "frames").mkdir(parents=True, exist_ok=True)
    make_folders(tmp, cfg)
    times: dict[str, list[float]] = {}
    with FrameMaker(cfg) as maker:
        warm(maker.renderer, cfg)
        for i in range(n):
            t0 = time.perf_counter()
            scene = maker.scene(i)
            t1 = time.perf_counter()
            frame = render(cfg, scene, maker.renderer)
            t2 = time.perf_counter()
            stages = {"scene sampling": t1 - t0, **maker.renderer.timings}
            stages["lens, sensor, read-back"] = (t2 - t1) - sum(maker.renderer.timings.values())
            result = maker.finish(scene, frame)
            t3 = time.perf_counter()
            files = encode_frame(cfg, result)
            t4 = time.perf_counter()
            save_frame(tmp, result, files)
            t5 = time.perf_counter()
            stages.update({"annotation": t3 - t2, "encoding": t4 - t3, "writing": t5 - t4})
            for k, v in stages.items():
                times.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in times.items()}


def _child(raw: dict, base_dir: str, out: str, workers: int, cpus: list[int], result: str) -> None:
    """One timed run, pinned to `cpus` before anything renders (as taskset would)."""
    os.sched_setaffinity(0, cpus)
    cfg = config_from_dict(raw, base_dir=Path(base_dir))
    stamps: list[float] = []
    t0 = time.perf_counter()
    generate(cfg, Path(out), progress=False, workers=workers, on_frame=lambda k: stamps.append(time.perf_counter() - t0))
    Path(result).write_text(json.dumps(stamps))


def timed_run(cfg: Config, workers: int, cpus: list[int], tmp: Path) -> dict:
    """images/s of a fresh `generate` on `workers` processes pinned to `cpus`."""
    ctx = multiprocessing.get_context("spawn")
    tag = f"{cfg.image.width}x{cfg.image.height}_{workers}_{len(cpus)}"
    out, result = tmp / f"run_{tag}", tmp / f"stamps_{tag}.json"
    args = (cfg.model_dump(mode="json"), str(cfg.base_dir), str(out), workers, cpus, str(result))
    with environ(thread_env(len(cpus))):  # render and numpy threads: the child's cores, set before it loads them
        p = ctx.Process(target=_child, args=args)
        p.start()
        p.join()
    if p.exitcode != 0:
        raise RuntimeError(f"timed run (workers {workers}, cpus {cpus}) exited with {p.exitcode}")
    stamps = json.loads(result.read_text())
    n = len(stamps)
    k0 = max(1, n // 5)
    steady = (n - k0) / (stamps[-1] - stamps[k0 - 1])
    return {
        "workers": workers,
        "cores": len(cpus),
        "frames": n,
        "images_per_s": n / stamps[-1],
        "steady_images_per_s": steady,
        "images_per_hour_per_core": steady * 3600 / len(cpus),
    }


def scaling(cfg: Config, n: int, resolutions: list[tuple[int, int]]) -> list[dict]:
    """The scaling table: for each resolution, one worker on one core (one render thread), one
    process on every core, and one worker per core (the default)."""
    cpus = sorted(os.sched_getaffinity(0))
    rows = []
    with tempfile.TemporaryDirectory(prefix="synth-scale-") as tmp:
        for w, h in resolutions:
            m = n if w * h <= 640 * 480 else max(20, n * 640 * 480 // (w * h) * 2)
            image = {**cfg.model_dump(mode="json")["image"], "width": w, "height": h}
            run_cfg = with_overrides(cfg, num_images=m, defects={}, image=image)
            settings = dict.fromkeys([(1, 1), (1, len(cpus)), (default_workers(), len(cpus))])  # (workers, cores), in order
            for workers, k in settings:
                r = timed_run(run_cfg, workers, cpus[:k], Path(tmp))
                rows.append({"resolution": [w, h], "default": workers == default_workers() and k == len(cpus), **r})
    return rows


def stages_table(stages: dict[str, float]) -> str:
    total = sum(stages.values())
    rows = [f"| {k} | {1000 * v:.1f} | {100 * v / total:.0f}% |" for k, v in stages.items()]
    return "\n".join(["| stage (one after another) | median ms/frame | share |", "|---|---|---|", *rows])


def scaling_table(rows: list[dict]) -> str:
    """Markdown table; the ratio is against one worker on one core at the same resolution."""
    out = ["| resolution | workers x cores | images/s (whole run) | images/s (steady) | vs 1 core | images/hour/core |"]
    out.append("|---|---|---|---|---|---|")
    for r in rows:
        base = next(b for b in rows if b["resolution"] == r["resolution"] and b["cores"] == 1)
        name = f"{r['workers']} x {r['cores']}" + (" (default)" if r["default"] else "")
        out.append(
            f"| {r['resolution'][0]}x{r['resolution'][1]} | {name} | {r['images_per_s']:.2f} | {r['steady_images_per_s']:.2f} | "
            f"{r['steady_images_per_s'] / base['steady_images_per_s']:.2f}x | {r['images_per_hour_per_core']:,.0f} |"
        )
    return "\n".join(out)
