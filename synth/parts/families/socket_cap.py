"""ISO 4762 hexagon socket head cap screws, M3-M24."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, NumDist, StrDist, bounds, one_of
from ..iso import METRIC, thread_length
from ..threads import cone, hexagon
from .bolt import shank


class Params(Model):
    size: Annotated[StrDist, one_of(*METRIC)] = Field(
        dist({"choice": ["M4", "M5", "M6", "M8", "M10"]}, numeric=False), description="M3 ... M24"
    )
    length: Annotated[NumDist, bounds(5, 200)] = Field(dist({"uniform": [10, 60]}), description="mm under the head")


QUANTUM = {"length": 1.0}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    p["length"] = max(p["length"], 1.5 * METRIC[p["size"]].d)
    return p


def build(p: dict[str, Any]) -> Manifold:
    m = METRIC[p["size"]]
    dk, k, s = m.socket
    head = Manifold.cylinder(k, dk / 2, dk / 2, 64) ^ cone(dk / 2 - 0.08 * k, dk / 2 + 2 * k, 2 * k)  # a rounded-off top edge
    head -= hexagon(s, 0.6 * k + 0.01).translate((0, 0, 0.4 * k + 0.001))
    head = head.mirror((0, 0, 1)).translate((0, 0, 0.05))  # top face (with the socket) at z = -k, shank upwards
    threaded = min(p["length"], thread_length(m.d, p["length"]) - 4)
    return head + shank(m.d, m.pitch, p["length"], threaded if threaded > m.d else p["length"])
