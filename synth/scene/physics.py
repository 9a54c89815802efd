"""Parts settled by rigid-body simulation (pybullet, the optional extra `physics`), as Kubric does.

Each part is dropped in a random orientation, one after another, from a little above whatever lies
below it: anywhere in the region, or (with probability `touching`) next to or onto a part already
down. It falls, bounces, rolls and comes to rest on the table, on other parts or against the tote's
walls, pushing the last few parts dropped before it; then the next one falls (older parts, buried
or settled, stay put, so each drop costs about the same however big the pile). So parts lean on
each other, stand on their heads, lie tilted on a washer, touch. Collision shapes are the parts'
convex hulls (a washer's hole is filled; the tote is its exact triangle mesh), so the meshes,
inside their hulls, never interpenetrate (tested).

The simulation runs in millimetres (Bullet's contact margins suit bodies of a few units), single
threaded and seeded, so the same seed settles the same way.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from ..config import PhysicsCfg
from ..errors import SynthError

MM = 1000.0  # simulation units per metre
STEP_S = 1.0 / 960.0  # at 1/240 s a heavy part pressed a bolt 1.7 mm into it; at 1/960 under 0.07 mm
MOVING = 4  # the last parts dropped stay dynamic (a new one can push them); older ones are frozen where they lie
DENSITY = 7.8e-6  # kg per cubic millimetre (steel): masses only matter relative to each other


def bullet() -> Any:
    """The pybullet module, or a clear error naming the extra."""
    saved = [os.dup(1), os.dup(2)]  # its import prints a build banner from C: keep it off the user's terminal
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            import pybullet
    except ImportError:
        raise SynthError("scene.physics needs the optional extra: pip install 'synth[physics]' (pybullet)") from None
    finally:
        for fd, copy in enumerate(saved, start=1):
            os.dup2(copy, fd)
            os.close(copy)
    return pybullet


def _body(p, cid: int, mesh: trimesh.Trimesh, cfg: PhysicsCfg) -> tuple[int, np.ndarray]:
    """A dynamic body of the mesh's convex hull, its frame at the hull's centroid; returns the body
    and that centroid (metres, mesh frame)."""
    hull = mesh.convex_hull
    c = np.asarray(hull.centroid)
    shape = p.createCollisionShape(p.GEOM_MESH, vertices=((hull.vertices - c) * MM).tolist(), physicsClientId=cid)
    mass = max(float(hull.volume) * MM**3 * DENSITY, 1e-4)
    body = p.createMultiBody(baseMass=mass, baseCollisionShapeIndex=shape, physicsClientId=cid)
    p.changeDynamics(
        body,
        -1,
        lateralFriction=cfg.friction,
        rollingFriction=0.02,
        spinningFriction=0.02,
        restitution=0.1,
        linearDamping=0.1,
        angularDamping=0.3,
        physicsClientId=cid,
    )
    return body, c


def _settle(p, cid: int, bodies: list[int], max_steps: int) -> None:
    """Step until every body is at rest (or the time is up)."""
    for step in range(max_steps):
        p.stepSimulation(physicsClientId=cid)
        if step % 24 == 23:
            v = [p.getBaseVelocity(b, physicsClientId=cid) for b in bodies]
            if all(np.linalg.norm(lin) < 2.0 and np.linalg.norm(ang) < 0.2 for lin, ang in v):  # mm/s, rad/s
                return


def settle(
    meshes: list[trimesh.Trimesh],
    regions: list[tuple[float, float]],
    cfg: PhysicsCfg,
    rng: np.random.Generator,
    container: trimesh.Trimesh | None = None,
) -> list[np.ndarray]:
    """Drop the meshes (metres) one by one, each into its region (x, y extent about the origin), onto
    the table z = 0 and into `container` (a static mesh, e.g. the tote); their 4x4 poses at rest."""
    p = bullet()
    cid = p.connect(p.DIRECT)
    try:
        p.setGravity(0, 0, -9.81 * MM, physicsClientId=cid)
        p.setPhysicsEngineParameter(fixedTimeStep=STEP_S, numSolverIterations=50, physicsClientId=cid)
        table = p.createMultiBody(0, p.createCollisionShape(p.GEOM_PLANE, physicsClientId=cid), physicsClientId=cid)
        p.changeDynamics(table, -1, lateralFriction=cfg.friction, physicsClientId=cid)
        if container is not None:
            shape = p.createCollisionShape(
                p.GEOM_MESH,
                vertices=(np.asarray(container.vertices) * MM).tolist(),
                indices=np.asarray(container.faces).ravel().tolist(),
                flags=p.GEOM_FORCE_CONCAVE_TRIMESH,
                physicsClientId=cid,
            )
            tote = p.createMultiBody(0, shape, physicsClientId=cid)
            p.changeDynamics(tote, -1, lateralFriction=cfg.friction, physicsClientId=cid)
        bodies: list[int] = []
        centres: list[np.ndarray] = []
        radii: list[float] = []
        for mesh, region in zip(meshes, regions, strict=True):
            half = np.asarray(region) / 2
            body, c = _body(p, cid, mesh, cfg)
            rot = Rotation.random(random_state=rng)
            radius = float(np.linalg.norm(mesh.convex_hull.vertices - c, axis=1).max())
            if bodies and rng.random() < cfg.touching:  # beside or onto one already down
                k = int(rng.integers(len(bodies)))
                other = np.asarray(p.getBasePositionAndOrientation(bodies[k], physicsClientId=cid)[0]) / MM
                ang = rng.uniform(0, 2 * np.pi)
                xy = other[:2] + rng.uniform(0.2, 1.0) * (radius + radii[k]) * np.array([np.cos(ang), np.sin(ang)])
            else:
                xy = rng.uniform(-half, half)
            xy = np.clip(xy, -half, half)
            top = 0.0  # the highest thing below: drop from just above it
            for b, r in zip(bodies, radii, strict=True):
                pos = np.asarray(p.getBasePositionAndOrientation(b, physicsClientId=cid)[0]) / MM
                if np.linalg.norm(pos[:2] - xy) < r + radius:
                    top = max(top, pos[2] + r)
            if container is not None:
                top = max(top, float(container.bounds[0][2]))
            z = top + radius + float(cfg.drop_height.sample(rng))
            q = rot.as_quat()  # x, y, z, w as pybullet takes it
            p.resetBasePositionAndOrientation(body, [xy[0] * MM, xy[1] * MM, z * MM], q.tolist(), physicsClientId=cid)
            bodies.append(body)
            centres.append(c)
            radii.append(radius)
            moving = bodies[-MOVING:]
            _settle(p, cid, moving, int(cfg.max_time_s / STEP_S))
            if len(bodies) > MOVING:  # the oldest still moving one is buried by now: it stays put from here on
                p.changeDynamics(bodies[-MOVING - 1], -1, mass=0.0, physicsClientId=cid)
                p.resetBaseVelocity(bodies[-MOVING - 1], [0, 0, 0], [0, 0, 0], physicsClientId=cid)
        poses = []
        for body, c in zip(bodies, centres, strict=True):
            pos, quat = p.getBasePositionAndOrientation(body, physicsClientId=cid)
            t = np.eye(4)
            t[:3, :3] = Rotation.from_quat(quat).as_matrix()
            t[:3, 3] = np.asarray(pos) / MM - t[:3, :3] @ c  # the body sits at the hull's centroid
            poses.append(t)
        return poses
    finally:
        p.disconnect(physicsClientId=cid)
