"""`synth validate`: every invariant of a synth COCO dataset, checked with pycocotools."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from PIL import Image
from pycocotools.coco import COCO

from ..annotate import decode, tight_bbox


def validate_file(path: Path, images_dir: Path) -> tuple[dict, list[str]]:
    """Check one instances file; returns (counts, violations)."""
    bad: list[str] = []
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(path))
    except Exception as e:
        return {}, [f"{path}: pycocotools cannot load it ({e})"]
    doc = coco.dataset
    for key in ("info", "licenses", "images", "annotations", "categories"):
        if key not in doc:
            bad.append(f"{path}: missing top-level key {key!r}")
    for kind in ("images", "annotations", "categories"):
        ids = [x.get("id") for x in doc.get(kind, [])]
        if any(not isinstance(i, int) or isinstance(i, bool) or i < 1 for i in ids):
            bad.append(f"{path}: {kind} ids must be integers >= 1")
        if len(set(ids)) != len(ids):
            bad.append(f"{path}: {kind} ids are not unique")
    names = [c.get("name") for c in doc.get("categories", [])]
    if len(set(names)) != len(names):
        bad.append(f"{path}: category names are duplicated")
    for c in doc.get("categories", []):
        if "supercategory" not in c:
            bad.append(f"{path}: category {c.get('name')!r} has no supercategory")
    images = {im["id"]: im for im in doc.get("images", [])}
    cats = {c["id"] for c in doc.get("categories", [])}
    for im in images.values():
        f = images_dir / im["file_name"]
        if not f.is_file():
            bad.append(f"{path}: image {im['id']}: file {f} is missing")
            continue
        with Image.open(f) as pic:
            if pic.size != (im["width"], im["height"]):
                bad.append(f"{path}: image {im['id']}: file is {pic.size}, record says {(im['width'], im['height'])}")
    for a in doc.get("annotations", []):
        where = f"{path}: annotation {a.get('id')}"
        if a.get("image_id") not in images:
            bad.append(f"{where}: image_id {a.get('image_id')} does not exist")
            continue
        if a.get("category_id") not in cats:
            bad.append(f"{where}: category_id {a.get('category_id')} does not exist")
        if a.get("iscrowd") != 0:
            bad.append(f"{where}: iscrowd must be 0")
        im = images[a["image_id"]]
        m = decode(a, im["height"], im["width"])
        if not m.any():
            bad.append(f"{where}: mask is empty")
            continue
        if tight_bbox(m) != [int(v) for v in a["bbox"]] or any(v != int(v) for v in a["bbox"]):
            bad.append(f"{where}: bbox {a['bbox']} != tight box of the mask {tight_bbox(m)}")
        if int(m.sum()) != a["area"]:
            bad.append(f"{where}: area {a['area']} != mask pixel count {int(m.sum())}")
        if "amodal_segmentation" in a:
            whole = decode({"segmentation": a["amodal_segmentation"]}, im["height"], im["width"])
            if (m & ~whole).any():
                bad.append(f"{where}: visible mask is not inside the amodal mask")
            if tight_bbox(whole) != a.get("bbox_amodal") or int(whole.sum()) != a.get("amodal_area"):
                bad.append(f"{where}: bbox_amodal/amodal_area do not match the amodal mask")
            if not 0 < a.get("visibility", 0) <= 1 or abs(a["visibility"] - m.sum() / whole.sum()) > 1e-5:
                bad.append(f"{where}: visibility {a.get('visibility')} != visible / amodal pixels")
    counts = {"images": len(images), "annotations": len(doc.get("annotations", [])), "categories": len(cats)}
    return counts, bad


def validate_dataset(root: Path) -> tuple[dict[str, dict], list[str]]:
    files = sorted((root / "annotations").glob("instances_*.json"))
    if not files:
        return {}, [f"{root}: no annotations/instances_*.json files (not a finished synth dataset?)"]
    summary, bad = {}, []
    for f in files:
        split = f.stem.removeprefix("instances_")
        counts, problems = validate_file(f, root / "images" / split)
        summary[split] = counts
        bad += problems
    cats = [json.loads(f.read_text())["categories"] for f in files]
    if any(c != cats[0] for c in cats):
        bad.append(f"{root}: the splits do not share the same categories")
    return summary, bad
