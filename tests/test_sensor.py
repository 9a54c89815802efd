"""Camera and sensor models: noise, monochrome, white balance, vignetting, depth output."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from synth.config import SensorCfg
from synth.sensor import apply_sensor
from synth.tools.validate import decode, validate_dataset

from .conftest import run_cli, small_config


def test_shot_noise_grows_with_signal_and_keeps_the_mean():
    flat = np.concatenate([np.full((200, 200, 3), 60, np.uint8), np.full((200, 200, 3), 200, np.uint8)], axis=1)
    cfg = SensorCfg.model_validate({"noise": {"enabled": True, "full_well_e": 2000, "read_noise_e": 2, "bit_depth": 12}})
    out = apply_sensor(flat, cfg, np.random.default_rng(1)).astype(float)
    dark, bright = out[:, :200, 1], out[:, 200:, 1]
    assert abs(dark.mean() - 60) < 1.0 and abs(bright.mean() - 200) < 1.0
    # in linear light the variance is the photon count: brighter pixels are noisier, in electrons
    assert 1.0 < dark.std() and 1.0 < bright.std()
    same = apply_sensor(flat, cfg, np.random.default_rng(1))
    assert (same == out).all()
    higher_gain = SensorCfg.model_validate({"noise": {"enabled": True, "full_well_e": 2000, "gain": 8, "bit_depth": 12}})
    assert apply_sensor(flat, higher_gain, np.random.default_rng(1))[:, 200:, 1].std() > 1.5 * bright.std()


def test_vignetting_white_balance_and_monochrome():
    grey = np.full((60, 80, 3), 180, np.uint8)
    vig = apply_sensor(grey, SensorCfg.model_validate({"vignetting": 0.4}), np.random.default_rng(0))
    assert vig[30, 40].mean() > vig[0, 0].mean() + 20 and abs(int(vig[30, 40, 0]) - 180) <= 1
    warm = apply_sensor(grey, SensorCfg.model_validate({"white_balance": 1.2}), np.random.default_rng(0))
    assert warm[..., 0].mean() > 185 and warm[..., 2].mean() > 185 and abs(warm[..., 1].mean() - 180) < 1
    mono = apply_sensor(grey, SensorCfg.model_validate({"monochrome": True}), np.random.default_rng(0))
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
            depth = np.asarray(Image.open(out / im["depth_file"]))
            assert depth.dtype == np.uint16 and im["depth_unit_mm"] == 0.1
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
