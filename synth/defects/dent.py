"""dent: a smooth depression from an impact; shows as a shading change, strongest under grazing light."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from ..distributions import dist
from ..fields import NumDist, bounds
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface


class DentSpec(DefectSpec):
    radius_mm: Annotated[NumDist, bounds(0.2, 50)] = Field(dist({"uniform": [1.0, 15.0]}))
    depth_mm: Annotated[NumDist, bounds(0.01, 10)] = Field(dist({"uniform": [0.1, 3.0]}))


@register("dent", DentSpec)
def dent(s: Surface, p: DentSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    radius, depth = mm(p.radius_mm.sample(rng)), mm(p.depth_mm.sample(rng))
    radius = min(radius, 0.15 * s.size)  # a dent wider than the part is a bent part
    depth = float(np.clip(depth, 0.08 * radius, 0.4 * radius))  # shallower than 8% of the radius
    # (a slope under 7 degrees) a dent hardly shows on machined metal
    c, n, _ = s.sample_point(rng)
    faces = s.refine_near(c, 1.3 * radius, max(radius / 10, 2 * s.min_edge), n)  # smooth: 2 px is enough
    idx = np.unique(s.faces[faces])
    rel = s.vertices[idx] - c
    r = np.linalg.norm(rel - np.outer(rel @ n, n), axis=1) / radius
    w = np.where(r < 1, (1 - r**2) ** 2, 0.0)
    others = np.ones(len(s.faces), bool)
    others[faces] = False
    w[np.isin(idx, s.faces[others])] = 0.0  # the face's edges stay put: a dent does not skew the faces round a corner
    s.vertices[idx] -= np.outer(w * depth, n)
    weight = np.zeros(len(s.vertices))
    weight[idx] = w
    if s.label(faces, weight, 0.05, defect_id) == 0:  # the whole depression: its rim slopes most of all
        return None
    return rounded({"radius_mm": radius * 1e3, "depth_mm": depth * 1e3})
