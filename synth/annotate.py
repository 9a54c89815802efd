"""Masks -> COCO records. Pure: takes the label maps of a frame and its Scene, no pixels are guessed.

Masks come from the exact instance-id pass; `bbox` is the tight box of the visible mask and
`area` its pixel count. Segmentations are compressed RLE (pycocotools) or, on request,
polygons (synth.polygons) that rasterise back to exactly the same pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from pycocotools import mask as mask_utils

from .assets import load_mesh
from .polygons import Convention, mask_to_polygons
from .scene.model import Scene, SceneObject
from .sensor import distort_points


def tight_bbox(mask: np.ndarray) -> list[int]:
    """[x, y, w, h] of the smallest box holding every True pixel (pixel i covers [i, i + 1])."""
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    return [int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)]


def encode_rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def box_3d(obj: SceneObject, camera) -> dict:
    """The part's bounding box (mesh file axes) in the OpenCV camera frame: centre and size in
    metres, rotation (box axes -> camera), and its 8 corners projected to pixels (through the
    lens distortion when the camera has one)."""
    lo, hi = load_mesh(obj.mesh_path, obj.units).mesh.bounds
    P = camera.world_to_camera @ obj.pose
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    cam = corners @ P[:3, :3].T + P[:3, 3]
    xy = cam[:, :2] / cam[:, 2:3]
    if any(camera.distortion):
        xy = distort_points(xy, camera.distortion)
    uv = xy * np.diag(camera.K)[:2] + camera.K[:2, 2]
    return {
        "center": np.round(P[:3, :3] @ ((lo + hi) / 2) + P[:3, 3], 9).tolist(),
        "size": np.round(hi - lo, 9).tolist(),
        "rotation": np.round(P[:3, :3], 9).tolist(),
        "corners_2d": np.round(uv, 3).tolist(),
    }


Encoder = Callable[[np.ndarray], dict | list]


def encoder(mask_format: str, convention: Convention = "pixel_edge") -> Encoder:
    """The segmentation writer: compressed RLE, or polygons in the given pixel convention."""
    return encode_rle if mask_format == "rle" else partial(mask_to_polygons, convention=convention)


def annotate_frame(
    instance_ids: np.ndarray,
    scene: Scene,
    categories: dict[str, int],
    encode: Encoder,
    min_visible_pixels: int,
    amodal: dict[int, np.ndarray] | None = None,
    min_visibility: float = 0.0,
    boxes_3d: bool = False,
) -> list[dict]:
    """One record per part with at least `min_visible_pixels` visible pixels (ids left to the writer);
    with `amodal` masks also its whole silhouette, its box and visibility = visible / whole pixels
    (parts below `min_visibility` are left out)."""
    counts = np.bincount(instance_ids.ravel(), minlength=len(scene.objects) + 1)
    w2c = scene.camera.world_to_camera
    records = []
    for obj in scene.objects:
        if counts[obj.instance_id] < min_visible_pixels or obj.category not in categories:  # unlabeled distractors
            continue
        mask = instance_ids == obj.instance_id
        rec = {
            "category_id": categories[obj.category],
            "segmentation": encode(mask),
            "area": int(counts[obj.instance_id]),
            "bbox": tight_bbox(mask),
            "iscrowd": 0,
            "synth_instance_id": obj.instance_id,
            "synth_mesh": obj.mesh,
            "synth_object_pose": np.round(w2c @ obj.pose, 9).tolist(),
        }
        if obj.attributes is not None:  # a family part: its family and drawn parameters
            rec["synth_attributes"] = obj.attributes
        if amodal is not None:
            whole = amodal[obj.instance_id] | mask  # the same pixels by construction; the union makes it certain
            rec["synth_visibility"] = round(rec["area"] / int(whole.sum()), 6)
            if rec["synth_visibility"] < min_visibility:
                continue
            rec["synth_amodal_segmentation"] = encode(whole)
            rec["synth_amodal_area"] = int(whole.sum())
            rec["synth_bbox_amodal"] = tight_bbox(whole)
        if boxes_3d:
            rec["synth_bbox_3d"] = box_3d(obj, scene.camera)
        records.append(rec)
    return records


def annotate_defects(
    defect_ids: np.ndarray, scene: Scene, categories: dict[str, int], encode: Encoder, min_visible_pixels: int
) -> tuple[list[dict], dict]:
    """One record per defect with enough visible pixels, and the image's defect counts."""
    counts = np.bincount(defect_ids.ravel(), minlength=max([d.defect_id for d in scene.defects], default=0) + 1)
    one_class = "defect" in categories
    records = []
    for d in scene.defects:
        if counts[d.defect_id] < min_visible_pixels:
            continue
        mask = defect_ids == d.defect_id
        records.append(
            {
                "category_id": categories["defect" if one_class else d.kind],
                "segmentation": encode(mask),
                "area": int(counts[d.defect_id]),
                "bbox": tight_bbox(mask),
                "iscrowd": 0,
                "synth_defect_id": d.defect_id,
                "synth_attributes": {"kind": d.kind, "host_instance_id": d.host_instance_id, **d.params},
            }
        )
    present = len(scene.defects)
    summary = {"present": present, "visible": len(records), "hidden": present - len(records)}
    return records, summary


