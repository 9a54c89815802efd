"""Scene sampling: parts rest on the support without overlapping; intrinsics and environments."""

from __future__ import annotations

import json

import numpy as np
import trimesh
import yaml
from PIL import Image

from synth.annotate import decode
from synth.assets import load_mesh
from synth.config import load_config
from synth.scene import sample_scene

from .conftest import run_cli, small_config
from .raycast import raycast_instances


def test_parts_rest_on_the_support_and_do_not_overlap(tmp_path):
    cfg = load_config(small_config(tmp_path, scene={"parts_per_image": 8, "region": [0.2, 0.15]}))
    for i in range(4):
        scene = sample_scene(cfg, i)
        hulls = []
        for o in scene.objects:
            m = load_mesh(o.mesh_path, o.units).mesh
            v = trimesh.transform_points(m.vertices, o.pose)
            assert abs(v[:, 2].min()) < 1e-6  # touching the plane z = 0, not floating or sunk
            hulls.append(trimesh.convex.convex_hull(v))
        for a in range(len(hulls)):
            for b in range(a + 1, len(hulls)):
                # separated footprints: the XY projections of the hulls are disjoint
                pa = trimesh.path.polygons.projected(hulls[a], normal=[0, 0, 1])
                pb = trimesh.path.polygons.projected(hulls[b], normal=[0, 0, 1])
                assert pa.distance(pb) >= 0.0019, (i, a, b)


def test_same_frame_same_scene_other_frame_other_scene(tmp_path):
    cfg = load_config(small_config(tmp_path))
    a, b, c = sample_scene(cfg, 5), sample_scene(cfg, 5), sample_scene(cfg, 6)
    assert np.array_equal(a.camera.world_to_camera, b.camera.world_to_camera)
    assert [o.pose.tolist() for o in a.objects] == [o.pose.tolist() for o in b.objects]
    assert not np.array_equal(a.camera.world_to_camera, c.camera.world_to_camera)


def test_explicit_intrinsics_with_offset_principal_point_stay_exact(tmp_path):
    """fx != fy and an off-centre principal point: masks still match the ray-cast meshes."""
    intr = {"fx": 330.0, "fy": 300.0, "cx": 140.25, "cy": 90.75}
    cfg = small_config(tmp_path, num_images=2, camera={"intrinsics": intr, "distance": {"uniform": [0.22, 0.26]}})
    out = tmp_path / "k"
    assert run_cli("generate", cfg, "-o", out, "-q").exit_code == 0
    units = {p["mesh"]: p["units"] for p in yaml.safe_load((out / "config.yaml").read_text())["parts"]}
    ious = []
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for im in doc["images"]:
            assert im["synth_camera"]["K"] == [[330.0, 0, 140.25], [0, 300.0, 90.75], [0, 0, 1]]
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            ref = raycast_instances(im, anns, units, lambda p: p)
            for a in anns:
                if a["area"] >= 500:
                    m, r = decode(a, im["height"], im["width"]), ref == a["synth_instance_id"]
                    ious.append((m & r).sum() / (m | r).sum())
    assert ious and min(ious) > 0.98, ious


def test_user_environment_image(tmp_path):
    """An equirectangular PNG of the user's lights the scene: a bright map gives a brighter
    image than a dark one (auto exposure off)."""
    means = []
    for level in (40, 220):
        env = tmp_path / f"env{level}.png"
        Image.fromarray(np.full((64, 128, 3), level, np.uint8)).save(env)
        cfg = small_config(
            tmp_path,
            num_images=1,
            lighting={"environment": str(env), "key_lights": {"count": 0}, "auto_exposure": False},
        )
        out = tmp_path / f"out{level}"
        res = run_cli("generate", cfg, "-o", out, "-q")
        assert res.exit_code == 0, res.output
        img = next((out / "images").rglob("*.png"))
        means.append(np.asarray(Image.open(img)).mean())
    assert means[1] > means[0] + 30, means


