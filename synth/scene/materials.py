"""Material sampling: one material drawn inside a preset's ranges (see `synth.presets`)."""

from __future__ import annotations

import numpy as np

from ..presets import FINISH, PRESETS, Preset
from .model import Material


def sample_material(name: str, rng: np.random.Generator, table: dict[str, Preset] = PRESETS) -> Material:
    """Draw one material inside the preset's ranges (fixed number of draws per call)."""
    color, jitter, metal, rough = table[name]
    scale = 1.0 + jitter * (2.0 * rng.random() - 1.0)
    tint = 1.0 + 0.02 * (2.0 * rng.random(3) - 1.0)
    c = np.clip(np.asarray(color) * scale * tint, 0.0, 1.0)
    return Material(
        name=name,
        base_color=(float(c[0]), float(c[1]), float(c[2])),
        metallic=float(rng.uniform(*metal)),
        roughness=float(rng.uniform(*rough)),
        finish=FINISH[name][0] if table is PRESETS and name in FINISH else None,
        anisotropy=FINISH[name][1] if table is PRESETS and name in FINISH else 0.0,
    )
