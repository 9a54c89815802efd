"""Self-drilling drywall anchors (zinc die-cast, "speed plugs"): a flanged head with a cross
recess, a tapering core carrying a high, coarse outer thread, and a short drill point."""

from __future__ import annotations

from typing import Annotated, Any

from manifold3d import Manifold
from pydantic import Field

from ...distributions import dist
from ...fields import Model, NumDist, bounds
from ..threads import cone, cross, thread
from .pin import adjust  # the same rule: at least twice as long as thick

__all__ = ["QUANTUM", "Params", "adjust", "build"]


class Params(Model):
    length: Annotated[NumDist, bounds(20, 60)] = Field(dist({"uniform": [28, 38]}), description="mm overall")
    diameter: Annotated[NumDist, bounds(8, 16)] = Field(dist({"uniform": [11, 13]}), description="outer thread, mm")


QUANTUM = {"length": 1.0, "diameter": 0.5}


def build(p: dict[str, Any]) -> Manifold:
    length, big = p["length"], p["diameter"] / 2
    flange_h, core = 1.6, 0.32 * big + 1.0
    drill = 0.22 * length
    body_top = length - flange_h
    fins = thread(core, big, 0.36 * 2 * big, body_top - drill - 1.0, flank=0.3).translate((0, 0, drill))
    taper = cone(core, big + 0.5, 0.45 * length).translate((0, 0, drill - 0.05)) + Manifold.cylinder(
        length, big + 1, big + 1, 48
    ).translate((0, 0, drill + 0.45 * length - 0.01))
    body = (fins ^ taper) + cone(0.8 * core, 0.97 * core, body_top - drill + 0.01).translate((0, 0, drill))
    point = cone(0.05, 0.55 * core, drill + 0.01)
    flange = Manifold.cylinder(flange_h + 0.05, 1.3 * big, 1.25 * big, 64).translate((0, 0, body_top - 0.05))
    return body + point + flange - cross(0.35 * core, 1.3 * core, 3.0, pozidriv=False).translate((0, 0, length))
