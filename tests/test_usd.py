"""USD parts (the `usd` extra, usd-core): meshes with their transforms, the stage's units and up
axis, prims as face groups, UsdPreviewSurface materials (and glTF's) drawn per face group; through
the CLI like any part; clear errors without the extra or with groups that are not there."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import trimesh
from PIL import Image

from synth.assets import load_mesh
from synth.errors import SynthError
from synth.tools.validate import validate_dataset

from .conftest import run_cli, small_config

QUADS = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]


def box(name: str, size, at, indent: str = "    ", extra: str = "", meta: str = "") -> str:
    """A USD Mesh prim: an axis-aligned box of `size` whose own transform moves it to `at`."""
    half = np.asarray(size, float) / 2
    corners = [(sx * half[0], sy * half[1], sz * half[2]) for sz in (-1, 1) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    points = ", ".join(f"({x:g}, {y:g}, {z:g})" for x, y, z in corners)
    return (
        f'{indent}def Mesh "{name}"{meta}\n{indent}{{\n'
        f"{indent}    int[] faceVertexCounts = [{', '.join('4' for _ in QUADS)}]\n"
        f"{indent}    int[] faceVertexIndices = [{', '.join(str(i) for q in QUADS for i in q)}]\n"
        f"{indent}    point3f[] points = [{points}]\n"
        f"{indent}    double3 xformOp:translate = ({at[0]:g}, {at[1]:g}, {at[2]:g})\n"
        f'{indent}    uniform token[] xformOpOrder = ["xformOp:translate"]\n{extra}{indent}}}\n'
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


def surface(name: str, diffuse: str, metallic: float, roughness: float, texture: str = "") -> str:
    """A Material prim with a UsdPreviewSurface; `diffuse` a colour, or fed by a UsdUVTexture of `texture`."""
    feed = (
        f"        color3f inputs:diffuseColor.connect = </materials/{name}/tex.outputs:rgb>\n"
        if texture
        else f"        color3f inputs:diffuseColor = {diffuse}\n"
    )
    tex = (
        f'    def Shader "tex"\n    {{\n        uniform token info:id = "UsdUVTexture"\n'
        f"        asset inputs:file = @{texture}@\n        float3 outputs:rgb\n    }}\n"
        if texture
        else ""
    )
    return (
        f'  def Material "{name}"\n  {{\n    token outputs:surface.connect = </materials/{name}/pbr.outputs:surface>\n'
        f'    def Shader "pbr"\n    {{\n        uniform token info:id = "UsdPreviewSurface"\n{feed}'
        f"        float inputs:metallic = {metallic}\n        float inputs:roughness = {roughness}\n"
        f"        token outputs:surface\n    }}\n{tex}  }}\n"
    )


def bind(material: str) -> dict[str, str]:
    return {
        "meta": ' (prepend apiSchemas = ["MaterialBindingAPI"])',
        "extra": f"        rel material:binding = </materials/{material}>\n",
    }


def painted_usda(path) -> None:
    """A Z-up stage in millimetres: a red painted plate, a metal weld seam on it, a tag with only a
    displayColor, and a label whose colour comes from a texture (a solid blue PNG)."""
    Image.new("RGB", (8, 8), (20, 40, 200)).save(path.parent / "blue.png")
    path.write_text(
        '#usda 1.0\n(\n    metersPerUnit = 0.001\n    upAxis = "Z"\n)\n\n'
        'def Scope "materials"\n{\n'
        + surface("red_paint", "(0.8, 0.05, 0.05)", 0.0, 0.6)
        + surface("weld_metal", "(0.6, 0.6, 0.6)", 1.0, 0.3)
        + surface("label_print", "", 0.0, 0.9, texture="blue.png")
        + "}\n\n"
        'def Xform "fixture"\n{\n'
        + box("plate", (60, 40, 6), (0, 0, 3), **bind("red_paint"))
        + box("weld_seam_0", (6, 40, 3), (0, 0, 7.5), **bind("weld_metal"))
        + box("tag", (10, 10, 1), (20, 12, 6.5), extra="        color3f[] primvars:displayColor = [(0.1, 0.7, 0.1)]\n")
        + box("label", (10, 10, 1), (-20, 12, 6.5), **bind("label_print"))
        + "}\n"
    )


def test_usd_preview_surfaces_become_materials(tmp_path):
    pytest.importorskip("pxr")
    path = tmp_path / "painted.usda"
    painted_usda(path)
    got = load_mesh(path, "mm").materials
    assert set(got) == {"plate", "weld_seam_0", "tag", "label"}
    assert got["plate"].name == "red_paint" and got["weld_seam_0"].name == "weld_metal"
    np.testing.assert_allclose(got["plate"].base_color, [0.8, 0.05, 0.05], atol=1e-6)
    assert (got["plate"].metallic, got["weld_seam_0"].metallic) == (0.0, 1.0)
    np.testing.assert_allclose([got["plate"].roughness, got["weld_seam_0"].roughness], [0.6, 0.3], atol=1e-6)
    np.testing.assert_allclose(got["tag"].base_color, [0.1, 0.7, 0.1], atol=1e-6)
    srgb = np.array([20, 40, 200]) / 255.0  # the texture's mean, made linear
    np.testing.assert_allclose(got["label"].base_color, ((srgb + 0.055) / 1.055) ** 2.4, atol=1e-6)


def test_gltf_pbr_materials_per_node(tmp_path):
    scene = trimesh.Scene()
    for name, rgba, metal, rough, at in (("body", [200, 30, 30, 255], 0.0, 0.7, 0), ("pin", [180, 180, 180, 255], 1.0, 0.2, 30)):
        m = trimesh.creation.box((20, 20, 10)).apply_translation((at, 0, 5))
        m.visual = trimesh.visual.TextureVisuals(
            material=trimesh.visual.material.PBRMaterial(
                name=name, baseColorFactor=rgba, metallicFactor=metal, roughnessFactor=rough
            )
        )
        scene.add_geometry(m, node_name=name, geom_name=name)
    path = tmp_path / "two.glb"
    scene.export(path)
    got = load_mesh(path, "mm").materials
    assert set(got) == {"body", "pin"}
    np.testing.assert_allclose(got["body"].base_color, np.array([200, 30, 30]) / 255, atol=1e-6)
    assert (got["body"].metallic, got["pin"].metallic) == (0.0, 1.0)
    np.testing.assert_allclose([got["body"].roughness, got["pin"].roughness], [0.7, 0.2], atol=1e-6)


def _part_colour(tmp_path, name: str, **part) -> np.ndarray:
    """The mean linear-ish RGB of the part's pixels in a top-down frame of the painted fixture."""
    from pycocotools import mask as mask_util

    path = tmp_path / "painted.usda"
    if not path.exists():
        painted_usda(path)
    part = {"mesh": str(path), "category": "fixture", "units": "mm", "material": "steel", **part}
    cfg = small_config(
        tmp_path,
        num_images=1,
        splits={"train": 1.0},
        parts=[part],
        scene={"parts_per_image": 1, "region": [0.001, 0.001]},
        camera={"distance": 0.25, "elevation_deg": 90, "roll_deg": 0},
    )
    out = tmp_path / name
    res = run_cli("generate", cfg, "-o", out, "-q")
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "annotations" / "instances_train.json").read_text())
    rgb = np.asarray(Image.open(out / "images" / "train" / doc["images"][0]["file_name"]).convert("RGB"), float)
    mask = mask_util.decode(doc["annotations"][0]["segmentation"]).astype(bool)
    return rgb[mask].mean(axis=0)


