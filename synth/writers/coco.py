"""COCO dataset layout, streaming: per-frame records first, merged into instances files at the end.

OUT/images/<split>/000000.png
OUT/annotations/instances_<split>.json
OUT/config.yaml, OUT/README.md
OUT/.synth/frames/000000.json     per-frame records while a run is in progress (resume)
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from .. import __version__
from .files import write_json


def frames_dir(out: Path) -> Path:
    return out / ".synth" / "frames"


def frame_record_path(out: Path, frame_index: int) -> Path:
    return frames_dir(out) / f"{frame_index:06d}.json"


def save_frame(out: Path, frame_index: int, split: str, image: dict, annotations: list[dict], notes: list[str]) -> None:
    rec = {"frame_index": frame_index, "split": split, "image": image, "annotations": annotations, "notes": notes}
    write_json(frame_record_path(out, frame_index), rec)


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def merge(
    out: Path, frames: list[int], splits: dict[str, float], categories: list[dict], description: str, extra: dict | None = None
) -> dict:
    """Write instances_<split>.json from the per-frame records of `frames` (in frame order, so
    ids are stable; `extra` goes into `info`). Image ids are frame_index + 1; annotation ids run from 1 over the whole
    dataset. Streams: two passes over the records (images, then annotations), so memory stays
    flat however long the run; each file appears under its final name only when complete."""
    info = {
        "description": description,
        "version": __version__,
        "contributor": "synth",
        "url": "",
        **(extra or {}),
    }
    licenses = [{"id": 1, "name": "CC0-1.0", "url": "https://creativecommons.org/publicdomain/zero/1.0/"}]
    names = {c["id"]: c["name"] for c in categories}
    (out / "annotations").mkdir(exist_ok=True)
    final = {s: out / "annotations" / f"instances_{s}.json" for s in splits}
    tmp = {s: p.with_name(f".{p.name}.tmp{os.getpid()}") for s, p in final.items()}
    files = {s: open(p, "w") for s, p in tmp.items()}  # noqa: SIM115 - closed below
    images: Counter = Counter()
    stats: Counter = Counter()
    try:
        for f in files.values():
            f.write(f'{{"info":{_dumps(info)},"licenses":{_dumps(licenses)},"images":[')
        for i in tqdm(frames, desc="instances: images", unit="frame", disable=None, leave=False):  # a bar in terminals
            rec = json.loads(frame_record_path(out, i).read_text())
            s = rec["split"]
            files[s].write(("," if images[s] else "") + _dumps(rec["image"]))
            images[s] += 1
        for f in files.values():
            f.write('],"annotations":[')
        ann_id, written = 0, Counter[str]()
        for i in tqdm(frames, desc="instances: annotations", unit="frame", disable=None, leave=False):
            rec = json.loads(frame_record_path(out, i).read_text())
            f = files[rec["split"]]
            for a in rec["annotations"]:
                ann_id += 1
                f.write(("," if written[rec["split"]] else "") + _dumps({"id": ann_id, "image_id": rec["image"]["id"], **a}))
                written[rec["split"]] += 1
                stats[names[a["category_id"]]] += 1
        for f in files.values():
            f.write(f'],"categories":{_dumps(categories)}}}')
            f.flush()
            os.fsync(f.fileno())
            f.close()
        for s in splits:
            os.replace(tmp[s], final[s])
    finally:  # on failure (a full disk) no temporary file stays behind; closing may fail again
        for s, f in files.items():
            try:
                f.close()
            except OSError:
                pass
            tmp[s].unlink(missing_ok=True)
    return {
        "images": {s: images[s] for s in splits},
        "annotations_per_category": dict(sorted(stats.items())),
        "annotations": ann_id,
    }


def finish(out: Path) -> None:
    """Remove the work folder once the instances files are in place."""
    shutil.rmtree(out / ".synth", ignore_errors=True)
