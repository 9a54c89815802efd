"""scratch / crack / weld_crack / undercut: thin grooves along a curve on the surface.

A scratch is a shallow smooth groove whose walls catch or lose the highlight; a crack is a
narrow, deep, jagged and dark fissure that may branch; an undercut is a wide shallow groove at
the toe of a weld bead, running along it.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field
from scipy.spatial import cKDTree

from ..distributions import dist
from ..fields import NumDist, bounds
from .kernels import distance_to_polyline
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface, smooth_curve, tangent_frame


class ScratchSpec(DefectSpec):
    width_mm: Annotated[NumDist, bounds(0.01, 5)] = Field(dist({"uniform": [0.05, 0.5]}))
    length_mm: Annotated[NumDist, bounds(0.5, 500)] = Field(dist({"uniform": [2.0, 50.0]}))
    depth_mm: Annotated[NumDist, bounds(0.001, 2)] = Field(dist({"uniform": [0.01, 0.08]}))


class CrackSpec(DefectSpec):
    width_mm: Annotated[NumDist, bounds(0.01, 5)] = Field(dist({"uniform": [0.08, 0.3]}))
    length_mm: Annotated[NumDist, bounds(0.5, 500)] = Field(dist({"uniform": [3.0, 25.0]}))
    depth_mm: Annotated[NumDist, bounds(0.01, 10)] = Field(dist({"uniform": [0.3, 1.0]}))
    branch_probability: float = 0.5


class WeldCrackSpec(CrackSpec):
    surfaces: str = "weld_seam"


class UndercutSpec(DefectSpec):
    surfaces: str = "weld_seam"
    width_mm: Annotated[NumDist, bounds(0.05, 10)] = Field(dist({"uniform": [0.6, 1.5]}))
    length_mm: Annotated[NumDist, bounds(0.5, 200)] = Field(dist({"uniform": [4.0, 15.0]}))
    depth_mm: Annotated[NumDist, bounds(0.01, 5)] = Field(dist({"uniform": [0.2, 0.6]}))


def _at_toe(
    s: Surface, faces: np.ndarray, bead: np.ndarray, width: float, rng: np.random.Generator, tries: int = 256
) -> tuple[np.ndarray, np.ndarray] | None:
    """A point on `faces` (and its face normal) whose distance to the bead is at most the groove's
    width, so the groove runs along the toe: area-weighted candidates, one drawn among those close enough."""
    tri = s.vertices[s.faces[faces]]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(cross, axis=1)
    pick = rng.choice(len(faces), size=tries, p=area / area.sum())
    u, v = rng.random((2, tries))
    flip = u + v > 1
    u, v = np.where(flip, 1 - u, u), np.where(flip, 1 - v, v)
    pts = tri[pick, 0] + u[:, None] * (tri[pick, 1] - tri[pick, 0]) + v[:, None] * (tri[pick, 2] - tri[pick, 0])
    close = np.flatnonzero(cKDTree(bead).query(pts)[0] <= max(width, s.min_edge))
    if len(close) == 0:
        return None
    k = close[int(rng.integers(len(close)))]
    return pts[k], cross[pick[k]] / area[pick[k]]


def cut_groove(
    s: Surface,
    lines: list[np.ndarray],
    normal: np.ndarray,
    half_width,
    depth: float,
    darkness: float,
    defect_id: int,
    among: np.ndarray | None = None,
) -> int:
    """Carve grooves along polylines (half_width: number or function of arc fraction), each
    vertex pushed in along its own normal so grooves follow curved surfaces; `among` keeps the
    groove on those faces (a weld bead)."""
    hw_max = float(np.max(half_width(np.linspace(0, 1, 33)))) if callable(half_width) else half_width
    finest = max(hw_max / 1.5, s.min_edge / 2)  # half a pixel: the groove shows, not its profile
    faces = s.refine_near(lines, 1.5 * hw_max + s.min_edge, max(hw_max / 2.5, 2e-5), normal, finest=finest, among=among)
    if len(faces) == 0:
        return 0
    idx, vn = s.vertex_normals(faces)
    weight = np.zeros(len(s.vertices))
    for line in lines:
        rel = s.vertices[idx]
        flat = rel if among is not None else rel - np.outer((rel - line[0]) @ normal, normal)  # lines on the surface
        d, frac = distance_to_polyline(np.ascontiguousarray(flat), line)
        hw = half_width(frac) if callable(half_width) else np.full(len(idx), half_width)
        x = d / hw
        w = np.where(x < 1, 1 - x**2, 0.0)
        s.vertices[idx] -= vn * (w * depth * (weight[idx] < w))[:, None]
        weight[idx] = np.maximum(weight[idx], w)
    crack = darkness < 0.5
    s.albedo[weight > (1e-6 if crack else 0.3)] *= darkness  # a crack is dark across its whole width
    # a crack darkens and tilts every face one of its vertices is on: all of them show
    return s.label(faces, weight, 1e-6 if crack else 0.35, defect_id, any_vertex=crack)


@register("scratch", ScratchSpec)
def scratch(s: Surface, p: ScratchSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    width, length, depth = mm(p.width_mm.sample(rng)), mm(p.length_mm.sample(rng)), mm(p.depth_mm.sample(rng))
    length = min(length, 0.6 * s.size)
    c, n, _ = s.sample_point(rng)
    t1, t2 = tangent_frame(n, rng)
    line = smooth_curve(c, t1, t2, length, 0.06, rng)
    if cut_groove(s, [line], n, width / 2, depth, 0.8, defect_id) == 0:
        return None
    return rounded({"width_mm": width * 1e3, "length_mm": length * 1e3, "depth_mm": depth * 1e3})


def _crack(s: Surface, p: CrackSpec, defect_id: int, rng: np.random.Generator, where, along: np.ndarray | None):
    width, length, depth = mm(p.width_mm.sample(rng)), mm(p.length_mm.sample(rng)), mm(p.depth_mm.sample(rng))
    length = min(length, 0.6 * s.size)
    c, n, _ = s.sample_point(rng, where)
    t1, t2 = tangent_frame(n, rng)
    if along is not None:  # run along the weld bead
        t1 = along - n * (along @ n)
        t1 /= np.linalg.norm(t1)
        t2 = np.cross(n, t1)
    wiggle = 0.35 if along is None else 0.12  # weld cracks run along the bead's centre line
    main = smooth_curve(c - t1 * length / 2, t1, t2, length, wiggle, rng, steps=30)
    lines = [main]
    branched = rng.random() < p.branch_probability
    if branched:
        k = int(rng.integers(8, 22))
        ang = rng.choice([-1, 1]) * rng.uniform(0.4, 1.0)
        d = np.cos(ang) * t1 + np.sin(ang) * t2
        lines.append(smooth_curve(main[k], d, np.cross(n, d), length * rng.uniform(0.2, 0.45), 0.35, rng, steps=12))
    if where is not None:  # lay the lines onto the bead
        lines = [s.project(line, where) for line in lines]
    phase = rng.uniform(0, 2 * np.pi, 3)

    def half_width(frac):  # tapering ends, small variation along the crack
        wobble = 1 + 0.25 * np.sin(frac * 17 + phase[0]) + 0.15 * np.sin(frac * 41 + phase[1])
        return width / 2 * np.clip(np.sin(np.pi * np.clip(frac, 0.02, 0.98)) ** 0.5, 0.25, 1) * wobble

    if cut_groove(s, lines, n, half_width, depth, 0.12, defect_id, among=where) == 0:
        return None
    return rounded({"width_mm": width * 1e3, "length_mm": length * 1e3, "depth_mm": depth * 1e3, "branched": bool(branched)})


def pick_seam(s: Surface, surfaces: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point on a random seam in view: (point, that seam's faces, its main direction)."""
    seam = s.group_faces(surfaces)
    c, _, f = s.sample_point(rng, seam)
    local = seam[s.face_group[seam] == s.face_group[f]]
    return c, local, seam_axis(s, local)


