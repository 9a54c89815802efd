"""Bin picking: parts dropped one by one into a tote, settling on what lies below.

A height field over the tote's floor holds the top of the pile. Each part falls in one of its
stable poses with a random yaw at a random spot inside the walls and comes to rest where its
underside first touches the pile (the largest pile-minus-underside over the cells it covers).
Then it settles: of the part tilted by up to 30 degrees about the horizontal axes (and not at all),
each resting where it first touches, it takes the pose whose centre of mass lies lowest, as a
part rolls off a ridge into the hollow beside it or leans against its neighbour; then it raises
the pile to its own top. Cells are half a millimetre and the part's surface is sampled densely
and dilated by a cell, so parts never interpenetrate. There are no dynamics (no sliding across
the pile, no bouncing): piles are plausible, not simulated.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.ndimage import maximum_filter, minimum_filter

from ..assets import LoadedMesh
from .placement import rotation_z

CELL = 0.0005  # metres per height-field cell


def _tilts() -> list[np.ndarray]:
    """Rotations about horizontal axes: none, then 8 directions x 15 and 30 degrees."""
    out = [np.eye(3)]
    for deg in (15.0, 30.0):
        for k in range(8):
            axis = np.array([np.cos(k * np.pi / 4), np.sin(k * np.pi / 4), 0.0])
            out.append(trimesh.transformations.rotation_matrix(np.radians(deg), axis)[:3, :3])
    return out


TILTS = np.array(_tilts())
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

    def _lifts(self, poses: np.ndarray) -> np.ndarray:
        """For (k, n, 3) point sets, each set's height when lowered onto the pile (the points'
        own cells, no dilation: for comparing poses); inf where a set reaches past the walls."""
        half = np.array(self.inner) / 2
        i = np.clip(((poses[..., 0] + half[0]) / CELL).astype(int), 0, self.nx - 1)
        j = np.clip(((poses[..., 1] + half[1]) / CELL).astype(int), 0, self.ny - 1)
        lift = np.maximum((self.height[i, j] - poses[..., 2]).max(axis=1), self.floor)
        return np.where((np.abs(poses[..., :2]) > half).any(axis=(1, 2)), np.inf, lift)

    def _contact(self, pts: np.ndarray):
        """Where points `pts` (world x, y; z relative) first touch the pile when lowered: the lift z,
        and the window of the height field they cover with their bottom and top there (dilated by a
        cell: conservative); None if they reach past the walls."""
        half = np.array(self.inner) / 2
        if (np.abs(pts[:, :2]) > half).any():
            return None
        i = np.minimum(((pts[:, 0] + half[0]) / CELL).astype(int), self.nx - 1)
        j = np.minimum(((pts[:, 1] + half[1]) / CELL).astype(int), self.ny - 1)
        i0, j0 = i.min(), j.min()
        shape = (i.max() - i0 + 3, j.max() - j0 + 3)
        bottom = np.full(shape, np.inf)
        top = np.full(shape, -np.inf)
        np.minimum.at(bottom, (i - i0 + 1, j - j0 + 1), pts[:, 2])
        np.maximum.at(top, (i - i0 + 1, j - j0 + 1), pts[:, 2])
        bottom, top = minimum_filter(bottom, 3), maximum_filter(top, 3)
        a0, b0 = max(i0 - 1, 0), max(j0 - 1, 0)
        a1, b1 = min(i0 - 1 + shape[0], self.nx), min(j0 - 1 + shape[1], self.ny)
        win = (slice(a0 - (i0 - 1), a1 - (i0 - 1)), slice(b0 - (j0 - 1), b1 - (j0 - 1)))
        under = self.height[a0:a1, b0:b1]
        covered = np.isfinite(bottom[win])
        z = max(float(np.max((under - bottom[win])[covered])), self.floor) + 1e-5
        return z, (slice(a0, a1), slice(b0, b1)), covered, top[win]

    def drop(self, mesh: LoadedMesh, rng: np.random.Generator, tries: int) -> np.ndarray | None:
        """Drop the part and let it settle; returns its transform (metre mesh -> world), or None
        if it never fits between the walls."""
        poses = mesh.rest_poses
        k = int(rng.choice(len(poses), p=[p.probability for p in poses]))
        local = _surface_points(mesh, k)
        coarse = local[:: max(1, len(local) // 2000)]  # to compare tilts; the chosen one uses every point
        pivot = (local.min(axis=0) + local.max(axis=0)) / 2
        for _ in range(tries):
            rz = rotation_z(rng.uniform(0.0, 2.0 * np.pi))[:3, :3]
            pts = local @ rz.T
            lo, hi = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
            room = np.array(self.inner) / 2 - (hi - lo) / 2
            if (room < 0).any():
                continue
            centre = np.r_[rng.uniform(-room, room) - (hi + lo) / 2, 0.0]
            # every tilt of this yaw about the pivot (which stays put): the lowest lift is the lowest
            # centre; a tilt must beat the untilted pose by a tenth of a millimetre
            rs = TILTS @ rz
            lifts = self._lifts((coarse - pivot) @ rs.transpose(0, 2, 1) + pivot @ rz.T + centre)
            lifts[1:][lifts[1:] >= lifts[0] - 1e-4] = np.inf
            if not np.isfinite(lifts).any():
                continue
            best = rs[int(np.argmin(lifts))]
            c = self._contact((local - pivot) @ best.T + pivot @ rz.T + centre)
            if c is None:
                continue
            z, cells, covered, top = c
            under = self.height[cells]
            self.height[cells] = np.where(covered, np.maximum(under, z + top), under)
            t = np.eye(4)
            t[:3, :3] = best
            t[:3, 3] = pivot @ rz.T - best @ pivot + centre + np.array([0.0, 0.0, z])
            return t @ mesh.rest_poses[k].transform
        return None
