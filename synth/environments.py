"""Environment maps for image-based lighting: procedural HDR equirectangular maps made here,
or a user's own equirectangular PNG/JPG (sRGB) or Radiance HDR file.

Rows run from straight up (row 0) to straight down; columns from azimuth 0 to 360 deg
(azimuth measured from +X towards +Y, Z up). Values are linear radiance; lamps exceed 1.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .errors import SynthError
from .hdr import read_hdr
from .textures import srgb_to_linear

BUILTIN = ("studio_soft", "factory_hall", "overcast")
ROOM = 0.004  # a dark inspection room around a rig, of the rig's radiance
RIGS = ("rig_dome", "rig_coaxial", "rig_ring")  # rigs that are broad sources: maps, not lamps (see rig_map)


def _directions(h: int, w: int) -> np.ndarray:
    el = np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi
    az = (np.arange(w) + 0.5) / w * 2 * np.pi
    el, az = np.meshgrid(el, az, indexing="ij")
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def _soft_rect(d: np.ndarray, centre_az: float, centre_el: float, half_w: float, half_h: float, soft: float = 0.04) -> np.ndarray:
    """A rectangular soft box seen from the origin (angular size, soft edges)."""
    az = np.arctan2(d[..., 1], d[..., 0])
    el = np.arcsin(np.clip(d[..., 2], -1, 1))
    daz = np.angle(np.exp(1j * (az - np.radians(centre_az))))
    del_ = el - np.radians(centre_el)
    fx = np.clip((np.radians(half_w) - np.abs(daz)) / soft + 0.5, 0, 1)
    fy = np.clip((np.radians(half_h) - np.abs(del_)) / soft + 0.5, 0, 1)
    return fx * fy


def studio_soft(h: int = 256, w: int = 512) -> np.ndarray:
    """Photo studio: dark grey sweep, two large soft boxes, a strip light and an overhead panel."""
    d = _directions(h, w)
    z = d[..., 2]
    base = np.where(z > 0, 0.012 + 0.015 * z, 0.01)[..., None] * np.ones(3)
    lamp = 2.0 * _soft_rect(d, 40, 35, 28, 18) + 1.0 * _soft_rect(d, 200, 30, 22, 20)
    lamp += 3.0 * _soft_rect(d, 290, 20, 5, 25, 0.02) + 0.6 * np.clip((z - 0.85) / 0.05, 0, 1)
    return (base + lamp[..., None] * np.array([1.0, 0.98, 0.95])).astype(np.float32)


def factory_hall(h: int = 256, w: int = 512) -> np.ndarray:
    """Factory hall: concrete floor, walls with a band of windows, rows of ceiling light strips."""
    d = _directions(h, w)
    z = d[..., 2]
    img = np.zeros(d.shape, np.float32)
    floor = z < 0
    img[floor] = np.array([0.025, 0.024, 0.023]) * (0.7 + 0.3 * np.clip(-z[floor] * 3, 0, 1))[:, None]
    wall = (z >= 0) & (z < 0.45)
    img[wall] = np.array([0.04, 0.04, 0.045])
    az = np.arctan2(d[..., 1], d[..., 0])
    window = wall & (z > 0.12) & (z < 0.3) & (np.cos(az * 12) > -0.3)
    img[window] = np.array([0.6, 0.7, 0.85])
    ceil = z >= 0.45
    img[ceil] = np.array([0.012, 0.012, 0.013])
    # strips on a ceiling plane 6 m up: 0.3 m wide, every 3 m, running along y
    with np.errstate(divide="ignore", invalid="ignore"):
        px, py = 6.0 * d[..., 0] / z, 6.0 * d[..., 1] / z
    strip = ceil & (np.abs(np.mod(px + 1.5, 3.0) - 1.5) < 0.18) & (np.abs(py) < 20)
    img[strip] = np.array([5.0, 5.0, 4.8])
    return img


def overcast(h: int = 256, w: int = 512) -> np.ndarray:
    """Outdoor overcast sky: bright even dome, grey ground."""
    d = _directions(h, w)
    z = d[..., 2]
    sky = (0.4 + 0.3 * np.clip(z, 0, 1))[..., None] * np.array([0.95, 0.98, 1.05])
    ground = np.array([0.05, 0.05, 0.045]) * np.ones(d.shape)
    return np.where((z >= 0)[..., None], sky, ground).astype(np.float32)


@functools.lru_cache(maxsize=8)
def rig_map(name: str, h: int = 256, w: int = 512) -> np.ndarray:
    """A light rig that is one broad source, as a map of radiance 1 in a dark room (`ROOM`):
    `rig_dome` a white hemisphere with the camera's port, a dark cap at the top; `rig_coaxial:A`
    a disc of half-angle A degrees around the map's pole, turned to point back along the optical
    axis (a beam splitter sends the light down the axis: flats that face the camera mirror it,
    anything tilted mirrors the dark room); `rig_ring:A` a band A degrees from the pole, 2 degrees
    wide (a ring light around the lens: a ring in every polished face). Rows as in the built-ins."""
    kind, _, angle = name.partition(":")
    off_pole = (np.arange(h) + 0.5) / h * 180.0  # degrees from the pole, per row
    if kind == "rig_dome":
        lit = (off_pole < 90.0) & (off_pole > 6.0)
    elif kind == "rig_coaxial":
        lit = off_pole < float(angle)
    elif kind == "rig_ring":
        lit = np.abs(off_pole - float(angle)) < 1.0
    else:
        raise SynthError(f"lighting.rig: no map for {name!r}")
    img = np.full((h, w, 3), ROOM, np.float32)
    img[lit] = 1.0
    return img


def environment_image(name: str) -> np.ndarray:
    """(h, w, 3) float32 linear radiance for a built-in name, a rig's map or an image file path."""
    if name in BUILTIN:
        return globals()[name]()
    if name.startswith(RIGS):
        return rig_map(name)
    path = Path(name)
    if not path.is_file():
        raise SynthError(f"lighting.environment: {name!r} is neither a built-in ({', '.join(BUILTIN)}) nor an existing file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".hdr":
            return read_hdr(path)
        from PIL import Image

        rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    except SynthError:
        raise
    except Exception as e:
        raise SynthError(f"lighting.environment: cannot read {path} ({e})") from e
    return srgb_to_linear(rgb).astype(np.float32)


def with_floor(name: str, floor: float | None, sky: float = 1.0) -> np.ndarray:
    """The map with everything below the horizon replaced by a grey `floor` radiance (parts on
    a support see the lit support there, in reflections and as light from below, not the map's
    own ground) and the rest scaled by `sky`."""
    img = environment_image(name)
    if floor is None and sky == 1.0:
        return img
    img = img * np.float32(sky)
    if floor is not None:
        img[img.shape[0] // 2 :] = floor
    return img


@functools.lru_cache(maxsize=8)
def white_radiance(name: str) -> float:
    """Radiance of a white Lambertian floor lit by this environment alone (E / pi): what a
    camera's meter reads off a white card on the table. Rotation about Z does not change it."""
    img = environment_image(name)
    h, w, _ = img.shape
    el = np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi
    lum = img @ np.array([0.2126, 0.7152, 0.0722])
    solid_angle = (2 * np.pi / w) * (np.pi / h) * np.cos(el)
    cos_up = np.clip(np.sin(el), 0, None)
    return float((lum * (solid_angle * cos_up)[:, None]).sum() / np.pi)