def test_file_materials_and_group_overrides_are_drawn(tmp_path):
    """The fixture three ways: steel all over (grey), the file's materials (the plate, most of the
    part, red; the seam, tag and label keep theirs), and the file's with the plate overridden by a
    group material (black plastic: dark)."""
    pytest.importorskip("pxr")
    steel = _part_colour(tmp_path, "steel")
    painted = _part_colour(tmp_path, "painted", materials_from_file=True)
    black = _part_colour(tmp_path, "black", materials_from_file=True, group_materials={"plate": "black_plastic"})
    assert steel[0] < 1.2 * steel[1] and painted[0] > 1.8 * painted[1]
    assert black.sum() < 0.7 * painted.sum() and black[0] < 1.2 * black[1]


def test_group_material_errors_name_the_key(tmp_path):
    pytest.importorskip("pxr")
    path = tmp_path / "fixture.usda"
    fixture_usda(path)  # groups plate and weld_seam_0, no materials
    for part, message in (
        ({"group_materials": {"rivet": "steel"}}, "parts[0].group_materials.rivet: no face group"),
        ({"group_materials": {"weld": "unobtainium"}}, "parts[0].group_materials.weld: unknown material 'unobtainium'"),
        ({"materials_from_file": True}, "parts[0].materials_from_file: "),
    ):
        p = {"mesh": str(path), "category": "fixture", "units": "mm", **part}
        res = run_cli("generate", small_config(tmp_path, parts=[p]), "-o", tmp_path / "never", "-q")
        assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, res.output
        assert not (tmp_path / "never").exists()


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


def test_a_defect_in_a_weld_bead_is_drawn_in_the_bead_material():
    """The weld config's beads are `weld_bead`: each face is drawn once, in its group's material, and
    a pore's edited patch (it replaced bead faces) takes the bead's material, not the frame's."""
    from synth.config import load_config
    from synth.render.renderer import Renderer
    from synth.scene.sampler import sample_scene

    cfg = load_config(
        "configs/weld_seam_inspection.yaml",
        [
            "image.width=160",
            "image.height=120",
            "defects.defect_free_fraction=0",
            'defects.kinds={"weld_porosity": {"probability": 1.0}}',
        ],
    )
    scene = sample_scene(cfg, 0)
    frame = scene.objects[0]
    assert frame.geometry is not None and [g[1].name for g in frame.group_materials] == ["weld_bead"]
    r = Renderer.for_config(cfg)
    r._combined = True  # as _setup decides for a frame of one part
    try:
        items = [i for i in r._items(scene) if i.instance_id == frame.instance_id]
    finally:
        r.close()
    drawn = [i for i in items if i.role == "part"]
    assert {i.material.name for i in drawn} == {frame.material.name, "weld_bead"}
    counts = sum(i.edited.n_cells for i in drawn) + len(
        np.setdiff1d(np.arange(len(load_mesh(frame.mesh_path, "mm").mesh.faces)), frame.geometry.host_faces)
    )
    assert counts == len(load_mesh(frame.mesh_path, "mm").mesh.faces)  # every face once: kept by material, or replaced
    assert [i.material.name for i in items if i.role == "patch"] == ["weld_bead"]
