"""Shared fixtures: small real datasets rendered once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

ROOT = Path(__file__).resolve().parents[1]
MESHES = ROOT / "assets" / "meshes"


def small_config(tmp: Path, **over) -> Path:
    """A small fast config over the bundled parts (low-poly ones unless told otherwise)."""
    cfg = {
        "name": "test",
        "seed": 3,
        "num_images": 4,
        "image": {"width": 256, "height": 192},
        "splits": {"train": 0.5, "val": 0.5},
        "parts": [
            {"mesh": str(MESHES / "hex_nut.stl"), "category": "nut", "units": "mm", "material": "zinc_plated"},
            {"mesh": str(MESHES / "washer.stl"), "category": "washer", "units": "mm", "material": "stainless"},
            {"mesh": str(MESHES / "l_bracket.stl"), "category": "bracket", "units": "mm", "material": "aluminium"},
            {"mesh": str(MESHES / "flange.stl"), "category": "flange", "units": "mm", "material": "cast_iron"},
            {"mesh": str(MESHES / "spur_gear.stl"), "category": "gear", "units": "mm", "material": "brass"},
        ],
        "scene": {"parts_per_image": {"uniform": [3, 5]}, "region": [0.16, 0.12]},
        "camera": {"distance": {"uniform": [0.25, 0.32]}, "elevation_deg": {"uniform": [45, 85]}},
        "lighting": {"key_lights": {"count": 1, "type": "spot", "intensity": 2.5}},
        "annotations": {"min_visible_pixels": 20},
    }
    for k, v in over.items():
        cfg[k] = v
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_cli(*args: str):
    from synth.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    """A finished 4-frame RLE dataset made through the CLI, in one process (`--workers 1`: the
    reference the parallel back ends are compared with)."""
    tmp = tmp_path_factory.mktemp("ds")
    out = tmp / "out"
    res = run_cli("generate", small_config(tmp), "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    return out
