"""Local surface editing for defects: pick points, refine a patch, displace it, label faces.

A `Surface` is the host mesh in metres (file axes) plus, per face, the id of the defect that
owns it (0: none) and, per vertex, an albedo multiplier. Defects refine only the small patch
they touch, so a frame's cost grows with the defects, not with the host mesh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import trimesh
from scipy.spatial import cKDTree


@dataclass
class Surface:
    vertices: np.ndarray  # (n, 3) metres
    faces: np.ndarray  # (m, 3)
    face_defect: np.ndarray  # (m,) int32, defect id owning the face, 0 = none
    face_group: np.ndarray  # (m,) int32 index into `groups`, -1 = none
    face_origin: np.ndarray  # (m,) index of the host mesh face it is (or was cut from: -1)
    touched: np.ndarray  # (n,) vertices a defect may have moved or tinted
    groups: list[str]
    albedo: np.ndarray  # (n, 3) multiplier of the base colour
    min_edge: float = 0.0  # no refinement finer than this (a pixel where the camera sees it)
    viewpoint: np.ndarray | None = None  # camera position in mesh coordinates: place defects in view
    view: tuple[np.ndarray, int, int] | None = None  # (3x4 projection in mesh coordinates, width, height)
    occluded: Callable[[np.ndarray], np.ndarray] | None = None  # points -> True where the host hides them
    host: trimesh.Trimesh | None = None  # the unedited mesh (cached per process: read only)
    _normals: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_mesh(cls, mesh: trimesh.Trimesh, face_groups: dict[str, np.ndarray]) -> Surface:
        groups = sorted(face_groups)
        fg = np.full(len(mesh.faces), -1, np.int32)
        for k, name in enumerate(groups):
            fg[face_groups[name]] = k
        return cls(
            vertices=np.asarray(mesh.vertices, float).copy(),
            faces=np.asarray(mesh.faces, np.int64).copy(),
            face_defect=np.zeros(len(mesh.faces), np.int32),
            face_group=fg,
            face_origin=np.arange(len(mesh.faces)),
            touched=np.zeros(len(mesh.vertices), bool),
            groups=groups,
            albedo=np.ones((len(mesh.vertices), 3)),
            host=mesh,
        )

    @property
    def face_normals(self) -> np.ndarray:
        if self._normals is None or len(self._normals) != len(self.faces):
            tri = self.vertices[self.faces]
            n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            self._normals = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-18)
        return self._normals

    @property
    def size(self) -> float:
        """The part's largest extent (metres): defects are kept in proportion to it."""
        return float(np.ptp(self.host.vertices if self.host is not None else self.vertices, axis=0).max())

    def face_areas(self) -> np.ndarray:
        tri = self.vertices[self.faces]
        return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)

    def group_faces(self, prefix: str) -> np.ndarray:
        """Indices of faces in groups whose name starts with `prefix` (e.g. weld seams)."""
        ks = [k for k, g in enumerate(self.groups) if g.startswith(prefix)]
        return np.flatnonzero(np.isin(self.face_group, ks))

    def sample_point(
        self, rng: np.random.Generator, faces: np.ndarray | None = None, in_view: bool = True
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """An area-weighted random point on the given faces (default: anywhere on the part): (point,
        face normal, face index; of the unedited mesh when no faces are given).
        With `in_view` (and a camera known), only faces turned to the camera and in the image, and
        the first of a few candidates that the host itself does not hide from the camera."""
        # anywhere on the part: draw from the unedited mesh, whose per-face tables are cached
        whole = faces is None and self.host is not None
        triangles = self.host.triangles if whole else self.vertices[self.faces]
        normals = self.host.face_normals if whole else self.face_normals
        areas = self.host.area_faces if whole else self.face_areas()
        faces = np.arange(len(triangles)) if faces is None else faces
        if in_view and self.viewpoint is not None:  # faces turned towards the camera and inside the image
            tri = (self.host.triangles_center if whole else triangles.mean(axis=1))[faces]
            ok = np.einsum("ij,ij->i", self.viewpoint - tri, normals[faces]) > 0
            if self.view is not None:
                proj, w, h = self.view
                uvw = np.c_[tri, np.ones(len(tri))] @ proj.T
                with np.errstate(divide="ignore", invalid="ignore"):
                    u, v = uvw[:, 0] / uvw[:, 2], uvw[:, 1] / uvw[:, 2]
                ok &= (uvw[:, 2] > 0) & (u > 0.05 * w) & (u < 0.95 * w) & (v > 0.05 * h) & (v < 0.95 * h)
            faces = faces[ok] if ok.any() else faces
        w = areas[faces]
        check = in_view and self.occluded is not None
        tries = 16 if check else 1
        fs = faces[rng.choice(len(faces), size=tries, p=w / w.sum())]
        ab = rng.random((tries, 2))
        ab = np.where(ab.sum(axis=1, keepdims=True) > 1, 1 - ab, ab)
        tri = triangles[fs]
        pts = tri[:, 0] + ab[:, :1] * (tri[:, 1] - tri[:, 0]) + ab[:, 1:] * (tri[:, 2] - tri[:, 0])
        k = 0
        if check:
            seen = np.flatnonzero(~self.occluded(pts))
            k = int(seen[0]) if len(seen) else 0
        return pts[k], normals[fs[k]].copy(), int(fs[k])

    def faces_near(self, points: np.ndarray, radius: float, normal: np.ndarray | None = None) -> np.ndarray:
        """Faces that come within `radius` of any of `points` (facing like `normal`, if given)."""
        return _near(self.vertices, self.faces, points, radius, normal, np.arange(len(self.faces)))

    def refine_near(
        self,
        points: np.ndarray,
        radius: float,
        max_edge: float,
        normal: np.ndarray | None = None,
        finest: float | None = None,
        budget: int = 30000,
    ) -> np.ndarray:
        """Split the faces within `radius` of `points` until their edges are at most `max_edge`
        (no finer than `min_edge`, or `finest` for features that must be resolved below a pixel,
        like a scratch's groove); returns the patch faces. Only faces near the defect are split,
        on a small local copy that is spliced back once, so big CAD triangles and big meshes cost
        little; the patch meets its neighbours in T-junctions on the old edges, which defects
        leave in place, so nothing opens."""
        max_edge = max(max_edge, self.min_edge if finest is None else min(self.min_edge, finest))
        region = self.faces_near(points, radius, normal)
        if len(region) == 0:
            return region
        gv, lf = np.unique(self.faces[region], return_inverse=True)
        lf = lf.reshape(-1, 3)
        lv, lalb = self.vertices[gv], self.albedo[gv]
        ldef, lgrp, lorig = self.face_defect[region], self.face_group[region], self.face_origin[region]
        near, grown = np.arange(len(lf)), 0
        tree = cKDTree(np.atleast_2d(points))
        while True:
            tri = lv[lf[near]]
            big = near[np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=2).max(axis=1) > max_edge]
            if len(big) == 0 or grown + len(big) > budget:
                break
            grown += len(big)
            n_keep = len(lf) - len(big)
            keep = np.ones(len(lf), bool)
            keep[big] = False
            lv, lalb, children = _bisect(lv, lalb, lf[big])
            parent = np.concatenate([np.flatnonzero(keep), np.repeat(big, 2)])
            lf = np.vstack([lf[keep], children])
            ldef, lgrp = ldef[parent], lgrp[parent]
            lorig = np.where(np.arange(len(lf)) >= n_keep, -1, lorig[parent])
            kept = np.where(keep, np.cumsum(keep) - 1, -1)[near]
            kids = np.arange(n_keep, len(lf))
            # children whose corners all lie within the radius are near: only the rim needs the test
            d, _ = tree.query(lv[lf[kids]].reshape(-1, 3))
            inside = (d.reshape(-1, 3) <= radius).all(axis=1)
            if normal is not None:
                t = lv[lf[kids]]
                fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
                inside &= fn @ normal > 0.3 * np.linalg.norm(fn, axis=1)
            rim = _near(lv, lf, points, radius, normal, kids[~inside])
            near = np.concatenate([kept[kept >= 0], kids[inside], rim])
        # splice the local copy back: its new vertices are appended, its faces replace the region
        n_global = len(self.vertices)
        index = np.concatenate([gv, n_global + np.arange(len(lv) - len(gv))])
        self.vertices = np.vstack([self.vertices, lv[len(gv) :]])
        self.albedo = np.vstack([self.albedo, lalb[len(gv) :]])
        self.touched = np.concatenate([self.touched, np.zeros(len(lv) - len(gv), bool)])
        self.remove_faces(region)
        start = len(self.faces)
        self.faces = np.vstack([self.faces, index[lf]])
        self.face_defect = np.concatenate([self.face_defect, ldef])
        self.face_group = np.concatenate([self.face_group, lgrp])
        self.face_origin = np.concatenate([self.face_origin, lorig])
        self._normals = None
        patch = start + near
        self.touched[np.unique(self.faces[patch])] = True  # everything a defect edits lies in its patch
        return patch

    def add(self, vertices: np.ndarray, faces: np.ndarray, defect_id: int, albedo: float | np.ndarray = 1.0) -> None:
        """Append new material (droplets, burrs) owned by a defect."""
        base = len(self.vertices)
        self.vertices = np.vstack([self.vertices, vertices])
        self.faces = np.vstack([self.faces, faces + base])
        self.face_defect = np.concatenate([self.face_defect, np.full(len(faces), defect_id, np.int32)])
        self.face_group = np.concatenate([self.face_group, np.full(len(faces), -1, np.int32)])
        self.face_origin = np.concatenate([self.face_origin, np.full(len(faces), -1)])
        self.touched = np.concatenate([self.touched, np.ones(len(vertices), bool)])
        self.albedo = np.vstack([self.albedo, np.broadcast_to(np.asarray(albedo, float), (len(vertices), 3))])
        self._normals = None

    def label(self, faces: np.ndarray, weight: np.ndarray, threshold: float, defect_id: int) -> int:
        """Give `defect_id` to the faces whose mean vertex weight reaches `threshold`."""
        if len(faces) == 0:
            return 0
        w = weight[self.faces[faces]].mean(axis=1)
        chosen = faces[w >= threshold]
        self.face_defect[chosen] = defect_id
        return len(chosen)

    def remove_faces(self, faces: np.ndarray) -> np.ndarray:
        """Delete faces; returns the old -> new face index map (-1 for deleted)."""
        keep = np.ones(len(self.faces), bool)
        keep[faces] = False
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        self.faces, self.face_defect = self.faces[keep], self.face_defect[keep]
        self.face_group, self.face_origin = self.face_group[keep], self.face_origin[keep]
        self._normals = None
        return new_index

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """(host faces left exactly as they were, by host index; faces of the edited patch).
        The renderer draws the first from its cached mesh and only re-shades the patch."""
        dirty = (self.face_origin < 0) | self.touched[self.faces].any(axis=1)
        return self.face_origin[~dirty], np.flatnonzero(dirty)


