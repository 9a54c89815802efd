"""Blind (pop) rivets after ISO 15977: a dome head flange, a hollow body and the mandrel
standing out of the head."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, NumDist, bounds
from ..solids import revolve


class Params(Model):
    diameter: Annotated[NumDist, bounds(2.4, 6.4)] = Field(dist({"choice": [3.2, 4.0, 4.8]}), description="body, mm")
    length: Annotated[NumDist, bounds(4, 30)] = Field(dist({"uniform": [6, 16]}), description="body under the head, mm")


QUANTUM = {"diameter": 0.1, "length": 1.0}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    return p


def build(p: dict[str, Any]) -> Manifold:
    r, length = p["diameter"] / 2, p["length"]
    head_r, head_h = 2 * r, 0.35 * 2 * r
    body = revolve([(0.55 * r, 0), (r, 0), (r, length), (0.55 * r, length)], 48)
    head = revolve([(0.55 * r, length), (head_r, length), (head_r * 0.9, length + head_h * 0.5), (0.55 * r, length + head_h)], 64)
    mandrel = revolve([(0, -0.8), (0.5 * r, -0.8), (0.5 * r, length + 25), (0.3 * r, length + 26), (0, length + 26)], 32)
    bulb = Manifold.sphere(0.58 * r, 32).translate((0, 0, -0.6))
    return body + head + mandrel + bulb
