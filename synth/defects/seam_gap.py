"""seam_gap: an interrupted weld seam: a stretch of the bead is missing and the joint shows."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from ..distributions import dist
from ..fields import NumDist, bounds
from .groove import pick_seam
from .registry import DefectSpec, mm, register, rounded
from .surface import Surface


class SeamGapSpec(DefectSpec):
    surfaces: str = "weld_seam"
    length_mm: Annotated[NumDist, bounds(0.5, 100)] = Field(dist({"uniform": [2.0, 8.0]}))


@register("seam_gap", SeamGapSpec, needs_group="weld_seam")
def seam_gap(s: Surface, p: SeamGapSpec, defect_id: int, rng: np.random.Generator) -> dict | None:
    c, local, axis = pick_seam(s, p.surfaces, rng)
    group = s.face_group[local[0]]  # face indices change as faces are refined; the group does not
    length = mm(p.length_mm.sample(rng))
    bead = s.vertices[np.unique(s.faces[local])]
    bead = bead[np.abs((bead - c) @ axis) < length]  # the bead's cross-section here, not the whole seam
    if len(bead) == 0:
        return None
    c = bead.mean(axis=0)  # the bead's centre line, not the point on its surface
    radius = float(np.percentile(np.linalg.norm(np.cross(bead - c, axis), axis=1), 90)) + 2e-4
    reach = 1.5 * radius  # the bead's footprint around the seam line: what goes, what shows, where it stops
    # the base metal under that stretch of bead becomes visible: refine it so the label is tight
    under = np.setdiff1d(s.refine_near(c, length / 2 + reach, radius / 5), s.group_faces(p.surfaces))
    cen = s.vertices[s.faces[under]].mean(axis=1)
    along = (cen - c) @ axis
    across = np.linalg.norm(np.cross(cen - c, axis), axis=1)
    beside = np.abs(s.face_normals[under] @ axis) < 0.5  # the metal a bead lies on runs along it
    exposed = under[(np.abs(along) < length / 2) & (across < reach) & beside]
    # remove the bead's faces in the gap (this seam's: a bead crossing or meeting it stays whole)
    seam = np.flatnonzero(s.face_group == group)
    cs = s.vertices[s.faces[seam]].mean(axis=1)
    gone = seam[(np.abs((cs - c) @ axis) < length / 2) & (np.linalg.norm(np.cross(cs - c, axis), axis=1) < reach)]
    if len(gone) == 0 or len(exposed) == 0:
        return None
    new_index = s.remove_faces(gone)
    s.face_defect[new_index[exposed]] = defect_id
    # the bead stops on both sides of the gap: its open ends belong to the defect too
    seam = np.flatnonzero(s.face_group == group)
    cs = s.vertices[s.faces[seam]].mean(axis=1)
    near = np.linalg.norm(np.cross(cs - c, axis), axis=1) < reach  # here, not where the seam bends across the plane
    ends = seam[(np.abs(np.abs((cs - c) @ axis) - length / 2) < radius / 2) & near]
    s.face_defect[ends] = defect_id
    s.touched[np.unique(s.faces[ends])] = True
    s.albedo[np.unique(s.faces[new_index[exposed]])] *= 0.55  # the unfused, oxidised root
    return rounded({"length_mm": length * 1e3})
