"""Mesh loading: every supported format to a clean `trimesh.Trimesh` in metres, cached per process.

The mesh keeps the file's own axes and origin (only scaled to metres), so a pose exported
for it applies to `s * x_file` exactly. Stable resting poses and their footprints are
computed once per mesh and cached with it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from .errors import SynthError
from .usd import SUFFIXES as USD_SUFFIXES
from .usd import load_usd

UNIT_SCALE = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254}


def unit_scale(units: str) -> float:
    """Metres per mesh unit; "mm*1.05" is a part scaled by 1.05 (`parts[].scale`)."""
    name, _, factor = units.partition("*")
    return UNIT_SCALE[name] * (float(factor) if factor else 1.0)


MIN_SIZE_M, MAX_SIZE_M = 1e-5, 100.0  # a part from 10 micrometres to 100 m across; else the units are wrong
MAX_HULL_FACES = 2000  # stable poses are computed on a convex hull this small (a scanned part's has 100,000s)
FORMATS = {".stl", ".obj", ".ply", ".glb", ".gltf", ".off", ".3mf", ".step", ".stp", *USD_SUFFIXES}


@dataclass
class RestPose:
    """A stable resting pose: `transform` puts the (metre) mesh on z = 0, centred at x = y = 0."""

    transform: np.ndarray
    probability: float
    footprint: np.ndarray  # (k, 2) convex hull of the rested mesh in XY, counter-clockwise


@dataclass(frozen=True)
class FileMaterial:
    """A material the mesh file assigns (glTF PBR, USD UsdPreviewSurface); `base_color` is linear RGB."""

    name: str
    base_color: tuple[float, float, float]
    metallic: float
    roughness: float


@dataclass
class LoadedMesh:
    mesh: trimesh.Trimesh  # in metres, file axes and origin
    scale: float
    face_groups: dict[str, np.ndarray] = field(default_factory=dict)
    materials: dict[str, FileMaterial] = field(default_factory=dict)  # face group -> the file's material
    _poses: list[RestPose] | None = None

    @property
    def rest_poses(self) -> list[RestPose]:
        if self._poses is None:
            self._poses = _rest_poses(self.mesh)
        return self._poses


def load_mesh(path: str | Path, units: str = "mm") -> LoadedMesh:
    """Load, scale to metres and clean a mesh; raises SynthError naming the file on bad input."""
    p = Path(path)
    if not p.is_file():
        raise SynthError(f"{p}: mesh file not found")
    return _load_cached(str(p.resolve()), units, p.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, units: str, _mtime: int) -> LoadedMesh:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SynthError(f"{path}: unsupported mesh format {suffix!r} (supported: {', '.join(sorted(FORMATS))})")
    if suffix in (".step", ".stp"):
        try:
            import cascadio  # noqa: F401
        except ImportError:
            raise SynthError(f"{path}: STEP files need the optional extra: pip install 'synth[step]' (cascadio)") from None
    usd_mm = None
    loaded: trimesh.Scene | trimesh.Geometry
    usd_materials: dict[str, dict] | None = None
    try:
        if suffix in USD_SUFFIXES:  # the stage's own units, read as millimetres (keep the part's units: mm)
            loaded, metres_per_unit, usd_materials = load_usd(path)
            usd_mm = metres_per_unit * 1000.0
        else:
            loaded = trimesh.load(path, force=None, process=False)
    except SynthError:
        raise
    except Exception as e:  # trimesh and USD raise many kinds on corrupt input
        raise SynthError(f"{path}: cannot read mesh ({type(e).__name__}: {str(e)[:120]})") from e
    mesh, groups = _to_single_mesh(loaded, path)
    if usd_materials is not None:
        materials = {g: FileMaterial(**m) for g, m in usd_materials.items() if g in groups}
    else:
        materials = _gltf_materials(loaded, groups)
    if usd_mm is not None:
        mesh.apply_scale(usd_mm)
    scale = unit_scale(units)
    mesh.apply_scale(scale)
    size = float(np.ptp(mesh.vertices, axis=0).max())
    if not MIN_SIZE_M <= size <= MAX_SIZE_M:
        raise SynthError(f"{path}: the part is {size:.3g} m across in {units}; check its units (mm, cm, m, in)")
    return LoadedMesh(mesh=mesh, scale=scale, face_groups=groups, materials=materials)


def _gltf_materials(loaded, groups: dict[str, np.ndarray]) -> dict[str, FileMaterial]:
    """Each node's glTF metallic/roughness material (factors only; glTF's defaults where unset)."""
    if not isinstance(loaded, trimesh.Scene):
        return {}
    out = {}
    for node in groups:
        geom = loaded.geometry[loaded.graph[node][1]]
        mat = getattr(geom.visual, "material", None)
        if not isinstance(mat, trimesh.visual.material.PBRMaterial):
            continue
        rgba = mat.baseColorFactor if mat.baseColorFactor is not None else np.full(4, 255)
        out[node] = FileMaterial(
            name=str(mat.name or node),
            base_color=tuple(float(v) / 255.0 for v in np.asarray(rgba)[:3]),  # type: ignore[arg-type]
            metallic=float(1.0 if mat.metallicFactor is None else mat.metallicFactor),
            roughness=float(1.0 if mat.roughnessFactor is None else mat.roughnessFactor),
        )
    return out


def _to_single_mesh(loaded, path: str) -> tuple[trimesh.Trimesh, dict[str, np.ndarray]]:
    """Flatten a Scene (several nodes) into one mesh; record each node's faces as a group."""
    groups: dict[str, np.ndarray] = {}
    if isinstance(loaded, trimesh.Scene):
        parts, start = [], 0
        for node in loaded.graph.nodes_geometry:
            transform, geom_name = loaded.graph[node]
            geom = loaded.geometry[geom_name]
            if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
                continue
            g = _clean(geom.copy(), path)
            g.apply_transform(transform)
            groups[str(node)] = np.arange(start, start + len(g.faces))
            start += len(g.faces)
            parts.append(g)
        if not parts:
            raise SynthError(f"{path}: the file holds no triangle meshes")
        mesh = trimesh.util.concatenate(parts)
        assert isinstance(mesh, trimesh.Trimesh)
    elif isinstance(loaded, trimesh.Trimesh):
        mesh = _clean(loaded, path)
    else:
        raise SynthError(f"{path}: the file holds no triangle mesh (found {type(loaded).__name__})")
    return mesh, groups


