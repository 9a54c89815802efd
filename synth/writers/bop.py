"""BOP-format export (6D pose benchmarks) of a finished dataset, from its COCO files, per the BOP
format spec (https://github.com/thodan/bop_toolkit/blob/master/docs/bop_datasets_format.md):

- camera.json: the nominal camera (the first image's; every image's own K is in scene_camera.json);
- models/obj_NNNNNN.ply: each part mesh in millimetres (file axes), binary PLY with vertex normals
  and nothing else (the BOP toolkit's reader takes x y z nx ny nz and triangle lists);
  models_info.json: diameter (the largest distance between two vertices), min_x.., size_x..;
- <split>/000000/rgb/NNNNNN.<ext> (hard links to images/), depth/NNNNNN.png (with outputs.depth:
  16-bit, `depth_scale` mm per step), mask/NNNNNN_KKKKKK.png (the whole silhouette, amodal),
  mask_visib/NNNNNN_KKKKKK.png, scene_gt.json (cam_R_m2c, cam_t_m2c in mm, obj_id),
  scene_camera.json (cam_K, depth_scale), scene_gt_info.json (bbox_obj, bbox_visib, px_count_all,
  px_count_valid, px_count_visib, visib_fract), scene_gt_coco.json (the visible masks as COCO RLE,
  boxes of the whole silhouette, `ignore` below 10% visible, as the BOP toolkit's calc_gt_coco writes).
One scene per split: BOP scenes are image sets with shared objects, and frames here are independent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from tqdm import tqdm

from ..annotate import decode, encode_rle, polygon_convention, tight_bbox
from ..assets import load_mesh
from .files import encode_mask, write_atomic


def ply_bytes(mesh: trimesh.Trimesh) -> bytes:
    """Binary little-endian PLY: vertices with normals, triangles; no other property."""
    v = np.hstack([mesh.vertices, mesh.vertex_normals]).astype("<f4")
    f = np.empty(len(mesh.faces), dtype=[("n", "u1"), ("i", "<i4", (3,))])
    f["n"], f["i"] = 3, mesh.faces
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment synth BOP model, millimetres\n"
        f"element vertex {len(v)}\n"
        + "".join(f"property float {p}\n" for p in ("x", "y", "z", "nx", "ny", "nz"))
        + f"element face {len(f)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    return header.encode() + v.tobytes() + f.tobytes()


def diameter(points: np.ndarray, chunk: int = 2048) -> float:
    """The largest distance between two points (over the convex hull's vertices, in chunks)."""
    hull = trimesh.convex.convex_hull(points).vertices if len(points) > 3 else points
    best = 0.0
    for i in range(0, len(hull), chunk):
        d = np.linalg.norm(hull[i : i + chunk, None, :] - hull[None, :, :], axis=2)
        best = max(best, float(d.max()))
    return best


def _models(bop: Path, cfg) -> dict[str, int]:
    meshes = {p.mesh: (cfg.resolve_path(p.mesh), p.units) for p in cfg.parts}
    obj_ids = {mesh: k + 1 for k, mesh in enumerate(dict.fromkeys(p.mesh for p in cfg.parts))}
    (bop / "models").mkdir(parents=True, exist_ok=True)
    info = {}
    for mesh, k in obj_ids.items():
        path, units = meshes[mesh]
        m = load_mesh(str(path), units).mesh.copy()
        m.apply_scale(1000.0)  # metres -> millimetres
        write_atomic(bop / "models" / f"obj_{k:06d}.ply", ply_bytes(m))
        lo, hi = m.bounds
        info[str(k)] = {
            "diameter": diameter(np.asarray(m.vertices)),
            **{f"min_{a}": float(lo[i]) for i, a in enumerate("xyz")},
            **{f"size_{a}": float(hi[i] - lo[i]) for i, a in enumerate("xyz")},
        }
    write_atomic(bop / "models" / "models_info.json", json.dumps(info, indent=1).encode())
    return obj_ids


def export_bop(out: Path, cfg) -> Path:
    """Write OUT/bop from OUT/annotations (parts only; defects have no pose). Returns the folder.
    Needs the amodal masks (the config turns `annotations.amodal` on with `outputs.bop`)."""
    bop = out / "bop"
    obj_ids = _models(bop, cfg)
    camera_written = False
    for inst in sorted((out / "annotations").glob("instances_*.json")):
        split = inst.stem.removeprefix("instances_")
        doc = json.loads(inst.read_text())
        convention = polygon_convention(doc)
        scene = bop / split / "000000"
        for sub in ("rgb", "mask", "mask_visib"):
            (scene / sub).mkdir(parents=True, exist_ok=True)
        gt: dict[str, list] = {}
        cams: dict[str, dict] = {}
        gt_info: dict[str, list] = {}
        coco_images: list[dict] = []
        coco_anns: list[dict] = []
        by_image: dict[int, list] = {}
        for a in doc["annotations"]:
            if "synth_object_pose" in a and a["synth_mesh"] in obj_ids:  # parts only: no distractors
                by_image.setdefault(a["image_id"], []).append(a)
        for im in tqdm(doc["images"], desc=f"BOP {split}", unit="img", disable=None, leave=False):  # a bar in terminals
            i, w, h = im["synth_frame_index"], im["width"], im["height"]
            key = str(i)
            src = out / "images" / split / im["file_name"]
            rgb = f"rgb/{i:06d}{src.suffix}"
            if not (scene / rgb).exists():
                os.link(src, scene / rgb)
            K = np.asarray(im["synth_camera"]["K"], float)
            depth_scale = im.get("synth_depth_unit_mm", 1.0)
            cams[key] = {"cam_K": K.ravel().tolist(), "depth_scale": depth_scale}
            if not camera_written:
                nominal = {"cx": K[0, 2], "cy": K[1, 2], "fx": K[0, 0], "fy": K[1, 1], "width": w, "height": h}
                write_atomic(bop / "camera.json", json.dumps({**nominal, "depth_scale": depth_scale}, indent=1).encode())
                camera_written = True
            depth = None
            if "synth_depth_file" in im:
                (scene / "depth").mkdir(exist_ok=True)
                if not (scene / "depth" / f"{i:06d}.png").exists():
                    os.link(out / im["synth_depth_file"], scene / "depth" / f"{i:06d}.png")
                depth = np.asarray(Image.open(out / im["synth_depth_file"]))
            coco_images.append(
                {"id": i, "file_name": rgb, "width": w, "height": h, "license": 1, "coco_url": "", "flickr_url": ""}
            )
            gt[key], gt_info[key] = [], []
            for k, a in enumerate(by_image.get(im["id"], [])):
                P = np.array(a["synth_object_pose"])  # metres of the model -> camera metres
                gt[key].append(
                    {
                        "cam_R_m2c": P[:3, :3].ravel().tolist(),
                        "cam_t_m2c": (P[:3, 3] * 1000.0).tolist(),
                        "obj_id": obj_ids[a["synth_mesh"]],
                    }
                )
                visible = decode(a, h, w, convention)
                whole = decode({"segmentation": a["synth_amodal_segmentation"]}, h, w, convention) | visible
                name = f"{i:06d}_{k:06d}.png"
                write_atomic(scene / "mask_visib" / name, encode_mask(visible.astype(np.uint8) * 255))
                write_atomic(scene / "mask" / name, encode_mask(whole.astype(np.uint8) * 255))
                px_all, px_visib = int(whole.sum()), int(visible.sum())
                gt_info[key].append(
                    {
                        "bbox_obj": tight_bbox(whole),
                        "bbox_visib": tight_bbox(visible),
                        "px_count_all": px_all,
                        "px_count_valid": int((whole & (depth > 0)).sum()) if depth is not None else px_all,
                        "px_count_visib": px_visib,
                        "visib_fract": px_visib / px_all,
                    }
                )
                coco_anns.append(
                    {
                        "id": len(coco_anns) + 1,
                        "image_id": i,
                        "category_id": obj_ids[a["synth_mesh"]],
                        "iscrowd": 0,
                        "area": px_visib,
                        "bbox": tight_bbox(whole),
                        "segmentation": encode_rle(visible),
                        "width": w,
                        "height": h,
                        "ignore": px_visib / px_all < 0.1,
                    }
                )
        coco = {
            "info": {"description": f"{cfg.name}_{split}", "url": "", "version": "0.1.0", "contributor": "synth"},
            "licenses": [],
            "categories": [{"id": k, "name": str(k), "supercategory": cfg.name} for k in obj_ids.values()],
            "images": coco_images,
            "annotations": coco_anns,
        }
        for name, data in (("scene_gt", gt), ("scene_camera", cams), ("scene_gt_info", gt_info), ("scene_gt_coco", coco)):
            write_atomic(scene / f"{name}.json", json.dumps(data).encode())
    return bop
