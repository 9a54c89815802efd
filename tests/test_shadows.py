"""Cast shadows in the PBR pass: a pixel is darker where ray casting says a part blocks the
light, on the support, on other parts and inside a tote, and unchanged where nothing does."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from synth.assets import load_mesh
from synth.config import load_config
from synth.render import Renderer, shadowmap
from synth.scene import sample_scene
from synth.scene.model import Light

from .conftest import small_config


def _points(scene, depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """World coordinates of the pixels in `mask` from the camera depth."""
    K, w2c = scene.camera.K, scene.camera.world_to_camera
    v, u = np.nonzero(mask)
    z = depth[v, u].astype(float)
    cam = np.stack([(u - K[0, 2]) / K[0, 0] * z, (v - K[1, 2]) / K[1, 1] * z, z], axis=1)
    return (cam - w2c[:3, 3]) @ w2c[:3, :3]


def _posed(objects) -> trimesh.Trimesh:
    meshes = []
    for o in objects:
        m = load_mesh(o.mesh_path, o.units).mesh.copy()
        m.apply_transform(o.pose)
        meshes.append(m)
    return trimesh.util.concatenate(meshes)


def _blocked(points: np.ndarray, light: np.ndarray, casters: trimesh.Trimesh) -> np.ndarray:
    """True where the segment from the point to the (point) light crosses a caster."""
    d = light - points
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return casters.ray.intersects_any(points + d * 3e-4, d)


def _inner(mask: np.ndarray, px: int = 2) -> np.ndarray:
    """The mask less `px` pixels at its border (anti-aliasing and the depth edge)."""
    out = mask.copy()
    for axis in (0, 1):
        for s in range(1, px + 1):
            out &= np.roll(mask, s, axis) & np.roll(mask, -s, axis)
    return out


def _lum(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(float).mean(axis=2)


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    """No ambient occlusion, so that only the key light's shadow tells a frame with the occluder
    from one without it."""
    cfg = load_config(small_config(tmp_path_factory.mktemp("s")))
    r = Renderer(cfg.image.width, cfg.image.height, "none", True, False)
    yield cfg, r
    r.close()


def test_a_part_shadows_another_part_where_ray_casting_says_so(renderer):
    cfg, r = renderer
    scene = next(s for s in (sample_scene(cfg, i) for i in range(20)) if {"flange", "gear"} <= {o.category for o in s.objects})
    receiver = next(o for o in scene.objects if o.category == "flange")  # a broad face up
    lo, hi = (receiver.pose[:3, :3] @ load_mesh(receiver.mesh_path, receiver.units).mesh.bounds.T).T + receiver.pose[:3, 3]
    top = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, max(lo[2], hi[2])])
    cam = -scene.camera.world_to_camera[:3, :3].T @ scene.camera.world_to_camera[:3, 3]
    away = top[:2] - cam[:2]
    away /= np.linalg.norm(away)
    light = top + np.r_[away * 0.25, 0.4]  # beyond the receiver, seen from the camera: its shadow falls towards us
    scene.lights = [Light("spot", tuple(light), tuple(top), 6.0, (1.0, 1.0, 1.0), 30.0, size=0.0)]
    occluder = next(o for o in scene.objects if o.category == "gear")
    occluder.pose = occluder.pose.copy()
    centre = load_mesh(occluder.mesh_path, occluder.units).mesh.bounds.mean(axis=0)
    occluder.pose[:3, 3] = top + 0.15 * (light - top) - occluder.pose[:3, :3] @ centre  # between the light and the receiver
    scene.objects = [receiver, occluder]
    with_it = r.render(scene, depth=True, normals=True)
    scene.objects = [receiver]
    without = r.render(scene, depth=True)

    seen = _inner((with_it.instance_ids == receiver.instance_id) & (without.instance_ids == receiver.instance_id))
    pts = _points(scene, with_it.depth, seen)
    normal = with_it.normals[seen] @ scene.camera.world_to_camera[:3, :3]  # camera -> world
    to_light = (light - pts) / np.linalg.norm(light - pts, axis=1, keepdims=True)
    facing = (normal * to_light).sum(axis=1) > 0.3  # where the light would shine
    pts, seen[seen] = pts[facing], facing
    blocked = _blocked(pts, light, _posed([occluder]))
    assert blocked.sum() > 100 and (~blocked).sum() > 100, (blocked.sum(), (~blocked).sum())
    diff = (_lum(with_it.rgb) - _lum(without.rgb))[seen]
    assert np.median(diff[blocked]) < -15, np.median(diff[blocked])  # the shadow is there
    assert (diff[blocked] < -5).mean() > 0.9  # and covers what ray casting says is in shadow
    assert (np.abs(diff[~blocked]) <= 3).mean() > 0.95  # nothing else on the receiver changed


def test_the_tote_receives_the_pile_s_shadows(tmp_path):
    cfg = load_config(
        small_config(
            tmp_path,
            scene={"layout": "bin", "parts_per_image": 12, "bin": {"inner": [0.16, 0.12], "floor": 0.004}},
            camera={"distance": 0.4, "elevation_deg": 70},
            lighting={"key_lights": {"count": 1, "type": "spot", "intensity": 5, "elevation_deg": 45, "size": 0.0}},
        )
    )
    scene = sample_scene(cfg, 0)
    r = Renderer(cfg.image.width, cfg.image.height, "none", True, False)
    try:
        lit = r.render(scene, depth=True)
        scene.shadows = False
        flat = r.render(scene)
    finally:
        r.close()
    tote = next(o for o in scene.objects if o.distractor)
    seen = _inner(lit.instance_ids == tote.instance_id)
    grid = np.zeros_like(seen)
    grid[::4, ::4] = True  # every fourth pixel each way is enough, and ray casting a pile is slow
    seen &= grid
    pts = _points(scene, lit.depth, seen)
    blocked = _blocked(pts, np.asarray(scene.lights[0].position), _posed(o for o in scene.objects if o is not tote))
    assert blocked.sum() > 50, blocked.sum()
    diff = (_lum(lit.rgb) - _lum(flat.rgb))[seen]
    assert np.median(diff[blocked]) < -10, np.median(diff[blocked])
    assert (diff[blocked] < -3).mean() > 0.85


def test_every_lamp_of_a_bar_rig_casts(tmp_path):
    """Under two bars of six lamps, table pixels that ray casting says half or more of the lamps
    cannot see lose at least a third of their light (if only each bar's centre lamp cast, at
    most a sixth could go)."""
    cfg = load_config(
        small_config(
            tmp_path,
            camera={"distance": 0.35, "elevation_deg": 85},
            lighting={
                "key_lights": {"count": 0},
                "rig": {
                    "type": "bar",
                    "bars": 2,
                    "lights": 12,
                    "radius": 0.2,
                    "length": 0.2,
                    "elevation_deg": 40,
                    "intensity": 30,
                },
            },
        )
    )
    scene = sample_scene(cfg, 0)
    scene.environment.sky = scene.environment.floor = 0.0  # the lamps' light alone
    scene.optics = scene.sensor = None
    r = Renderer(cfg.image.width, cfg.image.height, "none", tone_mapping=False, ambient_occlusion=False)
    try:
        lit = r.render(scene, depth=True)
        scene.shadows = False
        flat = r.render(scene)
    finally:
        r.close()
    assert sum(lt.shadow for lt in scene.lights) == 12
    seen = _inner(lit.instance_ids == 0)
    grid = np.zeros_like(seen)
    grid[::3, ::3] = True
    seen &= grid
    pts = _points(scene, lit.depth, seen)
    casters = _posed(scene.objects)
    hidden = np.mean([_blocked(pts, np.asarray(lt.position), casters) for lt in scene.lights], axis=0)
    lin = lambda rgb: (rgb.astype(float).mean(axis=2)[seen] / 255.0) ** 2.2  # noqa: E731
    kept = lin(lit.rgb) / np.maximum(lin(flat.rgb), 1e-4)
    assert (hidden >= 0.5).sum() > 30, (hidden >= 0.5).sum()
    assert np.median(kept[hidden >= 0.5]) < 2 / 3, np.median(kept[hidden >= 0.5])
    assert np.median(kept[hidden == 0]) > 0.95  # and where every lamp sees the table, nothing changes


def test_a_point_light_among_the_parts_uses_a_cube_map():
    """A light inside the casters' sphere sees them through six faces; one outside, through one."""
    centre = np.zeros(3)
    inside = Light("point", (0.0, 0.0, 0.02), (0.0, 0.0, 0.0), 1.0, (1.0, 1.0, 1.0))
    outside = Light("spot", (0.5, 0.0, 0.5), (0.0, 0.0, 0.0), 1.0, (1.0, 1.0, 1.0))
    views = shadowmap.light_views([inside, outside], centre, 0.1)
    assert [v.light for v in views] == [0] * 6 + [1]
    # every direction from the inside light lands in exactly one face's frustum
    dirs = np.random.default_rng(0).normal(size=(500, 3))
    counts = np.zeros(len(dirs), int)
    for v in views[:6]:
        p = (np.c_[dirs * 0.05 + inside.position, np.ones(len(dirs))] @ v.view.T) @ v.proj.T
        ndc = p[:, :2] / p[:, 3:]
        counts += (p[:, 3] > 0) & (np.abs(ndc) <= 1.0).all(axis=1)
    assert (counts >= 1).all()


def test_depth_codes_round_trip_and_compare_as_depths():
    z = np.array([[0.0, 0.25], [0.999999, 1.0]], np.float32)
    code = shadowmap.encode_depth(z).astype(np.int64)
    assert (code[..., 0] == 0).all()  # the first byte is spare: the shader reads the other three
    q = (code[..., 1] << 16) | (code[..., 2] << 8) | code[..., 3]
    assert np.allclose(q / (2**24 - 1), z, atol=1e-7)
    assert q[1, 1] == 2**24 - 1  # nothing drawn
    atlas = shadowmap.pack([shadowmap.encode_depth(np.full((4, 4), 0.5, np.float32))] * 3, 4)
    assert atlas.shape == (4 * 2, 4 * 2, 4)
    assert (atlas[4:, 4:] == 255).all() and (atlas[:4, :4] == atlas[4:, :4]).all()  # the spare tile holds no caster
