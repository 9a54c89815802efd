"""Tileable noise for procedural textures (numpy only, seeded, no files)."""

from __future__ import annotations

import numpy as np


def _axis(n: int, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.arange(n) * scale / n
    i0 = np.floor(x).astype(int)
    return i0, (i0 + 1) % scale, (1 - np.cos((x - i0) * np.pi)) / 2


def value_noise(rng: np.random.Generator, n: int, scale: int, scale_x: int | None = None) -> np.ndarray:
    """(n, n) smooth tileable value noise in [0, 1]: a random `scale` x `scale_x` grid upsampled
    with a periodic cosine interpolation (`scale_x` fewer than `scale`: streaks along x)."""
    sx = scale if scale_x is None else scale_x
    g = rng.random((scale, sx))
    y0, y1, ty = _axis(n, scale)
    x0, x1, tx = _axis(n, sx)
    rows = g[y0] * (1 - ty)[:, None] + g[y1] * ty[:, None]
    return rows[:, x0] * (1 - tx)[None, :] + rows[:, x1] * tx[None, :]


def fbm(rng: np.random.Generator, n: int, octaves: tuple[int, ...], stretch: int = 1) -> np.ndarray:
    """(n, n) sum of value-noise octaves, weaker as they get finer, normalised to [0, 1];
    `stretch` > 1 makes each octave that many times longer along x than across (grain)."""
    out = np.sum([value_noise(rng, n, s, max(1, s // stretch)) / (k + 1) for k, s in enumerate(octaves)], axis=0)
    out -= out.min()
    return out / max(float(out.max()), 1e-12)


def brushed_lines(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, n) brushed metal in [0, 1]: one-texel lines along x, each its own brightness drifting
    slowly along it, over wider faint bands (what the abrasive belt leaves)."""
    lines = 0.45 * rng.random((n, 1)) + 0.35 * value_noise(rng, n, n, 6) + 0.2 * value_noise(rng, n, n // 8, 3)
    lines -= lines.min()
    return lines / max(float(lines.max()), 1e-12)


def fbm1(rng: np.random.Generator, n: int, octaves: tuple[int, ...]) -> np.ndarray:
    """(n,) tileable 1-D fractal noise in [0, 1] (see `fbm`)."""
    out = np.zeros(n)
    for k, s in enumerate(octaves):
        i0, i1, t = _axis(n, s)
        g = rng.random(s)
        out += (g[i0] * (1 - t) + g[i1] * t) / (k + 1)
    out -= out.min()
    return out / max(float(out.max()), 1e-12)
