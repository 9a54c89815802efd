"""ISO 7089 plain washers, M3-M24."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, StrDist, one_of
from ..iso import METRIC
from ..solids import revolve


class Params(Model):
    size: Annotated[StrDist, one_of(*METRIC)] = Field(
        dist({"choice": ["M6", "M8", "M10", "M12"]}, numeric=False), description="M3 ... M24"
    )


QUANTUM: dict[str, float] = {}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    return p


def build(p: dict[str, Any]) -> Manifold:
    d1, d2, h = METRIC[p["size"]].washer
    return revolve([(d1 / 2, 0), (d2 / 2, 0), (d2 / 2, h), (d1 / 2, h)], 96)
