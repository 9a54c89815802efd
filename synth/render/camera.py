"""OpenCV pinhole camera -> VTK camera, through an explicit OpenGL projection matrix so that
fx != fy and any principal point are exact (pixel centres at integer coordinates)."""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkCamera


def projection_matrix(K: np.ndarray, width: int, height: int, near: float, far: float) -> np.ndarray:
    """OpenGL clip-space projection for K: pixel u covers [u - 0.5, u + 0.5] in NDC."""
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    p = np.zeros((4, 4))
    p[0, 0] = 2 * fx / width
    p[0, 2] = 1 - 2 * (cx + 0.5) / width
    p[1, 1] = 2 * fy / height
    p[1, 2] = 2 * (cy + 0.5) / height - 1
    p[2, 2] = -(far + near) / (far - near)
    p[2, 3] = -2 * far * near / (far - near)
    p[3, 2] = -1
    return p


def apply_camera(
    cam: vtkCamera, K: np.ndarray, world_to_camera: np.ndarray, width: int, height: int, near: float, far: float
) -> None:
    r, t = world_to_camera[:3, :3], world_to_camera[:3, 3]
    pos = -r.T @ t
    cam.SetPosition(*pos)
    cam.SetFocalPoint(*(pos + r.T @ np.array([0.0, 0.0, 1.0])))
    cam.SetViewUp(*(-r.T @ np.array([0.0, 1.0, 0.0])))
    cam.SetClippingRange(near, far)
    m = vtkMatrix4x4()
    m.DeepCopy(projection_matrix(K, width, height, near, far).ravel())
    cam.SetExplicitProjectionTransformMatrix(m)
    cam.SetUseExplicitProjectionTransformMatrix(True)


def linear_depth(zbuf: np.ndarray, near: float, far: float) -> np.ndarray:
    """Depth buffer [0, 1] -> camera z in metres; background (1.0) -> inf."""
    z_ndc = 2.0 * zbuf.astype(np.float64) - 1.0
    depth = 2.0 * far * near / ((far + near) - z_ndc * (far - near))
    return np.where(zbuf >= 1.0, np.inf, depth).astype(np.float32)
