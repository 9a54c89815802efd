"""Procedural part families: `parts[].family: NAME` with the family's parameters as constants or
distributions; every instance gets a mesh of its own drawn parameters (rounded, so meshes repeat
and are built once per machine: cached in `paths.cache_dir()`).

Each family is a module with a pydantic `Params` model (defaults and ISO ranges, every field a
distribution), a `QUANTUM` (rounding per parameter) and `build(params) -> Manifold` in mm.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ...fields import Model
from . import anchor, bolt, nut, pin, rivet, socket_cap, washer, wood_screw

GEOMETRY_VERSION = 2  # bump when a builder changes, so cached meshes are made again


@dataclass(frozen=True)
class Family:
    name: str
    module: ModuleType

    @property
    def params(self) -> type[Model]:
        return self.module.Params

    def draw(self, spec: Model, rng: np.random.Generator) -> dict[str, Any]:
        """Concrete parameters from a validated `Params` (fixed draws per field, in field order), rounded."""
        out: dict[str, Any] = {}
        for name in type(spec).model_fields:
            value = getattr(spec, name).sample(rng)
            q = self.module.QUANTUM.get(name)
            out[name] = round(round(float(value) / q) * q, 6) if q else value
        return self.module.adjust(out)


FAMILIES = {
    "hex_bolt": Family("hex_bolt", bolt),
    "socket_cap_screw": Family("socket_cap_screw", socket_cap),
    "hex_nut": Family("hex_nut", nut),
    "washer": Family("washer", washer),
    "wood_screw": Family("wood_screw", wood_screw),
    "drywall_anchor": Family("drywall_anchor", anchor),
    "dowel_pin": Family("dowel_pin", pin),
    "rivet": Family("rivet", rivet),
}


def slug(params: dict[str, Any]) -> str:
    """A readable, file-safe name for concrete parameters: M10_40_partial."""
    text = "_".join(f"{v:g}" if isinstance(v, float) else str(v) for v in params.values())
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


def mesh_file(name: str, params: dict[str, Any], cache: Path) -> Path:
    """The family mesh of these parameters as a binary STL in mm, built once per machine and
    cached under `cache` (written to a temporary name and renamed: workers may race, harmlessly)."""
    path = cache / f"families-v{GEOMETRY_VERSION}" / mesh_name(name, params)
    if not path.is_file():
        from ..solids import to_trimesh

        mesh = to_trimesh(FAMILIES[name].module.build(params))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        mesh.export(tmp, file_type="stl")
        os.replace(tmp, path)
    return path


def mesh_name(name: str, params: dict[str, Any]) -> str:
    """The mesh's file name inside a dataset (`meshes/<this>`)."""
    digest = hashlib.sha1(repr(sorted(params.items())).encode()).hexdigest()[:6]
    return f"{name}_{slug(params)}_{digest}.stl"
