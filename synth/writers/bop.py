"""BOP-format export (6D pose benchmarks) of a finished dataset, from its COCO files.

Layout under OUT/bop/ (https://github.com/thodan/bop_toolkit/blob/master/docs/bop_datasets_format.md):
- models/obj_NNNNNN.ply: each part mesh in millimetres, as loaded (file axes); models_info.json;
- <split>/000000/rgb/NNNNNN.png (hard links to images/), mask_visib/NNNNNN_KKKKKK.png,
  scene_gt.json (cam_R_m2c, cam_t_m2c in mm, obj_id), scene_camera.json (cam_K, depth_scale),
  scene_gt_info.json (bbox_visib, px_count_visib).
One scene per split: BOP scenes are image sets with shared objects, and frames here are independent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..annotate import decode, polygon_convention
from ..assets import load_mesh
from .files import encode_mask, write_atomic


def export_bop(out: Path, cfg) -> Path:
    """Write OUT/bop from OUT/annotations (parts only; defects have no pose). Returns the folder."""
    bop = out / "bop"
    meshes = {p.mesh: (cfg.resolve_path(p.mesh), p.units) for p in cfg.parts}
    obj_ids = {mesh: k + 1 for k, mesh in enumerate(dict.fromkeys(p.mesh for p in cfg.parts))}
    (bop / "models").mkdir(parents=True, exist_ok=True)
    info = {}
    for mesh, k in obj_ids.items():
        path, units = meshes[mesh]
        m = load_mesh(str(path), units).mesh.copy()
        m.apply_scale(1000.0)  # metres -> millimetres
        ply = m.export(file_type="ply")
        assert isinstance(ply, bytes)
        write_atomic(bop / "models" / f"obj_{k:06d}.ply", ply)
        lo, hi = m.bounds
        info[str(k)] = {
            "diameter": float(np.linalg.norm(hi - lo)),  # the bounding-box diagonal bounds the true diameter
            "min_x": float(lo[0]),
            "min_y": float(lo[1]),
            "min_z": float(lo[2]),
            "size_x": float(hi[0] - lo[0]),
            "size_y": float(hi[1] - lo[1]),
            "size_z": float(hi[2] - lo[2]),
        }
    write_atomic(bop / "models" / "models_info.json", json.dumps(info, indent=1).encode())
    for inst in sorted((out / "annotations").glob("instances_*.json")):
        split = inst.stem.removeprefix("instances_")
        doc = json.loads(inst.read_text())
        scene = bop / split / "000000"
        for sub in ("rgb", "mask_visib"):
            (scene / sub).mkdir(parents=True, exist_ok=True)
        gt: dict[str, list] = {}
        cams: dict[str, dict] = {}
        gt_info: dict[str, list] = {}
        by_image: dict[int, list] = {}
        for a in doc["annotations"]:
            if "object_pose" in a and a["mesh"] in obj_ids:  # parts only: no distractors
                by_image.setdefault(a["image_id"], []).append(a)
        for im in doc["images"]:
            key = str(im["frame_index"])
            src = out / "images" / split / im["file_name"]
            dst = scene / "rgb" / f"{im['frame_index']:06d}{src.suffix}"
            if not dst.exists():
                os.link(src, dst)
            cams[key] = {"cam_K": np.ravel(im["camera"]["K"]).tolist(), "depth_scale": im.get("depth_unit_mm", 1.0)}
            gt[key], gt_info[key] = [], []
            for k, a in enumerate(by_image.get(im["id"], [])):
                P = np.array(a["object_pose"])  # metres of (scaled) model -> camera metres
                gt[key].append(
                    {
                        "cam_R_m2c": P[:3, :3].ravel().tolist(),
                        "cam_t_m2c": (P[:3, 3] * 1000.0).tolist(),
                        "obj_id": obj_ids[a["mesh"]],
                    }
                )
                mask = decode(a, im["height"], im["width"], polygon_convention(doc))
                write_atomic(
                    scene / "mask_visib" / f"{im['frame_index']:06d}_{k:06d}.png", encode_mask(mask.astype(np.uint8) * 255)
                )
                gt_info[key].append({"bbox_visib": a["bbox"], "px_count_visib": a["area"]})
        for name, data in (("scene_gt", gt), ("scene_camera", cams), ("scene_gt_info", gt_info)):
            write_atomic(scene / f"{name}.json", json.dumps(data).encode())
    return bop