def test_missing_environment_file_is_a_clear_error(tmp_path):
    cfg = small_config(tmp_path, lighting={"environment": str(tmp_path / "nope.hdr")})
    res = run_cli("generate", cfg, "-o", tmp_path / "out")
    assert res.exit_code == 2 and "lighting.environment" in res.output and "nope.hdr" in res.output
    assert not (tmp_path / "out").exists()


def test_bin_piles_parts_without_interpenetration(tmp_path):
    """scene.layout: bin: parts fall inside the tote's walls, some rest on others, and no part
    reaches more than half a millimetre into another (points 0.5 mm under each part's surface
    are never inside another part)."""
    import trimesh
    import yaml

    from synth.assets import load_mesh
    from synth.config import load_config
    from synth.scene import sample_scene

    from .conftest import small_config

    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["scene"] = {"layout": "bin", "parts_per_image": 14, "bin": {"inner": [0.12, 0.09]}}
    path = tmp_path / "bin.yaml"
    path.write_text(yaml.safe_dump(raw))
    scene = sample_scene(load_config(path), 0)
    parts = [o for o in scene.objects if not o.distractor]
    assert len(parts) >= 10 and [o.category for o in scene.objects if o.distractor] == ["tote"]
    meshes = []
    for o in parts:
        m = load_mesh(o.mesh_path, o.units).mesh.copy()
        m.apply_transform(o.pose)
        lo, hi = m.bounds
        assert (np.abs(lo[:2]) <= [0.06 + 1e-6, 0.045 + 1e-6]).all() and (np.abs(hi[:2]) <= [0.06 + 1e-6, 0.045 + 1e-6]).all()
        assert lo[2] >= 0.004 - 1e-6  # on the floor or above
        meshes.append(m)
    assert max(m.bounds[0][2] for m in meshes) > 0.008  # a pile: something rests on something
    tilts = []  # each part's tilt away from the nearest of its flat-ground rest poses: settling leans some
    for o in parts:
        rest = load_mesh(o.mesh_path, o.units).rest_poses
        up = [np.linalg.inv(r.transform[:3, :3])[:, 2] for r in rest]  # mesh axis that points up at rest
        world_up = [o.pose[:3, :3] @ (u / np.linalg.norm(u)) for u in up]
        tilts.append(min(np.degrees(np.arccos(np.clip(w[2], -1, 1))) for w in world_up))
    assert max(tilts) > 10 and min(tilts) < 1, tilts
    for a, ma in enumerate(meshes):
        pts, faces = trimesh.sample.sample_surface(ma, 1500, seed=1)
        inside = pts - ma.face_normals[faces] * 0.0005
        for b, mb in enumerate(meshes):
            if a != b and (ma.bounds[0] <= mb.bounds[1]).all() and (mb.bounds[0] <= ma.bounds[1]).all():
                assert not mb.contains(inside).any(), (parts[a].category, parts[b].category)


def test_clutter_lies_in_its_own_region_around_the_parts(tmp_path):
    """scene.distractors.region: the bench clutter spreads over a wider area than the parts, so it
    shows at the image border; every clutter mesh lies within that wider region, parts within theirs."""
    clutter = [f"synth:meshes/clutter_{k}.stl" for k in ("pen", "cable", "mug", "tape", "battery")]
    scene = {
        "parts_per_image": 2,
        "region": [0.04, 0.04],
        "distractors": {"count": 4, "meshes": clutter, "region": [0.6, 0.5]},
    }
    cfg = load_config(small_config(tmp_path, scene=scene))
    outside = 0
    for i in range(4):
        for o in sample_scene(cfg, i).objects:
            m = load_mesh(o.mesh_path, o.units).mesh
            v = trimesh.transform_points(m.vertices, o.pose)
            assert abs(v[:, 2].min()) < 1e-6
            half = np.array([0.3, 0.25]) if o.distractor else np.array([0.02, 0.02])
            assert np.all(np.abs(v[:, :2].mean(axis=0)) <= half + m.extents.max()), (i, o.mesh)
            if o.distractor:
                outside += int(np.abs(o.pose[:2, 3]).max() > 0.06)
    assert outside >= 4  # most of 16 clutter objects lie beyond the parts' 4 cm square
