"""ISO 4017 (fully threaded) and ISO 4014 (partly threaded) hex head bolts, M3-M24."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, NumDist, StrDist, bounds, one_of
from ..iso import METRIC, thread_length
from ..solids import chamfer_cone
from ..threads import cone, hexagon, thread


class Params(Model):
    size: Annotated[StrDist, one_of(*METRIC)] = Field(
        dist({"choice": ["M6", "M8", "M10", "M12"]}, numeric=False), description="M3 ... M24"
    )
    length: Annotated[NumDist, bounds(6, 200)] = Field(dist({"uniform": [20, 80]}), description="mm under the head")
    thread: Annotated[StrDist, one_of("full", "partial")] = Field(
        dist({"choice": ["full", "partial"]}, numeric=False), description="full (ISO 4017) or partial (4014)"
    )


QUANTUM = {"length": 1.0}


def adjust(p: dict[str, Any]) -> dict[str, Any]:
    """At least two diameters long; `partial` where the ISO thread length b leaves a plain shank."""
    d = METRIC[p["size"]].d
    p["length"] = max(p["length"], 2 * d)
    if p["thread"] == "partial" and thread_length(d, p["length"]) >= p["length"] - d / 2:
        p["thread"] = "full"
    return p


def shank(d: float, pitch: float, length: float, threaded: float) -> Manifold:
    """A bolt shank from z = 0 to `length`: plain, then `threaded` mm of ISO thread, chamfered end."""
    r = d / 2
    minor = r - 0.6134 * pitch
    body = thread(minor, r * 0.99, pitch, threaded).translate((0, 0, length - threaded))
    if threaded < length:
        body += Manifold.cylinder(length - threaded + 0.01, r * 0.97, r * 0.97, 48)  # under the crests: no coincident faces
    tip = Manifold.cylinder(length - pitch, r + 1, r + 1, 48) + cone(r + 0.2, minor, pitch + 0.01).translate(
        (0, 0, length - pitch)
    )
    return body ^ tip


def build(p: dict[str, Any]) -> Manifold:
    m = METRIC[p["size"]]
    head = (hexagon(m.af, m.k) ^ chamfer_cone(m.af, m.k, top=False, bottom=True)).translate(
        (0, 0, 0.05 - m.k)
    )  # overlaps the shank
    threaded = p["length"] if p["thread"] == "full" else thread_length(m.d, p["length"])
    return head + shank(m.d, m.pitch, p["length"], threaded)
