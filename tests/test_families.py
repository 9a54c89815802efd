"""Procedural part families: ISO dimensions, watertight solids, exact labels through the CLI,
each instance's mesh in the dataset (ray casting it with object_pose reproduces the mask)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from synth.annotate import decode
from synth.parts.families import FAMILIES
from synth.parts.iso import METRIC, thread_length
from synth.parts.solids import to_trimesh

from .conftest import run_cli, small_config
from .raycast import raycast_instances


def mesh(family: str, **params) -> trimesh.Trimesh:
    return to_trimesh(FAMILIES[family].module.build(params))


def radius_at(m: trimesh.Trimesh, z: float, angle: float) -> float:
    """How far from the axis the surface is at height z, in one direction (a ray cast inwards)."""
    d = np.array([np.cos(angle), np.sin(angle), 0.0])
    hit, _, _ = m.ray.intersects_location([[0, 0, z] + 100 * d], [-d])
    return float(np.linalg.norm(hit[:, :2], axis=1).max())


@pytest.mark.parametrize("size", ["M3", "M8", "M24"])
def test_hex_bolts_and_nuts_have_their_iso_dimensions(size):
    m = METRIC[size]
    bolt = mesh("hex_bolt", size=size, length=4 * m.d, thread="partial")
    lo, hi = bolt.bounds
    assert abs((hi[2] - lo[2]) - (m.k + 4 * m.d)) < 0.1  # head height + length under the head
    across = sorted(bolt.extents[:2])
    assert abs(across[0] - m.af) < 0.05 and abs(across[1] - m.af / np.cos(np.pi / 6)) < 0.05
    shank = bolt.vertices[bolt.vertices[:, 2] > 0.5]
    assert m.d * 0.95 < 2 * np.linalg.norm(shank[:, :2], axis=1).max() <= m.d  # thread crests at the nominal diameter
    plain = 4 * m.d - thread_length(m.d, 4 * m.d)  # ISO 4014: the plain shank under the head, round
    if plain > m.d / 2:
        around = [radius_at(bolt, plain / 2, a) for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)]
        assert np.ptp(around) < 0.02 * m.d and abs(2 * around[0] - m.d) < 0.05 * m.d
    for style, h in (("regular", m.m), ("thin", m.m_thin)):
        nut = mesh("hex_nut", size=size, style=style)
        assert abs(nut.extents[2] - h) < 0.01 and abs(min(nut.extents[:2]) - m.af) < 0.05
        assert nut.is_watertight and nut.volume > 0
    d1, d2, h = m.washer
    w = mesh("washer", size=size)
    assert np.allclose(w.extents, [d2, d2, h], atol=0.05)
    assert not w.contains([[0, 0, h / 2], [(d1 / 2 - 0.1), 0, h / 2]]).any()  # the hole
    dk, k, _ = m.socket
    cap = mesh("socket_cap_screw", size=size, length=3 * m.d)
    assert abs(cap.extents[0] - dk) < 0.1 and abs(cap.extents[2] - (k + 3 * m.d)) < 0.1


def test_threads_are_helical():
    """A cut across the thread is not round (a cam), and turning it by 360 degrees per pitch
    along the axis gives the same section: a single-start helix, not stacked rings."""
    bolt = mesh("hex_bolt", size="M10", length=40, thread="full")
    pitch = METRIC["M10"].pitch

    def section_radius(z: float, angle: float) -> float:
        return radius_at(bolt, z, angle)

    z = 20.0
    around = [section_radius(z, a) for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
    assert max(around) - min(around) > 0.3 * pitch  # the section is a cam, not a circle
    for a in np.linspace(0, 2 * np.pi, 6, endpoint=False):
        quarter = section_radius(z + pitch / 4, a + np.pi / 2)
        assert abs(quarter - section_radius(z, a)) < 0.05  # a quarter pitch up is a quarter turn round


def test_wood_screws_and_anchors():
    for recess in ("pozidriv", "torx", "slotted"):
        s = mesh("wood_screw", diameter=4.0, length=40.0, recess=recess, thread_fraction=0.6)
        assert s.is_watertight and abs(s.extents[2] - 40) < 0.01 and abs(s.extents[0] - 8.0) < 0.05  # head 2 d
        tip = s.vertices[s.vertices[:, 2] < 0.3]
        assert np.linalg.norm(tip[:, :2], axis=1).max() < 0.5  # a sharp point
        top = s.vertices[s.vertices[:, 2] > 40 - 1e-6]
        assert len(top) and not s.contains([[0, 0, 39.5]])[0]  # the recess is cut into the head
    a = mesh("drywall_anchor", length=32.0, diameter=12.0)
    assert a.is_watertight and abs(a.extents[2] - 32) < 0.01 and a.extents[0] > 12


def test_every_family_draws_valid_watertight_parts():
    rng = np.random.default_rng(0)
    for name, fam in FAMILIES.items():
        for _ in range(3):
            params = fam.draw(fam.params(), rng)
            m = to_trimesh(fam.module.build(params))
            assert m.is_watertight and m.volume > 0, (name, params)


def test_family_parts_through_the_cli(tmp_path):
    """A dataset of family parts validates; every part annotation names its family and drawn
    parameters and a mesh under meshes/, and ray casting those meshes with object_pose and K
    reproduces the masks."""
    parts = [
        {"family": "wood_screw", "category": "screw", "material": "zinc_plated", "params": {"length": {"uniform": [20, 40]}}},
        {"family": "hex_bolt", "category": "bolt", "params": {"size": "M8", "length": {"uniform": [16, 30]}}},
        {"family": "drywall_anchor", "category": "anchor"},
        {"family": "hex_nut", "category": "nut", "params": {"size": {"choice": ["M8", "M10"]}}},
    ]
    cfg = small_config(tmp_path, num_images=2, parts=parts, camera={"distance": 0.2, "elevation_deg": {"uniform": [70, 89]}})
    out = tmp_path / "out"
    res = run_cli("generate", cfg, "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    assert run_cli("validate", out).exit_code == 0
    ious, families = [], set()
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for im in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            for a in anns:
                assert a["synth_mesh"].startswith("meshes/") and (out / a["synth_mesh"]).is_file()
                families.add(a["synth_attributes"]["family"])
                assert set(a["synth_attributes"]["params"]) == set(FAMILIES[a["synth_attributes"]["family"]].params.model_fields)
            ref = raycast_instances(im, anns, {a["synth_mesh"]: "mm" for a in anns}, lambda p: str(out / p))
            for a in anns:
                if a["area"] >= 300:
                    m = decode(a, im["height"], im["width"])
                    ious.append((m & (ref == a["synth_instance_id"])).sum() / (m | (ref == a["synth_instance_id"])).sum())
    assert len(families) >= 3 and len(ious) >= 4
    assert np.mean(ious) >= 0.98 and min(ious) >= 0.93, ious


def test_family_config_errors(tmp_path):
    out = tmp_path / "out"
    for parts, needle in [
        ([{"family": "carriage_bolt", "category": "x"}], "parts[0].family: unknown family 'carriage_bolt'"),
        ([{"family": "hex_bolt", "category": "x", "params": {"size": "M7"}}], "parts[0].params.size"),
        ([{"family": "hex_bolt", "category": "x", "params": {"length": 500}}], "parts[0].params.length"),
        (
            [{"family": "hex_bolt", "category": "x", "params": {"lenght": 50}}],
            "parts[0].params.lenght: unknown key (did you mean 'length'?)",
        ),
        ([{"family": "hex_bolt", "mesh": "synth:meshes/hex_bolt.stl", "category": "x"}], "parts[0]: give either mesh"),
        ([{"category": "x"}], "parts[0]: give either mesh"),
        ([{"mesh": "synth:meshes/hex_bolt.stl", "category": "x", "params": {"length": 5}}], "parts[0].params: only a family"),
    ]:
        res = run_cli("generate", small_config(tmp_path, parts=parts), "-o", out, "-q")
        assert res.exit_code == 2 and needle in res.output, (needle, res.output)
        assert not out.exists()
