"""USD parts (.usd, .usda, .usdc, .usdz) through usd-core (the optional extra `synth[usd]`): every
UsdGeom.Mesh prim with its world transform, as one trimesh Scene whose nodes are the prims (so a
digital twin's named prims, e.g. `weld_seam_3`, become face groups), in the file's units (the
stage's metersPerUnit is applied later with the part's `units`) and turned Z-up when the stage is Y-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from .errors import SynthError

SUFFIXES = {".usd", ".usda", ".usdc", ".usdz"}


def _pxr():
    try:
        from pxr import Usd, UsdGeom
    except ImportError:
        raise SynthError("USD files need the optional extra: pip install 'synth[usd]' (usd-core)") from None
    return Usd, UsdGeom


def _triangles(counts: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Fan-triangulate USD faces (faceVertexCounts, faceVertexIndices) into (n, 3) vertex indices."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tris = [
        np.stack([np.full(c - 2, indices[s]), indices[s + 1 : s + c - 1], indices[s + 2 : s + c]], axis=1)
        for s, c in zip(starts, counts, strict=True)
        if c >= 3
    ]
    return np.concatenate(tris) if tris else np.zeros((0, 3), np.int64)


def load_usd(path: str | Path) -> tuple[trimesh.Scene, float]:
    """The stage's meshes as a Scene (node = prim name, or its path when names repeat) and the
    stage's metres per unit."""
    Usd, UsdGeom = _pxr()
    stage = Usd.Stage.Open(str(path))
    if stage is None:
        raise SynthError(f"{path}: not a readable USD stage")
    y_up = UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    to_z_up = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], float) if y_up else np.eye(4)
    scene = trimesh.Scene()
    cache = UsdGeom.XformCache()
    prims = [p for p in stage.Traverse() if p.IsA(UsdGeom.Mesh) and UsdGeom.Imageable(p).ComputeVisibility() != "invisible"]
    names = [p.GetName() for p in prims]
    for prim, name in zip(prims, names, strict=True):
        mesh = UsdGeom.Mesh(prim)
        points = np.asarray(mesh.GetPointsAttr().Get() or [], float)
        counts = np.asarray(mesh.GetFaceVertexCountsAttr().Get() or [], np.int64)
        indices = np.asarray(mesh.GetFaceVertexIndicesAttr().Get() or [], np.int64)
        if len(points) == 0 or len(counts) == 0:
            continue
        world = np.asarray(cache.GetLocalToWorldTransform(prim), float).T  # USD matrices are row-vector form
        node = name if names.count(name) == 1 else str(prim.GetPath())
        scene.add_geometry(
            trimesh.Trimesh(points, _triangles(counts, indices), process=False),
            node_name=node,
            geom_name=node,
            transform=to_z_up @ world,
        )
    return scene, float(UsdGeom.GetStageMetersPerUnit(stage))
