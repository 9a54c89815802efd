"""Polygon encoding speed: every mask of real frames (the bench config's, rendered), and the worst
masks one can construct at that size (a checkerboard of single pixels, a plate of pinholes, noise)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

from ..annotate import decode
from ..config import Config
from ..polygons import mask_to_polygons
from ..render import Renderer
from ..runner import generate
from .timing import with_overrides


def worst_masks(width: int, height: int) -> dict[str, np.ndarray]:
    """Masks with the most boundary per pixel: where a polygon writer spends longest."""
    yy, xx = np.mgrid[:height, :width]
    r2 = (yy - height / 2) ** 2 + (xx - width / 2) ** 2
    return {
        "ring (one part with a hole)": (r2 < (0.45 * height) ** 2) & (r2 > (0.2 * height) ** 2),
        "checkerboard (every pixel its own region)": (yy + xx) % 2 == 0,
        "pinholes (one region, a hole at every other pixel)": ~((yy % 2 == 1) & (xx % 2 == 1)),
        "noise (half the pixels, at random)": np.random.default_rng(0).random((height, width)) < 0.5,
    }


def _best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def polygon_times(cfg: Config, n: int, tmp: Path, renderer: Renderer) -> dict:
    """Seconds to write polygons for each frame's masks (parts and defects), and for each worst mask."""
    out = tmp / "polygons"
    generate(with_overrides(cfg, num_images=n), out, progress=False, renderer=renderer)
    mask_to_polygons(np.eye(4, dtype=bool))  # compile the loops first
    per_frame = []
    for f in sorted((out / "annotations").glob("instances_*.json")):
        doc = json.loads(f.read_text())
        by_image: dict[int, list[np.ndarray]] = {}
        for im in doc["images"]:
            by_image[im["id"]] = []
        sizes = {im["id"]: (im["height"], im["width"]) for im in doc["images"]}
        for a in doc["annotations"]:
            by_image[a["image_id"]].append(decode(a, *sizes[a["image_id"]]))
        for frame in by_image.values():
            per_frame.append(_best_of(lambda frame=frame: [mask_to_polygons(m) for m in frame]))
    masks = worst_masks(cfg.image.width, cfg.image.height)
    worst = {name: _best_of(lambda m=m: mask_to_polygons(m)) for name, m in masks.items()}
    return {"frame_median_s": statistics.median(per_frame), "frame_max_s": max(per_frame), "worst_s": worst}


def polygon_table(r: dict, width: int, height: int) -> str:
    frame = f"median {1000 * r['frame_median_s']:.1f} ms, max {1000 * r['frame_max_s']:.1f} ms"
    rows = [(f"a frame's masks ({width}x{height})", frame)]
    rows += [(name, f"{1000 * t:.0f} ms") for name, t in r["worst_s"].items()]
    w = max(len(a) for a, _ in rows)
    return "\n".join([f"| {'polygons'.ljust(w)} | time", f"|{'-' * (w + 2)}|------"] + [f"| {a.ljust(w)} | {b}" for a, b in rows])
