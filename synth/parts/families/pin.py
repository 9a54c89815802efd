"""ISO 8734 style dowel pins: a cylinder with chamfered ends."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, NumDist, bounds
from ..solids import revolve


class Params(Model):
    diameter: Annotated[NumDist, bounds(1, 25)] = Field(dist({"choice": [3, 4, 5, 6, 8, 10]}), description="mm")
    length: Annotated[NumDist, bounds(4, 120)] = Field(dist({"uniform": [10, 50]}), description="mm")


QUANTUM = {"diameter": 0.5, "length": 1.0}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    p["length"] = max(p["length"], 2 * p["diameter"])
    return p


def build(p: dict[str, Any]) -> Manifold:
    r, length = p["diameter"] / 2, p["length"]
    c = 0.15 * r
    return revolve([(0, 0), (r - c, 0), (r, c), (r, length - c), (r - c, length), (0, length)], 64)
