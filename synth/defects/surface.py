"""Local surface editing for defects: pick points, refine a patch, displace it, label faces.

A `Surface` is the host mesh in metres (file axes) plus, per face, the id of the defect that
owns it (0: none) and, per vertex, an albedo multiplier. Defects refine only the small patch
they touch, so a frame's cost grows with the defects, not with the host mesh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from .kernels import first_unoccluded, near_faces, refine


@dataclass
class Surface:
    vertices: np.ndarray  # (n, 3) metres
    faces: np.ndarray  # (m, 3)
    face_defect: np.ndarray  # (m,) int32, defect id owning the face, 0 = none
    face_group: np.ndarray  # (m,) int32 index into `groups`, -1 = none
    face_origin: np.ndarray  # (m,) index of the host mesh face it is (or was cut from: -1)
    face_host: np.ndarray  # (m,) index of the host mesh face it lies in, cut or not (-1: new material)
    touched: np.ndarray  # (n,) vertices a defect may have moved or tinted
    groups: list[str]
    albedo: np.ndarray  # (n, 3) multiplier of the base colour
    rest: np.ndarray  # (n, 3) where each vertex lay before any defect moved it
    min_edge: float = 0.0  # no refinement finer than this (a pixel where the camera sees it)
    viewpoint: np.ndarray | None = None  # camera position in mesh coordinates: place defects in view
    view: tuple[np.ndarray, int, int] | None = None  # (3x4 projection in mesh coordinates, width, height)
    occluders: np.ndarray | None = None  # (m, 3, 3) triangles that may hide a point from `viewpoint`
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
            face_host=np.arange(len(mesh.faces)),
            touched=np.zeros(len(mesh.vertices), bool),
            groups=groups,
            albedo=np.ones((len(mesh.vertices), 3)),
            rest=np.asarray(mesh.vertices, float).copy(),
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
        # anywhere on the part: draw from the unedited mesh, whose per-face tables are cached;
        # else only the given faces' tables are computed
        host = self.host if faces is None else None
        whole = host is not None
        if host is not None:
            faces = np.arange(len(host.faces))
            triangles, normals, areas = host.triangles, host.face_normals, host.area_faces
        else:
            faces = np.arange(len(self.faces)) if faces is None else np.asarray(faces)
            triangles = self.vertices[self.faces[faces]]
            cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
            areas = 0.5 * np.linalg.norm(cross, axis=1)
            normals = cross / np.maximum(2 * areas, 1e-18)[:, None]
            index = faces
            faces = np.arange(len(faces))  # positions into the subset tables
        if in_view and self.viewpoint is not None:  # faces turned towards the camera and inside the image
            tri = (host.triangles_center if host is not None else triangles.mean(axis=1))[faces]
            ok = np.einsum("ij,ij->i", self.viewpoint - tri, normals[faces]) > 0
            if self.view is not None:
                proj, w, h = self.view
                uvw = np.c_[tri, np.ones(len(tri))] @ proj.T
                with np.errstate(divide="ignore", invalid="ignore"):
                    u, v = uvw[:, 0] / uvw[:, 2], uvw[:, 1] / uvw[:, 2]
                ok &= (uvw[:, 2] > 0) & (u > 0.05 * w) & (u < 0.95 * w) & (v > 0.05 * h) & (v < 0.95 * h)
            faces = faces[ok] if ok.any() else faces
        w = areas[faces]
        check = in_view and self.occluders is not None and self.viewpoint is not None
        tries = 16 if check else 1
        fs = faces[rng.choice(len(faces), size=tries, p=w / w.sum())]
        ab = rng.random((tries, 2))
        ab = np.where(ab.sum(axis=1, keepdims=True) > 1, 1 - ab, ab)
        tri = triangles[fs]
        pts = tri[:, 0] + ab[:, :1] * (tri[:, 1] - tri[:, 0]) + ab[:, 1:] * (tri[:, 2] - tri[:, 0])
        k = 0
        if check:
            k = max(first_unoccluded(self.viewpoint, pts, self.occluders, 1e-3), 0)
        return pts[k], normals[fs[k]].copy(), int(fs[k] if whole else index[fs[k]])

    def faces_near(self, points: np.ndarray, radius: float, normal: np.ndarray | None = None) -> np.ndarray:
        """Faces that come within `radius` of any of `points` (exactly: closest point on the face),
        facing like `normal` if given."""
        points = np.ascontiguousarray(np.atleast_2d(points), float)
        cand = near_faces(self.vertices, self.faces, np.arange(len(self.faces)), points, points, radius, *_facing(normal))
        if len(cand) == 0:
            return cand
        tri = self.vertices[self.faces[cand]]
        _, nearest = cKDTree(points).query(tri.mean(axis=1))
        closest = trimesh.triangles.closest_point(tri, points[nearest])
        return cand[np.linalg.norm(closest - points[nearest], axis=1) <= radius]

    def refine_near(
        self,
        where,
        radius: float,
        max_edge: float,
        normal: np.ndarray | None = None,
        finest: float | None = None,
        budget: int = 30000,
        among: np.ndarray | None = None,
    ) -> np.ndarray:
        """Split the faces within `radius` of `where` (points, or a list of polylines) until their
        edges are at most `max_edge` (no finer than `min_edge`, or `finest` for features that must
        be resolved below a pixel, like a scratch's groove); returns the patch faces. Only faces
        near the defect are split, on a small local copy spliced back once, so big CAD triangles
        and big meshes cost little; the patch is conforming inside and meets its neighbours in
        T-junctions on the old edges, where defects leave the surface in place. `among` limits it
        to those faces (a weld bead)."""
        max_edge = max(max_edge, self.min_edge if finest is None else min(self.min_edge, finest))
        a, b = segments(where)
        among = np.arange(len(self.faces)) if among is None else np.asarray(among, np.int64)
        region = near_faces(self.vertices, self.faces, among, a, b, radius, *_facing(normal))
        if len(region) == 0:
            return region
        gv, lf = np.unique(self.faces[region], return_inverse=True)
        carried = np.hstack([self.albedo[gv], self.rest[gv]])  # interpolated at new vertices
        lv, lcar, lf, parent, was_split, near = refine(
            self.vertices[gv], carried, lf.reshape(-1, 3), a, b, radius, max_edge, *_facing(normal), budget
        )
        # splice the local copy back: its new vertices are appended, its faces replace the region
        n_global = len(self.vertices)
        index = np.concatenate([gv, n_global + np.arange(len(lv) - len(gv))])
        self.vertices = np.vstack([self.vertices, lv[len(gv) :]])
        new = lcar[len(gv) :]
        self.albedo = np.vstack([self.albedo, new[:, :3]])
        self.rest = np.vstack([self.rest, new[:, 3:6]])
        self.touched = np.concatenate([self.touched, np.zeros(len(lv) - len(gv), bool)])
        ldef, lgrp, lorig, lhost = (
            self.face_defect[region],
            self.face_group[region],
            self.face_origin[region],
            self.face_host[region],
        )
        self.remove_faces(region)
        start = len(self.faces)
        self.faces = np.vstack([self.faces, index[lf]])
        self.face_defect = np.concatenate([self.face_defect, ldef[parent]])
        self.face_group = np.concatenate([self.face_group, lgrp[parent]])
        self.face_origin = np.concatenate([self.face_origin, np.where(was_split, -1, lorig[parent])])
        self.face_host = np.concatenate([self.face_host, lhost[parent]])
        self._normals = None
        patch = start + np.flatnonzero(near)
        self.touched[np.unique(self.faces[patch])] = True  # everything a defect edits lies in its patch
        return patch

    def project(self, points: np.ndarray, faces: np.ndarray) -> np.ndarray:
        """The closest points to `points` on the given faces (a curve drawn in a tangent plane laid
        back onto a curved weld bead)."""
        tri = self.vertices[self.faces[faces]]
        k, m = len(points), len(tri)
        closest = trimesh.triangles.closest_point(np.repeat(tri[None], k, axis=0).reshape(-1, 3, 3), np.repeat(points, m, axis=0))
        d = np.linalg.norm(closest - np.repeat(points, m, axis=0), axis=1).reshape(k, m)
        return closest.reshape(k, m, 3)[np.arange(k), d.argmin(axis=1)]

    def vertex_normals(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vertex indices, their area-weighted unit normals) over the given faces."""
        idx, inv = np.unique(self.faces[faces], return_inverse=True)
        tri = self.vertices[self.faces[faces]]
        fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # length = twice the area
        n = np.zeros((len(idx), 3))
        np.add.at(n, inv.reshape(-1, 3), fn[:, None, :])
        return idx, n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-18)

    def add(self, vertices: np.ndarray, faces: np.ndarray, defect_id: int, albedo: float | np.ndarray = 1.0) -> None:
        """Append new material (droplets, burrs) owned by a defect."""
        base = len(self.vertices)
        self.vertices = np.vstack([self.vertices, vertices])
        self.faces = np.vstack([self.faces, faces + base])
        self.face_defect = np.concatenate([self.face_defect, np.full(len(faces), defect_id, np.int32)])
        self.face_group = np.concatenate([self.face_group, np.full(len(faces), -1, np.int32)])
        self.face_origin = np.concatenate([self.face_origin, np.full(len(faces), -1)])
        self.face_host = np.concatenate([self.face_host, np.full(len(faces), -1)])
        self.touched = np.concatenate([self.touched, np.ones(len(vertices), bool)])
        self.albedo = np.vstack([self.albedo, np.broadcast_to(np.asarray(albedo, float), (len(vertices), 3))])
        self.rest = np.vstack([self.rest, vertices])
        self._normals = None

    def label(self, faces: np.ndarray, weight: np.ndarray, threshold: float, defect_id: int, any_vertex: bool = False) -> int:
        """Give `defect_id` to the faces whose mean vertex weight reaches `threshold` (with
        `any_vertex`, whose largest one does: every face a dark line tints)."""
        if len(faces) == 0:
            return 0
        w = weight[self.faces[faces]]
        w = w.max(axis=1) if any_vertex else w.mean(axis=1)
        chosen = faces[w >= threshold]
        self.face_defect[chosen] = defect_id
        return len(chosen)

    def remove_faces(self, faces: np.ndarray) -> np.ndarray:
        """Delete faces; returns the old -> new face index map (-1 for deleted)."""
        keep = np.ones(len(self.faces), bool)
        keep[faces] = False
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        self.faces, self.face_defect = self.faces[keep], self.face_defect[keep]
        self.face_group, self.face_origin, self.face_host = self.face_group[keep], self.face_origin[keep], self.face_host[keep]
        self._normals = None
        return new_index

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """(host faces left exactly as they were, by host index; faces of the edited patch).
        The renderer draws the first from its cached mesh and only re-shades the patch."""
        dirty = (self.face_origin < 0) | self.touched[self.faces].any(axis=1)
        return self.face_origin[~dirty], np.flatnonzero(dirty)


def segments(where) -> tuple[np.ndarray, np.ndarray]:
    """Segment ends (a, b) of `where`: points (k, 3) become zero-length segments, a list of
    polylines its consecutive pairs."""
    if isinstance(where, list):
        a = np.concatenate([line[:-1] for line in where])
        b = np.concatenate([line[1:] for line in where])
        return np.ascontiguousarray(a, float), np.ascontiguousarray(b, float)
    p = np.ascontiguousarray(np.atleast_2d(where), float)
    return p, p


def _facing(normal: np.ndarray | None) -> tuple[np.ndarray, bool]:
    return (np.zeros(3), False) if normal is None else (np.asarray(normal, float), True)


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
