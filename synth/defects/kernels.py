"""Compiled (numba) kernels for defect geometry: local mesh refinement and visibility rays.

Refinement is longest-edge bisection of the faces near a set of segments, down to a target edge
length, followed by a closure pass that also splits every face with a midpoint on one of its
edges, so the refined patch is conforming (no T-junctions inside it to open when it is
displaced). Edge midpoints are shared through a hash map, so each edge is split once.
A vectorised numpy version of the same loop was 5-10x slower: it is dominated by per-call
overhead on the small arrays of each bisection level.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Smallest distance of point p to the segments a[i]-b[i] (a point when a[i] == b[i])."""
    best = np.inf
    for i in range(a.shape[0]):
        d0, d1, d2 = b[i, 0] - a[i, 0], b[i, 1] - a[i, 1], b[i, 2] - a[i, 2]
        q0, q1, q2 = p[0] - a[i, 0], p[1] - a[i, 1], p[2] - a[i, 2]
        ll = d0 * d0 + d1 * d1 + d2 * d2
        t = 0.0
        if ll > 0:
            t = min(max((q0 * d0 + q1 * d1 + q2 * d2) / ll, 0.0), 1.0)
        e0, e1, e2 = q0 - t * d0, q1 - t * d1, q2 - t * d2
        d = e0 * e0 + e1 * e1 + e2 * e2
        if d < best:
            best = d
    return np.sqrt(best)


@njit(cache=True, nogil=True)
def _face_near(v, f, a, b, radius, normal, use_normal) -> bool:
    """A face is near when its bounding sphere (about its centroid) reaches within `radius` of a
    segment: conservative by at most the face's size, which refinement makes small."""
    c = np.empty(3)
    for d in range(3):
        c[d] = (v[f[0], d] + v[f[1], d] + v[f[2], d]) / 3.0
    reach = 0.0
    for j in range(3):
        r = 0.0
        for d in range(3):
            r += (v[f[j], d] - c[d]) ** 2
        reach = max(reach, r)
    if _seg_dist(c, a, b) > radius + np.sqrt(reach):
        return False
    if use_normal:
        x0, x1, x2 = v[f[1], 0] - v[f[0], 0], v[f[1], 1] - v[f[0], 1], v[f[1], 2] - v[f[0], 2]
        y0, y1, y2 = v[f[2], 0] - v[f[0], 0], v[f[2], 1] - v[f[0], 1], v[f[2], 2] - v[f[0], 2]
        n0, n1, n2 = x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0
        return n0 * normal[0] + n1 * normal[1] + n2 * normal[2] > 0.3 * np.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    return True


@njit(cache=True, nogil=True)
def near_faces(v, f, among, a, b, radius, normal, use_normal) -> np.ndarray:
    """The faces of `among` near the segments a-b (facing like `normal` when use_normal)."""
    out = np.empty(len(among), np.int64)
    k = 0
    lo, hi = np.empty(3), np.empty(3)
    for d in range(3):
        lo[d] = min(a[:, d].min(), b[:, d].min()) - radius
        hi[d] = max(a[:, d].max(), b[:, d].max()) + radius
    for i in among:
        inbox = True
        for d in range(3):
            fmin = min(v[f[i, 0], d], v[f[i, 1], d], v[f[i, 2], d])
            fmax = max(v[f[i, 0], d], v[f[i, 1], d], v[f[i, 2], d])
            if fmax < lo[d] or fmin > hi[d]:
                inbox = False
        if inbox and _face_near(v, f[i], a, b, radius, normal, use_normal):
            out[k] = i
            k += 1
    return out[:k]


@njit(cache=True, nogil=True)
def _slot(keys, key) -> int:
    """Slot of `key` in an open-addressing table (linear probing; -1 marks a free slot)."""
    mask = keys.shape[0] - 1
    h = (key * -7046029254386353131) & mask  # Fibonacci hashing (the golden-ratio constant as int64)
    while keys[h] != -1 and keys[h] != key:
        h = (h + 1) & mask
    return h


@njit(cache=True, nogil=True)
def _split_face(f, parent, split, i, new, p, m, q, r) -> None:
    """Face i = (p, q, r) split at m on edge p-q: it becomes (p, m, r), face `new` is (m, q, r)."""
    f[i, 0], f[i, 1], f[i, 2] = p, m, r
    f[new, 0], f[new, 1], f[new, 2] = m, q, r
    parent[new], split[i], split[new] = parent[i], True, True