def seam_axis(s: Surface, faces: np.ndarray) -> np.ndarray:
    """Main direction of the seam faces near a point (principal axis of their vertices)."""
    v = s.vertices[np.unique(s.faces[faces])]
    _, _, vt = np.linalg.svd(v - v.mean(axis=0), full_matrices=False)
    return vt[0]


@register("crack", CrackSpec)
def crack(s: Surface, p: CrackSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    return _crack(s, p, defect_id, rng, None, None)


@register("weld_crack", WeldCrackSpec, needs_group="weld_seam")
def weld_crack(s: Surface, p: WeldCrackSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    _, local, axis = pick_seam(s, p.surfaces, rng)
    return _crack(s, p, defect_id, rng, local, axis)


@register("undercut", UndercutSpec, needs_group="weld_seam")
def undercut(s: Surface, p: UndercutSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    """A groove in the base metal along the toe of the bead."""
    _, local, axis = pick_seam(s, p.surfaces, rng)
    seam = s.group_faces(p.surfaces)
    seam_pts = s.vertices[np.unique(s.faces[local])]
    base = np.setdiff1d(s.faces_near(seam_pts, 0.0015), seam)  # base metal right beside the bead
    base = base[np.abs(s.face_normals[base] @ axis) < 0.3]
    if len(base) == 0:
        return None
    width, length, depth = mm(p.width_mm.sample(rng)), mm(p.length_mm.sample(rng)), mm(p.depth_mm.sample(rng))
    toe = _at_toe(s, base, seam_pts, width, rng)  # a base face touching the bead can reach far from it
    if toe is None:
        return None
    c, n = toe
    t1 = axis - n * (axis @ n)
    t1 /= np.linalg.norm(t1)
    line = smooth_curve(c - t1 * length / 2, t1, np.cross(n, t1), length, 0.02, rng, steps=16)
    if cut_groove(s, [line], n, width / 2, depth, 0.6, defect_id) == 0:
        return None
    return rounded({"width_mm": width * 1e3, "length_mm": length * 1e3, "depth_mm": depth * 1e3})
