"""What a new user runs into first, each through the real CLI: notes that count frames, a starter
config that works outside the repository, preview of a config's defects, `synth parts` that
never overwrites, a benchmark that says what it will do, the resolved config and dataset card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image

from synth.assets import load_mesh
from synth.paths import bundled, bundled_dir

from .conftest import run_cli, small_config


def test_no_room_note_counts_frames_not_parts(tmp_path):
    cfg = small_config(tmp_path, num_images=2, scene={"parts_per_image": {"uniform": [6, 6]}, "region": [0.03, 0.03]})
    res = run_cli("generate", cfg, "-o", tmp_path / "out", "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    assert "note: 2 frame(s) had no room for every part" in res.output


def test_starter_config_works_outside_the_repository(tmp_path, monkeypatch):
    """`synth init` then `synth generate` in an empty folder: the starter's meshes are the bundled
    ones (`synth:meshes/...`), found wherever synth is installed."""
    monkeypatch.chdir(tmp_path)
    assert run_cli("init").exit_code == 0
    assert "synth:meshes/" in (tmp_path / "synth.yaml").read_text()
    small = ["--set", "image.width=128", "--set", "image.height=96"]
    res = run_cli("generate", "synth.yaml", "-n", "1", "-q", "--workers", "1", *small)
    assert res.exit_code == 0, res.output
    doc = json.loads(next((tmp_path / "output" / "my_dataset" / "annotations").glob("*.json")).read_text())
    assert doc["images"] and {a["synth_mesh"] for a in doc["annotations"]} <= {
        "synth:meshes/hex_bolt.stl",
        "synth:meshes/flange.stl",
    }


def test_bundled_paths_name_the_shipped_meshes():
    assert bundled("meshes/hex_bolt.stl") is None  # only the prefix means "bundled"
    path = bundled("synth:meshes/hex_bolt.stl")
    assert path is not None and path.parent == bundled_dir() / "meshes"
    assert load_mesh(path, "mm").mesh.is_watertight


def test_preview_shows_a_configs_defect_closeups(tmp_path):
    (tmp_path / "d").mkdir()
    defects = {"defect_free_fraction": 0, "kinds": {"stain": {"probability": 1.0}, "dent": {"probability": 1.0}}}
    cfg = small_config(tmp_path / "d", num_images=2, defects=defects)
    res = run_cli("preview", cfg, "-n", "2", "--defects", "-o", tmp_path / "closeups.png")
    assert res.exit_code == 0, res.output
    assert run_cli("preview", cfg, "-n", "2", "-o", tmp_path / "labels.png").exit_code == 0
    # close-up tiles are 400x214 (raw | outlined, a caption strip); label tiles keep the frame's 256x192
    assert Image.open(tmp_path / "closeups.png").height == 214
    assert Image.open(tmp_path / "labels.png").height == 192
    (tmp_path / "plain").mkdir()
    res = run_cli("preview", small_config(tmp_path / "plain"), "--defects", "-o", tmp_path / "x.png")
    assert res.exit_code == 2 and "no defects" in res.output and not (tmp_path / "x.png").exists()


def test_parts_needs_a_folder_and_never_overwrites(tmp_path):
    assert run_cli("parts").exit_code == 2  # no default: it used to write over the bundled meshes
    out = tmp_path / "meshes"
    out.mkdir()
    (out / "hex_bolt.stl").write_bytes(b"mine")
    res = run_cli("parts", out)
    assert res.exit_code == 2 and "--force" in res.output
    assert (out / "hex_bolt.stl").read_bytes() == b"mine" and len(list(out.iterdir())) == 1
    fresh = tmp_path / "fresh"
    res = run_cli("parts", fresh)
    assert res.exit_code == 0, res.output
    assert load_mesh(fresh / "hex_nut.stl", "mm").mesh.is_watertight
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in (bundled_dir() / "meshes").iterdir())


@pytest.mark.slow
def test_bench_says_what_it_will_do_before_it_starts(tmp_path):
    res = run_cli("bench", small_config(tmp_path, num_images=2), "-n", "5", "--passes", "-o", tmp_path / "b.json")
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    want = "bench: test at 256x192: 5 frames end to end, 5 bare PBR frames, 5 finished RGB frames, 5 with defects"
    assert first.startswith(want), first
    assert "llvmpipe" in res.output or "GPU" in res.output or "EGL device" in res.output  # what rendered
    r = json.loads((tmp_path / "b.json").read_text())
    assert r["frames"] == 5 and r["end_to_end_median_s_per_frame"] > 0 and r["floor_rgb_median_s_per_frame"] > 0
    assert r["ratio_end_to_end_over_floor_mean"] > 0 and "x mean (same scenes)" in res.output
    assert r["defects"]["defect_free_fraction"] == 0.0  # every timed frame carries defects
    passes = r["passes_median_s_per_frame"]
    assert set(passes) == {"bare PBR + IBL", "+ shadow maps", "+ ambient occlusion", "+ tone mapping", "+ FXAA", "all of them"}
    assert all(v > 0 for v in passes.values()) and "| + shadow maps |" in res.output


def test_resolved_config_keeps_integers(dataset):
    raw = yaml.safe_load((dataset / "config.yaml").read_text())
    assert type(raw["num_images"]) is int and type(raw["seed"]) is int and type(raw["image"]["width"]) is int
    ppi = raw["scene"]["parts_per_image"]["uniform"]
    assert ppi == [3, 5] and all(type(v) is int for v in ppi)
    assert type(raw["scene"]["distractors"]["count"]) is int and type(raw["lighting"]["key_lights"]["count"]) is int


def test_dataset_card_names_the_files_there_are(tmp_path):
    extra = {"image": {"width": 160, "height": 120, "format": "jpg"}, "outputs": {"depth": True, "semantic": True}}
    out = tmp_path / "out"
    res = run_cli("generate", small_config(tmp_path, num_images=2, **extra), "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    card = (out / "README.md").read_text()
    assert "images/<split>/NNNNNN.jpg" in card and "160x120" in card and "JPEG" in card and ".png`: 160" not in card
    assert "depth/<split>" in card and "semantic/<split>" in card and "masks/" not in card and "bop/" not in card
    for line in card.splitlines():  # every folder the card lists is there
        if line.startswith("- `") and "/<split>/" in line:
            folder = line[3:].split("/")[0]
            assert all(any((out / folder / s).iterdir()) for s in ("train", "val")), folder


def test_pyproject_ships_every_package_and_the_bundled_meshes():
    import tomllib

    root = Path(__file__).resolve().parents[1]
    setup = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {".".join(p.relative_to(root).parent.parts) for p in (root / "synth").rglob("__init__.py")}
    assert set(setup["packages"]) == packages | {"synth.bundled"}
    assert setup["package-dir"]["synth.bundled"] == "assets"
