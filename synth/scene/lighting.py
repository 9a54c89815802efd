"""Lighting sampling: environment (image-based lighting) plus key lights with colour temperature."""

from __future__ import annotations

import numpy as np

from ..config import LightingCfg
from ..environments import white_radiance
from .model import Environment, Light


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
                position=tuple(float(v) for v in pos),
                focal_point=tuple(float(v) for v in target),
                intensity=float(k.intensity.sample(rng)),
                color=kelvin_to_rgb(float(k.color_temperature_k.sample(rng))),
                cone_angle_deg=cone,
            )
        )
    return lights


def sample_environment(cfg: LightingCfg, rng: np.random.Generator) -> Environment:
    return Environment(
        name=str(cfg.environment.sample(rng)),
        rotation_deg=float(cfg.environment_rotation_deg.sample(rng)),
        exposure=float(cfg.exposure.sample(rng)),
    )


def metered_exposure(env: Environment, lights: list[Light]) -> float:
    """Auto exposure as a camera meters a white card on the table: the card's radiance from the
    environment plus each key light (a Lambertian surface gets I cos(theta) / pi from a light of
    intensity I) is mapped to 1, so bright rigs do not wash the image out and dim ones are lifted."""
    white = white_radiance(env.name)
    for light in lights:
        d = np.asarray(light.position) - np.asarray(light.focal_point)
        cos = max(0.0, float(d[2] / np.linalg.norm(d)))
        white += light.intensity * cos / np.pi
    return env.exposure / max(white, 1e-6)
