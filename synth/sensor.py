"""Lens distortion and the image sensor, applied to the rendered frame (numpy only).

Lens: the renderer draws an ideal pinhole frame on a canvas padded on every side; each output
pixel then takes the ideal pixel its centre comes from under OpenCV's distortion model
(k1, k2, p1, p2, k3). RGB is sampled bilinearly, label and depth maps take the nearest ideal
pixel, so every map goes through the same warp and the labels stay exact for the distorted image.

Sensor (EMVA 1288 style, in linear light): white balance gains, vignetting, photon shot noise,
dark current, read noise, gain and quantisation to the sensor's bit depth; optionally monochrome.
"""

from __future__ import annotations

import numpy as np

from .scene.model import Camera, Optics, Sensor
from .textures import srgb_to_linear


def distort_points(xy: np.ndarray, d: tuple[float, float, float, float, float]) -> np.ndarray:
    """OpenCV's forward model on normalised image coordinates (..., 2)."""
    k1, k2, p1, p2, k3 = d
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([xd, yd], axis=-1)


def undistort_points(xy_d: np.ndarray, d: tuple[float, float, float, float, float], iterations: int = 20) -> np.ndarray:
    """Inverse of `distort_points` by fixed-point iteration (as cv2.undistortPoints)."""
    k1, k2, p1, p2, k3 = d
    xd, yd = xy_d[..., 0], xy_d[..., 1]
    x, y = xd.copy(), yd.copy()
    for _ in range(iterations):
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
        dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        x, y = (xd - dx) / radial, (yd - dy) / radial
    return np.stack([x, y], axis=-1)


def source_pixels(K: np.ndarray, d, width: int, height: int) -> np.ndarray:
    """(h, w, 2) ideal pinhole pixel (u, v) that each distorted output pixel centre sees."""
    u, v = np.meshgrid(np.arange(width, dtype=float), np.arange(height, dtype=float))
    xy = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1]], axis=-1)
    ideal = undistort_points(xy, d)
    return np.stack([ideal[..., 0] * K[0, 0] + K[0, 2], ideal[..., 1] * K[1, 1] + K[1, 2]], axis=-1)


def padding(K: np.ndarray, bounds: list[tuple[float, float]], width: int, height: int) -> tuple[int, int]:
    """Canvas margin (x, y) in pixels that every distortion within `bounds` (per coefficient) needs."""
    if all(lo == hi == 0 for lo, hi in bounds):
        return 0, 0
    edge = np.r_[np.arange(0, width, 8), width - 1]
    side = np.r_[np.arange(0, height, 8), height - 1]
    border = np.concatenate(
        [np.c_[edge, np.zeros_like(edge)], np.c_[edge, np.full_like(edge, height - 1)], np.c_[np.zeros_like(side), side]]
        + [np.c_[np.full_like(side, width - 1), side]]
    ).astype(float)
    xy = np.stack([(border[:, 0] - K[0, 2]) / K[0, 0], (border[:, 1] - K[1, 2]) / K[1, 1]], axis=-1)
    px = py = 0.0
    for corner in np.array(np.meshgrid(*[[lo, hi] for lo, hi in bounds])).reshape(5, -1).T:
        ideal = undistort_points(xy, tuple(corner))
        u, v = ideal[:, 0] * K[0, 0] + K[0, 2], ideal[:, 1] * K[1, 1] + K[1, 2]
        px = max(px, -u.min(), u.max() - (width - 1))
        py = max(py, -v.min(), v.max() - (height - 1))
    return int(np.ceil(px)) + 2, int(np.ceil(py)) + 2


def warp_nearest(image: np.ndarray, src: np.ndarray, pad: tuple[int, int]) -> np.ndarray:
    """Each output pixel takes the padded-canvas pixel whose centre is nearest its source point."""
    u = np.clip(np.rint(src[..., 0] + pad[0]).astype(np.int64), 0, image.shape[1] - 1)
    v = np.clip(np.rint(src[..., 1] + pad[1]).astype(np.int64), 0, image.shape[0] - 1)
    return image[v, u]


