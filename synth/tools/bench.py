"""`synth bench`: end-to-end throughput against the bare RGB render (the floor), and memory.

Measured in one process, on the same scenes:
1. end to end: `runner.generate` (sampling, shadow maps, RGB + label passes, annotation, encoding,
   writing), alternating in blocks with the same run with defects;
2. floor: a bare PBR + image-based-lighting frame of the same scenes and read-back (no shadows,
   ambient occlusion, tone mapping, anti-aliasing or labels), the least any VTK-based tool pays;
   and the finished RGB image alone (every realism feature, no labels);
3. memory: RSS after frame 100 and after frame `rss_frames` of a long end-to-end run.
Renderer start-up (environment prefiltering, mesh upload) is warmed before timing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .. import __version__
from ..config import Config
from ..defects import KINDS
from ..render import Renderer
from ..render.platform import describe
from ..runner import generate
from ..scene import sample_scene
from .bigmesh import big_mesh_times
from .polybench import polygon_table, polygon_times
from .scaling import scaling as scaling_rows
from .scaling import scaling_table, stage_times, stages_table
from .timing import merged, peak_rss_bytes, rss_bytes, warm, with_overrides


def default_defects() -> dict:
    """Every surface defect kind at its default settings (weld kinds need weld seams)."""
    return {"kinds": {name: {} for name, k in KINDS.items() if k.needs_group is None}}


FEATURES: dict[str, dict] = {  # realism features, each timed end to end against the same frames without it
    "lens distortion (k1 -0.2, k2 0.05)": {"camera": {"distortion": {"k1": -0.2, "k2": 0.05}}},
    "sensor noise + vignetting": {"sensor": {"noise": {"enabled": True}, "vignetting": 0.3}},
    "monochrome": {"sensor": {"monochrome": True}},
    "amodal masks": {"annotations": {"amodal": True}},
    "depth PNG": {"outputs": {"depth": True}},
    "ring light": {"lighting": {"rig": {"type": "ring"}}},
    "dome light": {"lighting": {"rig": {"type": "dome"}}},
    "average metering": {"lighting": {"auto_exposure": "average"}},
    "physics (pybullet)": {"scene": {"physics": {"enabled": True}}},
}


def _timed_run(cfg: Config, out: Path, renderer: Renderer) -> list[float]:
    stamps: list[float] = []
    t0 = time.perf_counter()
    generate(cfg, out, progress=False, renderer=renderer, on_frame=lambda k: stamps.append(time.perf_counter()))
    return [y - x for x, y in zip([t0] + stamps[:-1], stamps, strict=True)]


def feature_costs(cfg: Config, n: int, tmp: Path) -> dict[str, float]:
    """Median ms/frame end to end with each feature on, and the baseline (the mean of a block before
    and after them all, on the same frames)."""
    base_r = Renderer.for_config(cfg)
    try:
        warm(base_r, cfg)
        before = statistics.median(_timed_run(with_overrides(cfg, num_images=n), tmp / "f_base0", base_r))
        costs = {}
        for k, (name, over) in enumerate(FEATURES.items()):
            if "pybullet" in name and importlib.util.find_spec("pybullet") is None:
                continue  # an optional extra: timed where it is installed
            fc = with_overrides(merged(cfg, over), num_images=n)
            r = base_r if "distortion" not in name else Renderer.for_config(fc)  # distortion renders a margin
            try:
                if r is not base_r:
                    warm(r, fc)
                costs[name] = statistics.median(_timed_run(fc, tmp / f"f{k}", r))
            finally:
                if r is not base_r:
                    r.close()
        after = statistics.median(_timed_run(with_overrides(cfg, num_images=n), tmp / "f_base1", base_r))
    finally:
        base_r.close()
    return {"baseline": (before + after) / 2, **costs}


PASSES = {  # (anti-aliasing, tone mapping, ambient occlusion, shadows) of the RGB render
    "bare PBR + IBL": ("none", False, False, False),
    "+ shadow maps": ("none", False, False, True),
    "+ ambient occlusion": ("none", False, True, False),
    "+ tone mapping": ("none", True, False, False),
    "+ FXAA": ("fxaa", False, False, False),
    "all of them": ("fxaa", True, True, True),
}


def pass_costs(cfg: Config, n: int) -> dict[str, float]:
    """Median seconds of the RGB render alone (`render_rgb`) with each realism pass on its own over
    the bare PBR + IBL frame, and all of them, taking turns frame by frame over the same scenes."""
    w, h = cfg.image.width, cfg.image.height
    renderers = {name: Renderer(w, h, aa, tm, ao) for name, (aa, tm, ao, _) in PASSES.items()}
    scenes = [sample_scene(cfg, i) for i in range(n)]
    times: dict[str, list[float]] = {name: [] for name in PASSES}
    try:
        for warmup in (True, False):
            for scene in scenes:
                for name, r in renderers.items():
                    scene.shadows = PASSES[name][3] and cfg.lighting.shadows
                    t = time.perf_counter()
                    r.render_rgb(scene)
                    if not warmup:
                        times[name].append(time.perf_counter() - t)
    finally:
        for r in renderers.values():
            r.close()
    return {name: statistics.median(t) for name, t in times.items()}


def run_bench(
    cfg: Config,
    n: int,
    rss_frames: int,
    out: Path,
    defects: bool = True,
    features: bool = False,
    stages: bool = False,
    scaling: bool = False,
    big_mesh: bool = False,
    polygons: bool = False,
    passes: bool = False,
) -> dict:
    """Run the benchmark, print its tables and write the JSON to `out`; returns the results."""
    with_defects = None
    if defects:  # every frame with defects (defect_free_fraction 0), so their cost is not diluted
        section = cfg.model_dump(mode="json")["defects"] if cfg.defects.enabled() else default_defects()
        with_defects = with_overrides(cfg, num_images=n, defects={**section, "defect_free_fraction": 0.0})
    cfg = with_overrides(cfg, num_images=n, defects={})
    print(plan(cfg, n, rss_frames, defects, features, stages, scaling, big_mesh, polygons, passes), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    renderer = Renderer.for_config(cfg)
    bare = Renderer(cfg.image.width, cfg.image.height, "none", tone_mapping=False, ambient_occlusion=False)
    try:
        warm(renderer, cfg)
        warm(bare, cfg)
        if with_defects is not None:
            warm(renderer, with_defects)
        # with and without defects and the bare floor alternate in blocks over the same scenes, so the
        # shared machine's drift hits all alike
        e2e_frame: list[float] = []
        defect_frame: list[float] = []
        floor_frame: list[float] = []
        rgb_frame: list[float] = []
        e2e_total = 0.0
        runs = [("plain", cfg, e2e_frame)] + ([("defects", with_defects, defect_frame)] if with_defects is not None else [])
        blocks = 4 if with_defects is not None else 1
        for b in tqdm(range(blocks), desc="bench: timed blocks", unit="block", disable=None, leave=False):
            m = n // blocks + (b < n % blocks)
            for label, run, times in runs:
                t0 = time.perf_counter()
                times += _timed_run(with_overrides(run, num_images=m, seed=run.seed + b), tmp / f"{label}{b}", renderer)
                if run is cfg:
                    e2e_total += time.perf_counter() - t0
            for i in range(m):  # the same scenes: the finished RGB image, then the bare floor
                scene = sample_scene(cfg, i, seed=cfg.seed + b)
                t = time.perf_counter()
                renderer.render_rgb(scene)
                rgb_frame.append(time.perf_counter() - t)
                scene.shadows = False
                t = time.perf_counter()
                bare.render_rgb(scene)
                floor_frame.append(time.perf_counter() - t)

        costs = feature_costs(cfg, max(10, n // 4), tmp) if features else {}
        pass_ms = pass_costs(cfg, max(4, n // 4)) if passes else {}
        stage_ms = stage_times(cfg, n, tmp / "stages") if stages else {}
        poly = polygon_times(cfg, n, tmp, renderer) if polygons else {}
        rss = {}
        if rss_frames:
            long_cfg = with_overrides(cfg, num_images=rss_frames)
            marks = {1, 100, 1000, rss_frames}

            def sample(k: int) -> None:
                if k in marks:
                    rss[k] = rss_bytes()

            generate(long_cfg, tmp / "rss", progress=sys.stderr.isatty(), renderer=renderer, on_frame=sample)
    finally:
        renderer.close()
        bare.close()
        shutil.rmtree(tmp, ignore_errors=True)

    e2e_med, floor_med = statistics.median(e2e_frame), statistics.median(floor_frame)
    result: dict[str, Any] = {
        "synth_version": __version__,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "config": cfg.name,
        "renderer": describe(),
        "resolution": [cfg.image.width, cfg.image.height],
        "shadows": cfg.lighting.shadows,
        "frames": n,
        "end_to_end_images_per_s": n / e2e_total,
        "end_to_end_median_s_per_frame": e2e_med,
        "floor_rgb_images_per_s": n / sum(floor_frame),
        "floor_rgb_median_s_per_frame": floor_med,
        "finished_rgb_median_s_per_frame": statistics.median(rgb_frame),
        "ratio_end_to_end_over_floor": e2e_med / floor_med,
        "ratio_end_to_end_over_floor_mean": statistics.mean(e2e_frame) / statistics.mean(floor_frame),
        "peak_rss_mb": peak_rss_bytes() / 2**20,
        "rss_mb_at_frame": {str(k): v / 2**20 for k, v in sorted(rss.items())},
    }
    if with_defects is not None:
        kinds = [k for k, _ in with_defects.defects.enabled()]
        result["defects"] = {
            "kinds": kinds,
            "defect_free_fraction": with_defects.defects.defect_free_fraction,
            "median_s_per_frame": statistics.median(defect_frame),
            "mean_s_per_frame": statistics.mean(defect_frame),
            "median_ratio_over_no_defects": statistics.median(defect_frame) / e2e_med,
            "mean_ratio_over_no_defects": statistics.mean(defect_frame) / statistics.mean(e2e_frame),
        }
    if costs:
        result["features_median_s_per_frame"] = costs
    if stage_ms:
        result["stages_median_s_per_frame"] = stage_ms
    if pass_ms:
        result["passes_median_s_per_frame"] = pass_ms
    if poly:
        result["polygons"] = poly
    if big_mesh:
        result["big_mesh"] = big_mesh_times(width=cfg.image.width, height=cfg.image.height)
    if scaling:  # after the in-process runs: each setting in a fresh, pinned process
        result["scaling"] = scaling_rows(cfg, n, [(640, 480), (1920, 1200)])
    for first in (100, 1000):
        if first in rss and rss_frames > first:
            result[f"rss_growth_{first}_to_last"] = rss[rss_frames] / rss[first] - 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(table(result))
    if stage_ms:
        print("\n" + stages_table(stage_ms))
    if pass_ms:
        base = pass_ms["bare PBR + IBL"]
        rows = [f"| {k} | {1000 * v:.1f} | {v / base:.2f}x |" for k, v in pass_ms.items()]
        print("\n| RGB render alone | median ms/frame | vs bare |\n|---|---|---|\n" + "\n".join(rows))
    if poly:
        print("\n" + polygon_table(poly, cfg.image.width, cfg.image.height))
    if big_mesh:
        b = result["big_mesh"]
        print(
            f"\nbig mesh ({b['faces']:,} faces): load {b['load_s']:.1f} s, rest poses {b['rest_poses_s']:.1f} s, "
            f"first frame {b['first_frame_s']:.1f} s, next frames {b['next_frames_median_s']:.2f} s; {b['total_s']:.1f} s in all"
        )
    if scaling:
        print("\n" + scaling_table(result["scaling"]))
    print(f"\nwrote {out}")
    return result


def plan(
    cfg: Config,
    n: int,
    rss_frames: int,
    defects: bool,
    features: bool,
    stages: bool,
    scaling: bool,
    big_mesh: bool = False,
    polygons: bool = False,
    passes: bool = False,
) -> str:
    """What the benchmark is about to render, said before it starts (it can take a while)."""
    parts = [f"{n} frames end to end", f"{n} bare PBR frames", f"{n} finished RGB frames"]
    total = 3 * n + 36  # + warm-up
    if defects:
        parts.append(f"{n} with defects")
        total += n
    if features:
        k = max(10, n // 4)
        parts.append(f"{k} x {len(FEATURES) + 2} for the realism features")
        total += k * (len(FEATURES) + 2)
    if stages:
        parts.append(f"{n} timed stage by stage")
        total += n
    if passes:
        k = max(4, n // 4)
        parts.append(f"{k} x {2 * len(PASSES)} for the render passes")
        total += 2 * k * len(PASSES)
    if polygons:
        parts.append(f"{n} for polygon writing")
        total += n
    if big_mesh:
        parts.append("3 frames of a 2-million-face part")
        total += 3
    if scaling:
        parts.append("6 fresh runs for the scaling table")
        total += 3 * n + 3 * max(20, n * 640 * 480 // (1920 * 1200) * 2)
    if rss_frames:
        parts.append(f"{rss_frames} for the memory run")
        total += rss_frames
    return (
        f"bench: {cfg.name} at {cfg.image.width}x{cfg.image.height}: "
        + ", ".join(parts)
        + f" (about {total} frames; Ctrl-C stops)"
    )


def table(r: dict) -> str:
    rows = [
        ("config", f"{r['config']} {r['resolution'][0]}x{r['resolution'][1]}, shadows {'on' if r['shadows'] else 'off'}"),
        ("renderer", r.get("renderer", "?")),
        ("frames", str(r["frames"])),
        (
            "end to end",
            f"{r['end_to_end_images_per_s']:.2f} images/s (median {1000 * r['end_to_end_median_s_per_frame']:.0f} ms/frame)",
        ),
        (
            "floor: bare PBR + IBL frame",
            f"{r['floor_rgb_images_per_s']:.2f} images/s (median {1000 * r['floor_rgb_median_s_per_frame']:.0f} ms/frame;"
            " no shadows, AO, tone mapping, anti-aliasing, labels)",
        ),
        ("finished RGB image alone", f"median {1000 * r.get('finished_rgb_median_s_per_frame', float('nan')):.0f} ms/frame"),
        (
            "end to end / floor",
            f"{r['ratio_end_to_end_over_floor']:.2f}x median, {r.get('ratio_end_to_end_over_floor_mean', float('nan')):.2f}x mean"
            " (same scenes)",
        ),
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
    for first in (100, 1000):
        if f"rss_growth_{first}_to_last" in r:
            rows.append((f"RSS growth from frame {first}", f"{100 * r[f'rss_growth_{first}_to_last']:+.1f}%"))
    costs = r.get("features_median_s_per_frame", {})
    for name, t in costs.items():
        if name != "baseline":
            rows.append((f"+ {name}", f"median {1000 * t:.0f} ms/frame ({t / costs['baseline']:.2f}x)"))
    w = max(len(a) for a, _ in rows)
    return "\n".join([f"| {'measure'.ljust(w)} | value", f"|{'-' * (w + 2)}|------"] + [f"| {a.ljust(w)} | {b}" for a, b in rows])
