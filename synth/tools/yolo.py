"""A synth dataset in the ultralytics YOLO layout: `data.yaml`, `images/<split>/` (links to the
dataset's images, or copies), `labels/<split>/<image>.txt`, one object per line.

- detect: `class x_centre y_centre width height`, normalised by the image size: the COCO tight box
  exactly.
- segment: `class x1 y1 x2 y2 ...`: one outline per object. ultralytics fills the pixels whose
  centres lie inside or on an outline (OpenCV's fillPoly on whole-pixel coordinates), so each
  vertex sits on the centre of a boundary pixel (synth.polygons, pixel_center) and the filled
  mask is the part's mask; holes and the separate pieces of an occluded part are joined in by
  zero-width bridges (as ultralytics' own converter joins pieces), never dropped.

Class numbers are the COCO category ids in order, from 0.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import yaml
from tqdm import tqdm

from ..annotate import decode, polygon_convention
from ..errors import SynthError
from ..polygons import mask_to_polygons
from ..writers.files import staged_folder
from .preview import read_instances


def outline(mask: np.ndarray) -> np.ndarray:
    """One closed vertex path (n, 2) in pixel-centre coordinates for a whole mask: its regions'
    outlines (holes already bridged in) chained by zero-width bridges from first vertex to first vertex."""
    polys = [np.asarray(p, float).reshape(-1, 2) for p in mask_to_polygons(mask, "pixel_center")]
    if len(polys) == 1:
        return polys[0]
    path = []
    for p in polys:  # out along the bridges, around each piece, back to its first vertex
        path += [p, p[:1]]
    path += [p[:1] for p in polys[-2::-1]]
    return np.concatenate(path)


def _number(v: float) -> str:
    return f"{v:.8f}".rstrip("0").rstrip(".")


def label_lines(anns: list[dict], width: int, height: int, classes: dict[int, int], task: str, convention: str) -> list[str]:
    lines = []
    for a in anns:
        cls = classes[a["category_id"]]
        if task == "detect":
            x, y, w, h = a["bbox"]
            values = [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
        else:
            path = outline(decode(a, height, width, convention))
            # the centre of pixel column c is at (c + 0.5) / width: whole-pixel readers floor it back to c
            values = ((path + 0.5) / np.array([width, height])).ravel().tolist()
        lines.append(" ".join([str(cls)] + [_number(v) for v in values]))
    return lines


def _place_image(src: Path, dst: Path, copy: bool) -> None:
    if copy:
        shutil.copy2(src, dst)
    else:
        os.symlink(os.path.relpath(src, dst.parent), dst)


def export_yolo(dataset: Path, out: Path, task: str = "detect", copy: bool = False, progress: bool = True) -> dict:
    """Write the YOLO layout of `dataset` into `out` (a new or empty folder); returns counts.
    Built in a hidden folder beside `out` and renamed at the end: nothing half-written remains."""
    if task not in ("detect", "segment"):
        raise SynthError(f"--task {task}: expected detect or segment")
    docs = read_instances(dataset)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SynthError(f"{out}: exists and is not an empty folder")
    categories = sorted({c["id"]: c["name"] for _, doc in docs for c in doc.get("categories", [])}.items())
    classes = {cid: k for k, (cid, _) in enumerate(categories)}
    counts = {"images": 0, "objects": 0}
    total = sum(len(doc["images"]) for _, doc in docs)
    with staged_folder(out) as tmp:
        with tqdm(total=total, desc=f"yolo {task}", unit="img", disable=not progress) as bar:
            for split, doc in docs:
                (tmp / "images" / split).mkdir(parents=True)
                (tmp / "labels" / split).mkdir(parents=True)
                by_image: dict[int, list[dict]] = {}
                for a in doc["annotations"]:
                    by_image.setdefault(a["image_id"], []).append(a)
                convention = polygon_convention(doc)
                for im in doc["images"]:
                    src = (dataset / "images" / split / im["file_name"]).resolve()
                    if not src.is_file():
                        raise SynthError(f"{src}: image missing (synth validate {dataset} says more)")
                    name = Path(im["file_name"])
                    _place_image(src, tmp / "images" / split / name.name, copy)
                    lines = label_lines(by_image.get(im["id"], []), im["width"], im["height"], classes, task, convention)
                    (tmp / "labels" / split / f"{name.stem}.txt").write_text("".join(f"{ln}\n" for ln in lines))
                    counts["images"] += 1
                    counts["objects"] += len(lines)
                    bar.update()
        splits = [s for s, _ in docs]
        data = {
            "path": str(out.resolve()),  # ultralytics reads a relative path as relative to its own datasets folder
            "train": "images/train" if "train" in splits else f"images/{splits[0]}",
            "val": "images/val" if "val" in splits else f"images/{'train' if 'train' in splits else splits[0]}",
            **({"test": "images/test"} if "test" in splits else {}),
            "names": {k: name for k, (_, name) in enumerate(categories)},
        }
        header = f"# ultralytics YOLO {task} dataset exported by synth from {dataset.resolve()}\n"
        (tmp / "data.yaml").write_text(header + yaml.safe_dump(data, sort_keys=False))
    return counts
