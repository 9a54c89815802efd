"""`synth bench`: end-to-end throughput against the bare RGB render (the floor), and memory.

Measured in one process, on the same scenes:
1. end to end: `runner.generate` (sampling, RGB + label passes, annotation, encoding, writing),
   alternating in blocks with the same run with defects;
2. floor: only the RGB render and read-back of the same scenes;
3. memory: RSS after frame 100 and after frame `rss_frames` of a long end-to-end run.
Renderer start-up (environment prefiltering, mesh upload) is warmed before timing.
"""

from __future__ import annotations

import json
import platform
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from .. import __version__
from ..config import Config, config_from_dict


def _with(cfg: Config, **kw) -> Config:
    raw = cfg.model_dump(mode="json")
    raw.update(kw)
    return config_from_dict(raw, base_dir=cfg.base_dir)


def _warm(renderer, cfg: Config) -> None:
    """Render until every environment and mesh has been used once (prefilter, uploads)."""
    from ..scene import sample_scene

    for i in range(cfg.num_images, cfg.num_images + 12):
        renderer.render(sample_scene(cfg, i))


def default_defects() -> dict:
    """Every surface defect kind at its default settings (weld kinds need weld seams)."""
    from ..defects import KINDS

    return {"kinds": {name: {} for name, k in KINDS.items() if k.needs_group is None}}


def run_bench(cfg: Config, n: int, rss_frames: int, out: Path, defects: bool = True) -> dict:
    from ..render import Renderer
    from ..runner import generate
    from ..scene import sample_scene

    with_defects = None
    if defects:
        with_defects = _with(
            cfg, num_images=n, defects=cfg.model_dump(mode="json")["defects"] if cfg.defects.enabled() else default_defects()
        )
    cfg = _with(cfg, num_images=n, defects={})
    proc = psutil.Process()
    tmp = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    renderer = Renderer.for_config(cfg)
    try:
        _warm(renderer, cfg)
        if with_defects is not None:
            _warm(renderer, with_defects)
        # with and without defects alternate in blocks over the same scenes, so the shared machine's
        # drift hits both alike
        e2e_frame, defect_frame, e2e_total = [], [], 0.0
        blocks = 4 if with_defects is not None else 1
        for b in range(blocks):
            m = n // blocks + (b < n % blocks)
            for label, run, times in (("plain", cfg, e2e_frame), ("defects", with_defects, defect_frame))[
                : 2 if with_defects is not None else 1
            ]:
                stamps: list[float] = []
                t0 = time.perf_counter()
                generate(
                    _with(run, num_images=m, seed=run.seed + b),
                    tmp / f"{label}{b}",
                    progress=False,
                    renderer=renderer,
                    on_frame=lambda k, stamps=stamps: stamps.append(time.perf_counter()),
                )
                times += [y - x for x, y in zip([t0] + stamps[:-1], stamps, strict=True)]
                if run is cfg:
                    e2e_total += time.perf_counter() - t0

        floor_frame = []
        for i in range(n):
            scene = sample_scene(cfg, i)
            t = time.perf_counter()
            renderer.render_rgb(scene)
            floor_frame.append(time.perf_counter() - t)

        rss = {}
        if rss_frames:
            long_cfg = _with(cfg, num_images=rss_frames)
            marks = {1, 100, rss_frames}

            def sample(k: int) -> None:
                if k in marks:
                    rss[k] = proc.memory_info().rss

            generate(long_cfg, tmp / "rss", progress=False, renderer=renderer, on_frame=sample)
    finally:
        renderer.close()
        shutil.rmtree(tmp, ignore_errors=True)

    e2e_med, floor_med = statistics.median(e2e_frame), statistics.median(floor_frame)
    result = {
        "synth_version": __version__,
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "config": cfg.name,
        "resolution": [cfg.image.width, cfg.image.height],
        "shadows": cfg.lighting.shadows,
        "frames": n,
        "end_to_end_images_per_s": n / e2e_total,
        "end_to_end_median_s_per_frame": e2e_med,
        "floor_rgb_images_per_s": n / sum(floor_frame),
        "floor_rgb_median_s_per_frame": floor_med,
        "ratio_end_to_end_over_floor": e2e_med / floor_med,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_mb_at_frame": {str(k): v / 2**20 for k, v in sorted(rss.items())},
    }
    if defect_frame:
        kinds = [k for k, _ in with_defects.defects.enabled()]
        result["defects"] = {
            "kinds": kinds,
            "defect_free_fraction": with_defects.defects.defect_free_fraction,
            "median_s_per_frame": statistics.median(defect_frame),
            "mean_s_per_frame": statistics.mean(defect_frame),
            "median_ratio_over_no_defects": statistics.median(defect_frame) / e2e_med,
            "mean_ratio_over_no_defects": statistics.mean(defect_frame) / statistics.mean(e2e_frame),
        }
    if 100 in rss and rss_frames in rss and rss_frames > 100:
        result["rss_growth_100_to_last"] = rss[rss_frames] / rss[100] - 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(table(result))
    print(f"\nwrote {out}")
    return result


def table(r: dict) -> str:
    rows = [
        ("config", f"{r['config']} {r['resolution'][0]}x{r['resolution'][1]}, shadows {'on' if r['shadows'] else 'off'}"),
        ("frames", str(r["frames"])),
        (
            "end to end",
            f"{r['end_to_end_images_per_s']:.2f} images/s (median {1000 * r['end_to_end_median_s_per_frame']:.0f} ms/frame)",
        ),
        (
            "bare RGB render (floor)",
            f"{r['floor_rgb_images_per_s']:.2f} images/s (median {1000 * r['floor_rgb_median_s_per_frame']:.0f} ms/frame)",
        ),
        ("end to end / floor", f"{r['ratio_end_to_end_over_floor']:.2f}x (median per frame)"),
        ("peak RSS", f"{r['peak_rss_mb']:.0f} MB"),
    ]
    if "defects" in r:
        d = r["defects"]
        rows.append(
            (
                "end to end with defects",
                f"median {1000 * d['median_s_per_frame']:.0f} ms/frame, mean "
                f"{1000 * d['mean_s_per_frame']:.0f} ms ({d['mean_ratio_over_no_defects']:.2f}x the mean without)",
            )
        )
    for k, v in r["rss_mb_at_frame"].items():
        rows.append((f"RSS at frame {k}", f"{v:.0f} MB"))
    if "rss_growth_100_to_last" in r:
        rows.append(("RSS growth from frame 100", f"{100 * r['rss_growth_100_to_last']:+.1f}%"))
    w = max(len(a) for a, _ in rows)
    return "\n".join([f"| {'measure'.ljust(w)} | value", f"|{'-' * (w + 2)}|------"] + [f"| {a.ljust(w)} | {b}" for a, b in rows])
