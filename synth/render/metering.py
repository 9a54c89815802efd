"""Auto exposure from the rendered image, as a camera's meter works: the mean linear luminance of
the frame (average), of the frame weighted to its centre (center_weighted) or of the parts alone
(spot) is brought to a target display value, then an exposure bias in stops. The frame is rendered
at the white-card exposure first, so the scaling is a per-channel lookup through the renderer's
tone curve; what goes past white clips, as it does in a camera."""

from __future__ import annotations

import numpy as np

from ..scene.model import Metering
from .tone import DECODE, scale_display

LUMA = np.array([0.2126, 0.7152, 0.0722])
MAX_FACTOR = 64.0  # six stops either way: a meter's range, and what 8-bit source values can stand


def meter_weights(mode: str, shape: tuple[int, int], parts: np.ndarray | None) -> np.ndarray:
    """(h, w) weights of each pixel in the meter's mean. Spot meters the parts' pixels; with no
    part in view it meters the centre, as a spot meter aimed at an empty table would."""
    h, w = shape
    if mode == "spot" and parts is not None and parts.any():
        return parts.astype(float)
    if mode == "average":
        return np.ones(shape)
    y, x = np.ogrid[:h, :w]
    r2 = ((x - (w - 1) / 2) ** 2 + (y - (h - 1) / 2) ** 2) / (min(h, w) / 2) ** 2
    sigma2 = 0.6**2 if mode == "center_weighted" else 0.15**2
    return np.exp(-r2 / (2 * sigma2)) + (0.1 if mode == "center_weighted" else 0.0)


def metering_factor(rgb: np.ndarray, weights: np.ndarray, metering: Metering, tone_mapping: bool) -> float:
    """The radiance scale that takes the weighted mean luminance to the target, times the bias."""
    table = DECODE[tone_mapping]
    lum = table[rgb] @ LUMA
    mean = float(np.sum(lum * weights) / max(float(weights.sum()), 1e-12))
    target = float(np.interp(metering.target * 255, np.arange(256), table))
    factor = target / max(mean, 1e-9) * 2.0**metering.bias_stops
    return float(np.clip(factor, 1 / MAX_FACTOR, MAX_FACTOR))


def apply_metering(
    rgb: np.ndarray, instance_ids: np.ndarray | None, part_ids: list[int], metering: Metering, tone_mapping: bool
) -> tuple[np.ndarray, float]:
    """The (h, w, 3) uint8 frame exposed as the meter says, and the factor it applied."""
    parts = np.isin(instance_ids, part_ids) if instance_ids is not None and part_ids else None
    factor = metering_factor(rgb, meter_weights(metering.mode, rgb.shape[:2], parts), metering, tone_mapping)
    levels = np.arange(256, dtype=np.uint8)[:, None].repeat(3, axis=1)
    lut = scale_display(levels, np.full(256, factor), tone_mapping)[:, 0]
    return lut[rgb], factor
