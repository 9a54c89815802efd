"""ISO 4032 (regular) and ISO 4035 (thin) hex nuts, M3-M24, with an internal helical thread."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, StrDist, one_of
from ..iso import METRIC
from ..solids import chamfer_cone
from ..threads import cone, hexagon, thread


class Params(Model):
    size: Annotated[StrDist, one_of(*METRIC)] = Field(
        dist({"choice": ["M6", "M8", "M10", "M12"]}, numeric=False), description="M3 ... M24"
    )
    style: Annotated[StrDist, one_of("regular", "thin")] = Field(
        dist({"choice": ["regular", "thin"], "weights": [3, 1]}, numeric=False), description="ISO 4032 or 4035"
    )


QUANTUM: dict[str, float] = {}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    return p


def build(p: dict[str, Any]) -> Manifold:
    m = METRIC[p["size"]]
    h = m.m if p["style"] == "regular" else m.m_thin
    r = m.d / 2
    body = hexagon(m.af, h) ^ chamfer_cone(m.af, h, top=True, bottom=True)
    bore = thread(r - 0.6134 * m.pitch, r * 1.01, m.pitch, h + 2).translate((0, 0, -1))
    sink = cone(r * 1.2, 0, r * 1.2).translate((0, 0, -0.3)) + cone(0, r * 1.2, r * 1.2).translate((0, 0, h + 0.3 - r * 1.2))
    return body - bore - sink