def warp_bilinear(image: np.ndarray, src: np.ndarray, pad: tuple[int, int]) -> np.ndarray:
    """Bilinear resampling of an (H, W, C) uint8 image at the source points."""
    u = np.clip(src[..., 0] + pad[0], 0, image.shape[1] - 1.001)
    v = np.clip(src[..., 1] + pad[1], 0, image.shape[0] - 1.001)
    u0, v0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]
    im = image.astype(np.float32)
    top = im[v0, u0] * (1 - fu) + im[v0, u0 + 1] * fu
    bottom = im[v0 + 1, u0] * (1 - fu) + im[v0 + 1, u0 + 1] * fu
    return np.clip(np.rint(top * (1 - fv) + bottom * fv), 0, 255).astype(np.uint8)


def defocus(rgb: np.ndarray, depth: np.ndarray, focus: float, focal_px: float, focal_m: float, f_number: float) -> np.ndarray:
    """Thin-lens depth of field: each pixel is blurred by its circle of confusion, in pixels
    c = f_px * (F / N) * |z - S| / (z (S - F)) for depth z and focus distance S; done in linear
    light as a blend between a few blur levels. Pixels with no surface take the far limit."""
    from scipy.ndimage import gaussian_filter

    z = np.where(np.isfinite(depth), depth, 1e3)
    coc = focal_px * (focal_m / f_number) * np.abs(z - focus) / (z * max(focus - focal_m, 1e-6))
    lin = _SRGB_TO_LINEAR[rgb]
    levels = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0]
    top = min(len(levels) - 1, int(np.searchsorted(levels, coc.max())))
    if top == 0:
        return rgb
    blurred = [lin] + [gaussian_filter(lin, (r / 2.0, r / 2.0, 0)) for r in levels[1 : top + 1]]
    c = np.clip(coc, 0, levels[top])
    k = np.clip(np.searchsorted(levels, c) - 1, 0, top - 1)
    lo, hi = np.take(levels, k), np.take(levels, k + 1)
    t = ((c - lo) / (hi - lo))[..., None].astype(np.float32)
    stack = np.stack(blurred)
    rows, cols = np.indices(c.shape)
    out = stack[k, rows, cols] * (1 - t) + stack[k + 1, rows, cols] * t
    return _to_srgb8(out)


def apply_optics(rgb: np.ndarray, depth: np.ndarray | None, camera: Camera, optics: Optics) -> np.ndarray:
    """Depth of field (needs `depth`), motion blur, lateral colour, then lens softness, as drawn
    into the frame's `optics`."""
    if optics.f_number is not None:
        if depth is None:
            raise ValueError("depth of field needs the depth map")
        rgb = defocus(rgb, depth, camera.focus_distance, float(camera.K[0, 0]), optics.focal_m, optics.f_number)
    if optics.motion_length_px > 0:
        rgb = motion_blur(rgb, optics.motion_length_px, optics.motion_angle_deg)
    if optics.chromatic_aberration_px != 0:
        rgb = lateral_colour(rgb, optics.chromatic_aberration_px)
    if optics.softness_px > 0:
        from scipy.ndimage import gaussian_filter

        rgb = _to_srgb8(gaussian_filter(_SRGB_TO_LINEAR[rgb], (optics.softness_px, optics.softness_px, 0)))
    return rgb


def lateral_colour(rgb: np.ndarray, corner_px: float) -> np.ndarray:
    """Lateral chromatic aberration: the red image is magnified so that the corners move outward
    by `corner_px` pixels, the blue image shrunk by as much (green stays), in linear light."""
    from scipy.ndimage import map_coordinates

    h, w = rgb.shape[:2]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    lin = _SRGB_TO_LINEAR[rgb]
    out = lin.copy()
    for channel, sign in ((0, 1.0), (2, -1.0)):
        scale = 1.0 + sign * corner_px / np.hypot(cx, cy)  # this channel's magnification
        coords = [cy + (y - cy) / scale, cx + (x - cx) / scale]  # where each output pixel's light came from
        out[..., channel] = map_coordinates(lin[..., channel], coords, order=1, mode="nearest")
    return _to_srgb8(out)


