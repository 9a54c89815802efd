"""Surface textures: procedural support surfaces and part finishes (no files, no downloads),
or the user's own background photos.

A support texture is a modulation in [0, 1] (RGB, row 0 at the top), tiled over `TILE_M`
metres; the renderer multiplies it with the sampled base colour.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import SynthError

TILE_M = 0.5  # metres covered by one tile of texture


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear light."""
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _noise(rng: np.random.Generator, n: int, scale: int) -> np.ndarray:
    """Smooth tileable value noise: random grid upsampled with a periodic cosine interpolation."""
    g = rng.random((scale, scale))
    x = np.arange(n) * scale / n
    i0 = np.floor(x).astype(int)
    t = (1 - np.cos((x - i0) * np.pi)) / 2
    i1 = (i0 + 1) % scale
    rows = g[i0] * (1 - t)[:, None] + g[i1] * t[:, None]
    return rows[:, i0] * (1 - t)[None, :] + rows[:, i1] * t[None, :]


def _fbm(rng: np.random.Generator, n: int, octaves: tuple[int, ...]) -> np.ndarray:
    out = np.sum([_noise(rng, n, s) / (k + 1) for k, s in enumerate(octaves)], axis=0)
    out -= out.min()
    return out / out.max()


def wood(n: int = 1024) -> np.ndarray:
    """Planks along x, 12.5 cm wide: long grain streaks (noise stretched along the plank),
    slowly wandering growth rings, pores, and dark seams between planks."""
    rng = np.random.default_rng(11)
    plank = n // 4
    out = np.empty((n, n))
    for k in range(4):
        rows = slice(k * plank, (k + 1) * plank)
        across = _fbm(rng, n, (16, 64, 256))[:plank, :1]  # grain varies across the plank...
        along = _fbm(rng, n, (2, 4))[:1, :]  # ...and drifts slowly along it
        phase = np.arange(plank)[:, None] / plank * rng.uniform(3, 7) + 1.5 * along + 0.8 * across
        rings = 0.5 + 0.5 * np.sin(2 * np.pi * phase)
        pores = _fbm(rng, n, (128, 256))[:plank] ** 3
        out[rows] = 0.60 + 0.25 * rings**2 + 0.12 * across - 0.1 * pores + 0.05 * rng.uniform(-1, 1)
    out[(np.arange(n) % plank) < 3] = 0.22
    return np.clip(out, 0, 1)[..., None] * np.array([1.0, 0.95, 0.88])