@njit(cache=True, nogil=True)
def refine(v0, alb0, f0, a, b, radius, max_edge, normal, use_normal, budget):
    """Bisect the faces of (v0, f0) that lie near the segments a-b until their longest edge is at
    most `max_edge` (at most `budget` splits), then close the patch. Returns (vertices, albedo,
    faces, parent: input face each face came from, split: whether it was split, near)."""
    nv, nf = v0.shape[0], f0.shape[0]
    capv, capf = nv + budget + 16, nf + 2 * budget + 16
    v = np.empty((capv, 3))
    alb = np.empty((capv, alb0.shape[1]))
    v[:nv], alb[:nv] = v0, alb0
    f = np.empty((capf, 3), np.int64)
    f[:nf] = f0
    parent = np.empty(capf, np.int64)
    parent[:nf] = np.arange(nf)
    split = np.zeros(capf, np.bool_)
    size = 1
    while size < 2 * (budget + 16):
        size *= 2
    keys = np.full(size, -1, np.int64)  # edge (lo * 2**31 + hi) -> its midpoint vertex
    mids = np.empty(size, np.int64)
    queue = np.empty(capf, np.int64)  # first in, first out: on a spent budget, refinement is even
    queue[:nf] = np.arange(nf)
    head, tail, splits, max2 = 0, nf, 0, max_edge * max_edge
    while head < tail and splits < budget:
        i = queue[head]
        head += 1
        best, k = -1.0, 0
        for e in range(3):
            p, q = f[i, e], f[i, (e + 1) % 3]
            d = (v[p, 0] - v[q, 0]) ** 2 + (v[p, 1] - v[q, 1]) ** 2 + (v[p, 2] - v[q, 2]) ** 2
            if d > best:
                best, k = d, e
        if best <= max2 or not _face_near(v, f[i], a, b, radius, normal, use_normal):
            continue
        p, q, r = f[i, k], f[i, (k + 1) % 3], f[i, (k + 2) % 3]
        key = min(p, q) * 2**31 + max(p, q)
        h = _slot(keys, key)
        if keys[h] == -1:  # a new midpoint
            keys[h], mids[h] = key, nv
            for d in range(3):
                v[nv, d] = (v[p, d] + v[q, d]) / 2
            for d in range(alb.shape[1]):
                alb[nv, d] = (alb[p, d] + alb[q, d]) / 2
            nv += 1
        _split_face(f, parent, split, i, nf, p, mids[h], q, r)
        queue[tail], queue[tail + 1] = i, nf
        tail += 2
        nf += 1
        splits += 1
    # closure: split every face with a midpoint on an edge (it adds no midpoints, so each face and
    # each child is looked at once)
    stack = queue
    stack[:nf] = np.arange(nf)
    top = nf
    while top > 0 and nf < capf:
        top -= 1
        i = stack[top]
        for e in range(3):
            p, q, r = f[i, e], f[i, (e + 1) % 3], f[i, (e + 2) % 3]
            h = _slot(keys, min(p, q) * 2**31 + max(p, q))
            if keys[h] != -1:
                _split_face(f, parent, split, i, nf, p, mids[h], q, r)
                stack[top], stack[top + 1] = i, nf
                top += 2
                nf += 1
                break
    # the patch: faces with a corner within the radius (defects edit vertices, and only those)
    near = np.zeros(nf, np.bool_)
    for i in range(nf):
        for j in range(3):
            if _seg_dist(v[f[i, j]], a, b) <= radius:
                near[i] = _face_near(v, f[i], a, b, radius, normal, use_normal)
                break
    return v[:nv], alb[:nv], f[:nf], parent[:nf], split[:nf], near


@njit(cache=True, nogil=True)
def first_unoccluded(origin, points, tri, eps) -> int:
    """Index of the first of `points` that no triangle of `tri` (m, 3, 3) hides from `origin`
    (nothing nearer than the point by more than `eps` along the ray), or -1. Brute force over
    the triangles (Moller-Trumbore): host meshes are small next to what a BVH pays off for."""
    for k in range(points.shape[0]):
        d0, d1, d2 = points[k, 0] - origin[0], points[k, 1] - origin[1], points[k, 2] - origin[2]
        dist = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        d0, d1, d2 = d0 / dist, d1 / dist, d2 / dist
        hidden = False
        for t in range(tri.shape[0]):
            a0, a1, a2 = tri[t, 1, 0] - tri[t, 0, 0], tri[t, 1, 1] - tri[t, 0, 1], tri[t, 1, 2] - tri[t, 0, 2]
            b0, b1, b2 = tri[t, 2, 0] - tri[t, 0, 0], tri[t, 2, 1] - tri[t, 0, 1], tri[t, 2, 2] - tri[t, 0, 2]
            p0, p1, p2 = d1 * b2 - d2 * b1, d2 * b0 - d0 * b2, d0 * b1 - d1 * b0
            det = a0 * p0 + a1 * p1 + a2 * p2
            if abs(det) < 1e-18:
                continue
            inv = 1.0 / det
            s0, s1, s2 = origin[0] - tri[t, 0, 0], origin[1] - tri[t, 0, 1], origin[2] - tri[t, 0, 2]
            u = (s0 * p0 + s1 * p1 + s2 * p2) * inv
            if u < 0.0 or u > 1.0:
                continue
            q0, q1, q2 = s1 * a2 - s2 * a1, s2 * a0 - s0 * a2, s0 * a1 - s1 * a0
            w = (d0 * q0 + d1 * q1 + d2 * q2) * inv
            if w < 0.0 or u + w > 1.0:
                continue
            h = (b0 * q0 + b1 * q1 + b2 * q2) * inv
            if 0.0 < h < dist - eps:
                hidden = True
                break
        if not hidden:
            return k
    return -1


@njit(cache=True, nogil=True)
def distance_to_polyline(points, line):
    """Distance of each point to a polyline, and the arc-length fraction of its closest point."""
    n, k = points.shape[0], line.shape[0] - 1
    cum = np.zeros(k + 1)
    for j in range(k):
        cum[j + 1] = cum[j] + np.sqrt(((line[j + 1] - line[j]) ** 2).sum())
    total = max(cum[k], 1e-18)
    best = np.full(n, np.inf)
    where = np.zeros(n)
    for i in range(n):
        for j in range(k):
            d0, d1, d2 = line[j + 1, 0] - line[j, 0], line[j + 1, 1] - line[j, 1], line[j + 1, 2] - line[j, 2]
            q0, q1, q2 = points[i, 0] - line[j, 0], points[i, 1] - line[j, 1], points[i, 2] - line[j, 2]
            ll = d0 * d0 + d1 * d1 + d2 * d2
            t = min(max((q0 * d0 + q1 * d1 + q2 * d2) / max(ll, 1e-36), 0.0), 1.0)
            e0, e1, e2 = q0 - t * d0, q1 - t * d1, q2 - t * d2
            d = np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
            if d < best[i]:
                best[i] = d
                where[i] = (cum[j] + t * np.sqrt(ll)) / total
    return best, where
