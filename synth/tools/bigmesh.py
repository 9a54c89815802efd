"""`synth bench --big-mesh`: a part of about two million faces (as a fine CAD export or a 3D scan
gives) through the whole pipeline: loading, stable poses, the first frame (uploads) and the next."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

from ..assets import load_mesh
from ..config import config_from_dict
from ..pipeline import FrameMaker


def big_part(faces: int = 2_000_000) -> trimesh.Trimesh:
    """A bumpy sphere with knobs (mm), at least `faces` triangles: no flat faces to rest on."""
    rng = np.random.default_rng(0)
    body = trimesh.creation.icosphere(subdivisions=8, radius=20.0)
    body.vertices *= 1 + 0.02 * rng.standard_normal((len(body.vertices), 1))
    parts = [body]
    k = 0
    while sum(len(p.faces) for p in parts) < faces:
        angle = 2.4 * k
        knob = trimesh.creation.icosphere(subdivisions=7 if k < 2 else 6, radius=6.0 if k < 2 else 4.0)
        parts.append(knob.apply_translation([24 * np.cos(angle), 24 * np.sin(angle), 6.0 * (k % 3 - 1)]))
        k += 1
    out = trimesh.util.concatenate(parts)
    assert isinstance(out, trimesh.Trimesh)
    return out


def big_mesh_times(faces: int = 2_000_000, width: int = 640, height: int = 480) -> dict:
    """Seconds to load the part, compute its rest poses, and make 3 frames of it in memory (render
    and annotate; the first frame uploads the mesh, the others show the steady cost per frame)."""
    with tempfile.TemporaryDirectory(prefix="synth-bigmesh-") as tmp:
        path = Path(tmp) / "big.stl"
        mesh = big_part(faces)
        mesh.export(path)
        t0 = time.perf_counter()
        loaded = load_mesh(path, "mm")
        t1 = time.perf_counter()
        poses = loaded.rest_poses
        t2 = time.perf_counter()
        raw = {
            "name": "big_mesh",
            "num_images": 3,
            "image": {"width": width, "height": height},
            "splits": {"train": 1.0},
            "parts": [{"mesh": str(path), "category": "blob", "material": "steel"}],
            "scene": {"parts_per_image": 1},
        }
        cfg = config_from_dict(raw)
        frames = []
        with FrameMaker(cfg) as maker:
            for i in range(cfg.num_images):
                start = time.perf_counter()
                maker.make(i)
                frames.append(time.perf_counter() - start)
    return {
        "faces": len(mesh.faces),
        "load_s": t1 - t0,
        "rest_poses_s": t2 - t1,
        "rest_poses": len(poses),
        "first_frame_s": frames[0],
        "next_frames_median_s": float(np.median(frames[1:])),
        "total_s": t2 - t0 + sum(frames),
    }
