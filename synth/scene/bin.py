"""Bin picking: parts dropped one by one into a tote, settling on what lies below.

A height field over the tote's floor holds the top of the pile. Each part falls in one of its
stable poses with a random yaw at a random spot inside the walls: it comes to rest where its
underside first touches the pile (the largest pile-minus-underside over the cells it covers),
then raises the pile to its own top. Cells are half a millimetre and the part's surface is
sampled densely and dilated by a cell, so parts never interpenetrate; they do not topple or
slide (no dynamics), which keeps a pile plausible but tidier than a real one.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.ndimage import maximum_filter, minimum_filter

from ..assets import LoadedMesh
from .placement import rotation_z

CELL = 0.0005  # metres per height-field cell


_POINTS: dict[tuple[int, int], np.ndarray] = {}  # (id of a cached mesh, rest pose) -> surface points


def _surface_points(mesh: LoadedMesh, pose_index: int) -> np.ndarray:
    """Vertices and a dense deterministic surface sample of the mesh in a rest pose (metres)."""
    key = (id(mesh), pose_index)
    if key not in _POINTS:
        m = mesh.mesh
        pts, _ = trimesh.sample.sample_surface_even(m, 6000, radius=None, seed=7)
        pts = np.vstack([m.vertices, pts])
        t = mesh.rest_poses[pose_index].transform
        _POINTS[key] = pts @ t[:3, :3].T + t[:3, 3]
    return _POINTS[key]


class Pile:
    """The tote's floor and what has been dropped on it so far."""

    def __init__(self, inner: tuple[float, float], floor: float):
        self.inner = inner
        self.floor = floor
        self.nx, self.ny = int(np.ceil(inner[0] / CELL)), int(np.ceil(inner[1] / CELL))
        self.height = np.full((self.nx, self.ny), floor)

    def drop(self, mesh: LoadedMesh, rng: np.random.Generator, tries: int) -> np.ndarray | None:
        """Drop the part; returns its transform (metre mesh -> world), or None if it never fits
        between the walls."""
        poses = mesh.rest_poses
        k = int(rng.choice(len(poses), p=[p.probability for p in poses]))
        local = _surface_points(mesh, k)
        for _ in range(tries):
            rz = rotation_z(rng.uniform(0.0, 2.0 * np.pi))
            pts = local @ rz[:3, :3].T
            lo, hi = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
            room = np.array(self.inner) / 2 - (hi - lo) / 2
            if (room < 0).any():
                continue
            centre = rng.uniform(-room, room) - (hi + lo) / 2
            xy = pts[:, :2] + centre
            i = np.clip(((xy[:, 0] + self.inner[0] / 2) / CELL).astype(int), 0, self.nx - 1)
            j = np.clip(((xy[:, 1] + self.inner[1] / 2) / CELL).astype(int), 0, self.ny - 1)
            i0, j0 = i.min(), j.min()
            shape = (i.max() - i0 + 3, j.max() - j0 + 3)
            bottom = np.full(shape, np.inf)
            top = np.full(shape, -np.inf)
            np.minimum.at(bottom, (i - i0 + 1, j - j0 + 1), pts[:, 2])
            np.maximum.at(top, (i - i0 + 1, j - j0 + 1), pts[:, 2])
            bottom, top = minimum_filter(bottom, 3), maximum_filter(top, 3)  # conservative by a cell
            a0, b0 = max(i0 - 1, 0), max(j0 - 1, 0)
            a1, b1 = min(i0 - 1 + shape[0], self.nx), min(j0 - 1 + shape[1], self.ny)
            win = (slice(a0 - (i0 - 1), a1 - (i0 - 1)), slice(b0 - (j0 - 1), b1 - (j0 - 1)))
            under = self.height[a0:a1, b0:b1]
            covered = np.isfinite(bottom[win])
            z = float(np.max((under - bottom[win])[covered]))
            z = max(z, self.floor) + 1e-5
            self.height[a0:a1, b0:b1] = np.where(covered, np.maximum(under, z + top[win]), under)
            t = rz.copy()
            t[:2, 3] = centre
            t[2, 3] = z
            return t @ mesh.rest_poses[k].transform
        return None
