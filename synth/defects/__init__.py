"""Procedural surface defects with exact, per-face labels.

Each kind lives in its own module and registers itself by name (`registry.KINDS`). A defect
edits a copy of its host mesh (refine a small patch, displace it, add material, tint it) and
marks the faces it owns; the renderer draws those faces into a defect-id map with the same
camera and depth test as everything else, so the defect masks are exact.
"""

from . import chip, dent, groove, pit, seam_gap, spatter, stain  # noqa: F401  (registration)
from .registry import KINDS, DefectSpec, Kind

__all__ = ["KINDS", "DefectSpec", "Kind"]
