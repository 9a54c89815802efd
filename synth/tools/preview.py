"""`synth preview`: a contact sheet with masks, boxes and category names drawn over the frames."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from ..annotate import decode, polygon_convention
from ..config import Config
from ..errors import SynthError
from ..pipeline import FrameMaker, preload

PALETTE = np.array(
    [
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
        [240, 50, 230],
        [210, 245, 60],
        [250, 190, 212],
        [0, 128, 128],
        [220, 190, 255],
    ],
    dtype=np.uint8,
)


DEFECT_COLOR = np.array([255, 40, 200], np.uint8)


def is_defect(ann: dict) -> bool:
    """Defect records carry their host; part-family records carry attributes too, but no host."""
    return "host_instance_id" in (ann.get("synth_attributes") or {})


def _color(k: int, ann: dict) -> np.ndarray:
    return DEFECT_COLOR if is_defect(ann) else PALETTE[k % len(PALETTE)]


def draw(rgb: np.ndarray, anns: list[dict], names: dict[int, str], convention: str = "pixel_edge") -> Image.Image:
    """Part masks tinted and outlined, defect masks outlined only (so the defect stays visible),
    tight boxes, category names."""
    img = (rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)).astype(np.float32)  # monochrome cameras
    h, w = rgb.shape[:2]
    for k, a in enumerate(anns):
        m = decode(a, h, w, convention)
        col = _color(k, a).astype(np.float32)
        if not is_defect(a):
            img[m] = 0.55 * img[m] + 0.45 * col
        edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
        img[edge] = col
    pic = Image.fromarray(img.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(pic)
    for k, a in enumerate(anns):
        x, y, bw, bh = a["bbox"]
        colour = tuple(int(c) for c in _color(k, a))
        d.rectangle([x - 0.5, y - 0.5, x + bw - 0.5, y + bh - 0.5], outline=colour)
        label = names.get(a["category_id"], str(a["category_id"]))
        ty = max(0, y - 11)
        d.rectangle([x, ty, x + 6 * len(label) + 2, ty + 10], fill=(0, 0, 0))
        d.text((x + 1, ty - 1), label, fill=colour)
    return pic


def _closeup(rgb: np.ndarray, a: dict, size: int) -> Image.Image:
    """The raw pixels around a defect on the left, the same with its exact mask outlined on the right."""
    h, w = rgb.shape[:2]
    m = decode(a, h, w)
    x, y, bw, bh = a["bbox"]
    half = max(bw, bh, 24) * 0.8
    cx, cy = x + bw / 2, y + bh / 2
    box = (int(max(0, cx - half)), int(max(0, cy - half)), int(min(w, cx + half)), int(min(h, cy + half)))
    raw = Image.fromarray(rgb).crop(box).resize((size, size), Image.Resampling.LANCZOS)
    edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
    marked = rgb.copy()
    marked[edge] = DEFECT_COLOR
    out = Image.fromarray(marked).crop(box).resize((size, size), Image.Resampling.NEAREST)
    tile = Image.new("RGB", (2 * size, size + 14), (0, 0, 0))
    tile.paste(raw, (0, 14))
    tile.paste(out, (size, 14))
    ImageDraw.Draw(tile).text((3, 1), f"{a['synth_attributes']['kind']}  {a['area']} px", fill=(255, 255, 255))
    return tile


def closeups(
    frames: Sequence[tuple[Callable[[], np.ndarray], list[dict]]], n: int, per_kind: int = 1, size: int = 200
) -> list[Image.Image]:
    """Close-ups of the largest visible defects of each kind (`per_kind` each, at most `n`) among
    `frames`: (a function giving the frame's RGB, its annotations)."""
    found: dict[str, list[tuple[int, int, dict]]] = {}
    for k, (_, anns) in enumerate(frames):
        for a in anns:
            if is_defect(a):
                found.setdefault(a["synth_attributes"]["kind"], []).append((a["area"], k, a))
    tiles = []
    for kind in sorted(found):
        for _, k, a in sorted(found[kind], key=lambda t: -t[0])[:per_kind]:
            rgb = frames[k][0]()
            tiles.append(_closeup(rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2), a, size))
            if len(tiles) >= n:
                return tiles
    return tiles


