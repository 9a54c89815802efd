"""pit / porosity / burn_through: small cavities, dark inside with a lit rim."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from ..distributions import dist
from ..fields import NumDist, bounds
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface


class PitSpec(DefectSpec):
    diameter_mm: Annotated[NumDist, bounds(0.05, 20)] = Field(dist({"uniform": [0.2, 3.0]}))
    depth_ratio: Annotated[NumDist, bounds(0.05, 5)] = Field(dist({"uniform": [0.4, 0.8]}))


class PorositySpec(PitSpec):
    pores: Annotated[NumDist, bounds(1, 200)] = Field(dist({"uniform": [3, 12]}))
    cluster_mm: Annotated[NumDist, bounds(0.5, 100)] = Field(dist({"uniform": [2.0, 6.0]}))
    diameter_mm: Annotated[NumDist, bounds(0.05, 20)] = Field(dist({"uniform": [0.2, 1.5]}))


class WeldPorositySpec(PorositySpec):
    surfaces: str = Field("weld_seam", description="face groups (by name prefix) the defect is placed on")


class BurnThroughSpec(DefectSpec):
    surfaces: str = "weld_seam"
    diameter_mm: Annotated[NumDist, bounds(0.2, 30)] = Field(dist({"uniform": [1.0, 4.0]}))


def carve_pits(
    s: Surface, centres: list[np.ndarray], normal: np.ndarray, radii: list[float], depths: list[float], darkness: float
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical-cap cavities with a slight raised lip, shaded darker with depth (down to 0.4 x
    `darkness` at the bottom); returns (patch faces, weight per vertex)."""
    faces = s.refine_near(np.array(centres), 1.6 * max(radii), min(radii) / 6, normal)
    idx = np.unique(s.faces[faces])
    outside = np.ones(len(s.faces), bool)
    outside[faces] = False
    held = np.isin(idx, s.faces[outside])  # shared with faces beyond the patch (a wall round a corner): they stay
    weight = np.zeros(len(s.vertices))
    for c, a, d in zip(centres, radii, depths, strict=True):
        rel = s.vertices[idx] - c
        r = np.linalg.norm(rel - np.outer(rel @ normal, normal), axis=1) / a
        inside = r < 1
        hole = np.where(inside, d * np.sqrt(np.clip(1 - r**2, 0, 1)), 0.0)
        lip = np.where((r >= 1) & (r < 1.4), -0.08 * d * np.sin((r - 1) / 0.4 * np.pi), 0.0)
        s.vertices[idx] -= np.outer(np.where(held, 0.0, hole + lip), normal)
        rim = np.where((r >= 1) & (r < 1.4), 0.5, 0.0)  # the raised lip belongs to the pit: it shows
        weight[idx] = np.maximum(weight[idx], np.where(inside, np.maximum(np.sqrt(np.clip(1 - r**2, 0, 1)), 0.5), rim))
        # the deeper, the less of the room a point sees: darkest at the bottom, the rim still lit,
        # so a cavity does not mirror the room like a ball bearing would
        dark = inside & ~held  # a vertex held for a wall beyond would tint that whole wall's face
        sunk = np.sqrt(np.clip(1 - r[dark] ** 2, 0, 1))
        s.albedo[idx[dark]] *= (1 - (1 - 0.4 * darkness) * sunk**0.7)[:, None]
    return faces, weight


def _pits(s: Surface, p, defect_id: int, rng: np.random.Generator, n: int, spread: float, where, darkness: float):
    c, normal, _ = s.sample_point(rng, where)
    centres, radii, depths = [], [], []
    for _ in range(n):
        a = mm(p.diameter_mm.sample(rng)) / 2
        off = rng.normal(0, spread / 2.5, 3)
        off -= normal * (off @ normal)
        centres.append(c + off)
        radii.append(a)
        depths.append(2 * a * float(p.depth_ratio.sample(rng)))
    faces, weight = carve_pits(s, centres, normal, radii, depths, darkness)
    if s.label(faces, weight, 0.3, defect_id) == 0:
        return None
    return centres, radii


@register("pit", PitSpec)
def pit(s: Surface, p: PitSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    got = _pits(s, p, defect_id, rng, 1, 0.0, None, 0.35)
    return None if got is None else rounded({"diameter_mm": 2e3 * got[1][0]})


def _porosity(s: Surface, p: PorositySpec, defect_id: int, rng: np.random.Generator, where) -> dict | None:
    n = p.pores.sample_int(rng)
    got = _pits(s, p, defect_id, rng, n, mm(p.cluster_mm.sample(rng)), where, 0.3)
    if got is None:
        return None
    return rounded({"pores": n, "max_diameter_mm": 2e3 * max(got[1]), "min_diameter_mm": 2e3 * min(got[1])})


@register("porosity", PorositySpec)
def porosity(s: Surface, p: PorositySpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    return _porosity(s, p, defect_id, rng, None)


@register("weld_porosity", WeldPorositySpec, needs_group="weld_seam")
def weld_porosity(s: Surface, p: WeldPorositySpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    return _porosity(s, p, defect_id, rng, s.group_faces(p.surfaces))


@register("burn_through", BurnThroughSpec, needs_group="weld_seam")
def burn_through(s: Surface, p: BurnThroughSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    """A hole melted through the wall beside the seam: deep, black inside, a glazed rim."""
    seam = s.group_faces(p.surfaces)
    c, normal, _ = s.sample_point(rng, seam)
    a = mm(p.diameter_mm.sample(rng)) / 2
    faces, weight = carve_pits(s, [c], normal, [a], [3.0 * a + 0.002], 0.04)
    if s.label(faces, weight, 0.3, defect_id) == 0:
        return None
    return rounded({"diameter_mm": 2e3 * a})
