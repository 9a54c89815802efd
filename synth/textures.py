"""Part textures and finishes (procedural: no files, no downloads), and the user's own photos
(background and part textures). Support surfaces are in `surfaces.py`."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import SynthError
from .noise import brushed_lines, fbm

TILE_M = 0.5  # metres covered by one tile of texture


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear light."""
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@functools.lru_cache(maxsize=16)
def background_images(folder: str) -> list[str]:
    """The images in a folder, sorted (so a seed picks the same one everywhere), or a single image file."""
    p = Path(folder)
    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
        return [str(p)]
    if not p.is_dir():
        raise SynthError(f"{folder}: image file or folder not found")
    files = sorted(str(f) for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise SynthError(f"{folder}: no .png or .jpg images in the background folder")
    return files


def painted_chipped(n: int = 1024) -> np.ndarray:
    """Blue powder coat with orange peel, chipped where knocks took the paint off (bare steel),
    rust bleeding from the chips."""
    rng = np.random.default_rng(31)
    peel = fbm(rng, n, (64, 128, 256))
    paint = (0.16 + 0.03 * peel)[..., None] * np.array([0.55, 0.85, 1.9])
    wear = fbm(rng, n, (4, 16, 64, 128))
    chip = wear > 0.82
    rust = np.clip((wear - 0.72) / 0.1, 0, 1) * (1 - chip) * fbm(rng, n, (32, 128))
    out = paint * (1 - rust[..., None]) + rust[..., None] * np.array([0.45, 0.22, 0.08])
    out[chip] = (0.5 + 0.1 * peel[chip])[:, None] * np.array([0.95, 0.95, 0.97])
    return np.clip(out, 0, 1)


def rust(n: int = 1024) -> np.ndarray:
    """Corroded steel: orange-brown scale in blotches over darker pitted oxide."""
    rng = np.random.default_rng(37)
    a, b = fbm(rng, n, (8, 32, 128, 256)), fbm(rng, n, (64, 256))
    dark, orange = np.array([0.22, 0.12, 0.07]), np.array([0.55, 0.28, 0.1])
    t = np.clip((a - 0.35) / 0.4, 0, 1)[..., None]
    return np.clip((dark * (1 - t) + orange * t) * (0.8 + 0.4 * b[..., None]), 0, 1)


PART_TEXTURES = {"painted_chipped": painted_chipped, "rust": rust}


@functools.lru_cache(maxsize=16)
def load_image(path: str) -> np.ndarray:
    """(h, w, 3) uint8 RGB of an image file, at most 1024 px on a side, or of a built-in part
    texture ("builtin:<name>", see PART_TEXTURES)."""
    if path.startswith("builtin:"):
        return (PART_TEXTURES[path[8:]]() * 255).astype(np.uint8)
    try:
        with Image.open(path) as f:
            im = f.convert("RGB")
            im.thumbnail((1024, 1024))
            return np.asarray(im).copy()
    except Image.DecompressionBombError:
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise SynthError(f"{path}: image is too large to decode safely (over {limit:,} pixels)") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise SynthError(f"{path}: cannot read image ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None


FINISH_TILE_M = 0.03  # metres of part surface covered by one tile of a finish texture


def _machined(n: int) -> np.ndarray:
    """Turned/milled metal: fine tool marks along u (a streak every ~0.1 mm) with slow variation."""
    rng = np.random.default_rng(21)
    v = np.arange(n)[:, None] / n
    marks = 0.5 + 0.5 * np.sin(2 * np.pi * (v * 300 + 0.4 * fbm(rng, n, (4, 16))))
    return 0.78 + 0.14 * marks + 0.08 * fbm(rng, n, (8, 32))


def _brushed_finish(n: int) -> np.ndarray:
    """Brushed metal: long random streaks along u."""
    return 0.65 + 0.35 * (brushed_lines(np.random.default_rng(12), n) - 0.5) / 0.5


def _cast(n: int) -> np.ndarray:
    """Sand-cast surface: mottled grain and small dull pits."""
    rng = np.random.default_rng(23)
    pits = (rng.random((n, n)) > 0.996).astype(float)
    from scipy.ndimage import gaussian_filter

    return 0.82 + 0.14 * fbm(rng, n, (16, 64, 256)) + 0.2 * np.clip(gaussian_filter(pits, 1.2) * 8, 0, 1) - 0.08


FINISHES = {"machined": _machined, "brushed": _brushed_finish, "cast": _cast}


@functools.lru_cache(maxsize=8)
def finish_texture(kind: str, n: int = 512) -> np.ndarray:
    """(n, n, 3) uint8 ORM texture of a surface finish: occlusion 1, roughness multiplier in G,
    metallic 1 (the material's own values scale them)."""
    g = np.clip(FINISHES[kind](n), 0, 1)
    return (np.stack([np.ones_like(g), g, np.ones_like(g)], axis=2) * 255).astype(np.uint8)


def box_uv(points: np.ndarray, normals: np.ndarray, tile: float = FINISH_TILE_M) -> np.ndarray:
    """Box-projection texture coordinates for meshes without UVs: each vertex takes the two
    coordinates across its normal's dominant axis, in tiles of `tile` metres."""
    axis = np.abs(normals).argmax(axis=1)
    other = np.array([[1, 2], [0, 2], [0, 1]])[axis]
    uv = np.take_along_axis(points, other, axis=1)
    return (uv / tile).astype(np.float32)
