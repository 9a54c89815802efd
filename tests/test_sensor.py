"""Camera and sensor models: noise, monochrome, white balance, vignetting, depth output."""

from __future__ import annotations

import json

import numpy as np
import yaml
from PIL import Image

from synth.annotate import decode
from synth.config import SensorCfg
from synth.scene.optics import sample_sensor
from synth.sensor import apply_sensor
from synth.tools.validate import validate_dataset

from .conftest import run_cli, small_config


def sensed(rgb: np.ndarray, raw: dict, seed: int) -> np.ndarray:
    """`rgb` through the sensor a config section draws for a frame (its draws seeded with `seed`)."""
    draw = sample_sensor(SensorCfg.model_validate(raw), np.random.default_rng(seed))
    assert draw is not None
    return apply_sensor(rgb, draw)


def test_shot_noise_grows_with_signal_and_keeps_the_mean():
    flat = np.concatenate([np.full((200, 200, 3), 60, np.uint8), np.full((200, 200, 3), 200, np.uint8)], axis=1)
    cfg = {"noise": {"enabled": True, "full_well_e": 2000, "read_noise_e": 2, "bit_depth": 12}}
    out = sensed(flat, cfg, 1).astype(float)
    dark, bright = out[:, :200, 1], out[:, 200:, 1]
    assert abs(dark.mean() - 60) < 1.0 and abs(bright.mean() - 200) < 1.0
    # in linear light the variance is the photon count: brighter pixels are noisier, in electrons
    assert 1.0 < dark.std() and 1.0 < bright.std()
    assert (sensed(flat, cfg, 1) == out).all()
    assert (sensed(flat, cfg, 2) != out).any()  # another frame, other noise
    higher_gain = {"noise": {"enabled": True, "full_well_e": 2000, "gain": 8, "bit_depth": 12}}
    assert sensed(flat, higher_gain, 1)[:, 200:, 1].std() > 1.5 * bright.std()


def test_vignetting_white_balance_and_monochrome():
    grey = np.full((60, 80, 3), 180, np.uint8)
    vig = sensed(grey, {"vignetting": 0.4}, 0)
    assert vig[30, 40].mean() > vig[0, 0].mean() + 20 and abs(int(vig[30, 40, 0]) - 180) <= 1
    warm = sensed(grey, {"white_balance": 1.2}, 0)
    assert warm[..., 0].mean() > 185 and warm[..., 2].mean() > 185 and abs(warm[..., 1].mean() - 180) < 1
    mono = sensed(grey, {"monochrome": True}, 0)
    assert mono.shape == (60, 80) and abs(int(mono[5, 5]) - 180) <= 1


def test_mono_noisy_dataset_with_depth(tmp_path):
    """A monochrome camera with sensor noise, depth and normals outputs: labels still valid, depth
    PNGs 16-bit where the parts are, normal maps written, noise the same for the same seed."""
    extra = {
        "sensor": {"monochrome": True, "noise": {"enabled": True}},
        "outputs": {"depth": True, "depth_unit_mm": 0.1, "normals": True},
    }
    path = small_config(tmp_path, num_images=2, **extra)
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        res = run_cli("generate", path, "-o", out, "-q")
        assert res.exit_code == 0, res.output
        outs.append(out)
    out = outs[0]
    assert validate_dataset(out)[1] == []
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for im in doc["images"]:
            img = Image.open(out / "images" / split / im["file_name"])
            assert img.mode == "L"
            rel = f"images/{split}/{im['file_name']}"
            assert (outs[1] / rel).read_bytes() == (out / rel).read_bytes()
            normals = np.asarray(Image.open(out / "normals" / split / im["file_name"]))
            assert normals.shape == (im["height"], im["width"], 3) and normals.any()
            depth = np.asarray(Image.open(out / im["synth_depth_file"]))
            assert depth.dtype == np.uint16 and im["synth_depth_unit_mm"] == 0.1
            metres = depth * 1e-4
            for a in doc["annotations"]:
                if a["image_id"] == im["id"]:
                    m = decode(a, im["height"], im["width"])
                    assert (metres[m] > 0.1).all() and (metres[m] < 0.5).all()  # the camera is 0.25-0.32 m away


