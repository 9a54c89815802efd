"""The renderer: label maps line up with the camera model, and the image looks lit."""

from __future__ import annotations

import numpy as np
import pytest

from synth.config import load_config
from synth.render import Renderer
from synth.scene import sample_scene
from synth.scene.model import Light

from .conftest import MESHES, small_config


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    cfg = load_config(small_config(tmp_path_factory.mktemp("r")))
    r = Renderer.for_config(cfg)
    yield cfg, r
    r.close()


def test_depth_of_the_support_plane_matches_the_camera_model(setup):
    """Where the support is seen, depth equals the analytic ray/plane distance (camera z)."""
    cfg, r = setup
    scene = sample_scene(cfg, 0)
    frame = r.render(scene, depth=True)
    K, w2c = scene.camera.K, scene.camera.world_to_camera
    h, w = frame.depth.shape
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    rays_cam = np.stack([u, v, np.ones_like(u)], -1) @ np.linalg.inv(K).T  # z = 1
    R, t = w2c[:3, :3], w2c[:3, 3]
    origin = -R.T @ t
    rays_world = rays_cam @ R  # R.T @ ray for each pixel
    z_expected = -origin[2] / rays_world[..., 2]  # camera z where the ray meets the plane z = 0
    support = frame.instance_ids == 0
    assert support.mean() > 0.3
    rel = np.abs(frame.depth[support] - z_expected[support]) / z_expected[support]
    assert np.median(rel) < 1e-3 and np.percentile(rel, 99) < 5e-3
    parts = frame.instance_ids > 0
    assert (frame.depth[parts] < z_expected[parts]).all()  # parts lie in front of the plane


def test_every_labeled_instance_is_in_the_scene(setup):
    cfg, r = setup
    for i in range(2):
        scene = sample_scene(cfg, i)
        ids = set(np.unique(r.render(scene).instance_ids).tolist())
        assert ids <= {0} | {o.instance_id for o in scene.objects}
        assert len(ids) > 1


def _one_light(scene, intensity=6.0):
    scene.lights = [Light("spot", (0.25, 0.15, 0.5), (0.0, 0.0, 0.0), intensity, (1.0, 1.0, 1.0), 35.0)]
    return scene


def test_metal_is_lit_not_black(setup):
    cfg, r = setup
    scene = sample_scene(cfg, 1)
    frame = r.render(scene)
    lum = frame.rgb.astype(float).mean(axis=2)
    for o in scene.objects:
        m = frame.instance_ids == o.instance_id
        if m.sum() > 200 and o.material.metallic > 0.5:
            assert lum[m].mean() > 40, (o.category, lum[m].mean())
            assert np.percentile(lum[m], 95) > 90  # highlights from the environment and lights


def test_shadows_darken_the_support(setup):
    cfg, r = setup
    scene = _one_light(sample_scene(cfg, 2))
    scene.shadows = True
    lit = r.render(scene)
    scene.shadows = False
    flat = r.render(scene)
    support = (lit.instance_ids == 0) & (flat.instance_ids == 0)
    diff = lit.rgb.astype(float).mean(axis=2)[support] - flat.rgb.astype(float).mean(axis=2)[support]
    assert (diff < -25).sum() > 100  # a visible cast shadow somewhere on the table


def test_anti_aliasing_softens_silhouettes(tmp_path):
    cfg = load_config(small_config(tmp_path))
    scene = sample_scene(cfg, 0)
    steps = {}
    for aa in ("none", "fxaa"):
        r = Renderer(cfg.image.width, cfg.image.height, aa)
        f = r.render(scene)
        r.close()
        lum = f.rgb.astype(float).mean(axis=2)
        edge = f.instance_ids[:, 1:] != f.instance_ids[:, :-1]
        steps[aa] = np.abs(lum[:, 1:] - lum[:, :-1])[edge].mean()
    assert steps["fxaa"] < 0.9 * steps["none"], steps


def test_box_uv_follows_the_dominant_normal_axis():
    from synth.textures import FINISH_TILE_M, box_uv

    pts = np.array([[0.03, 0.06, 0.09], [0.03, 0.06, 0.09], [0.03, 0.06, 0.09]])
    normals = np.array([[0.1, 0.2, 0.97], [0.9, 0.1, 0.1], [0.0, -1.0, 0.0]])
    uv = box_uv(pts, normals) * FINISH_TILE_M
    assert np.allclose(uv, [[0.03, 0.06], [0.06, 0.09], [0.03, 0.09]])


