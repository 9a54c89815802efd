"""The renderer's tone curve in numpy: VTK's generic filmic mapping (vtkToneMappingPass with its
default presets), so that pixels can be taken back to linear light (to darken a cast shadow by
the light it loses) and a reference renderer's linear output can be mapped the same way.

VTK maps linear radiance x (times the exposure) through ACES input and output matrices around
the curve x^a / (x^(a d) b + c), clamps to [0, 1] and encodes with gamma 2.2.
"""

from __future__ import annotations

import numpy as np

A, D, MID_IN, MID_OUT, HDR_MAX = 1.6773, 0.9714, 0.18, 0.18, 11.0785
ACES_IN = np.array(
    [
        [0.5972782409, 0.3545713181, 0.0482176639],
        [0.0760130499, 0.9083220973, 0.0156579968],
        [0.0284085382, 0.1338243154, 0.8375684636],
    ]
)
ACES_OUT = np.array(
    [
        [1.6047539945, -0.5310794927, -0.0736720338],
        [-0.1020831870, 1.1081322801, -0.0060518756],
        [-0.0032670420, -0.0727552477, 1.0760219533],
    ]
)


def _coefficients() -> tuple[float, float]:
    """b (clipping point) and c (toe speed), as VTK anchors the curve at mid grey and HDR_MAX."""
    m, n, h = MID_IN, MID_OUT, HDR_MAX
    den = m ** (A * D) * n - n * h ** (A * D)
    num = m ** (A * D) * n * h**A - m**A * h ** (A * D)
    c = max(num / den, 0.0)
    b = -((m ** (-A * D)) * (-(m**A) + n * num / den) / n)
    return b, c


B, C = _coefficients()


def curve(x: np.ndarray) -> np.ndarray:
    """The filmic curve alone, linear [0, inf) -> display-linear [0, 1]."""
    x = np.clip(x, 0.0, None)
    return np.clip(x**A / (x ** (A * D) * B + C), 0.0, 1.0)


def filmic(linear: np.ndarray, exposure: float) -> np.ndarray:
    """(..., 3) linear radiance -> 8-bit display values, as the renderer's RGB pass maps them."""
    t = np.clip(linear * exposure, 0, None) @ ACES_IN.T
    t = np.clip(curve(t) @ ACES_OUT.T, 0, 1)
    return np.round(255 * t ** (1 / 2.2)).astype(np.uint8)


def _decode_table(tone_mapping: bool) -> np.ndarray:
    """Linear value (exposure 1) of each 8-bit display value, per channel; greys exactly (the
    ACES matrices keep greys grey)."""
    if not tone_mapping:
        return (np.arange(256) / 255.0) ** 2.2
    x = np.geomspace(1e-6, HDR_MAX, 4096)
    y = 255 * curve(x) ** (1 / 2.2)
    return np.interp(np.arange(256), y, x)


DECODE = {t: _decode_table(t) for t in (True, False)}


def scale_display(rgb: np.ndarray, factor: np.ndarray, tone_mapping: bool) -> np.ndarray:
    """(n, 3) uint8 display values whose radiance is scaled by `factor` (n,): what the pixel would
    show with that share of its light. Exposure cancels out: the curve is applied per channel."""
    lin = DECODE[tone_mapping][rgb] * factor[:, None]
    if tone_mapping:
        out = 255 * curve(lin) ** (1 / 2.2)
    else:
        out = 255 * np.clip(lin, 0, 1) ** (1 / 2.2)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