def test_defocus_blurs_what_is_off_the_focus_plane():
    from synth.sensor import defocus

    checker = ((np.indices((120, 160)).sum(axis=0) // 4) % 2 * 200 + 20).astype(np.uint8)
    rgb = np.repeat(checker[..., None], 3, axis=2)
    depth = np.full((120, 160), 0.5)
    depth[:, 80:] = 2.0  # right half far behind the focus plane
    out = defocus(rgb, depth, focus=0.5, focal_px=1500.0, focal_m=0.016, f_number=2.8).astype(float)
    assert (out[:, :70] == rgb[:, :70]).all()  # in focus: untouched
    assert out[:, 95:150, 0].std() < 0.3 * rgb[:, 95:150, 0].std()  # out of focus: the pattern washes out


def test_motion_blur_smears_along_its_direction():
    from synth.sensor import motion_blur

    dot = np.zeros((41, 41, 3), np.uint8)
    dot[20, 20] = 255
    out = motion_blur(dot, 10, 0.0)[..., 0]  # angle 0: along +x
    assert (out[20, 16:25] > 0).all() and out[:18].max() == 0 and out[23:].max() == 0


def test_optics_change_the_image_not_the_labels(tmp_path):
    """Depth of field and motion blur act on the RGB only: the same frames keep the same labels."""
    cam = {"distance": {"uniform": [0.25, 0.32]}, "elevation_deg": {"uniform": [30, 40]}}
    optics = {"depth_of_field": {"f_number": 1.4, "focal_length_mm": 35}, "motion_blur": {"length_px": 6}}
    outs = []
    for name, camera in (("sharp", cam), ("blurred", {**cam, **optics})):
        out = tmp_path / name
        assert run_cli("generate", small_config(tmp_path, num_images=2, camera=camera), "-o", out, "-q").exit_code == 0
        outs.append(out)
    for split in ("train", "val"):
        a, b = (json.loads((o / "annotations" / f"instances_{split}.json").read_text()) for o in outs)
        assert a["annotations"] == b["annotations"]
        for im in a["images"]:
            im_a, im_b = (np.asarray(Image.open(o / "images" / split / im["file_name"])).astype(float) for o in outs)
            assert np.abs(im_a - im_b).mean() > 1.0


def test_lens_and_sensor_are_drawn_into_the_scene_from_their_own_stream(tmp_path):
    """The Scene holds everything random about a frame, lens blur and sensor included; switching
    them on changes nothing else in the scene, and each frame draws its own."""
    from synth.config import load_config
    from synth.scene import sample_scene

    plain = load_config(small_config(tmp_path))
    extra = {
        "sensor": {"white_balance": {"uniform": [0.9, 1.1]}, "noise": {"enabled": True, "gain": {"uniform": [1, 4]}}},
        "camera": {
            **yaml.safe_load((tmp_path / "cfg.yaml").read_text())["camera"],
            "motion_blur": {"length_px": {"uniform": [1, 5]}},
        },
    }
    (tmp_path / "s").mkdir()
    sensed_cfg = load_config(small_config(tmp_path / "s", **extra))
    a, b = sample_scene(plain, 2), sample_scene(sensed_cfg, 2)
    assert a.sensor is None and a.optics is None
    assert b.sensor is not None and b.sensor.noise and 1 <= b.sensor.gain <= 4 and b.optics is not None
    assert 1 <= b.optics.motion_length_px <= 5
    assert np.array_equal(a.camera.world_to_camera, b.camera.world_to_camera)
    assert [o.pose.tolist() for o in a.objects] == [o.pose.tolist() for o in b.objects]
    again, other = sample_scene(sensed_cfg, 2), sample_scene(sensed_cfg, 3)
    assert again.sensor == b.sensor and again.optics == b.optics
    assert other.sensor is not None and other.sensor.noise_seed != b.sensor.noise_seed


def test_lens_softness_lateral_colour_and_falloff():
    """Softness spreads a point (and keeps its energy in linear light), lateral colour moves red
    outward and blue inward at the corners (green stays), falloff darkens the edges, not the spot."""
    from synth.scene.model import Camera, Optics, Sensor
    from synth.sensor import _SRGB_TO_LINEAR, apply_optics, apply_sensor

    cam = Camera(K=np.eye(3), world_to_camera=np.eye(4), width=81, height=61)
    dot = np.zeros((61, 81, 3), np.uint8)
    dot[30, 40] = 255
    soft = apply_optics(dot, None, cam, Optics(softness_px=1.5))
    assert soft[30, 40, 0] < 255 and soft[30, 42, 0] > 0 and soft[30, 48, 0] == 0
    assert abs(_SRGB_TO_LINEAR[soft[..., 0]].sum() - 1.0) < 0.05
    corner = np.zeros((61, 81, 3), np.uint8)
    corner[5, 5] = 255  # a white point near the top-left corner
    shifted = apply_optics(corner, None, cam, Optics(chromatic_aberration_px=3.0))
    red, green, blue = (np.unravel_index(np.argmax(shifted[..., c]), (61, 81)) for c in range(3))
    assert green == (5, 5)
    assert red[0] < 5 and red[1] < 5  # red moved out, towards the corner
    assert blue[0] > 5 and blue[1] > 5  # blue moved in, towards the centre
    grey = np.full((61, 81, 3), 180, np.uint8)
    lit = apply_sensor(grey, Sensor(falloff=0.5, falloff_centre=(0.2, 0.0)))
    assert lit[30, 48].mean() > lit[30, 0].mean() + 30 and lit[0, 0].mean() < lit[60, 80].mean() + 1
    assert abs(int(lit[30, 48, 1]) - 180) <= 2  # the bright spot (shifted right by 0.2 of the half width) keeps its level


def test_jpeg_quality_varies_per_frame_and_labels_stay(tmp_path):
    """`image.jpeg_quality` as a distribution: frames differ in quality (so in size for the same
    content), drawn from the frame's own stream; the labels are those of the PNG run."""
    from synth.config import load_config
    from synth.scene import sample_scene

    base = small_config(tmp_path, num_images=2)
    (tmp_path / "j").mkdir()
    extra = {"image": {"width": 256, "height": 192, "format": "jpg", "jpeg_quality": {"uniform": [20, 95]}}}
    jpg = small_config(tmp_path / "j", num_images=2, **extra)
    qualities = {sample_scene(load_config(jpg), i).jpeg_quality for i in range(6)}
    assert len(qualities) > 3 and all(20 <= q <= 95 for q in qualities)
    assert sample_scene(load_config(base), 0).jpeg_quality == 95
    for cfg, out in ((base, tmp_path / "png"), (jpg, tmp_path / "jpg")):
        assert run_cli("generate", cfg, "-o", out, "-q", "--workers", "1").exit_code == 0
    for split in ("train", "val"):
        a = json.loads((tmp_path / "png" / "annotations" / f"instances_{split}.json").read_text())["annotations"]
        b = json.loads((tmp_path / "jpg" / "annotations" / f"instances_{split}.json").read_text())["annotations"]
        assert [x["segmentation"] for x in a] == [x["segmentation"] for x in b]
    assert run_cli("validate", tmp_path / "jpg").exit_code == 0


def test_float_depth_tiff_matches_the_16_bit_png(tmp_path):
    """outputs.depth_format: tiff32 writes camera z in metres as 32-bit float TIFF; the same frames
    in 16-bit millimetre steps agree to half a step; validate accepts both; the record says the scale."""
    from synth.tools.validate import validate_dataset

    maps = {}
    for fmt in ("png16", "tiff32"):
        out = tmp_path / fmt
        cfg = small_config(tmp_path, num_images=2, outputs={"depth": True, "depth_format": fmt})
        assert run_cli("generate", cfg, "-o", out, "-q").exit_code == 0
        assert validate_dataset(out)[1] == []
        doc = json.loads((out / "annotations" / "instances_train.json").read_text())
        im = doc["images"][0]
        depth = np.asarray(Image.open(out / im["synth_depth_file"]))
        maps[fmt] = depth * im["synth_depth_unit_mm"]  # millimetres
        assert depth.dtype == (np.float32 if fmt == "tiff32" else np.uint16)
    png, tiff = maps["png16"], maps["tiff32"]
    assert np.array_equal(png > 0, tiff > 0) and (png > 0).mean() > 0.5
    assert np.abs(png - tiff)[png > 0].max() <= 0.5 + 1e-3
