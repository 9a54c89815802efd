"""Countersunk wood and chipboard screws (after DIN 7997 / ISO 7050 style heads): diameter 3-6 mm,
length 12-120 mm overall, a sharp point, a coarse single-start helical thread (pitch about 0.45 d)
over the whole length or part of it, and a Pozidriv, Torx or slotted recess."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, NumDist, StrDist, bounds, one_of
from ..threads import cone, cross, slot, star, thread


class Params(Model):
    diameter: Annotated[NumDist, bounds(2.5, 8)] = Field(dist({"choice": [3.5, 4.0, 4.5, 5.0, 6.0]}), description="mm")
    length: Annotated[NumDist, bounds(10, 160)] = Field(dist({"uniform": [16, 80]}), description="mm overall")
    recess: Annotated[StrDist, one_of("pozidriv", "torx", "slotted")] = Field(
        dist({"choice": ["pozidriv", "torx", "slotted"]}, numeric=False)
    )
    thread_fraction: Annotated[NumDist, bounds(0.2, 1)] = Field(
        dist({"choice": [1.0, 0.6]}), description="threaded share of the length (1: fully threaded)"
    )


QUANTUM = {"diameter": 0.5, "length": 1.0, "thread_fraction": 0.05}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    """At least three diameters long; short screws are fully threaded."""
    p["length"] = max(p["length"], 3 * p["diameter"])
    if p["length"] < 30:
        p["thread_fraction"] = 1.0
    return p


def build(p: dict[str, Any]) -> Manifold:
    d, length = p["diameter"], p["length"]
    r, dk = d / 2, 2 * d
    head_h = (dk - d) / 2  # a 90 degree countersink
    core = 0.62 * r
    pitch = 0.45 * d
    tip = 1.3 * d
    shank_top = length - head_h
    threaded = max(tip + pitch, p["thread_fraction"] * shank_top)
    body = thread(core, r, pitch, threaded, flank=0.42)
    if threaded < shank_top:
        body += Manifold.cylinder(shank_top - threaded + 0.02, 0.72 * r, 0.72 * r, 48).translate((0, 0, threaded - 0.01))

    point = cone(0.02, r + 0.5, tip * (r + 0.5) / r) + Manifold.cylinder(length, r + 1, r + 1, 48).translate((0, 0, tip))
    body ^= point
    head = cone(r * 0.95, dk / 2, head_h).translate((0, 0, shank_top)) + Manifold.cylinder(
        0.08 * d, dk / 2, dk / 2, 64
    ).translate((0, 0, length - 0.08 * d))
    depth = 0.55 * d
    if p["recess"] == "pozidriv":
        cut = cross(0.22 * d, 1.1 * d, depth)
    elif p["recess"] == "torx":
        cut = star(0.8 * d, depth)
    else:
        cut = slot(0.18 * d, 2.2 * d, 0.4 * d)
    return body + head - cut.translate((0, 0, length))
