"""COCO dataset layout, streaming: per-frame records first, merged into instances files at the end.

OUT/images/<split>/000000.png
OUT/annotations/instances_<split>.json
OUT/config.yaml, OUT/README.md
OUT/.synth/frames/000000.json     per-frame records while a run is in progress (resume)
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from .. import __version__
from .files import write_atomic, write_json

GOLDEN = 0.6180339887498949


def split_of(frame_index: int, splits: dict[str, float]) -> str:
    """Deterministic, well-spread split assignment that does not depend on the run length."""
    u = ((frame_index + 1) * GOLDEN) % 1.0
    acc = 0.0
    names = list(splits)
    for name in names:
        acc += splits[name]
        if u < acc:
            return name
    return names[-1]


def frames_dir(out: Path) -> Path:
    return out / ".synth" / "frames"


def frame_record_path(out: Path, frame_index: int) -> Path:
    return frames_dir(out) / f"{frame_index:06d}.json"


def save_frame(out: Path, frame_index: int, split: str, image: dict, annotations: list[dict], notes: list[str]) -> None:
    rec = {"frame_index": frame_index, "split": split, "image": image, "annotations": annotations, "notes": notes}
    write_json(frame_record_path(out, frame_index), rec)


def merge(out: Path, num_images: int, splits: dict[str, float], categories: list[dict], description: str) -> dict:
    """Write instances_<split>.json from the per-frame records (frame order, so ids are stable).
    Image ids are frame_index + 1; annotation ids run from 1 over the whole dataset."""
    per_split: dict[str, dict] = {}
    stats: Counter = Counter()
    names = {c["id"]: c["name"] for c in categories}
    ann_id = 0
    for split in splits:
        per_split[split] = {"images": [], "annotations": []}
    for i in range(num_images):
        rec = json.loads(frame_record_path(out, i).read_text())
        d = per_split[rec["split"]]
        d["images"].append(rec["image"])
        for a in rec["annotations"]:
            ann_id += 1
            d["annotations"].append({"id": ann_id, "image_id": rec["image"]["id"], **a})
            stats[names[a["category_id"]]] += 1
    info = {
        "description": description,
        "version": __version__,
        "contributor": "synth",
        "url": "https://github.com/synth-cv/synth",
    }
    (out / "annotations").mkdir(exist_ok=True)
    for split, d in per_split.items():
        doc = {
            "info": info,
            "licenses": [{"id": 1, "name": "CC0-1.0", "url": "https://creativecommons.org/publicdomain/zero/1.0/"}],
            "images": d["images"],
            "annotations": d["annotations"],
            "categories": categories,
        }
        write_atomic(out / "annotations" / f"instances_{split}.json", json.dumps(doc, separators=(",", ":")).encode())
    return {
        "images": {s: len(d["images"]) for s, d in per_split.items()},
        "annotations_per_category": dict(sorted(stats.items())),
        "annotations": ann_id,
    }


def finish(out: Path) -> None:
    """Remove the work folder once the instances files are in place."""
    shutil.rmtree(out / ".synth", ignore_errors=True)