def _clean(mesh: trimesh.Trimesh, path: str) -> trimesh.Trimesh:
    if len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise SynthError(f"{path}: mesh has no faces")
    if not np.isfinite(mesh.vertices).all():
        raise SynthError(f"{path}: mesh has NaN or infinite vertex coordinates")
    if np.abs(mesh.vertices).max() > 1e9:  # vertex merging snaps to an integer grid, which would overflow
        raise SynthError(f"{path}: vertex coordinates reach {np.abs(mesh.vertices).max():.3g}; not a part's geometry")
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    if len(mesh.faces) == 0:
        raise SynthError(f"{path}: every face of the mesh is degenerate")
    if np.ptp(mesh.vertices, axis=0).max() <= 0:
        raise SynthError(f"{path}: mesh has zero extent")
    trimesh.repair.fix_normals(mesh)
    return mesh


def _pose_hull(mesh: trimesh.Trimesh) -> trimesh.Trimesh | None:
    """The convex hull stable poses are computed on: the mesh's, thinned to at most about
    MAX_HULL_FACES faces for meshes with huge hulls (deterministic: hull vertices snapped to a grid);
    None when the mesh is flat or degenerate (no hull with volume)."""
    try:
        hull = mesh.convex_hull
        size = float(np.ptp(hull.vertices, axis=0).max())
        cells = 64
        while len(hull.faces) > MAX_HULL_FACES and cells >= 4:
            snapped = np.unique(np.round(hull.vertices / (size / cells)), axis=0) * (size / cells)
            hull = trimesh.convex.convex_hull(snapped)
            cells //= 2
        if hull.volume <= 1e-9 * size**3:
            return None
        return hull
    except Exception:  # Qhull refuses coplanar or too few points
        return None


def _flat_pose(mesh: trimesh.Trimesh) -> np.ndarray:
    """A flat (or degenerate) part lies on its plane: its thinnest principal axis points up."""
    v = mesh.vertices - mesh.vertices.mean(axis=0)
    _, _, axes = np.linalg.svd(v, full_matrices=False)
    r = np.eye(4)
    r[:3, :3] = axes if np.linalg.det(axes) > 0 else axes * np.array([[1.0], [1.0], [-1.0]])
    return r


def _rest_poses(mesh: trimesh.Trimesh, max_poses: int = 8, min_prob: float = 0.02) -> list[RestPose]:
    """Stable poses (trimesh, on the thinned convex hull around the mesh's centre of mass;
    deterministic with n_samples=1), the likeliest first; a flat part lies on its plane."""
    hull = _pose_hull(mesh)
    transforms, probs = np.array([_flat_pose(mesh)]), np.ones(1)
    if hull is not None:
        try:
            with np.errstate(all="ignore"):
                centre = mesh.center_mass if mesh.is_watertight else hull.center_mass
            if not np.isfinite(centre).all():
                centre = hull.center_mass
            with np.errstate(all="ignore"):  # trimesh takes square roots of tiny negative numbers on thin hulls
                found, p = trimesh.poses.compute_stable_poses(hull, center_mass=centre)
            if len(found):
                transforms, probs = np.asarray(found), np.asarray(p)
        except Exception:  # a degenerate hull after all: lie flat
            pass
    order = np.argsort(-probs, kind="stable")[:max_poses]
    keep = [i for i in order if probs[i] >= min_prob] or [order[0]]
    total = float(sum(probs[i] for i in keep))
    points = hull.vertices if hull is not None else mesh.vertices
    out = []
    for i in keep:
        t = np.array(transforms[i], dtype=float)
        v = trimesh.transform_points(points, t)
        lo, hi = v.min(axis=0), v.max(axis=0)
        shift = np.eye(4)
        shift[:3, 3] = [-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]]
        t = shift @ t
        v = trimesh.transform_points(points, t)
        out.append(RestPose(transform=t, probability=float(probs[i]) / total, footprint=_hull2d(v[:, :2])))
    return out


def _hull2d(points: np.ndarray) -> np.ndarray:
    """Counter-clockwise convex hull of 2D points; a thin box around them when they are collinear."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        return points[ConvexHull(points).vertices]
    except (QhullError, ValueError):
        lo, hi = points.min(axis=0) - 1e-4, points.max(axis=0) + 1e-4
        return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