def motion_blur(rgb: np.ndarray, length_px: float, angle_deg: float) -> np.ndarray:
    """Average of the image shifted along a line of `length_px` pixels (linear light)."""
    if length_px < 0.5:
        return rgb
    from scipy.ndimage import shift

    lin = _SRGB_TO_LINEAR[rgb]
    steps = max(2, int(np.ceil(length_px)) + 1)
    d = np.array([np.sin(np.radians(angle_deg)), np.cos(np.radians(angle_deg))]) * length_px
    acc = np.zeros_like(lin)
    for t in np.linspace(-0.5, 0.5, steps):
        acc += shift(lin, (t * d[0], t * d[1], 0), order=1, mode="nearest")
    return _to_srgb8(acc / steps)


_SRGB_TO_LINEAR = srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0).astype(np.float32)


def _to_srgb8(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    s = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)
    return np.rint(s * 255).astype(np.uint8)


def apply_sensor(rgb: np.ndarray, sensor: Sensor) -> np.ndarray:
    """The image as the sensor records it: (H, W, 3) uint8, or (H, W) when monochrome.

    Temporal noise follows EMVA 1288's linear model: photon shot noise (variance = signal
    electrons), dark current noise (variance = dark electrons) and read noise add in variance and
    are drawn as one Gaussian per pixel (the normal limit of the Poisson terms), then gain and
    quantisation to `bit_depth`."""
    lin = _SRGB_TO_LINEAR[rgb]
    r, b = sensor.white_balance
    lin = lin * np.array([r, 1.0, b], np.float32)
    if sensor.vignetting > 0:  # natural falloff towards the corners: 1 at the centre, 1 - vig at the corners
        h, w = lin.shape[:2]
        y, x = np.ogrid[:h, :w]
        r2 = ((x - (w - 1) / 2) ** 2 + (y - (h - 1) / 2) ** 2) / (((w - 1) / 2) ** 2 + ((h - 1) / 2) ** 2)
        lin = lin * (1 - sensor.vignetting * r2)[..., None].astype(np.float32)
    if sensor.falloff > 0:  # uneven light: a bright spot near the centre, dimmer towards the edges
        h, w = lin.shape[:2]
        y, x = np.ogrid[:h, :w]
        fx, fy = sensor.falloff_centre
        r2 = ((x - (w - 1) / 2 * (1 + fx)) / ((w - 1) / 2)) ** 2 + ((y - (h - 1) / 2 * (1 + fy)) / ((h - 1) / 2)) ** 2
        lin = lin * (1 - sensor.falloff * np.clip(r2 / 2, 0, 1))[..., None].astype(np.float32)
    if sensor.monochrome:
        lin = lin @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    if not sensor.noise:
        return _to_srgb8(lin)
    rng = np.random.default_rng(sensor.noise_seed)
    gain = sensor.gain
    electrons = np.maximum(lin, 0) * np.float32(sensor.full_well_e / gain)  # a linear 1.0 fills the well at gain 1
    sigma = np.sqrt(electrons + np.float32(sensor.dark_e + sensor.read_noise_e**2))
    signal = electrons + sigma * rng.standard_normal(electrons.shape, dtype=np.float32)
    levels = 2**sensor.bit_depth - 1
    dn = np.clip(np.rint(signal * np.float32(gain / sensor.full_well_e * levels)), 0, levels).astype(np.int32)
    return _to_srgb8(np.arange(levels + 1, dtype=np.float32) / levels)[dn]  # one lookup per digital number
