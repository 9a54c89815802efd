"""Defect kinds register here by name, each with its parameter model (sizes in millimetres)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import Field

from ..distributions import dist
from ..fields import Model, NumDist, bounds
from .surface import Surface


class DefectSpec(Model):
    """Where and how often a defect kind appears (shared by every kind)."""

    hosts: list[str] = Field(["*"], description="part categories it may appear on ('*': all)")
    probability: float = Field(0.2, ge=0, le=1, description="chance per part that this kind appears")
    count: Annotated[NumDist, bounds(1, 1000)] = Field(dist(1), description="instances per part when it appears (at most 1000)")


@dataclass(frozen=True)
class Kind:
    name: str
    spec: type[DefectSpec]
    apply: Callable[[Surface, DefectSpec, int, np.random.Generator], dict | None]
    needs_group: str | None = None  # e.g. "weld_seam": only on hosts with such face groups


KINDS: dict[str, Kind] = {}


def register(name: str, spec: type[DefectSpec], needs_group: str | None = None):
    """Decorator: `apply(surface, spec, defect_id, rng)` edits the surface and returns the
    defect's parameters in mm (for the annotation), or None when it found no place."""

    def deco(fn):
        KINDS[name] = Kind(name, spec, fn, needs_group)
        return fn

    return deco


def mm(x: float) -> float:
    return float(x) * 1e-3


def rounded(d: dict) -> dict:
    return {k: round(float(v), 4) if isinstance(v, (float, np.floating)) else v for k, v in d.items()}
