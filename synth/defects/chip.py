"""chip: material missing at an edge or corner, leaving a fresh facet that reflects differently."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from ..distributions import dist
from ..fields import NumDist, bounds
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface


class ChipSpec(DefectSpec):
    size_mm: Annotated[NumDist, bounds(0.2, 50)] = Field(dist({"uniform": [1.0, 5.0]}))
    edge_angle_deg: float = 45.0


def pick_sharp_edge(s: Surface, min_angle_deg: float, rng: np.random.Generator):
    """A random sharp edge of the part (from the unedited mesh, whose adjacency trimesh caches),
    longer ones likelier: (end a, end b, normal of each side) or None."""
    m = s.host
    if m is None:  # (surfaces always keep their unedited host; without one there is nothing to pick from)
        return None
    sharp = m.face_adjacency_angles > np.radians(min_angle_deg)
    edges, adj = m.face_adjacency_edges[sharp], m.face_adjacency[sharp]
    if len(edges) == 0:
        return None
    v = m.vertices
    length = np.linalg.norm(v[edges[:, 0]] - v[edges[:, 1]], axis=1)
    k = int(rng.choice(len(edges), p=length / length.sum()))
    return v[edges[k, 0]], v[edges[k, 1]], m.face_normals[adj[k, 0]], m.face_normals[adj[k, 1]]


@register("chip", ChipSpec)
def chip(s: Surface, p: ChipSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    size = mm(p.size_mm.sample(rng))
    edge = pick_sharp_edge(s, p.edge_angle_deg, rng)
    if edge is None:
        return None
    a, b, n1, n2 = edge
    c = a + rng.uniform(0.1, 0.9) * (b - a)
    bis = n1 + n2
    bis /= np.linalg.norm(bis)
    tilt = rng.normal(0, 0.25, 3)
    plane_n = bis + tilt - bis * (tilt @ bis)
    plane_n /= np.linalg.norm(plane_n)
    cut = size * rng.uniform(0.25, 0.45)  # how far the facet sits inside the old corner
    faces = s.refine_near(c, 1.5 * size, size / 12)
    idx = np.unique(s.faces[faces])
    v = s.vertices[idx]
    r = np.linalg.norm(v - c, axis=1)
    h = (v - c) @ plane_n + cut  # height above the cutting plane: material that breaks away
    inside = (h > 0) & (r < size)
    move = np.where(inside, h, 0.0)  # flattened onto the plane: the fresh facet
    rough = rng.normal(0, 0.004 * size, len(idx)) * inside  # a fracture is not polished
    s.vertices[idx] -= np.outer(move + rough, plane_n)
    s.albedo[idx[inside]] = np.minimum(s.albedo[idx[inside]] * 1.15, 1.0)
    weight = np.zeros(len(s.vertices))
    weight[idx] = inside
    if s.label(faces, weight, 0.5, defect_id, any_vertex=True) == 0:  # every face the break moved
        return None
    return rounded({"size_mm": size * 1e3, "depth_mm": cut * 1e3})
