"""USD parts (the `usd` extra, usd-core): meshes with their transforms, the stage's units and up
axis, prims as face groups; through the CLI like any part; a clear error without the extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from synth.assets import load_mesh
from synth.errors import SynthError
from synth.tools.validate import validate_dataset

from .conftest import run_cli, small_config

QUADS = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]


def box(name: str, size, at, indent: str = "    ") -> str:
    """A USD Mesh prim: an axis-aligned box of `size` whose own transform moves it to `at`."""
    half = np.asarray(size, float) / 2
    corners = [(sx * half[0], sy * half[1], sz * half[2]) for sz in (-1, 1) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    points = ", ".join(f"({x:g}, {y:g}, {z:g})" for x, y, z in corners)
    return (
        f'{indent}def Mesh "{name}"\n{indent}{{\n'
        f"{indent}    int[] faceVertexCounts = [{', '.join('4' for _ in QUADS)}]\n"
        f"{indent}    int[] faceVertexIndices = [{', '.join(str(i) for q in QUADS for i in q)}]\n"
        f"{indent}    point3f[] points = [{points}]\n"
        f"{indent}    double3 xformOp:translate = ({at[0]:g}, {at[1]:g}, {at[2]:g})\n"
        f'{indent}    uniform token[] xformOpOrder = ["xformOp:translate"]\n{indent}}}\n'
    )


def fixture_usda(path) -> None:
    """A Y-up stage in centimetres: a plate 8 x 1 x 6 cm moved 10 cm along x, a weld seam on top."""
    path.write_text(
        '#usda 1.0\n(\n    metersPerUnit = 0.01\n    upAxis = "Y"\n)\n\n'
        'def Xform "fixture"\n{\n    double3 xformOp:translate = (10, 0, 0)\n'
        '    uniform token[] xformOpOrder = ["xformOp:translate"]\n'
        + box("plate", (8, 1, 6), (0, 0, 0))
        + box("weld_seam_0", (1, 0.4, 6), (0, 0.7, 0))
        + "}\n"
    )


def test_usd_meshes_transforms_units_and_groups(tmp_path):
    pytest.importorskip("pxr")
    path = tmp_path / "fixture.usda"
    fixture_usda(path)
    m = load_mesh(path, "mm")
    assert set(m.face_groups) == {"plate", "weld_seam_0"}
    assert all(len(f) == 12 for f in m.face_groups.values())  # six quads, two triangles each
    lo, hi = m.mesh.bounds  # metres, Z up: USD y (up) became z, USD z became -y
    np.testing.assert_allclose(lo, [0.06, -0.03, -0.005], atol=1e-9)
    np.testing.assert_allclose(hi, [0.14, 0.03, 0.009], atol=1e-9)
    seam = m.mesh.triangles[m.face_groups["weld_seam_0"]].reshape(-1, 3)
    np.testing.assert_allclose([seam[:, 2].min(), seam[:, 2].max()], [0.005, 0.009], atol=1e-9)


def test_usd_part_through_the_cli(tmp_path):
    pytest.importorskip("pxr")
    path = tmp_path / "fixture.usda"
    fixture_usda(path)
    part = {"mesh": str(path), "category": "fixture", "units": "mm", "material": "steel"}
    cfg = small_config(tmp_path, num_images=2, parts=[part], scene={"parts_per_image": 1, "region": [0.05, 0.05]})
    out = tmp_path / "out"
    res = run_cli("generate", cfg, "-o", out, "-q")
    assert res.exit_code == 0, res.output
    summary, bad = validate_dataset(out)
    assert bad == [] and sum(c["annotations"] for c in summary.values()) == 2


def test_usd_without_the_extra_is_one_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "fixture.usda"
    fixture_usda(path)
    monkeypatch.setitem(sys.modules, "pxr", None)  # as if usd-core were not installed
    with pytest.raises(SynthError, match=r"pip install 'synth\[usd\]'"):
        load_mesh(path, "cm")
