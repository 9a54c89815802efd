"""Reference masks by ray casting the mesh files with the exported K and synth_object_pose (no renderer)."""

from __future__ import annotations

import numpy as np
import trimesh

from synth.assets import UNIT_SCALE
from synth.sensor import undistort_points


def raycast_instances(image: dict, anns: list[dict], parts: dict[str, str], resolve) -> np.ndarray:
    """Instance map (0 = nothing) from the mesh files alone: X_cam = P @ [s * x_file, 1] (s: the
    units times `synth_attributes.scale`, when a part was scaled); with the
    image's lens distortion (OpenCV model) when it has one."""
    h, w = image["height"], image["width"]
    K = np.array(image["synth_camera"]["K"])
    meshes, owner = [], []
    for a in anns:
        m = trimesh.load(resolve(a["synth_mesh"]), force="mesh", process=False)
        v = np.asarray(m.vertices) * UNIT_SCALE[parts[a["synth_mesh"]]] * a.get("synth_attributes", {}).get("scale", 1.0)
        P = np.array(a["synth_object_pose"])
        meshes.append(trimesh.Trimesh(v @ P[:3, :3].T + P[:3, 3], m.faces, process=False))
        owner.append(np.full(len(m.faces), a["synth_instance_id"]))
    scene = trimesh.util.concatenate(meshes)
    owner = np.concatenate(owner)
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    xy = np.stack([(u.ravel() - K[0, 2]) / K[0, 0], (v.ravel() - K[1, 2]) / K[1, 1]], axis=1)
    if "distortion" in image["synth_camera"]:  # the ray each distorted pixel centre sees
        xy = undistort_points(xy, tuple(image["synth_camera"]["distortion"]))
    dirs = np.c_[xy, np.ones(len(xy))]
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    hit = trimesh.ray.ray_triangle.RayMeshIntersector(scene).intersects_first(np.zeros_like(dirs), dirs)
    out = np.zeros(h * w, np.int64)
    out[hit >= 0] = owner[hit[hit >= 0]]
    return out.reshape(h, w)