def red_and_blue(folder, blue_suffix: str = "png"):
    """A folder with a red PNG and a blue image (PNG or JPEG)."""
    from PIL import Image

    folder.mkdir()
    Image.new("RGB", (64, 64), (210, 35, 25)).save(folder / "red.png")
    Image.new("RGB", (64, 64), (25, 50, 210)).save(folder / f"blue.{blue_suffix}")
    return folder


def test_surface_finishes_change_the_shading_not_the_labels(setup):
    """A brushed finish (roughness streaks, anisotropy) changes how the parts are shaded, the same
    way every time, and leaves the labels alone."""
    from synth.scene.model import Material

    cfg, renderer = setup
    scene = sample_scene(cfg, 0)
    for o in scene.objects:
        o.material = Material(o.material.name, (0.88, 0.89, 0.9), 1.0, 0.4, None, 0.0)
    plain = renderer.render(scene)
    for o in scene.objects:
        o.material = Material(o.material.name, (0.88, 0.89, 0.9), 1.0, 0.4, "brushed", 0.6)
    brushed = renderer.render(scene)
    assert (plain.instance_ids == brushed.instance_ids).all()
    parts = plain.instance_ids > 0
    assert np.abs(brushed.rgb.astype(float) - plain.rgb)[parts].mean() > 2
    assert (renderer.render(scene).rgb == brushed.rgb).all()


def test_background_photos_from_a_folder(tmp_path):
    """scene.support.images: every frame lays one of the folder's photos on the support; a
    missing folder is a one-line error naming the key."""
    import yaml

    from .conftest import run_cli

    folder = red_and_blue(tmp_path / "photos", "jpg")
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["scene"]["support"] = {"images": str(folder)}
    path = tmp_path / "bg.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = load_config(path)
    r = Renderer.for_config(cfg)
    try:
        colours = set()
        for i in range(8):
            f = r.render(sample_scene(cfg, i))
            support = f.rgb[f.instance_ids == 0].astype(float).mean(axis=0)
            colours.add("red" if support[0] > support[2] + 20 else "blue" if support[2] > support[0] + 20 else "grey")
        assert colours == {"red", "blue"}
    finally:
        r.close()
    raw["scene"]["support"] = {"images": str(tmp_path / "nope")}
    path.write_text(yaml.safe_dump(raw))
    res = run_cli("generate", path, "-o", tmp_path / "out")
    assert res.exit_code == 2 and "scene.support.images" in res.output and "not found" in res.output
    assert not (tmp_path / "out").exists()


def test_surface_normals_in_the_camera_frame(setup):
    """The normals pass: the table's normal is world +Z seen from the camera, and the parts'
    visible surfaces face the camera (negative z in the OpenCV camera frame)."""
    cfg, renderer = setup
    scene = sample_scene(cfg, 1)
    f = renderer.render(scene, normals=True)
    n = f.normals
    table = (f.instance_ids == 0) & np.isfinite(n[..., 0])
    expected = scene.camera.world_to_camera[:3, :3] @ np.array([0.0, 0.0, 1.0])
    assert table.sum() > 1000 and np.abs(n[table] - expected).max() < 0.03
    parts = f.instance_ids > 0
    assert np.isfinite(n[parts]).all() and (n[parts][:, 2] < 0.05).mean() > 0.97
    assert np.allclose(np.linalg.norm(n[parts], axis=1), 1.0, atol=1e-3)


def test_part_textures_colour_the_parts_not_the_labels(tmp_path):
    """parts[].texture: an image (one per instance from a folder) or a built-in texture is the
    base colour on box-projected coordinates; labels stay as without it; a missing one is a
    one-line error naming the key."""
    import copy
    from dataclasses import replace

    import yaml

    from .conftest import run_cli

    folder = red_and_blue(tmp_path / "paint")
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    for p in raw["parts"]:
        p["texture"], p["material"] = str(folder), "grey_plastic"
    path = tmp_path / "tex.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = load_config(path)
    r = Renderer.for_config(cfg)
    try:
        colours = set()
        for i in range(3):
            scene = sample_scene(cfg, i)
            f = r.render(scene)
            plain = copy.deepcopy(scene)
            for o in plain.objects:
                o.material = replace(o.material, texture=None)
            assert (f.instance_ids == r.render(plain).instance_ids).all()
            for o in scene.objects:
                px = f.rgb[f.instance_ids == o.instance_id].astype(float)
                if len(px) > 100:
                    red = "red" in o.material.texture
                    colours.add(o.material.texture)
                    assert (px[:, 0].mean() > px[:, 2].mean() + 20) if red else (px[:, 2].mean() > px[:, 0].mean() + 20)
        assert len(colours) == 2
        raw["parts"][0]["texture"] = "painted_chipped"
        path.write_text(yaml.safe_dump(raw))
        scene = sample_scene(load_config(path), 0)
        assert {o.material.texture for o in scene.objects if o.category == "nut"} <= {"builtin:painted_chipped"}
        r.render(scene)
    finally:
        r.close()
    raw["parts"][0]["texture"] = str(tmp_path / "nope.png")
    path.write_text(yaml.safe_dump(raw))
    res = run_cli("generate", path, "-o", tmp_path / "out")
    assert res.exit_code == 2 and "parts[0].texture" in res.output and "not found" in res.output
    assert not (tmp_path / "out").exists()


