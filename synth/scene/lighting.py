"""Lighting sampling: environment (image-based lighting) plus key lights with colour temperature."""

from __future__ import annotations

import numpy as np

from ..config import LightingCfg, RigCfg
from ..environments import white_radiance
from .model import Camera, Environment, Light


def kelvin_to_rgb(kelvin: float) -> tuple[float, float, float]:
    """Approximate blackbody colour (Tanner Helland's fit), normalised so the largest channel is 1."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * np.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * np.log(t - 10) - 305.0447927307)
    c = np.clip(np.array([r, g, b]) / 255.0, 0.0, 1.0)
    c = c / c.max()
    return (float(c[0]), float(c[1]), float(c[2]))


def sample_lights(cfg: LightingCfg, target: np.ndarray, rng: np.random.Generator) -> list[Light]:
    k = cfg.key_lights
    lights = []
    for _ in range(k.count.sample_int(rng)):
        kind = str(k.type.sample(rng))
        el = np.radians(k.elevation_deg.sample(rng))
        az = rng.uniform(0.0, 2.0 * np.pi)
        dist = float(k.distance.sample(rng))
        direction = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
        pos = target + dist * direction
        cone = float(rng.uniform(20.0, 40.0)) if kind == "spot" else 75.0
        lights.append(
            Light(
                kind=kind,
                position=(float(pos[0]), float(pos[1]), float(pos[2])),
                focal_point=(float(target[0]), float(target[1]), float(target[2])),
                intensity=float(k.intensity.sample(rng)),
                color=kelvin_to_rgb(float(k.color_temperature_k.sample(rng))),
                cone_angle_deg=cone,
                size=float(k.size.sample(rng)),
            )
        )
    return lights


def rig_lights(rig: RigCfg, target: np.ndarray, rng: np.random.Generator) -> list[Light]:
    """The lamps of a dark-field or bar rig, placed around the parts' centre (ring, coaxial and
    dome rigs are broad sources: see rig_environment; a back light is the support itself)."""
    total = float(rig.intensity.sample(rng))
    color = kelvin_to_rgb(float(rig.color_temperature_k.sample(rng)))
    radius = float(rig.radius.sample(rng))

    def light(pos, focal, n, kind="spot", cone=60.0, shadow=False) -> Light:
        p, f = (float(pos[0]), float(pos[1]), float(pos[2])), (float(focal[0]), float(focal[1]), float(focal[2]))
        return Light(kind, p, f, total / n, color, cone, shadow)

    n = rig.lights
    ring = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if rig.type == "dark_field":  # grazing light: flat faces stay dark, edges and scratches light up
        h = float(rig.height.sample(rng))
        return [light(target + [radius * np.cos(a), radius * np.sin(a), h], target + [0, 0, h * 0.2], n) for a in ring]
    if rig.type == "bar":
        el, length = np.radians(float(rig.elevation_deg.sample(rng))), float(rig.length.sample(rng))
        lights, per_bar = [], max(2, n // rig.bars)
        for b in range(rig.bars):
            az = 2 * np.pi * b / rig.bars + rng.uniform(-0.2, 0.2)
            centre = target + radius * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
            along = np.array([-np.sin(az), np.cos(az), 0.0])
            for t in np.linspace(-length / 2, length / 2, per_bar):  # each lamp casts: holes and bores go dark
                lights.append(light(centre + t * along, target + t * along, rig.bars * per_bar, shadow=True))
        return lights
    return []  # back: the support itself is the light (a lit panel), see the renderer


BROAD_RIGS = ("ring", "coaxial", "dome")  # lit by their environment, not by lamps (see rig_environment)
COAXIAL_DEG = 8.0  # half-angle of a coaxial light's beam splitter seen from the parts


def rig_environment(rig: RigCfg, camera: Camera, target: np.ndarray, env: Environment, rng: np.random.Generator) -> None:
    """Ring, coaxial and dome rigs are broad sources, so they light the frame as its environment
    (`environments.rig_map`) in a dark room: mirrored whole by polished faces as real ones are,
    no point highlights. A ring and a coaxial light turn with the camera (the map's pole back along
    the optical axis); the rig's intensity sets the map's radiance (a white card under it reads
    intensity / pi, as under lamps of that intensity overhead), in whole stops so few maps are made."""
    r2c = camera.world_to_camera[:3, :3]
    eye = -r2c.T @ camera.world_to_camera[:3, 3]
    total = float(rig.intensity.sample(rng))
    radius = float(rig.radius.sample(rng))
    if rig.type == "dome":
        env.name = "rig_dome"
    elif rig.type == "coaxial":
        env.name = f"rig_coaxial:{COAXIAL_DEG:g}"
    else:
        angle = np.degrees(np.arctan2(radius, float(np.linalg.norm(target - eye))))
        env.name = f"rig_ring:{round(angle * 2) / 2:g}"
    if rig.type != "dome":
        env.up = tuple(float(v) for v in -r2c[2])  # type: ignore[assignment]
        env.right = tuple(float(v) for v in r2c[0])  # type: ignore[assignment]
    want = max(total, 1e-6) / np.pi
    env.sky = float(2.0 ** round(np.log2(want / white_radiance(env.name))))


def sample_environment(cfg: LightingCfg, rng: np.random.Generator) -> Environment:
    return Environment(
        name=str(cfg.environment.sample(rng)),
        rotation_deg=float(cfg.environment_rotation_deg.sample(rng)),
        exposure=float(cfg.exposure.sample(rng)),
    )


def white_card(env: Environment, lights: list[Light]) -> float:
    """Radiance of a white Lambertian card on the table: the environment's share plus each key
    light's (a Lambertian surface gets I cos(theta) / pi from a light of intensity I)."""
    white = white_radiance(env.name) * env.sky
    for light in lights:
        d = np.asarray(light.position) - np.asarray(light.focal_point)
        cos = max(0.0, float(d[2] / np.linalg.norm(d)))
        white += light.intensity * cos / np.pi
    return white


def metered_exposure(env: Environment, lights: list[Light]) -> float:
    """Auto exposure as a camera meters a white card on the table: the card's radiance is mapped
    to 1, so bright rigs do not wash the image out and dim ones are lifted."""
    return env.exposure / max(white_card(env, lights), 1e-6)


def floor_radiance(env: Environment, lights: list[Light], albedo: tuple[float, float, float]) -> float:
    """Radiance of the lit support (this nominal albedo, as grey): what the parts see below the
    horizon, reflected in their sides and as light from below. (A renderer prefilters its map at
    the nearest whole stop and adds the rest analytically: `render.renderer.floor_stop`.)"""
    grey = float(np.dot(albedo, (0.2126, 0.7152, 0.0722))) * white_card(env, lights)
    return max(grey, 1e-4)
