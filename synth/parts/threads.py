"""Helical threads and recesses as manifold3d solids (mm, axis = +Z).

A single-start thread is exact: the thread's cross-section perpendicular to the axis is a cam,
r(phi) = the thread profile at axial position phi / 2 pi of a pitch, and extruding that cam with a
twist of 360 degrees per pitch sweeps it along the helix (right-handed: twist counter-clockwise).
"""

from __future__ import annotations

import numpy as np
from manifold3d import CrossSection, Manifold

STEPS_PER_TURN = 16  # extrusion slices per turn of the thread (a turn spans a few pixels in a typical frame)
SEGMENTS = 48  # points around the cam


def _cam(r_minor: float, r_major: float, flank: float = 0.4) -> CrossSection:
    """Cross-section of a thread: the V profile (flat crest and root) around one turn."""
    phi = np.linspace(0.0, 2 * np.pi, SEGMENTS, endpoint=False)
    u = phi / (2 * np.pi)
    tooth = np.clip(1.0 - np.abs(u - 0.5) / flank, 0.0, 1.0)
    r = r_minor + (r_major - r_minor) * tooth
    return CrossSection([np.stack([r * np.cos(phi), r * np.sin(phi)], axis=1)])


def thread(r_minor: float, r_major: float, pitch: float, length: float, flank: float = 0.4) -> Manifold:
    """A threaded rod from z = 0 to `length` (`flank` < 0.5: the share of a pitch each flank spans)."""
    turns = length / pitch
    return _cam(r_minor, r_major, flank).extrude(length, max(1, int(np.ceil(turns * STEPS_PER_TURN))), 360.0 * turns)


def cone(r0: float, r1: float, height: float, segments: int = SEGMENTS) -> Manifold:
    """A cone (or truncated cone) from radius r0 at z = 0 to r1 at z = height."""
    return Manifold.cylinder(height, r0, r1, segments)


def slot(width: float, length: float, depth: float) -> Manifold:
    """A straight slot recess, centred, from z = 0 down to -depth."""
    return Manifold.cube((length, width, depth + 1.0), center=True).translate((0, 0, -depth / 2 + 0.5))


def cross(width: float, length: float, depth: float, pozidriv: bool = True) -> Manifold:
    """A cross recess (Phillips; with Pozidriv's four small diagonal ticks) from z = 0 down to
    -depth, narrowing to 40% at the bottom: one tapered extrusion of the 2D cross."""
    arm = CrossSection.square((length, width), center=True)
    shape = arm + arm.rotate(90)
    if pozidriv:
        tick = CrossSection.square((length * 0.55, width * 0.35), center=True)
        shape += tick.rotate(45) + tick.rotate(-45)
    narrow = 0.4
    return shape.scale((narrow, narrow)).extrude(depth + 1.0, 0, 0.0, (1 / narrow, 1 / narrow)).translate((0, 0, -depth))


def star(across: float, depth: float, lobes: int = 6) -> Manifold:
    """A hexalobular (Torx) recess of `across` point to point, from z = 0 down to -depth."""
    phi = np.linspace(0, 2 * np.pi, 6 * 16, endpoint=False)
    r = across / 2 * (0.78 + 0.22 * np.cos(lobes * phi))
    outline = CrossSection([np.stack([r * np.cos(phi), r * np.sin(phi)], axis=1)])
    return outline.extrude(depth + 1.0).translate((0, 0, -depth))


def hexagon(across_flats: float, height: float) -> Manifold:
    r = across_flats / 2.0 / np.cos(np.pi / 6)
    return Manifold.cylinder(height, r, r, 6).rotate((0, 0, 30))