def test_environment_azimuth_runs_counter_clockwise_from_x(tmp_path):
    """A mirror sphere seen from straight above shows an environment map's marker at azimuth 0
    towards world +X and one at azimuth 90 towards +Y (as environments.py documents, and as
    Cycles maps the same file in docs/reference); rotation_deg turns the map counter-clockwise."""
    from PIL import Image

    from synth.scene.model import Material

    h, w = 64, 128
    el = np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi
    az = (np.arange(w) + 0.5) / w * 2 * np.pi
    el, az = np.meshgrid(el, az, indexing="ij")
    img = np.full((h, w, 3), 40, np.uint8)
    for centre, colour in ((0.0, (255, 0, 0)), (np.pi / 2, (0, 255, 0))):
        near = (np.abs(np.angle(np.exp(1j * (az - centre)))) < 0.3) & (np.abs(el - 0.5) < 0.3)
        img[near] = colour
    Image.fromarray(img).save(tmp_path / "markers.png")
    cfg = load_config(
        small_config(
            tmp_path,
            parts=[{"mesh": str(MESHES / "distractor_sphere.stl"), "category": "ball", "units": "mm"}],
            scene={"parts_per_image": 1, "region": [0.001, 0.001]},
            camera={"distance": 0.08, "elevation_deg": 90, "azimuth_deg": 0, "roll_deg": 0},
            lighting={"environment": str(tmp_path / "markers.png"), "environment_rotation_deg": 0, "key_lights": {"count": 0}},
        )
    )
    r = Renderer.for_config(cfg)
    try:
        for rotation, (want_red, want_green) in ((0.0, ((1, 0), (0, 1))), (90.0, ((0, 1), (-1, 0)))):
            scene = sample_scene(cfg, 0)
            scene.environment.rotation_deg = rotation
            ball = scene.objects[0]
            ball.material = Material("mirror", (0.95, 0.95, 0.95), 1.0, 0.05)
            f = r.render(scene)
            centre = np.array(np.nonzero(f.instance_ids == ball.instance_id)).mean(axis=1)
            rgb = f.rgb.astype(int)
            for channel, want in ((0, want_red), (1, want_green)):
                others = [c for c in range(3) if c != channel]
                marker = (rgb[..., channel] > rgb[..., others].max(axis=-1) + 25) & (f.instance_ids == ball.instance_id)
                assert marker.sum() > 5, (rotation, channel)
                v, u = np.array(np.nonzero(marker)).mean(axis=1) - centre
                # the image direction of world (x, y): camera looks down -Z; project with the camera
                R = scene.camera.world_to_camera[:3, :3]
                d = R @ np.array([*want, 0.0])
                assert np.dot([u, v], d[:2]) / (np.hypot(u, v) * np.hypot(*d[:2])) > 0.8, (rotation, channel, u, v, d)
    finally:
        r.close()


def test_a_worker_keeps_only_recent_meshes_and_redraws_dropped_ones_the_same(tmp_path, monkeypatch):
    """Part families make a new mesh every few frames: the renderer keeps the last MAX_MESHES
    (path, units) with their mappers and drops older ones, and a dropped mesh drawn again gives
    the same pixels and labels as the first time."""
    import yaml

    import synth.render.renderer as rr

    monkeypatch.setattr(rr, "MAX_MESHES", 2)
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["parts"] = [{"family": "hex_nut", "category": "nut", "params": {"size": {"choice": ["M6", "M8", "M10", "M12"]}}}]
    raw["scene"]["parts_per_image"] = 1
    path = tmp_path / "nuts.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = load_config(path)
    r = Renderer.for_config(cfg)
    try:
        scenes = [sample_scene(cfg, i) for i in range(8)]
        assert len({o.mesh_path for s in scenes for o in s.objects}) > 2
        first = r.render(scenes[0])
        for s in scenes[1:]:
            r.render(s)
            kept = {k[:2] for k in r._meshes} | {k[1:3] for k in r._mappers if k[1] != "support"}
            assert len(kept) <= 2
        again = r.render(scenes[0])
        assert np.array_equal(first.rgb, again.rgb) and np.array_equal(first.instance_ids, again.instance_ids)
    finally:
        r.close()