def _bisect(v: np.ndarray, albedo: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each face across its longest edge (two children, same orientation). Unlike a split in
    four this also fixes slivers, which CAD meshes are full of. Faces that split a shared edge share
    its midpoint; a neighbour that does not split it meets it in a T-junction on the old edge."""
    e = np.stack([faces, np.roll(faces, -1, axis=1)], axis=2)  # edges (i, i+1) per face
    length = np.linalg.norm(v[e[..., 0]] - v[e[..., 1]], axis=2)
    k = length.argmax(axis=1)
    rows = np.arange(len(faces))
    a, b, c = faces[rows, k], faces[rows, (k + 1) % 3], faces[rows, (k + 2) % 3]
    keys, inverse = np.unique(np.sort(np.stack([a, b], axis=1), axis=1), axis=0, return_inverse=True)
    mid = len(v) + inverse.ravel()
    v = np.vstack([v, (v[keys[:, 0]] + v[keys[:, 1]]) / 2])
    albedo = np.vstack([albedo, (albedo[keys[:, 0]] + albedo[keys[:, 1]]) / 2])
    children = np.empty((2 * len(faces), 3), np.int64)
    children[0::2] = np.stack([a, mid, c], axis=1)
    children[1::2] = np.stack([mid, b, c], axis=1)
    return v, albedo, children


def _near(
    vertices: np.ndarray, faces: np.ndarray, points: np.ndarray, radius: float, normal: np.ndarray | None, among: np.ndarray
) -> np.ndarray:
    """The faces of `among` that come within `radius` of any of `points`, facing like `normal`."""
    points = np.atleast_2d(points)
    tri = vertices[faces[among]]
    lo, hi = points.min(axis=0) - radius, points.max(axis=0) + radius
    inbox = ((tri.max(axis=1) >= lo) & (tri.min(axis=1) <= hi)).all(axis=1)  # cheap first cut
    cand, t = among[inbox], tri[inbox]
    if normal is not None:
        fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        facing = fn @ normal > 0.3 * np.linalg.norm(fn, axis=1)
        cand, t = cand[facing], t[facing]
    if len(cand) == 0:
        return cand
    _, nearest = cKDTree(points).query(t.mean(axis=1))  # the query point nearest each face...
    closest = trimesh.triangles.closest_point(t, points[nearest])  # ...and its true distance to it
    return cand[np.linalg.norm(closest - points[nearest], axis=1) <= radius]


def tangent_frame(n: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two unit tangents (t1, t2) perpendicular to n, turned by a random angle."""
    a = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    t1 = np.cross(n, a)
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(n, t1)
    ang = rng.uniform(0, 2 * np.pi)
    return np.cos(ang) * t1 + np.sin(ang) * t2, -np.sin(ang) * t1 + np.cos(ang) * t2


def smooth_curve(
    start: np.ndarray, t1: np.ndarray, t2: np.ndarray, length: float, wiggle: float, rng: np.random.Generator, steps: int = 24
) -> np.ndarray:
    """A smooth random curve in the tangent plane: heading changes by a random walk."""
    heading = 0.0
    pts = [start]
    step = length / steps
    for _ in range(steps):
        heading += rng.normal(0.0, wiggle)
        d = np.cos(heading) * t1 + np.sin(heading) * t2
        pts.append(pts[-1] + step * d)
    return np.array(pts)


def distance_to_polyline(points: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each point to a polyline, and the arc-length fraction of its closest point."""
    a, b = line[:-1], line[1:]
    ab = b - a
    seg_len = np.linalg.norm(ab, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    best = np.full(len(points), np.inf)
    where = np.zeros(len(points))
    for k in range(len(a)):
        t = np.clip(((points - a[k]) @ ab[k]) / max(seg_len[k] ** 2, 1e-18), 0, 1)
        d = np.linalg.norm(points - (a[k] + t[:, None] * ab[k]), axis=1)
        better = d < best
        best[better] = d[better]
        where[better] = (cum[k] + t[better] * seg_len[k]) / max(cum[-1], 1e-18)
    return best, where
