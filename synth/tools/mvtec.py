"""A synth dataset with defects in the MVTec AD layout that anomaly-detection tools read
(anomalib's `MVTecAD` and `Folder` data modules, PatchCore and friends):

    OUT/<category>/train/good/*.png            defect-free samples of the training split
    OUT/<category>/test/good/*.png             defect-free samples of the other splits
    OUT/<category>/test/<kind>/*.png           samples with a visible defect (`combined`: several kinds)
    OUT/<category>/ground_truth/<kind>/<name>_mask.png   the defect pixels, 0 or 255

`--by part` (default): one sample per annotated part, cropped square around its box with a margin,
its category the part's category, its mask the defects that part hosts. `--by frame`: whole
frames, grouped by the one part category they show (frames showing several are left out, counted).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..annotate import decode, polygon_convention
from ..errors import SynthError
from ..writers.files import staged_folder
from .preview import is_defect, read_instances

MARGIN = 0.15  # of the part's larger box side, on each side of a crop


def crop_box(bbox: list[int], width: int, height: int) -> tuple[int, int, int, int]:
    """A square around the box, `MARGIN` wider on each side, kept inside the image."""
    x, y, w, h = bbox
    side = int(round(max(w, h) * (1 + 2 * MARGIN)))
    side = min(side, width, height)
    x0 = int(np.clip(round(x + w / 2 - side / 2), 0, width - side))
    y0 = int(np.clip(round(y + h / 2 - side / 2), 0, height - side))
    return x0, y0, x0 + side, y0 + side


def _samples(split: str, doc: dict, by: str, skipped: Counter):
    """Per image: the image record and its samples, (name, category, crop box or None, the image's
    defects: a crop's mask is every defect pixel inside it, whichever part hosts the defect)."""
    names = {c["id"]: c["name"] for c in doc["categories"]}
    parts: dict[int, list[dict]] = {}
    defects: dict[int, list[dict]] = {}
    for a in doc["annotations"]:
        (defects if is_defect(a) else parts).setdefault(a["image_id"], []).append(a)
    for im in doc["images"]:
        stem = Path(im["file_name"]).stem
        found = defects.get(im["id"], [])
        if by == "frame":
            cats = {names[a["category_id"]] for a in parts.get(im["id"], [])}
            if len(cats) != 1:
                skipped["frames showing no part or parts of several categories"] += 1
                yield im, []
            else:
                yield im, [(f"{split}_{stem}", cats.pop(), None, found)]
            continue
        samples = []
        for a in parts.get(im["id"], []):
            box = crop_box(a["bbox"], im["width"], im["height"])
            samples.append((f"{split}_{stem}_{a.get('synth_instance_id', a['id'])}", names[a["category_id"]], box, found))
        yield im, samples


def export_mvtec(dataset: Path, out: Path, by: str = "part", progress: bool = True) -> dict:
    """Write the MVTec AD layout of `dataset` into `out` (new or empty); returns counts per folder.
    Built in a hidden folder beside `out` and renamed when complete."""
    if by not in ("part", "frame"):
        raise SynthError(f"--by {by}: expected part or frame")
    docs = read_instances(dataset)
    if not any(is_defect(a) for _, doc in docs for a in doc["annotations"]) and not any(
        "synth_anomaly" in im for _, doc in docs for im in doc["images"]
    ):
        raise SynthError(f"{dataset}: has no defects (generate it with a defects: section)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SynthError(f"{out}: exists and is not an empty folder")
    counts: Counter = Counter()
    skipped: Counter = Counter()
    total = sum(len(doc["images"]) for _, doc in docs)
    with staged_folder(out) as tmp:
        with tqdm(total=total, desc=f"mvtec by {by}", unit="img", disable=not progress) as bar:
            for split, doc in docs:
                convention = polygon_convention(doc)
                for im, samples in _samples(split, doc, by, skipped):
                    bar.update()
                    if not samples:
                        continue
                    rgb = Image.open(dataset / "images" / split / im["file_name"]).convert("RGB")
                    masks = {d["id"]: decode(d, im["height"], im["width"], convention) for d in samples[0][3]}
                    for name, category, box, found in samples:
                        x0, y0, x1, y1 = box or (0, 0, im["width"], im["height"])
                        image = rgb.crop(box) if box else rgb
                        inside = [(d["synth_attributes"]["kind"], masks[d["id"]][y0:y1, x0:x1]) for d in found]
                        crop = np.zeros((y1 - y0, x1 - x0), bool)
                        for _, m in inside:
                            crop |= m
                        stage = "train" if split == "train" and not crop.any() else "test"
                        kinds = sorted({k for k, m in inside if m.any()})
                        kind = "good" if not crop.any() else kinds[0] if len(kinds) == 1 else "combined"
                        folder = tmp / category / stage / kind
                        folder.mkdir(parents=True, exist_ok=True)
                        image.save(folder / f"{name}.png")
                        if kind != "good":
                            truth = tmp / category / "ground_truth" / kind
                            truth.mkdir(parents=True, exist_ok=True)
                            Image.fromarray(crop.astype(np.uint8) * 255).save(truth / f"{name}_mask.png")
                        counts[f"{category}/{stage}/{kind}"] += 1
        if not counts:
            raise SynthError(f"{dataset}: no samples to export (--by {by}: {', '.join(skipped) or 'no parts'})")
    return {"samples": dict(sorted(counts.items())), "skipped": dict(skipped)}