def brushed(n: int = 1024) -> np.ndarray:
    """Brushed sheet steel: fine streaks along x plus a faint mottling."""
    rng = np.random.default_rng(12)
    streak = rng.random((n, 1)) * 0.6 + 0.4 * rng.random((n, n // 64)).repeat(64, axis=1)
    from scipy.ndimage import uniform_filter1d

    streak = uniform_filter1d(streak, 48, axis=1, mode="wrap")
    v = 0.78 + 0.12 * (streak - streak.mean()) / (streak.std() + 1e-9) * 0.5 + 0.08 * _fbm(rng, n, (4, 8))
    return np.repeat(np.clip(v, 0, 1)[..., None], 3, axis=2)


def belt(n: int = 1024) -> np.ndarray:
    """Conveyor belt: fine rubber grain and faint lengthwise wear marks."""
    rng = np.random.default_rng(13)
    grain = rng.random((n, n))
    wear = _fbm(rng, n, (2, 32)).mean(axis=1, keepdims=True)
    v = 0.72 + 0.12 * grain + 0.16 * wear
    return np.repeat(np.clip(v, 0, 1)[..., None], 3, axis=2)


def mat(n: int = 1024) -> np.ndarray:
    """Rubber work mat: soft mottling."""
    rng = np.random.default_rng(14)
    v = 0.75 + 0.2 * _fbm(rng, n, (8, 32, 128))
    return np.repeat(v[..., None], 3, axis=2)


def fixture_plate(n: int = 1024) -> np.ndarray:
    """A machined fixture plate: fine fly-cut marks and a grid of tapped holes 50 mm apart."""
    rng = np.random.default_rng(15)
    v = 0.8 + 0.1 * _machined(n) - 0.05 * _fbm(rng, n, (4, 8))
    pitch = n // 10  # TILE_M / 10 = 50 mm
    y, x = np.indices((n, n)) % pitch - pitch // 2
    r = np.hypot(x, y)
    v = np.where(r < pitch * 0.08, 0.08, v)  # the hole
    v = np.where((r >= pitch * 0.08) & (r < pitch * 0.11), 0.55, v)  # its chamfer
    return np.repeat(np.clip(v, 0, 1)[..., None], 3, axis=2)


def pallet(n: int = 1024) -> np.ndarray:
    """A wooden pallet seen from above: deck boards with dark gaps between them."""
    out = wood(n)
    board = n // 4  # the wood texture's planks
    gap = (np.arange(n) % board) > board * 0.8
    out[gap] = 0.05
    return out


SUPPORT_TEXTURE = {
    "wood": wood,
    "steel_table": brushed,
    "conveyor_belt": belt,
    "grey_mat": mat,
    "fixture_plate": fixture_plate,
    "pallet": pallet,
}


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
    peel = _fbm(rng, n, (64, 128, 256))
    paint = (0.16 + 0.03 * peel)[..., None] * np.array([0.55, 0.85, 1.9])
    wear = _fbm(rng, n, (4, 16, 64, 128))
    chip = wear > 0.82
    rust = np.clip((wear - 0.72) / 0.1, 0, 1) * (1 - chip) * _fbm(rng, n, (32, 128))
    out = paint * (1 - rust[..., None]) + rust[..., None] * np.array([0.45, 0.22, 0.08])
    out[chip] = (0.5 + 0.1 * peel[chip])[:, None] * np.array([0.95, 0.95, 0.97])
    return np.clip(out, 0, 1)


def rust(n: int = 1024) -> np.ndarray:
    """Corroded steel: orange-brown scale in blotches over darker pitted oxide."""
    rng = np.random.default_rng(37)
    a, b = _fbm(rng, n, (8, 32, 128, 256)), _fbm(rng, n, (64, 256))
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


@functools.lru_cache(maxsize=8)
def support_texture(kind: str) -> np.ndarray | None:
    """(n, n, 3) uint8 modulation texture for a support kind ("image:<path>": that photo, at most
    1024 px), or None for a plain surface."""
    if kind.startswith("image:"):
        return load_image(kind[6:])
    fn = SUPPORT_TEXTURE.get(kind)
    if fn is None:
        return None
    return (np.clip(fn(), 0, 1) * 255).astype(np.uint8)


FINISH_TILE_M = 0.03  # metres of part surface covered by one tile of a finish texture


def _machined(n: int) -> np.ndarray:
    """Turned/milled metal: fine tool marks along u (a streak every ~0.1 mm) with slow variation."""
    rng = np.random.default_rng(21)
    v = np.arange(n)[:, None] / n
    marks = 0.5 + 0.5 * np.sin(2 * np.pi * (v * 300 + 0.4 * _fbm(rng, n, (4, 16))))
    return 0.78 + 0.14 * marks + 0.08 * _fbm(rng, n, (8, 32))


def _brushed_finish(n: int) -> np.ndarray:
    """Brushed metal: long random streaks along u."""
    return 0.65 + 0.35 * (brushed(n)[..., 0] - 0.6) / 0.4


def _cast(n: int) -> np.ndarray:
    """Sand-cast surface: mottled grain and small dull pits."""
    rng = np.random.default_rng(23)
    pits = (rng.random((n, n)) > 0.996).astype(float)
    from scipy.ndimage import gaussian_filter

    return 0.82 + 0.14 * _fbm(rng, n, (16, 64, 256)) + 0.2 * np.clip(gaussian_filter(pits, 1.2) * 8, 0, 1) - 0.08


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
