"""Camera sampling: a pinhole camera on a shell section around a look-at point (OpenCV axes)."""

from __future__ import annotations

import numpy as np

from ..config import CameraCfg, ImageCfg
from .model import Camera


def intrinsics(cfg: CameraCfg, image: ImageCfg, rng: np.random.Generator) -> np.ndarray:
    """K from `intrinsics` or from the horizontal `fov_deg`; a centred principal point is at
    (W/2 - 0.5, H/2 - 0.5) because OpenCV puts pixel centres at integer coordinates."""
    fov = float(cfg.fov_deg.sample(rng))
    if cfg.intrinsics is not None:
        i = cfg.intrinsics
        return np.array([[i.fx, 0, i.cx], [0, i.fy, i.cy], [0, 0, 1]], dtype=float)
    if cfg.model is not None:  # focal length over pixel pitch
        f = float(cfg.model.focal_length_mm.sample(rng)) * 1e3 / cfg.model.pixel_size_um
    else:
        f = (image.width / 2.0) / np.tan(np.radians(fov) / 2.0)
    return np.array([[f, 0, image.width / 2 - 0.5], [0, f, image.height / 2 - 0.5], [0, 0, 1]], dtype=float)


def widest_intrinsics(cfg: CameraCfg, image: ImageCfg) -> np.ndarray:
    """K of the widest view the config can draw (the shortest focal length): lens distortion
    moves pixels farthest there, so it sizes the render margin."""
    if cfg.intrinsics is not None:
        i = cfg.intrinsics
        return np.array([[i.fx, 0, i.cx], [0, i.fy, i.cy], [0, 0, 1]], dtype=float)
    if cfg.model is not None:
        f = cfg.model.focal_length_mm.bounds()[0] * 1e3 / cfg.model.pixel_size_um
    else:
        f = (image.width / 2.0) / np.tan(np.radians(cfg.fov_deg.bounds()[1]) / 2.0)
    return np.array([[f, 0, image.width / 2 - 0.5], [0, f, image.height / 2 - 0.5], [0, 0, 1]], dtype=float)


def look_at(position: np.ndarray, target: np.ndarray, azimuth: float, roll: float) -> np.ndarray:
    """world->camera 4x4 (OpenCV axes). `right` is taken from the azimuth so that a camera looking
    straight down is still well defined."""
    z = target - position
    z = z / np.linalg.norm(z)
    x = np.array([-np.sin(azimuth), np.cos(azimuth), 0.0])
    x = x - z * (x @ z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    c, s = np.cos(roll), np.sin(roll)
    x, y = c * x + s * y, -s * x + c * y
    r = np.stack([x, y, z])
    m = np.eye(4)
    m[:3, :3] = r
    m[:3, 3] = -r @ position
    return m


def sample_camera(cfg: CameraCfg, image: ImageCfg, centre: np.ndarray, rng: np.random.Generator) -> Camera:
    K = intrinsics(cfg, image, rng)
    dist = float(cfg.distance.sample(rng))
    el = np.radians(cfg.elevation_deg.sample(rng))
    az = np.radians(cfg.azimuth_deg.sample(rng))
    roll = np.radians(cfg.roll_deg.sample(rng))
    jitter = rng.uniform(-1.0, 1.0, 2) * cfg.look_at_jitter
    target = np.array([centre[0] + jitter[0], centre[1] + jitter[1], centre[2]])
    pos = target + dist * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    k1, k2, p1, p2, k3 = (float(d.sample(rng)) for d in cfg.distortion.dists())
    distortion = (k1, k2, p1, p2, k3)
    w2c = look_at(pos, target, az, roll)
    return Camera(K=K, world_to_camera=w2c, width=image.width, height=image.height, distortion=distortion, focus_distance=dist)