def read_instances(root: Path) -> list[tuple[str, dict]]:
    """(split, instances document) of a dataset; SynthError when it has none or one is unreadable."""
    files = sorted((root / "annotations").glob("instances_*.json"))
    if not files:
        raise SynthError(f"{root}: no annotations/instances_*.json (not a dataset made by synth generate?)")
    docs = []
    for f in files:
        try:
            doc = json.loads(f.read_bytes())
            if not isinstance(doc, dict) or not all(isinstance(doc.get(k), list) for k in ("images", "annotations")):
                raise ValueError("no images and annotations lists")
        except (OSError, ValueError) as e:
            raise SynthError(f"{f}: not a readable instances file ({str(e).splitlines()[0]}); synth validate says more") from None
        docs.append((f.stem.removeprefix("instances_"), doc))
    return docs


def _read_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def defect_closeups(root: Path, n: int, per_kind: int = 1, size: int = 200) -> list[Image.Image]:
    """Close-ups of a dataset's defects (largest visible first, `per_kind` of each kind)."""
    frames = []
    for split, doc in read_instances(root):
        by_image: dict[int, list[dict]] = {}
        for a in doc["annotations"]:
            by_image.setdefault(a["image_id"], []).append(a)
        for im in doc["images"]:
            path = root / "images" / split / im["file_name"]
            frames.append((functools.partial(_read_rgb, path), by_image.get(im["id"], [])))
    return closeups(frames, n, per_kind, size)


def sheet(tiles: list[Image.Image], max_tile_width: int = 480) -> Image.Image:
    if not tiles:
        raise ValueError("nothing to show")
    tw = min(max_tile_width, tiles[0].width)
    th = round(tiles[0].height * tw / tiles[0].width)
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    out = Image.new("RGB", (cols * tw, rows * th), (20, 20, 20))
    for i, t in enumerate(tiles):
        out.paste(t.resize((tw, th), Image.Resampling.LANCZOS), ((i % cols) * tw, (i // cols) * th))
    return out


def from_dataset(root: Path, n: int) -> list[Image.Image]:
    """The first n frames of a dataset with their labels drawn over them."""
    tiles: list[Image.Image] = []
    for split, doc in read_instances(root):
        names = {c["id"]: str(c.get("name")) for c in doc.get("categories", []) if isinstance(c, dict) and "id" in c}
        by_image: dict[int, list] = {}
        for a in doc["annotations"]:
            by_image.setdefault(a.get("image_id"), []).append(a)
        for im in doc["images"]:
            if len(tiles) >= n:
                return tiles
            path = root / "images" / split / str(im.get("file_name"))
            try:
                rgb = _read_rgb(path)
                tiles.append(draw(rgb, by_image.get(im.get("id"), []), names, polygon_convention(doc)))
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise SynthError(f"{path}: cannot draw this frame ({type(e).__name__}); synth validate says more") from None
    return tiles


def from_config(cfg: Config, n: int, defects: bool = False) -> list[Image.Image]:
    """Render the first n frames of a config in memory (nothing written): each with its labels
    drawn over it, or with `defects`, close-ups of the largest defect of each kind among them."""
    if defects and not cfg.defects.enabled():
        raise SynthError("--defects: the config has no defects: section (see configs/surface_defects.yaml)")
    preload(cfg)
    names = {c["id"]: c["name"] for c in cfg.categories()}
    with FrameMaker(cfg) as maker:
        results = [maker.make(i) for i in tqdm(range(n), desc="preview", unit="img", disable=None, leave=False)]
    if defects:
        return closeups([(functools.partial(lambda r: r.rgb, r), r.annotations) for r in results], n)
    return [draw(r.rgb, r.annotations, names) for r in results]
