"""Machine-vision light rigs: where their lights sit, and what they do to the image."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from synth.config import load_config
from synth.render import Renderer
from synth.scene import sample_scene

from .conftest import small_config


def rig_config(tmp_path, rig: dict):
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["lighting"] = {"key_lights": {"count": 0}, "rig": rig}
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_config(path)


def test_rig_light_positions(tmp_path):
    """Dark-field and bar rigs are lamps around the parts; ring, coaxial and dome rigs are broad
    sources: the frame's environment, a ring or coaxial one turned back along the optical axis."""
    for rig in ("ring", "coaxial", "dome", "dark_field", "bar"):
        cfg = rig_config(tmp_path, {"type": rig, "radius": 0.05, "lights": 8, "height": 0.01, "bars": 2})
        scene = sample_scene(cfg, 0)
        w2c = scene.camera.world_to_camera
        pos = np.array([lt.position for lt in scene.lights]).reshape(-1, 3)
        env = scene.environment
        if rig in ("ring", "coaxial", "dome"):
            assert scene.lights == [] and env.name.startswith(f"rig_{rig}")
            if rig == "dome":
                assert env.up is None
            else:  # the map's pole points from the parts back at the lens
                assert np.allclose(env.up, -w2c[2, :3]) and np.allclose(env.right, w2c[0, :3])
            continue
        assert np.isclose(sum(lt.intensity for lt in scene.lights), 30.0)
        focal = np.array([lt.focal_point for lt in scene.lights])
        if rig == "dark_field":  # low: grazing light
            assert np.allclose(pos[:, 2] - focal[:, 2], 0.01 * 0.8) and len(pos) == 8
        if rig == "bar":
            assert len(pos) == 8 and all(lt.shadow for lt in scene.lights)  # every lamp of a bar casts


def plate_profile(tmp_path, renderer, rig: str) -> np.ndarray:
    """Mean grey of a polished stainless plate seen straight down, in rings of 4 px around the
    image centre (where the optical axis meets it)."""
    import trimesh

    trimesh.creation.box((120, 120, 2)).export(tmp_path / "plate.stl")
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["parts"] = [{"mesh": str(tmp_path / "plate.stl"), "category": "plate", "units": "mm", "material": "stainless"}]
    raw["scene"] = {"parts_per_image": 1, "region": [0.001, 0.001], "support": {"material": "grey_mat"}}
    raw["camera"] = {"distance": 0.3, "elevation_deg": 90, "roll_deg": 0, "fov_deg": 40}
    raw["lighting"] = {"key_lights": {"count": 0}, "rig": {"type": rig, "radius": 0.06}}
    path = tmp_path / "plate.yaml"
    path.write_text(yaml.safe_dump(raw))
    frame = renderer.render(sample_scene(load_config(path), 0))
    return radial_profile(frame.rgb, frame.instance_ids > 0, 4, range(20))


