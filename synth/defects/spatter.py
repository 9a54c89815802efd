"""spatter / burr: extra material. Weld spatter: droplets stuck near a seam; burr: a ragged
ridge along an edge. Both are small bright bumps that cast tiny shadows."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import trimesh
from pydantic import Field

from ..distributions import dist
from ..fields import NumDist, bounds
from .chip import pick_sharp_edge
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface


class SpatterSpec(DefectSpec):
    surfaces: str | None = "weld_seam"
    droplets: Annotated[NumDist, bounds(1, 200)] = Field(dist({"uniform": [3, 15]}))
    diameter_mm: Annotated[NumDist, bounds(0.05, 10)] = Field(dist({"uniform": [0.3, 2.0]}))
    spread_mm: Annotated[NumDist, bounds(0.5, 100)] = Field(dist({"uniform": [3.0, 12.0]}))


class BurrSpec(DefectSpec):
    length_mm: Annotated[NumDist, bounds(0.5, 100)] = Field(dist({"uniform": [2.0, 10.0]}))
    height_mm: Annotated[NumDist, bounds(0.02, 5)] = Field(dist({"uniform": [0.1, 0.5]}))
    edge_angle_deg: float = 45.0


_BALL = trimesh.creation.icosphere(subdivisions=2)


def _add_balls(s: Surface, centres: list, radii: list, defect_id: int, albedo) -> None:
    vs, fs, base = [], [], 0
    for c, r in zip(centres, radii, strict=True):
        vs.append(_BALL.vertices * r + c)
        fs.append(_BALL.faces + base)
        base += len(_BALL.vertices)
    s.add(np.vstack(vs), np.vstack(fs), defect_id, albedo)


@register("spatter", SpatterSpec)
def spatter(s: Surface, p: SpatterSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    seam = s.group_faces(p.surfaces) if p.surfaces else None
    if seam is not None and len(seam) == 0:
        seam = None  # a part without seams: spatter lands anywhere
    c, n, _ = s.sample_point(rng, seam)
    spread = mm(p.spread_mm.sample(rng))
    near = s.faces_near(c, spread)
    near = near[s.face_normals[near] @ n > 0.2]
    k = p.droplets.sample_int(rng)
    centres, radii = [], []
    for _ in range(k):
        q, qn, _ = s.sample_point(rng, near, in_view=False)  # droplets scatter around a visible spot
        r = mm(p.diameter_mm.sample(rng)) / 2 * rng.uniform(0.6, 1.0) ** 2
        centres.append(q + qn * 0.35 * r)  # partly sunk in: it welded on
        radii.append(r)
    _add_balls(s, centres, radii, defect_id, (0.7, 0.68, 0.66))
    return rounded({"droplets": k, "max_diameter_mm": 2e3 * max(radii)})


@register("burr", BurrSpec)
def burr(s: Surface, p: BurrSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    edge = pick_sharp_edge(s, p.edge_angle_deg, rng)
    if edge is None:
        return None
    a, b, n1, n2 = edge
    d = (b - a) / max(np.linalg.norm(b - a), 1e-12)
    out = n1 + n2
    out /= np.linalg.norm(out)
    L = min(mm(p.length_mm.sample(rng)), float(np.linalg.norm(b - a)))
    h = mm(p.height_mm.sample(rng))
    start = a + rng.uniform(0.0, max(float(np.linalg.norm(b - a)) - L, 0.0)) * d
    n = max(3, int(L / (0.8 * h)))
    t = np.linspace(0, L, n)
    r = h * rng.uniform(0.5, 1.0, n)
    centres = [start + ti * d + out * 0.3 * ri for ti, ri in zip(t, r, strict=True)]
    _add_balls(s, centres, list(r), defect_id, (1.0, 1.0, 1.0))
    return rounded({"length_mm": L * 1e3, "height_mm": h * 1e3})
