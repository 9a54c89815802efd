"""Small helpers over manifold3d: prisms, revolved profiles, conversion to trimesh."""

from __future__ import annotations

import numpy as np
import trimesh
from manifold3d import CrossSection, Manifold


def to_trimesh(m: Manifold) -> trimesh.Trimesh:
    mesh = m.to_mesh()
    return trimesh.Trimesh(vertices=np.asarray(mesh.vert_properties)[:, :3], faces=np.asarray(mesh.tri_verts), process=True)


def hex_prism(across_flats: float, height: float) -> Manifold:
    r = across_flats / 2.0 / np.cos(np.pi / 6)
    return Manifold.cylinder(height, r, r, 6).rotate((0, 0, 30))


def chamfer_cone(across_flats: float, height: float, top: bool = True, bottom: bool = False) -> Manifold:
    """A 30-degree chamfer cone, as on hex heads and nuts: intersect the hex with it."""
    r_in = across_flats / 2.0
    r_out = r_in / np.cos(np.pi / 6) + 0.5
    slope = np.tan(np.radians(30))
    rise = (r_out - r_in * 0.98) * slope
    pts: list[tuple[float, float]] = [(0.0, 0.0), (r_out if not bottom else r_in * 0.98, 0.0)]
    pts += [(r_out, rise if bottom else 0.0)] if bottom else []
    pts += [(r_out, height - rise if top else height), (r_in * 0.98 if top else r_out, height), (0, height)]
    return revolve(pts, 64)


def revolve(profile: list[tuple[float, float]], segments: int = 64) -> Manifold:
    """Revolve an (r, z) profile (counter-clockwise, r >= 0) about the Z axis."""
    return Manifold.revolve(CrossSection([np.asarray(profile, dtype=float)]), segments)


def thread_profile(radius: float, length: float, pitch: float, z0: float = 0.0) -> list[tuple[float, float]]:
    """Saw-tooth (r, z) profile of a thread (rings, which read as a thread in images)."""
    depth = 0.6 * pitch
    pts = [(0.0, z0), (radius - depth, z0)]
    z = z0
    while z + pitch <= z0 + length:
        pts += [(radius, z + 0.4 * pitch), (radius, z + 0.6 * pitch), (radius - depth, z + pitch)]
        z += pitch
    pts += [(radius - depth, z0 + length), (0.0, z0 + length)]
    return pts