def radial_profile(rgb: np.ndarray, where: np.ndarray, width: int, rings) -> np.ndarray:
    """Mean grey over `where` in annuli `width` px wide around the image centre, for each ring index."""
    grey = rgb.astype(float).mean(axis=2)
    h, w = grey.shape
    y, x = np.mgrid[:h, :w]
    ring = (np.hypot(x - (w - 1) / 2, y - (h - 1) / 2) // width).astype(int)
    return np.array([grey[(ring == k) & where].mean() for k in rings])


def test_broad_rigs_mirror_in_a_polished_plate_as_real_ones_do(tmp_path, renderer):
    """A coaxial light makes a flat facing the camera glow brightest on the axis; a ring light shows
    as a brighter ring around a darker middle; a dome shows its camera port, a dark middle."""
    coaxial, ring, dome = (plate_profile(tmp_path, renderer, r) for r in ("coaxial", "ring", "dome"))
    assert coaxial[0] >= coaxial.max() - 2 and coaxial[0] > 240, np.round(coaxial)
    assert ring.max() - ring[0] >= 10 and ring.argmax() >= 5, np.round(ring)
    assert dome.max() - dome[0] >= 30, np.round(dome)


@pytest.fixture(scope="module")
def renderer():
    r = Renderer(256, 192)
    yield r
    r.close()


def test_back_light_shows_silhouettes(tmp_path, renderer):
    """Under a back light parts are dark against the panel (mean below 30% of it), shiny ones too."""
    cfg = rig_config(tmp_path, {"type": "back"})
    for i in range(4):  # stainless, aluminium and brass parts among them
        frame = renderer.render(sample_scene(cfg, i))
        grey = frame.rgb.mean(axis=2)
        support, parts = grey[frame.instance_ids == 0], grey[frame.instance_ids > 0]
        assert support.mean() > 220 and parts.mean() < 0.3 * support.mean(), (i, parts.mean(), support.mean())


def test_every_rig_changes_the_image(tmp_path, renderer):
    base = renderer.render(sample_scene(rig_config(tmp_path, {"type": "ring", "intensity": 0.0}), 2))
    for rig in ("ring", "coaxial", "dome", "dark_field", "bar"):
        frame = renderer.render(sample_scene(rig_config(tmp_path, {"type": rig}), 2))
        assert (frame.instance_ids == base.instance_ids).all()  # lights never move labels
        assert np.abs(frame.rgb.astype(float) - base.rgb).mean() > 2, rig


def exposure_config(tmp_path, meter, support: str, bias=0.0):
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["lighting"] = {"key_lights": {"count": 0}, "auto_exposure": meter, "exposure_bias": bias}
    raw["scene"]["support"] = {"material": support}
    path = tmp_path / "exposure.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_config(path)


def part_grey(tmp_path, renderer, meter, support, bias=0.0):
    """Mean linear luminance of the parts, and the frame."""
    from synth.pipeline import render
    from synth.render.tone import DECODE

    cfg = exposure_config(tmp_path, meter, support, bias)
    frame = render(cfg, sample_scene(cfg, 2), renderer)
    lum = DECODE[True][frame.rgb] @ [0.2126, 0.7152, 0.0722]
    return float(lum[frame.instance_ids > 0].mean()), frame


def test_a_dark_background_gives_brighter_parts_when_the_camera_meters_the_frame(tmp_path, renderer):
    """A camera metering the whole frame opens up over a black belt: the same parts come out
    brighter than over a pale plate. Metering a white card, they look the same on both."""
    for meter in ("average", "center_weighted"):
        dark, _ = part_grey(tmp_path, renderer, meter, "conveyor_belt")
        pale, _ = part_grey(tmp_path, renderer, meter, "fixture_plate")
        assert dark > 1.8 * pale, meter
    dark, _ = part_grey(tmp_path, renderer, "white_card", "conveyor_belt")
    pale, _ = part_grey(tmp_path, renderer, "white_card", "fixture_plate")
    assert 0.6 < dark / pale < 1.4


def test_spot_meter_brings_the_parts_to_the_target_and_bias_counts_in_stops(tmp_path, renderer):
    from synth.render.tone import DECODE

    target = float(np.interp(0.46 * 255, np.arange(256), DECODE[True]))
    grey, _ = part_grey(tmp_path, renderer, "spot", "wood")
    assert abs(grey / target - 1) < 0.08
    brighter, _ = part_grey(tmp_path, renderer, "spot", "wood", bias=1.0)
    assert 1.6 < brighter / grey < 2.05  # twice the light, less what clips at white


def test_metering_lets_highlights_clip(tmp_path, renderer):
    """Four stops over the meter: the brightest parts saturate at white (never wrap), and the
    scaling keeps the order of every pixel's brightness."""
    _, base = part_grey(tmp_path, renderer, "average", "conveyor_belt")
    _, over = part_grey(tmp_path, renderer, "average", "conveyor_belt", bias=4.0)
    assert (over.rgb[over.instance_ids > 0].min(axis=1) == 255).sum() > 100
    a, b = base.rgb.ravel().astype(int), over.rgb.ravel().astype(int)
    order = np.lexsort((b, a))  # by base value, ties by the new one
    assert (np.diff(b[order]) >= 0).all() and (b >= a).all()


def test_a_spot_fades_out_instead_of_drawing_a_circle(tmp_path, renderer):
    """A spot straight above a plain table: brightness falls off smoothly from the centre (no ring
    where one annulus is much darker than the next), half or more of the rise gone by the edge."""
    raw = yaml.safe_load(small_config(tmp_path).read_text())
    raw["parts"] = raw["parts"][:1]
    raw["scene"] = {"parts_per_image": 1, "region": [0.001, 0.001], "support": {"material": "paper"}}
    raw["camera"] = {"distance": 0.6, "elevation_deg": 90, "roll_deg": 0, "fov_deg": 70}
    raw["lighting"] = {
        "environment": "studio_soft",
        "shadows": False,
        "key_lights": {"count": 1, "type": "spot", "intensity": 4, "elevation_deg": 90, "distance": 0.3},
    }
    path = tmp_path / "spot.yaml"
    path.write_text(yaml.safe_dump(raw))
    frame = renderer.render(sample_scene(load_config(path), 0))
    profile = radial_profile(frame.rgb, frame.instance_ids == 0, 3, range(2, frame.rgb.shape[0] // 6))  # the table
    rise = profile.max() - profile.min()
    assert rise > 20 and profile[-1] < profile.max() - 0.5 * rise, np.round(profile)  # the spot lights the middle
    assert np.max(-np.diff(profile)) < 0.12 * rise, np.round(profile)  # no hard edge anywhere
