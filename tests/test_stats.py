"""`synth stats`: the numbers agree with the COCO file, every plot and picture in report.html is a
PNG that decodes, and headless Chromium (Debian's package, when installed) renders the page."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from .conftest import run_cli, small_config


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stats")
    defects = {"defect_free_fraction": 0.3, "kinds": {"stain": {"probability": 0.7}, "scratch": {}}}
    cfg = small_config(tmp, num_images=4, defects=defects, annotations={"amodal": True, "min_visible_pixels": 20})
    assert run_cli("generate", cfg, "-o", tmp / "ds", "-q").exit_code == 0
    res = run_cli("stats", tmp / "ds")
    assert res.exit_code == 0, res.output
    return tmp / "ds", tmp / "ds_stats"


def test_numbers_agree_with_the_dataset(report):
    ds, out = report
    s = json.loads((out / "stats.json").read_text())
    parts, defects, anomalous, images = {}, {}, 0, 0
    for f in sorted((ds / "annotations").glob("instances_*.json")):
        doc = json.loads(f.read_text())
        names = {c["id"]: c["name"] for c in doc["categories"]}
        images += len(doc["images"])
        anomalous += sum(bool(im["synth_anomaly"]) for im in doc["images"])
        for a in doc["annotations"]:
            if "host_instance_id" in a.get("synth_attributes", {}):
                defects[a["synth_attributes"]["kind"]] = defects.get(a["synth_attributes"]["kind"], 0) + 1
            else:
                parts[names[a["category_id"]]] = parts.get(names[a["category_id"]], 0) + 1
    assert s["images"] == images and s["categories"] == parts and s["defect_kinds"] == defects and defects
    assert s["anomaly_ratio"] == anomalous / images and sum(s["parts_per_image"]) == sum(parts.values())
    assert len(s["visibility"]) == sum(parts.values()) and all(0 < v <= 1 for v in s["visibility"])
    assert all(44.5 <= e <= 85.5 for e in s["camera_elevation_deg"])  # the config draws 45-85 degrees
    assert all(0.24 <= d <= 0.4 for d in s["camera_distance_m"])  # 0.25-0.32 m to the parts, a little more to the table
    assert len(s["brightness"]) == images and all(0 < b < 255 for b in s["brightness"])


def test_every_picture_in_the_report_decodes(report):
    _, out = report
    page = (out / "report.html").read_text()
    sources = re.findall(r'<img alt="([^"]*)" src="([^"]*)"', page)
    assert len(sources) >= 4 + 4 + 1  # four plot groups, the frames, at least one defect close-up
    for alt, src in sources:
        assert src.startswith("data:image/png;base64,"), alt  # self-contained: nothing to fetch
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
            im.load()
            assert im.size[0] > 50 and np.asarray(im).std() > 1, alt
    for section in ("Statistics", "Frames with their labels", "Defect close-ups", "Dataset card", "Config"):
        assert f"<h2>{section}</h2>" in page
    assert sorted(p.name for p in out.glob("*.png")) == [
        "class_balance.png",
        "lighting_and_defects.png",
        "objects.png",
        "scenes.png",
    ]


@pytest.mark.interop
def test_chromium_renders_the_report(report, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    _, out = report
    shot = tmp_path / "report.png"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,2400", f"--screenshot={shot}"]
    subprocess.run([*cmd, (out / "report.html").as_uri()], capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"), float)
    assert pixels.shape == (2400, 1200) and pixels.std() > 20  # text, plots and frames, not a blank page
    assert (pixels < 128).mean() > 0.05  # plots and frames drawn, not only white


def test_stats_refuses_a_folder_it_did_not_write(report, tmp_path):
    ds, _ = report
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    res = run_cli("stats", ds, "-o", tmp_path / "mine")
    assert res.exit_code == 2 and "holds no report.html" in res.output
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
