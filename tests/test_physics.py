"""scene.physics: parts settled by pybullet lean, tilt and touch, never interpenetrate, rest on
something, and settle the same way for the same seed."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import trimesh
import yaml
from scipy.spatial import cKDTree

from synth.assets import load_mesh
from synth.config import load_config
from synth.errors import SynthError
from synth.scene import sample_scene

from .conftest import MESHES, small_config

PARTS = [
    {"family": "hex_bolt", "category": "bolt", "params": {"size": "M6", "length": {"uniform": [20, 50]}}},
    {"family": "washer", "category": "washer", "params": {"size": "M8"}},
    {"family": "hex_nut", "category": "nut", "params": {"size": "M8"}},
    {"mesh": str(MESHES / "l_bracket.stl"), "category": "bracket", "units": "mm"},
]


def physics_config(tmp_path, **physics):
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["parts"] = PARTS
    raw["scene"] = {"parts_per_image": 7, "region": [0.05, 0.04], "physics": {"enabled": True, "touching": 0.8, **physics}}
    path = tmp_path / "physics.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_config(path)


def placed(scene):
    """Each part's mesh in its pose (metres), and dense surface samples of it."""
    out = []
    for o in scene.objects:
        m = load_mesh(o.mesh_path, o.units).mesh.copy()
        m.apply_transform(o.pose)
        pts, _ = trimesh.sample.sample_surface(m, 8000, seed=1)
        hull_pts, _ = trimesh.sample.sample_surface(m.convex_hull, 2000, seed=1)
        out.append((m, np.vstack([m.convex_hull.vertices, hull_pts, pts])))
    return out


def depth_inside(hull: trimesh.Trimesh, pts: np.ndarray) -> np.ndarray:
    """How deep each point lies inside a convex hull (negative: outside), from its face planes.
    The simulation keeps hulls apart, and each part lies inside its hull, so hulls that do not
    overlap mean meshes that do not either."""
    n = hull.face_normals
    offset = np.einsum("fk,fk->f", n, hull.triangles[:, 0])
    return -np.max(pts @ n.T - offset, axis=1)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    cfg = physics_config(tmp_path_factory.mktemp("phys"))
    return cfg, [sample_scene(cfg, i) for i in range(3)]


def test_settled_parts_never_interpenetrate_and_rest_on_something(scenes):
    _, frames = scenes
    leaning = 0
    for scene in frames:
        parts = placed(scene)
        assert len(parts) == 7
        for k, (_, pts) in enumerate(parts):
            assert pts[:, 2].min() > -2e-4  # nothing sinks into the table
            gap = np.inf
            for j, (other, other_pts) in enumerate(parts):
                near = pts[np.all((pts >= other.bounds[0] - 1e-3) & (pts <= other.bounds[1] + 1e-3), axis=1)]
                if j == k or not len(near):
                    continue
                assert depth_inside(other.convex_hull, near).max() < 2e-4  # 0.2 mm of contact slack
                gap = min(gap, float(cKDTree(other_pts).query(near)[0].min()))
            if pts[:, 2].min() > 5e-4:  # off the table: it must touch another part (surfaces sampled every ~1 mm)
                assert gap < 1.5e-3
                leaning += 1
    assert leaning >= 2  # with touching 0.8, some parts lie on or lean against others


def test_settled_poses_are_not_only_stable_ones(scenes):
    """Some parts come to rest tilted: their up axis is neither along nor across the vertical as a
    bolt lying flat or standing would have it."""
    _, frames = scenes
    tilts = []
    for scene in frames:
        for o in scene.objects:
            if o.category == "bolt":
                tilts.append(np.degrees(np.arccos(abs(o.pose[2, 2]))))  # the bolt's axis (mesh z) against world z
    assert any(10 < t < 80 for t in tilts), tilts


def test_physics_is_deterministic(scenes):
    cfg, frames = scenes
    again = sample_scene(cfg, 1)
    assert all(np.array_equal(a.pose, b.pose) for a, b in zip(frames[1].objects, again.objects, strict=True))


def test_physics_in_the_bin_keeps_parts_inside_the_tote(tmp_path):
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["parts"] = PARTS[:3]
    raw["scene"] = {"parts_per_image": 10, "layout": "bin", "physics": {"enabled": True}}
    path = tmp_path / "bin.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = load_config(path)
    scene = sample_scene(cfg, 0)
    inner = np.asarray(cfg.scene.bin.inner) / 2
    for o in scene.objects:
        if o.category == "tote":
            continue
        m = load_mesh(o.mesh_path, o.units).mesh.copy()
        m.apply_transform(o.pose)
        assert (np.abs(m.vertices[:, :2]) <= inner + 1e-3).all() and m.vertices[:, 2].min() >= cfg.scene.bin.floor - 2e-4


def test_physics_without_pybullet_says_which_extra(tmp_path, monkeypatch):
    """Without the extra, generate stops before writing anything, with one line naming it."""
    from .conftest import run_cli

    physics_config(tmp_path)
    monkeypatch.setitem(sys.modules, "pybullet", None)
    res = run_cli("generate", tmp_path / "physics.yaml", "-o", tmp_path / "out")
    assert res.exit_code == 2 and "pip install 'synth[physics]'" in res.output and not (tmp_path / "out").exists()
    with pytest.raises(SynthError, match=r"synth\[physics\]"):
        sample_scene(load_config(tmp_path / "physics.yaml"), 0)
