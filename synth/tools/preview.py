"""`synth preview`: a contact sheet with masks, boxes and category names drawn over the frames."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .validate import decode

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


def _color(k: int, ann: dict) -> np.ndarray:
    return DEFECT_COLOR if "attributes" in ann else PALETTE[k % len(PALETTE)]


def draw(rgb: np.ndarray, anns: list[dict], names: dict[int, str]) -> Image.Image:
    """Part masks tinted and outlined, defect masks outlined only (so the defect stays visible),
    tight boxes, category names."""
    img = (rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)).astype(np.float32)  # monochrome cameras
    h, w = rgb.shape[:2]
    for k, a in enumerate(anns):
        m = decode(a, h, w)
        col = _color(k, a).astype(np.float32)
        if "attributes" not in a:
            img[m] = 0.55 * img[m] + 0.45 * col
        edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
        img[edge] = col
    pic = Image.fromarray(img.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(pic)
    for k, a in enumerate(anns):
        x, y, bw, bh = a["bbox"]
        col = tuple(int(c) for c in _color(k, a))
        d.rectangle([x - 0.5, y - 0.5, x + bw - 0.5, y + bh - 0.5], outline=col)
        label = names.get(a["category_id"], str(a["category_id"]))
        ty = max(0, y - 11)
        d.rectangle([x, ty, x + 6 * len(label) + 2, ty + 10], fill=(0, 0, 0))
        d.text((x + 1, ty - 1), label, fill=col)
    return pic


def defect_closeups(root: Path, n: int, per_kind: int = 1, size: int = 200) -> list[Image.Image]:
    """Close-ups of defects (largest visible first, `per_kind` of each kind): the raw pixels on
    the left, the same with the exact mask outlined on the right."""
    found: dict[str, list] = {}
    for f in sorted((root / "annotations").glob("instances_*.json")):
        doc = json.loads(f.read_text())
        images = {im["id"]: im for im in doc["images"]}
        split = f.stem.removeprefix("instances_")
        for a in doc["annotations"]:
            if "attributes" in a:
                found.setdefault(a["attributes"]["kind"], []).append((a["area"], split, images[a["image_id"]], a))
    tiles = []
    for kind in sorted(found):
        for _, split, im, a in sorted(found[kind], key=lambda t: -t[0])[:per_kind]:
            rgb = np.asarray(Image.open(root / "images" / split / im["file_name"]).convert("RGB"))
            m = decode(a, im["height"], im["width"])
            x, y, w, h = a["bbox"]
            half = max(w, h, 24) * 0.8
            cx, cy = x + w / 2, y + h / 2
            box = [
                int(max(0, cx - half)),
                int(max(0, cy - half)),
                int(min(im["width"], cx + half)),
                int(min(im["height"], cy + half)),
            ]
            raw = Image.fromarray(rgb).crop(box).resize((size, size), Image.LANCZOS)
            edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
            marked = rgb.copy()
            marked[edge] = DEFECT_COLOR
            out = Image.fromarray(marked).crop(box).resize((size, size), Image.NEAREST)
            tile = Image.new("RGB", (2 * size, size + 14), (0, 0, 0))
            tile.paste(raw, (0, 14))
            tile.paste(out, (size, 14))
            ImageDraw.Draw(tile).text((3, 1), f"{kind}  {a['area']} px", fill=(255, 255, 255))
            tiles.append(tile)
            if len(tiles) >= n:
                return tiles
    return tiles


def sheet(tiles: list[Image.Image], max_tile_width: int = 480) -> Image.Image:
    if not tiles:
        raise ValueError("nothing to show")
    tw = min(max_tile_width, tiles[0].width)
    th = round(tiles[0].height * tw / tiles[0].width)
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    out = Image.new("RGB", (cols * tw, rows * th), (20, 20, 20))
    for i, t in enumerate(tiles):
        out.paste(t.resize((tw, th), Image.LANCZOS), ((i % cols) * tw, (i // cols) * th))
    return out


def from_dataset(root: Path, n: int) -> list[Image.Image]:
    tiles = []
    for f in sorted((root / "annotations").glob("instances_*.json")):
        doc = json.loads(f.read_text())
        names = {c["id"]: c["name"] for c in doc["categories"]}
        by_image: dict[int, list] = {}
        for a in doc["annotations"]:
            by_image.setdefault(a["image_id"], []).append(a)
        split = f.stem.removeprefix("instances_")
        for im in doc["images"]:
            if len(tiles) >= n:
                return tiles
            rgb = np.asarray(Image.open(root / "images" / split / im["file_name"]).convert("RGB"))
            tiles.append(draw(rgb, by_image.get(im["id"], []), names))
    return tiles


def from_config(cfg, n: int) -> list[Image.Image]:
    """Render the first n frames of a config in memory (nothing written)."""
    from ..render import Renderer
    from ..runner import annotate_scene, expose, preload
    from ..scene import sample_scene

    preload(cfg)
    cats = cfg.categories()
    ids = {c["name"]: c["id"] for c in cats}
    names = {c["id"]: c["name"] for c in cats}
    r = Renderer.for_config(cfg)
    tiles = []
    try:
        for i in range(n):
            scene = sample_scene(cfg, i)
            frame = expose(cfg, scene, r, i)
            anns, _ = annotate_scene(cfg, scene, frame, {}, ids)
            tiles.append(draw(frame.rgb, anns, names))
    finally:
        r.close()
    return tiles
