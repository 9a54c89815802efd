"""Cast shadows of the key lights on the support surface, computed from exact depth maps.

VTK's shadow-map pass does not darken PBR surfaces, so shadows are composited here instead,
with the same geometry as the labels: each shadow-casting light renders a depth map of the
parts from its own viewpoint; every pixel where the camera sees the support is lifted to 3D
with the label pass's depth, projected into each light, and tested against that map (with
soft edges from blurring the shadow factor). The light's share of the support's radiance is
known in closed form for a Lambertian floor (I cos / pi against the environment's E / pi), so
that share is removed, in linear light, where the light is blocked.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from ..scene.model import Light, Scene
from .tone import scale_display


def light_view(light: Light, centre: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """(world_to_light 4x4 in OpenGL axes, projection 4x4, orthographic) framing a sphere."""
    pos = np.asarray(light.position, float)
    if light.kind == "directional":
        d = pos - np.asarray(light.focal_point, float)
        eye = centre + d / np.linalg.norm(d) * (3.0 * radius)
    else:
        eye = pos
    fwd = centre - eye
    dist = float(np.linalg.norm(fwd))
    fwd /= dist
    up = np.array([0.0, 0.0, 1.0]) if abs(fwd[2]) < 0.99 else np.array([0.0, 1.0, 0.0])
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    view = np.eye(4)
    view[:3, :3] = np.stack([right, up, -fwd])
    view[:3, 3] = -view[:3, :3] @ eye
    near, far = max(dist - 1.5 * radius, 1e-3), dist + 1.5 * radius
    proj = np.zeros((4, 4))
    ortho = light.kind == "directional"
    if ortho:
        proj[0, 0] = proj[1, 1] = 1.0 / radius
        proj[2, 2] = -2.0 / (far - near)
        proj[2, 3] = -(far + near) / (far - near)
        proj[3, 3] = 1.0
    else:
        f = dist / radius * 0.95  # cot(half angle) of the cone around the sphere
        proj[0, 0] = proj[1, 1] = f
        proj[2, 2] = -(far + near) / (far - near)
        proj[2, 3] = -2.0 * far * near / (far - near)
        proj[3, 2] = -1.0
    return view, proj, ortho


def eye_depth(zbuf: np.ndarray, proj: np.ndarray, ortho: bool) -> np.ndarray:
    """Window depth [0, 1] -> distance along the light's view axis."""
    z_ndc = 2.0 * zbuf.astype(np.float64) - 1.0
    a, b = proj[2, 2], proj[2, 3]
    return (b - z_ndc) / a if ortho else b / (z_ndc + a)


def support_points(scene: Scene, depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """World coordinates of the pixels in `mask` from the camera depth (camera z, metres)."""
    K, w2c = scene.camera.K, scene.camera.world_to_camera
    v, u = np.nonzero(mask)
    z = depth[v, u]
    cam = np.stack([(u - K[0, 2]) / K[0, 0] * z, (v - K[1, 2]) / K[1, 1] * z, z], axis=1)
    r, t = w2c[:3, :3], w2c[:3, 3]
    return (cam - t) @ r


def occluded(
    points: np.ndarray, view: np.ndarray, proj: np.ndarray, ortho: bool, depth_map: np.ndarray, bias: float
) -> np.ndarray:
    """True where something in the light's depth map lies between the point and the light."""
    n = depth_map.shape[0]
    pe = points @ view[:3, :3].T + view[:3, 3]
    clip = np.c_[pe, np.ones(len(pe))] @ proj.T
    ndc = clip[:, :2] / clip[:, 3:4]
    col = np.floor((ndc[:, 0] + 1) / 2 * n).astype(np.int64)
    row = np.floor((1 - ndc[:, 1]) / 2 * n).astype(np.int64)  # depth maps are stored row 0 at the top
    inside = (col >= 0) & (col < n) & (row >= 0) & (row < n)
    zb = np.ones(len(points))
    zb[inside] = depth_map[row[inside], col[inside]]
    d = np.where(zb < 1.0, eye_depth(zb, proj, ortho), np.inf)  # 1.0: nothing in the map there
    return -pe[:, 2] > d + bias


SPOT_EDGE = 0.02  # a spot's intensity where its cone ends, of the centre's: too little to draw a circle


def spot_falloff(beam_deg: float) -> tuple[float, float]:
    """A spot light's cos^n profile and cone for a beam of half-angle `beam_deg` at half intensity
    (a lamp's photometric beam angle): (n, cone half-angle in degrees where it is down to SPOT_EDGE).
    VTK cuts a spot's light to zero at its cone; so late, the cut does not show."""
    n = np.log(0.5) / np.log(np.cos(np.radians(beam_deg)))
    return float(n), float(min(np.degrees(np.arccos(SPOT_EDGE ** (1.0 / n))), 89.0))


def light_shares(scene: Scene, points: np.ndarray, env_white: float) -> list[np.ndarray]:
    """Each light's share of a white floor's radiance at each point (Lambertian: I cos / pi,
    zero outside a spot's cone), against the environment's E / pi and the other lights."""
    parts = []
    for lt in scene.lights:
        pos, focal = np.asarray(lt.position, float), np.asarray(lt.focal_point, float)
        if lt.kind == "directional":
            to_light = np.broadcast_to((pos - focal) / np.linalg.norm(pos - focal), points.shape)
            inside = np.ones(len(points), bool)
        else:
            to_light = pos - points
            to_light = to_light / np.linalg.norm(to_light, axis=1, keepdims=True)
            axis = (focal - pos) / np.linalg.norm(focal - pos)
            cos_off = np.clip(-(to_light @ axis), 0.0, 1.0)
            if lt.kind == "spot":
                exponent, cutoff = spot_falloff(lt.cone_angle_deg)
                inside = cos_off**exponent * (cos_off >= np.cos(np.radians(cutoff)))
            else:
                inside = cos_off >= np.cos(np.radians(lt.cone_angle_deg))
        parts.append(lt.intensity * np.clip(to_light[:, 2], 0, None) * inside / np.pi)
    total = env_white + sum(parts) if parts else np.full(len(points), env_white)
    return [p / total for p in parts]


def apply_shadow(rgb: np.ndarray, mask: np.ndarray, factor: np.ndarray, softness_px: float, tone_mapping: bool) -> None:
    """Scale the radiance of the pixels in `mask` by `factor` (an image), in linear light (back
    through the renderer's tone curve), in place; the factor is blurred a little first: real
    lights have a size, so shadow edges are soft."""
    if softness_px > 0:
        factor = gaussian_filter(factor, softness_px, mode="nearest")
    mask = mask & (factor < 0.998)  # only shadowed pixels change
    rgb[mask] = scale_display(rgb[mask], factor[mask], tone_mapping)
