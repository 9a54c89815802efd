"""stain: oil, rust, heat tint or discolouration: an irregular soft-edged blob, no geometry."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field, field_validator

from ..distributions import dist
from ..fields import NumDist, StrDist, bounds
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface, tangent_frame

TINTS = {  # albedo multipliers (linear RGB)
    "rust": (0.55, 0.26, 0.10),
    "oil": (0.35, 0.33, 0.28),
    "heat_tint": (0.75, 0.55, 0.25),
    "discolouration": (0.7, 0.7, 0.62),
}


class StainSpec(DefectSpec):
    radius_mm: Annotated[NumDist, bounds(0.5, 200)] = Field(dist({"uniform": [2.0, 15.0]}))
    stain_type: StrDist = Field(dist({"choice": list(TINTS)}, numeric=False))

    @field_validator("stain_type")
    @classmethod
    def _known(cls, v):
        for k in v.values():
            if k not in TINTS:
                raise ValueError(f"unknown stain type {k!r} (known: {', '.join(TINTS)})")
        return v


def _texture(kind: str, x: np.ndarray, y: np.ndarray, r: np.ndarray, edge: np.ndarray, radius: float, rng) -> np.ndarray:
    """How strongly each point is stained, 0.35-1: a mottle of random waves (2-9 per radius) so a
    stain is not one flat colour; oil dries darker at its rim (the coffee-ring effect), rust in
    specks as well."""
    k = rng.uniform(2.0, 9.0, 6) / radius
    ang, ph = rng.uniform(0, np.pi, 6), rng.uniform(0, 2 * np.pi, 6)
    waves = np.sin(np.outer(x, k * np.cos(ang)) + np.outer(y, k * np.sin(ang)) + ph).sum(axis=1)
    mottle = 0.5 + 0.5 * waves / np.sqrt(6 * 0.5) / 2.0  # about 0-1
    t = 0.55 + 0.45 * np.clip(mottle, 0, 1)
    if kind == "oil":
        t = 0.6 * t + 0.4 * np.exp(-(((edge - r) / (0.12 * radius)) ** 2))
    if kind == "rust":
        t = np.maximum(t, (np.sin(np.outer(x, k * 5.3) + np.outer(y, k[::-1] * 4.7)).prod(axis=1) > 0.2) * 1.0)
    return np.clip(t, 0.35, 1.0)


@register("stain", StainSpec)
def stain(s: Surface, p: StainSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    radius = min(mm(p.radius_mm.sample(rng)), 0.2 * s.size)
    kind = str(p.stain_type.sample(rng))
    c, n, _ = s.sample_point(rng)
    t1, t2 = tangent_frame(n, rng)
    faces = s.refine_near(c, 1.5 * radius, max(radius / 20, 2 * s.min_edge), n)  # its mottle needs ~radius / 20
    idx = np.unique(s.faces[faces])
    rel = s.vertices[idx] - c
    x, y = rel @ t1, rel @ t2
    ang = np.arctan2(y, x)
    k = np.arange(1, 6)
    amp, ph = rng.uniform(0.04, 0.18, 5) / k**0.5, rng.uniform(0, 2 * np.pi, 5)
    edge = radius * (1 + (amp[None] * np.sin(np.outer(ang, k) + ph[None])).sum(axis=1))
    r = np.hypot(x, y)
    strength = np.clip((edge - r) / (0.35 * radius) + 0.5, 0, 1)  # soft edge: 0.5 at the outline
    strength *= np.abs(rel @ n) < 0.3 * radius
    weight = np.zeros(len(s.vertices))
    weight[idx] = strength  # the outline is the label; the texture inside varies the tint
    tint = np.array(TINTS[kind]) * rng.uniform(0.85, 1.1, 3)
    s.albedo[idx] *= 1 - (strength * _texture(kind, x, y, r, edge, radius, rng))[:, None] * (1 - tint[None])
    if s.label(faces, weight, 0.5, defect_id) == 0:
        return None
    return rounded({"radius_mm": radius * 1e3, "stain_type": kind})
