"""Procedural surface textures for support surfaces (no files, no downloads).

Each texture is a greyscale-tinted modulation in [0, 1] (RGB, row 0 at the top), tiled over
`TILE_M` metres; the renderer multiplies it with the sampled base colour.
"""

from __future__ import annotations

import functools

import numpy as np

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
    out = sum(_noise(rng, n, s) / (k + 1) for k, s in enumerate(octaves))
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


SUPPORT_TEXTURE = {"wood": wood, "steel_table": brushed, "conveyor_belt": belt, "grey_mat": mat}


@functools.lru_cache(maxsize=8)
def support_texture(kind: str) -> np.ndarray | None:
    """(n, n, 3) uint8 modulation texture for a support kind, or None for a plain surface."""
    fn = SUPPORT_TEXTURE.get(kind)
    if fn is None:
        return None
    return (np.clip(fn(), 0, 1) * 255).astype(np.uint8)
