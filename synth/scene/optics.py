"""Lens blur and sensor draws for a frame. They come from their own random stream
(`SeedSequence([seed, frame, 1])`), so switching them on does not change the scene's other draws."""

from __future__ import annotations

import numpy as np

from ..config import CameraCfg, ImageCfg, LightingCfg, SensorCfg
from .model import Camera, Metering, Optics, Sensor


def optics_rng(seed: int, frame_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, frame_index, 1]))


def sample_optics(cfg: CameraCfg, camera: Camera, rng: np.random.Generator) -> Optics | None:
    """Depth of field, motion blur, lens softness and lateral colour as `cfg` asks, or None when it
    asks for none of them. (New draws come after the older ones, so older configs keep their bytes.)"""
    soft, colour = cfg.softness_px.bounds() != (0.0, 0.0), cfg.chromatic_aberration_px.bounds() != (0.0, 0.0)
    if cfg.depth_of_field is None and cfg.motion_blur is None and not soft and not colour:
        return None
    optics = Optics()
    if cfg.depth_of_field is not None:
        dof = cfg.depth_of_field
        optics.f_number = float(dof.f_number.sample(rng))
        if dof.focal_length_mm:
            focal_mm = dof.focal_length_mm
        elif cfg.model is not None:  # the lens that gives this focal length in pixels on this sensor
            focal_mm = float(camera.K[0, 0]) * cfg.model.pixel_size_um * 1e-3
        else:
            focal_mm = 16.0
        optics.focal_m = focal_mm * 1e-3
    if cfg.motion_blur is not None:
        optics.motion_length_px = float(cfg.motion_blur.length_px.sample(rng))
        optics.motion_angle_deg = float(cfg.motion_blur.angle_deg.sample(rng))
    if soft:
        optics.softness_px = float(cfg.softness_px.sample(rng))
    if colour:
        optics.chromatic_aberration_px = float(cfg.chromatic_aberration_px.sample(rng))
    return optics


def sample_sensor(cfg: SensorCfg, rng: np.random.Generator) -> Sensor | None:
    """The frame's white balance, vignetting, gain and noise seed, or None for an ideal sensor."""
    if not cfg.active():
        return None
    wb = (float(cfg.white_balance.sample(rng)), float(cfg.white_balance.sample(rng)))
    s = Sensor(white_balance=wb, vignetting=float(cfg.vignetting.sample(rng)), monochrome=cfg.monochrome)
    n = cfg.noise
    if n.enabled:
        s.noise = True
        s.gain = float(n.gain.sample(rng))
        s.full_well_e = float(n.full_well_e)
        s.dark_e = float(n.dark_current_e_per_s * n.exposure_ms * 1e-3)
        s.read_noise_e = float(n.read_noise_e)
        s.bit_depth = int(n.bit_depth)
        s.noise_seed = int(rng.integers(2**63))
    if cfg.falloff.bounds() != (0.0, 0.0):
        s.falloff = float(cfg.falloff.sample(rng))
        dx, dy = rng.uniform(-0.3, 0.3, 2)  # the light's bright spot is seldom exactly in the middle
        s.falloff_centre = (float(dx), float(dy))
    return s


def sample_jpeg_quality(cfg: ImageCfg, rng: np.random.Generator) -> int:
    """The frame's JPEG quality (no draw for a constant)."""
    q = cfg.jpeg_quality
    return int(q.args[0]) if q.kind == "const" else int(round(float(q.sample(rng))))


IMAGE_METERS = ("average", "center_weighted", "spot")


def exposure_rng(seed: int, frame_index: int) -> np.random.Generator:
    """The exposure's own stream: a meter drawn per frame changes nothing else."""
    return np.random.default_rng(np.random.SeedSequence([seed, frame_index, 2]))


def _draw(d, rng: np.random.Generator):
    return d.args[0] if d.kind == "const" else d.sample(rng)


def sample_metering(cfg: LightingCfg, rng: np.random.Generator) -> tuple[str, Metering | None, float]:
    """The frame's meter mode, its image meter (None for white_card or off) and its exposure bias
    in stops (no draws for constants)."""
    mode = str(_draw(cfg.auto_exposure, rng))
    bias = float(_draw(cfg.exposure_bias, rng))
    if mode in IMAGE_METERS:
        return mode, Metering(mode, cfg.metering_target, bias), bias
    return mode, None, bias
