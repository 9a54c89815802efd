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


def test_flat_and_one_triangle_parts_lie_flat_and_render(tmp_path):
    """A flat square (no convex hull with volume) and a single triangle: one rest pose, lying on
    their plane, and a dataset of them validates."""
    import trimesh

    from .conftest import run_cli, small_config

    trimesh.Trimesh([[0, 0, 0], [40, 0, 30], [40, 40, 30], [0, 40, 0]], [[0, 1, 2], [0, 2, 3]]).export(tmp_path / "plate.stl")
    trimesh.Trimesh([[0, 0, 0], [30, 0, 0], [0, 30, 5]], [[0, 1, 2]]).export(tmp_path / "tri.stl")
    for name in ("plate.stl", "tri.stl"):
        poses = load_mesh(tmp_path / name, "mm").rest_poses
        assert len(poses) == 1
        rested = trimesh.transform_points(load_mesh(tmp_path / name, "mm").mesh.vertices, poses[0].transform)
        assert abs(rested[:, 2]).max() < 1e-6  # flat on the support
    parts = [{"mesh": str(tmp_path / n), "category": n[:-4], "material": "steel"} for n in ("plate.stl", "tri.stl")]
    out = tmp_path / "out"
    res = run_cli("generate", small_config(tmp_path, num_images=2, parts=parts), "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    assert run_cli("validate", out).exit_code == 0


def test_stable_poses_of_a_fine_mesh_use_a_capped_hull():
    """A finely tessellated part (its convex hull has tens of thousands of faces) gets its rest
    poses from a hull thinned to about MAX_HULL_FACES faces: fast, and still resting on z = 0."""
    import trimesh

    from synth.assets import MAX_HULL_FACES, _pose_hull, _rest_poses

    mesh = trimesh.creation.capsule(height=0.03, radius=0.01, count=[200, 200])
    assert len(mesh.convex_hull.faces) > 10 * MAX_HULL_FACES
    hull = _pose_hull(mesh)
    assert hull is not None and len(hull.faces) <= 2 * MAX_HULL_FACES
    poses = _rest_poses(mesh)
    for p in poses:
        z = trimesh.transform_points(mesh.vertices, p.transform)[:, 2]
        assert abs(z.min()) < 5e-4  # the thinned hull lies within a grid cell of the true one
    lying = max(poses, key=lambda p: p.probability)
    assert abs(trimesh.transform_points(mesh.vertices, lying.transform)[:, 2].max() - 0.02) < 1e-3  # on its side
