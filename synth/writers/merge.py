"""`synth merge OUT SHARD...`: shards made with `synth generate --shard I/N` joined into one
dataset, equal to a single run of the same frames: images keep their ids (frame index + 1),
annotation ids are renumbered from 1 in frame order, categories are the config's.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import yaml
from tqdm import tqdm

from ..config import config_from_dict
from ..errors import SynthError
from .bop import export_bop
from .dataset import DATASET_MARK, MARKER, check_replaceable, dataset_card
from .files import write_atomic

FRAME_FOLDERS = ("images", "masks", "depth", "semantic", "normals")


def _link(src: Path, dst: Path) -> None:
    """Hard link when the shard is on the same file system (no copy), else copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _check(shards: list[Path]) -> str:
    """The config text the shards share; refuses unfinished shards and shards of other configs."""
    texts = []
    for s in shards:
        if (s / ".synth").is_dir():
            raise SynthError(f"{s}: this shard is unfinished; finish it with synth generate ... --resume first")
        if not (s / "config.yaml").is_file() or not (s / "annotations").is_dir():
            raise SynthError(f"{s}: not a dataset made by synth generate")
        texts.append((s / "config.yaml").read_text())
    for s, t in zip(shards[1:], texts[1:], strict=True):
        if t != texts[0]:
            raise SynthError(f"{s}: made from another config or seed than {shards[0]}; shards must share both")
    return texts[0]


def merge_shards(out: Path, shards: list[Path], overwrite: bool = False) -> dict:
    """Join `shards` into `out`; returns the stats (images per split, annotations per category)."""
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out}: output path exists and is not a folder")
    text = _check(shards)
    cfg = config_from_dict(yaml.safe_load(text), base_dir=Path.cwd(), source=str(shards[0] / "config.yaml"))
    docs: dict[str, list[dict]] = {split: [] for split in cfg.splits}
    owner: dict[int, Path] = {}
    for s in tqdm(shards, desc="merge: shards", unit="shard", disable=None, leave=False):  # a bar in terminals
        for split in cfg.splits:
            path = s / "annotations" / f"instances_{split}.json"
            if not path.is_file():
                raise SynthError(f"{path}: missing")
            try:
                doc = json.loads(path.read_bytes())
                listed = doc["images"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise SynthError(f"{path}: not a readable instances file ({type(e).__name__})") from None
            for im in listed:
                if not (s / "images" / split / im["file_name"]).is_file():
                    raise SynthError(f"{s / 'images' / split / im['file_name']}: missing; the shard is incomplete")
                if im["id"] in owner:
                    raise SynthError(f"{s}: frame {im['id'] - 1} is also in {owner[im['id']]}; shards overlap")
                owner[im["id"]] = s
            docs[split].append(doc)
    missing = cfg.num_images - len(owner)
    if missing:
        raise SynthError(f"{missing} of {cfg.num_images} frames are in none of the shards; merge every shard of the run")
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out}: output path exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise SynthError(f"{out}: output folder is not empty (use --overwrite to replace it)")
        check_replaceable(out, shards)
        shutil.rmtree(out)
    (out / MARKER).mkdir(parents=True)
    write_atomic(out / DATASET_MARK, b"made by synth: synth generate --overwrite may replace this folder\n")
    stats: Counter = Counter()
    names = {c["id"]: c["name"] for c in cfg.categories()}
    ann_id = 0
    per_split = {}
    for split, parts in docs.items():
        images = sorted((im for d in parts for im in d["images"]), key=lambda im: im["id"])
        per_split[split] = (images, sorted((a for d in parts for a in d["annotations"]), key=lambda a: (a["image_id"], a["id"])))
    # annotation ids run over the whole dataset in frame order, whatever the split
    order = sorted(((a["image_id"], a["id"], split) for split, (_, anns) in per_split.items() for a in anns))
    new_id = {(split, img, old): k + 1 for k, (img, old, split) in enumerate(order)}
    for split, (images, anns) in per_split.items():
        for im in images:
            src = owner[im["id"]]
            for folder in FRAME_FOLDERS:
                stem = Path(im["file_name"]).stem
                for f in (src / folder / split).glob(f"{stem}.*") if (src / folder / split).is_dir() else []:
                    _link(f, out / folder / split / f.name)
        renumbered = [{**a, "id": new_id[(split, a["image_id"], a["id"])]} for a in anns]
        renumbered.sort(key=lambda a: a["id"])
        for a in renumbered:
            stats[names[a["category_id"]]] += 1
        head = docs[split][0]
        doc = {"info": head["info"], "licenses": head["licenses"], "images": images, "annotations": renumbered}
        doc["categories"] = head["categories"]
        (out / "annotations").mkdir(exist_ok=True)
        write_atomic(out / "annotations" / f"instances_{split}.json", json.dumps(doc, separators=(",", ":")).encode())
        ann_id += len(renumbered)
    for s in shards:  # part-family meshes: one copy each, whichever shard made it
        for f in sorted((s / "meshes").glob("*")) if (s / "meshes").is_dir() else []:
            if not (out / "meshes" / f.name).exists():
                _link(f, out / "meshes" / f.name)
    result = {
        "images": {split: len(per_split[split][0]) for split in cfg.splits},
        "annotations_per_category": dict(sorted(stats.items())),
        "annotations": ann_id,
    }
    if cfg.outputs.bop:
        export_bop(out, cfg)
    write_atomic(out / "config.yaml", text.encode())
    write_atomic(out / "README.md", dataset_card(cfg, result).encode())
    shutil.rmtree(out / MARKER)
    return result
