"""Part placement: each part rests on the support plane (z = 0) in one of its stable poses,
with a random yaw and position inside the region; footprints may not overlap, which for
parts resting on one plane rules out interpenetration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely import affinity
from shapely.geometry import Polygon

from ..assets import LoadedMesh


@dataclass
class Placement:
    transform: np.ndarray  # metre mesh -> world
    footprint: Polygon


def rotation_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    r = np.eye(4)
    r[:2, :2] = [[c, -s], [s, c]]
    return r


def place_part(
    mesh: LoadedMesh,
    placed: list[Polygon],
    region: tuple[float, float],
    spacing: float,
    max_tries: int,
    rng: np.random.Generator,
) -> Placement | None:
    """Try up to `max_tries` random placements; None when the part does not fit."""
    poses = mesh.rest_poses
    pose = poses[int(rng.choice(len(poses), p=[p.probability for p in poses]))]
    base = Polygon(pose.footprint).buffer(spacing / 2.0)
    for _ in range(max_tries):
        yaw = rng.uniform(0.0, 2.0 * np.pi)
        x, y = rng.uniform(-region[0] / 2, region[0] / 2), rng.uniform(-region[1] / 2, region[1] / 2)
        fp = affinity.translate(affinity.rotate(base, yaw, origin=(0, 0), use_radians=True), x, y)
        if any(fp.intersects(q) for q in placed):
            continue
        t = rotation_z(yaw) @ pose.transform
        t[:2, 3] += (x, y)
        return Placement(transform=t, footprint=fp)
    return None
