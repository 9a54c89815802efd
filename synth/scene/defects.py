"""Defect sampling: which parts get which defects, applied to a copy of each host mesh."""

from __future__ import annotations

import numpy as np

from ..assets import load_mesh
from ..config import Config
from ..defects import KINDS
from ..defects.surface import Surface
from .model import Camera, Defect, DefectGeometry, SceneObject


def sample_defects(
    cfg: Config, objects: list[SceneObject], rng: np.random.Generator, min_edge: float, camera: Camera
) -> list[Defect]:
    """Edit the objects' geometry in place; returns the defects placed. Draws a fixed pattern of
    variates per (object, kind), so one kind's settings do not reshuffle the others. `min_edge`
    (about a pixel at the parts) keeps edited patches no finer than the camera can see;
    with `defects.facing_camera` defects are placed on faces turned towards the camera and in the image (other
    parts can still hide them: the label pass decides what is visible)."""
    kinds = cfg.defects.enabled()
    if not kinds or rng.random() < cfg.defects.defect_free_fraction:
        return []
    defects: list[Defect] = []
    next_id = 0
    for obj in objects:
        if obj.distractor:
            continue
        surface = None
        for name, spec in kinds:
            kind = KINDS[name]
            hit = rng.random() < spec.probability
            count = spec.count.sample_int(rng)
            if not hit or ("*" not in spec.hosts and obj.category not in spec.hosts):
                continue
            if surface is None:
                loaded = load_mesh(obj.mesh_path, obj.units)
                surface = Surface.from_mesh(loaded.mesh, loaded.face_groups)
                surface.min_edge = min_edge
                if cfg.defects.facing_camera:
                    w2c = camera.world_to_camera
                    cam_pos = -w2c[:3, :3].T @ w2c[:3, 3]
                    surface.viewpoint = np.linalg.solve(obj.pose, np.append(cam_pos, 1.0))[:3]
                    surface.view = (camera.K @ (w2c @ obj.pose)[:3], camera.width, camera.height)
                    surface.occluders = loaded.mesh.triangles
            if kind.needs_group and len(surface.group_faces(kind.needs_group)) == 0:
                continue
            for _ in range(count):
                sub = np.random.default_rng(rng.integers(2**63))  # each defect its own stream
                next_id += 1
                did = next_id
                params = kind.apply(surface, spec, did, sub)
                if params is not None:
                    defects.append(Defect(did, name, obj.instance_id, params))
        if surface is not None and len(surface.split()[1]):
            obj.geometry = edited_geometry(surface)
            owned = set(np.unique(surface.face_defect).tolist())  # a later defect may have removed one
            defects = [d for d in defects if d.host_instance_id != obj.instance_id or d.defect_id in owned]
    return defects


def edited_geometry(surface: Surface) -> DefectGeometry:
    """What the renderer draws of an edited surface: the host faces left as they were, the patch."""
    host_faces, patch = surface.split()
    used, faces = np.unique(surface.faces[patch], return_inverse=True)
    return DefectGeometry(
        host_faces=host_faces,
        vertices=surface.vertices[used],
        faces=faces.reshape(-1, 3),
        face_defect=surface.face_defect[patch],
        albedo=surface.albedo[used],
        rest=surface.rest[used],
        face_host=surface.face_host[patch],
        source=used,
    )
