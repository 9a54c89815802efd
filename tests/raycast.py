"""Reference masks by ray casting the mesh files with the exported K and object_pose (no renderer)."""

from __future__ import annotations

import numpy as np
import trimesh

from synth.assets import UNIT_SCALE


def raycast_instances(image: dict, anns: list[dict], parts: dict[str, str], resolve) -> np.ndarray:
    """Instance map (0 = nothing) from the mesh files alone: X_cam = P @ [s * x_file, 1]."""
    h, w = image["height"], image["width"]
    K = np.array(image["camera"]["K"])
    meshes, owner = [], []
    for a in anns:
        m = trimesh.load(resolve(a["mesh"]), force="mesh", process=False)
        v = np.asarray(m.vertices) * UNIT_SCALE[parts[a["mesh"]]]
        P = np.array(a["object_pose"])
        meshes.append(trimesh.Trimesh(v @ P[:3, :3].T + P[:3, 3], m.faces, process=False))
        owner.append(np.full(len(m.faces), a["instance_id"]))
    scene = trimesh.util.concatenate(meshes)
    owner = np.concatenate(owner)
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    pix = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1)
    dirs = pix @ np.linalg.inv(K).T
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    hit = trimesh.ray.ray_triangle.RayMeshIntersector(scene).intersects_first(np.zeros_like(dirs), dirs)
    out = np.zeros(h * w, np.int64)
    out[hit >= 0] = owner[hit[hit >= 0]]
    return out.reshape(h, w)
