"""USD parts (.usd, .usda, .usdc, .usdz) through usd-core (the optional extra `synth[usd]`): every
UsdGeom.Mesh prim with its world transform, as one trimesh Scene whose nodes are the prims (so a
digital twin's named prims, e.g. `weld_seam_3`, become face groups), in the file's units (the
stage's metersPerUnit is applied later with the part's `units`) and turned Z-up when the stage is Y-up.
Each prim's bound UsdPreviewSurface (or its displayColor) is read as a metallic/roughness material.
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


def _texture_mean(shader, path: Path) -> tuple[float, float, float] | None:
    """The mean linear colour of the image a UsdUVTexture reads (synth has no UV mapping for it)."""
    from PIL import Image

    asset = shader.GetInput("file").Get() if shader.GetInput("file") else None
    resolved = getattr(asset, "resolvedPath", "") or (str(path.parent / asset.path) if asset else "")
    try:
        with Image.open(resolved) as im:
            rgb = np.asarray(im.convert("RGB"), np.float64) / 255.0
    except (OSError, ValueError):
        return None
    space = shader.GetInput("sourceColorSpace")
    if not space or space.Get() != "raw":  # 8-bit colour images are sRGB unless marked raw
        rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return tuple(float(v) for v in rgb.reshape(-1, 3).mean(axis=0))  # type: ignore[return-value]


def _preview_surface(prim, path: Path) -> dict | None:
    """The prim's bound UsdPreviewSurface as {name, base_color (linear), metallic, roughness}; inputs
    fed by a texture take the texture's mean (colour) or the UsdPreviewSurface default; a prim with
    no material but a displayColor gets that colour, dielectric, roughness 0.5."""
    from pxr import UsdGeom, UsdShade

    material = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()[0]
    shader = material.ComputeSurfaceSource()[0] if material else None
    if not shader or shader.GetIdAttr().Get() != "UsdPreviewSurface":
        colour = UsdGeom.Mesh(prim).GetDisplayColorAttr().Get()
        if not colour:
            return None
        c = np.asarray(colour, float).reshape(-1, 3).mean(axis=0)
        return {"name": prim.GetName(), "base_color": tuple(c), "metallic": 0.0, "roughness": 0.5}

    def value(name: str, default):
        inp = shader.GetInput(name)
        if not inp:
            return default
        if inp.HasConnectedSource():
            source = inp.GetConnectedSources()[0][0].source
            texture = UsdShade.Shader(source.GetPrim())
            mean = _texture_mean(texture, path) if name == "diffuseColor" else None
            return mean if mean is not None else default
        v = inp.Get()
        return default if v is None else v

    specular = bool(value("useSpecularWorkflow", 0))  # the specular workflow has no metalness: dielectric
    return {
        "name": material.GetPrim().GetName(),
        "base_color": tuple(float(v) for v in value("diffuseColor", (0.18, 0.18, 0.18))),
        "metallic": 0.0 if specular else float(np.clip(value("metallic", 0.0), 0.0, 1.0)),
        "roughness": float(np.clip(value("roughness", 0.5), 0.0, 1.0)),
    }


def _triangles(counts: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Fan-triangulate USD faces (faceVertexCounts, faceVertexIndices) into (n, 3) vertex indices."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tris = [
        np.stack([np.full(c - 2, indices[s]), indices[s + 1 : s + c - 1], indices[s + 2 : s + c]], axis=1)
        for s, c in zip(starts, counts, strict=True)
        if c >= 3
    ]
    return np.concatenate(tris) if tris else np.zeros((0, 3), np.int64)


def load_usd(path: str | Path) -> tuple[trimesh.Scene, float, dict[str, dict]]:
    """The stage's meshes as a Scene (node = prim name, or its path when names repeat), the
    stage's metres per unit and each node's material (see `_preview_surface`), where it has one."""
    Usd, UsdGeom = _pxr()
    stage = Usd.Stage.Open(str(path))
    if stage is None:
        raise SynthError(f"{path}: not a readable USD stage")
    y_up = UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    to_z_up = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], float) if y_up else np.eye(4)
    scene = trimesh.Scene()
    materials: dict[str, dict] = {}
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
        if (m := _preview_surface(prim, Path(path))) is not None:
            materials[node] = m
    return scene, float(UsdGeom.GetStageMetersPerUnit(stage)), materials