def defect_class_map(defect_ids: np.ndarray, scene: Scene, categories: dict[str, int], min_visible_pixels: int) -> np.ndarray:
    """Per-pixel defect category id (0: none), for semantic segmentation; defects too small to be
    annotated are left out so the map and the annotations agree."""
    lut = np.zeros(max([d.defect_id for d in scene.defects], default=0) + 1, np.int32)
    counts = np.bincount(defect_ids.ravel(), minlength=len(lut))
    one_class = "defect" in categories
    for d in scene.defects:
        if counts[d.defect_id] >= min_visible_pixels:
            lut[d.defect_id] = categories["defect" if one_class else d.kind]
    return lut[defect_ids]


def image_record(scene: Scene, file_name: str) -> dict:
    cam = scene.camera
    return {
        "id": scene.frame_index + 1,
        "file_name": file_name,
        "width": cam.width,
        "height": cam.height,
        "synth_frame_index": scene.frame_index,
        "synth_seed": scene.seed,
        "synth_camera": {
            "K": np.round(cam.K, 9).tolist(),
            "world_to_camera": np.round(cam.world_to_camera, 9).tolist(),
            **({"distortion": [round(float(d), 12) for d in cam.distortion]} if any(cam.distortion) else {}),
        },
    }


def fill_centres(polygons: list[list[float]], h: int, w: int) -> np.ndarray:
    """Rasterise polygons as centre-sampling readers do (OpenCV's fillPoly, which ultralytics and
    supervision use): every pixel whose centre lies inside an outline (even-odd, so a zero-width
    bridge walked there and back cancels) or on it (vertex (x, y) is the centre of pixel column x,
    row y). Each polygon is filled on its own; the result is their union."""
    out = np.zeros((h, w), bool)
    for p in polygons:
        v = np.asarray(p, float).reshape(-1, 2)
        a, b = v, np.roll(v, -1, axis=0)
        ys = np.arange(max(0, int(np.ceil(v[:, 1].min()))), min(h - 1, int(np.floor(v[:, 1].max()))) + 1)
        if len(ys):  # interior: crossings of each row of centres with the edges, half-open in y
            y = ys[:, None].astype(float)
            lo, hi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
            hit = (lo <= y) & (y < hi)
            with np.errstate(divide="ignore", invalid="ignore"):
                x = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
            xs = np.sort(np.where(hit, x, np.inf), axis=1)
            cols = np.arange(w, dtype=float)
            for row, cross in zip(ys, xs, strict=True):
                cross = cross[np.isfinite(cross)]
                for x0, x1 in zip(cross[0::2], cross[1::2], strict=False):
                    out[row, (cols >= x0) & (cols <= x1)] = True
        for (x0, y0), (x1, y1) in zip(a, b, strict=True):  # the outline itself, pixel by pixel
            n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
            px = np.rint(np.linspace(x0, x1, n)).astype(int)
            py = np.rint(np.linspace(y0, y1, n)).astype(int)
            keep = (px >= 0) & (px < w) & (py >= 0) & (py < h)
            out[py[keep], px[keep]] = True
    return out


def polygon_convention(doc: dict) -> str:
    """How the document's polygons are to be read (`info.polygon_convention`, pixel_edge when absent)."""
    info = doc.get("info")
    return str(info.get("polygon_convention", "pixel_edge")) if isinstance(info, dict) else "pixel_edge"


def decode(ann: dict, h: int, w: int, convention: str = "pixel_edge") -> np.ndarray:
    """The (h, w) bool mask of an annotation's `segmentation` (RLE or polygons), as pycocotools reads
    it (pixel_edge polygons) or a centre-sampling reader (pixel_center polygons)."""
    seg = ann["segmentation"]
    if isinstance(seg, list) and convention == "pixel_center":
        return fill_centres(seg, h, w)
    if isinstance(seg, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
    else:
        rle = {"size": seg["size"], "counts": seg["counts"].encode() if isinstance(seg["counts"], str) else seg["counts"]}
    return mask_utils.decode(rle).astype(bool)
