import numpy as np
import pytest
import trimesh

from synth.assets import load_mesh
from synth.errors import SynthError
from synth.parts import PARTS

from .conftest import MESHES


def test_every_bundled_part_loads_watertight_with_sensible_size():
    for name in PARTS:
        m = load_mesh(MESHES / name, "mm")
        ext = m.mesh.extents
        assert m.mesh.is_watertight, name
        assert 0.001 < ext.max() < 0.5, (name, ext)  # millimetre parts: a few mm to a few dm
        assert m.rest_poses and abs(sum(p.probability for p in m.rest_poses) - 1) < 1e-9


def test_battery_frame_keeps_weld_seams_as_face_groups():
    m = load_mesh(MESHES / "battery_frame.glb", "mm")
    seams = [k for k in m.face_groups if k.startswith("weld_seam")]
    assert len(seams) >= 8 and "frame" in m.face_groups
    assert sum(len(v) for v in m.face_groups.values()) == len(m.mesh.faces)


@pytest.mark.parametrize("fmt", ["stl", "stl_ascii", "obj", "ply", "glb", "off", "3mf"])
def test_formats_round_trip(tmp_path, fmt):
    ref = load_mesh(MESHES / "l_bracket.stl", "mm").mesh
    src = trimesh.load(MESHES / "l_bracket.stl")
    suffix = "stl" if fmt == "stl_ascii" else fmt
    path = tmp_path / f"part.{suffix}"
    if fmt == "stl_ascii":
        path.write_text(trimesh.exchange.stl.export_stl_ascii(src))
    else:
        src.export(path)
    m = load_mesh(path, "mm").mesh
    np.testing.assert_allclose(m.bounds, ref.bounds, atol=1e-6)
    assert abs(m.volume - ref.volume) < 1e-9


def test_units_scale_to_metres():
    mm = load_mesh(MESHES / "washer.stl", "mm").mesh.extents
    inch = load_mesh(MESHES / "washer.stl", "in").mesh.extents
    np.testing.assert_allclose(inch / mm, 25.4)


def test_bad_meshes_are_clear_errors(tmp_path):
    with pytest.raises(SynthError, match="mesh file not found"):
        load_mesh(tmp_path / "nope.stl")
    bad = tmp_path / "corrupt.stl"
    bad.write_bytes(b"solid x\n facet normal garbage\n")
    with pytest.raises(SynthError, match="corrupt.stl"):
        load_mesh(bad)
    nan = tmp_path / "nan.obj"
    nan.write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    with pytest.raises(SynthError, match="nan.obj"):
        load_mesh(nan)
    flat = tmp_path / "point.obj"
    flat.write_text("v 0 0 0\nv 0 0 0\nv 0 0 0\nf 1 2 3\n")
    with pytest.raises(SynthError, match="point.obj"):
        load_mesh(flat)
    (tmp_path / "x.xyz").write_text("1")
    with pytest.raises(SynthError, match="unsupported mesh format"):
        load_mesh(tmp_path / "x.xyz")


def test_step_needs_the_optional_extra(tmp_path):
    try:
        import cascadio  # noqa: F401
    except ImportError:
        p = tmp_path / "part.step"
        p.write_text("ISO-10303-21;\n")
        with pytest.raises(SynthError, match=r"synth\[step\]"):
            load_mesh(p)
    else:
        pytest.skip("cascadio is installed")
