"""Procedural support surfaces: what the parts lie on (no files, no downloads).

Each surface is an (n, n, 3) modulation in [0, 1] (row 0 at the top) that tiles over `tile`
metres; the renderer multiplies it with the support's sampled base colour, scaled so the preset's
mean albedo holds. Fine structure (threads, grain, fibres) is drawn at 0.12 to 0.25
mm per texel, so it stays sharp in close-ups and mipmaps to the right mean from afar.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy.ndimage import gaussian_filter

from .noise import brushed_lines, fbm, fbm1, value_noise
from .textures import TILE_M, load_image


def _grey(v: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(v, 0, 1)[..., None], 3, axis=2)


def _planks(
    seed: int,
    n: int,
    planks: int = 4,
    rings: tuple[float, float] = (8, 16),
    contrast: float = 0.25,
    sharp: float = 2.0,
    pores: float = 0.1,
    knots: int = 0,
) -> np.ndarray:
    """Boards along x: growth rings cut at a slant (stripes that wander along the board), fine
    grain streaks, long dark pores, optional knots, dark seams between boards."""
    rng = np.random.default_rng(seed)
    plank = n // planks
    grain = fbm(rng, n, (128, 512, 1024), stretch=32)
    pore = fbm(rng, n, (256, 1024), stretch=48) ** 6
    out = np.empty((n, n))
    y = np.arange(plank)[:, None] / plank
    for k in range(planks):
        rows = slice(k * plank, (k + 1) * plank)
        across = fbm1(rng, plank, (4, 16, 64))[:, None]  # rings bend across the board...
        along = fbm1(rng, n, (2, 4, 8))[None, :]  # ...and drift slowly along it
        phase = y * rng.uniform(*rings) + 0.5 * along + 0.3 * across
        ring = (0.5 + 0.5 * np.sin(2 * np.pi * phase)) ** sharp  # latewood: the thin dark bands
        tone = rng.uniform(0.92, 1.08)
        out[rows] = tone * (0.75 + contrast * (0.5 - ring)) + 0.22 * (grain[rows] - 0.5) - pores * pore[rows]
    yy, xx = np.mgrid[0:n, 0:n]
    for _ in range(knots):  # an ellipse stretched along the grain, with a darker rim
        cy, cx, r = rng.integers(n), rng.integers(n), rng.uniform(0.008, 0.02) * n
        d = np.hypot((yy - cy) / r, (xx - cx) / (2.2 * r))
        out *= 1 - 0.45 * np.exp(-(d**2)) - 0.25 * np.exp(-((d - 1.2) ** 2) / 0.05)
    out[(np.arange(n) % plank) < max(2, n // 512)] = 0.25
    return _grey(out) * np.array([1.0, 0.96, 0.9])


def wood(n: int) -> np.ndarray:
    """A generic hardwood table top: four 12.5 cm boards, moderate rings."""
    return _planks(11, n)


def oak(n: int) -> np.ndarray:
    """Oak: wide rings and many long open pores."""
    return _planks(41, n, rings=(5, 10), contrast=0.3, pores=0.28)


def beech(n: int) -> np.ndarray:
    """Beech: fine, even, faint rings, small pores."""
    return _planks(42, n, rings=(10, 20), contrast=0.12, sharp=1.0, pores=0.05)


def walnut(n: int) -> np.ndarray:
    """Walnut: dark, wavy figure."""
    return _planks(43, n, rings=(6, 12), contrast=0.35, sharp=1.5, pores=0.15)


def pine(n: int) -> np.ndarray:
    """Pine: pale earlywood, sharp dark latewood bands, knots."""
    return _planks(44, n, planks=3, rings=(4, 8), contrast=0.6, sharp=6.0, pores=0.02, knots=3)


def pallet(n: int) -> np.ndarray:
    """A wooden pallet seen from above: deck boards with dark gaps between them."""
    out = _planks(11, n)
    board = n // 4
    out[(np.arange(n) % board) > board * 0.8] = 0.05
    return out


def bamboo(n: int) -> np.ndarray:
    """A laminated bamboo board: 2.5 cm strips along x, fibres, nodes (dark bands) every ~10 cm."""
    rng = np.random.default_rng(45)
    strips = 12
    w = n // strips
    fibre = fbm(rng, n, (256, 1024), stretch=64)
    out = np.empty((n, n))
    x = np.arange(n)
    for k in range(strips):
        rows = slice(k * w, (k + 1) * w if k < strips - 1 else n)
        v = rng.uniform(0.88, 1.1) + 0.14 * (fibre[rows] - 0.5)
        for c in rng.uniform(0, n, 3):  # nodes
            d = np.minimum(np.abs(x - c), n - np.abs(x - c)) / (n / 200)
            v = v * (1 - 0.3 * np.exp(-(d**2)) + 0.1 * np.exp(-((d - 2) ** 2)))[None, :]
        out[rows] = v
    out[(np.arange(n) % w) < 2] *= 0.55
    return _grey(0.8 * out) * np.array([1.0, 0.95, 0.82])


def cloth(n: int) -> np.ndarray:
    """Plain-woven cloth: warp and weft threads 4 texels (0.6 mm) apart going over and under each
    other, yarn-to-yarn colour variation, slubs, fibre fuzz, and soft wrinkles over a tile wider
    than most views (32 cm)."""
    rng = np.random.default_rng(46)
    p = 4
    y, x = np.mgrid[0:n, 0:n]
    i, j = x // p, y // p
    u, v = (x % p + 0.5) / p, (y % p + 0.5) / p
    warp = rng.uniform(0.85, 1.12, n // p)[i] * np.sin(np.pi * u) ** 0.6 * (0.75 + 0.25 * np.sin(np.pi * v))
    weft = rng.uniform(0.85, 1.12, n // p)[j] * np.sin(np.pi * v) ** 0.6 * (0.75 + 0.25 * np.sin(np.pi * u))
    woven = np.where((i + j) % 2 == 0, warp, weft)
    fuzz = rng.random((n, n))
    slub = fbm(rng, n, (32, 128), stretch=8)  # thicker and thinner stretches of yarn
    folds = fbm(rng, n, (2, 3, 5))  # wrinkles: soft ridges a few centimetres apart
    wrinkle = 0.9 + 0.1 * np.cos(2 * np.pi * (2.5 * folds + 0.3 * value_noise(rng, n, 3)))
    return _grey((0.35 + 0.6 * woven + 0.1 * (fuzz - 0.5)) * (0.93 + 0.14 * slub) * wrinkle)


def paper(n: int) -> np.ndarray:
    """Paper: near-uniform white with faint fibres and cloudy formation."""
    rng = np.random.default_rng(47)
    return _grey(0.94 + 0.04 * fbm(rng, n, (8, 32, 128)) + 0.03 * (fbm(rng, n, (256, 512), stretch=4) - 0.5))


def cardboard(n: int) -> np.ndarray:
    """Kraft cardboard: fibre speckle, a faint ridge every flute (about 4 mm), mottling."""
    rng = np.random.default_rng(48)
    flutes = 0.5 + 0.5 * np.cos(2 * np.pi * 120 * np.arange(n) / n)[:, None]
    speck = fbm(rng, n, (512, 1024), stretch=3)
    v = 0.82 + 0.06 * flutes + 0.12 * (speck - 0.5) + 0.1 * fbm(rng, n, (4, 16))
    return _grey(v) * np.array([1.0, 0.97, 0.92])


def concrete(n: int) -> np.ndarray:
    """Smooth concrete floor: cloudy mottling, aggregate specks light and dark, small pores."""
    rng = np.random.default_rng(49)
    v = 0.78 + 0.2 * fbm(rng, n, (4, 16, 64, 256))
    specks = gaussian_filter(rng.standard_normal((n, n)) * (rng.random((n, n)) > 0.985), 1.2, mode="wrap")
    pores = gaussian_filter((rng.random((n, n)) > 0.9993).astype(float), 1.5, mode="wrap")
    return _grey(v + 0.9 * specks - 6.0 * pores)


def rubber_mat(n: int) -> np.ndarray:
    """Ribbed rubber mat: ribs every 3 mm (80 to a 25 cm tile), fine grain, dusty patches."""
    rng = np.random.default_rng(50)
    rib = np.abs(np.sin(np.pi * 80 * np.arange(n) / n))[:, None] ** 0.5
    return _grey(0.55 + 0.35 * rib + 0.1 * rng.random((n, n)) + 0.15 * fbm(rng, n, (4, 16)) ** 3)


def painted_bench(n: int) -> np.ndarray:
    """A painted workbench top: orange-peel paint, scuffs along the work direction, worn patches
    and a few dark stains."""
    rng = np.random.default_rng(51)
    peel = fbm(rng, n, (256, 512))
    scuff = np.clip((fbm(rng, n, (128, 512, 1024), stretch=40) - 0.7) * 2, 0, 1)
    worn = np.clip((fbm(rng, n, (4, 8, 32)) - 0.7) * 3, 0, 1)
    stain = np.clip((fbm(rng, n, (6, 24)) - 0.8) * 4, 0, 1)
    return _grey(0.85 + 0.05 * peel + 0.12 * scuff + 0.12 * worn - 0.3 * stain)


def brushed_steel(n: int) -> np.ndarray:
    """Brushed sheet steel: one-texel streaks along x (0.12 mm), faint mottling."""
    rng = np.random.default_rng(12)
    return _grey(0.8 + 0.22 * (brushed_lines(rng, n) - 0.5) + 0.06 * fbm(rng, n, (4, 8)))


def belt(n: int) -> np.ndarray:
    """Conveyor belt: fine rubber grain and faint lengthwise wear marks."""
    rng = np.random.default_rng(13)
    wear = fbm(rng, n, (2, 32)).mean(axis=1, keepdims=True)
    return _grey(0.72 + 0.12 * rng.random((n, n)) + 0.16 * wear)


def mat(n: int) -> np.ndarray:
    """Smooth rubber work mat: soft mottling."""
    return _grey(0.75 + 0.2 * fbm(np.random.default_rng(14), n, (8, 32, 128)))


def fixture_plate(n: int) -> np.ndarray:
    """A machined fixture plate: fly-cut arcs and a grid of tapped holes 50 mm apart."""
    rng = np.random.default_rng(15)
    y, x = np.mgrid[0:n, 0:n]
    arcs = 0.5 + 0.5 * np.sin(2 * np.pi * (240 * y / n + 3 * np.cos(2 * np.pi * x / n)))  # the cutter's sweep
    v = 0.8 + 0.1 * arcs - 0.05 * fbm(rng, n, (4, 8))
    pitch = n // 10
    r = np.hypot(y % pitch - pitch // 2, x % pitch - pitch // 2)
    v = np.where(r < pitch * 0.08, 0.08, v)  # the hole
    v = np.where((r >= pitch * 0.08) & (r < pitch * 0.11), 0.55, v)  # its chamfer
    return _grey(v)


# texture name: (function, texels on a side, metres one tile covers)
TEXTURES: dict[str, tuple[Callable[[int], np.ndarray], int, float]] = {
    "wood": (wood, 2048, 0.5),
    "oak": (oak, 2048, 0.5),
    "beech": (beech, 2048, 0.5),
    "walnut": (walnut, 2048, 0.5),
    "pine": (pine, 2048, 0.5),
    "pallet": (pallet, 2048, 0.5),
    "bamboo": (bamboo, 2048, 0.3),
    "cloth": (cloth, 2048, 0.32),
    "paper": (paper, 2048, 0.3),
    "cardboard": (cardboard, 2048, 0.5),
    "concrete": (concrete, 2048, 0.5),
    "rubber_mat": (rubber_mat, 2048, 0.25),
    "painted_bench": (painted_bench, 2048, 0.5),
    "brushed_steel": (brushed_steel, 2048, 0.25),
    "belt": (belt, 2048, 0.5),
    "mat": (mat, 2048, 0.5),
    "fixture_plate": (fixture_plate, 2048, 0.5),
}

# support preset (presets.SUPPORTS) -> its texture
SURFACE_TEXTURE = {
    "steel_table": "brushed_steel",
    "conveyor_belt": "belt",
    "grey_mat": "mat",
    **{f"cloth_{c}": "cloth" for c in ("grey", "dark", "blue", "green", "beige")},
    **{k: k for k in TEXTURES if k not in ("brushed_steel", "belt", "mat")},
}


@functools.lru_cache(maxsize=20)
def _surface(name: str) -> np.ndarray:
    fn, n, _ = TEXTURES[name]
    return (np.clip(fn(n), 0, 1) * 255).astype(np.uint8)


def support_texture(kind: str) -> np.ndarray | None:
    """(n, n, 3) uint8 modulation texture of a support kind ("image:<path>": that photo, at most
    1024 px), or None for a plain surface."""
    if kind.startswith("image:"):
        return load_image(kind[6:])
    name = SURFACE_TEXTURE.get(kind)
    return None if name is None else _surface(name)


def support_tile(kind: str) -> float:
    """Metres one tile of the support's texture covers (a photo: `TILE_M`)."""
    name = SURFACE_TEXTURE.get(kind)
    return TEXTURES[name][2] if name is not None else TILE_M
