"""Key lights as VTK draws them: a spot's soft falloff from its beam angle."""

from __future__ import annotations

import numpy as np

SPOT_EDGE = 0.02  # a spot's intensity where its cone ends, of the centre's: too little to draw a circle


def spot_falloff(beam_deg: float) -> tuple[float, float]:
    """A spot light's cos^n profile and cone for a beam of half-angle `beam_deg` at half intensity
    (a lamp's photometric beam angle): (n, cone half-angle in degrees where it is down to SPOT_EDGE).
    VTK cuts a spot's light to zero at its cone; so late, the cut does not show."""
    n = np.log(0.5) / np.log(np.cos(np.radians(beam_deg)))
    return float(n), float(min(np.degrees(np.arccos(SPOT_EDGE ** (1.0 / n))), 89.0))
