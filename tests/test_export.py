"""`synth export yolo`: the ultralytics layout, boxes equal to the COCO boxes, outlines that a
whole-pixel reader fills back to the COCO masks; clear errors; ultralytics' own checker."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from scipy import ndimage

from synth.annotate import decode, fill_centres

from .conftest import run_cli


def _instances(dataset):
    for f in sorted((dataset / "annotations").glob("instances_*.json")):
        yield f.stem.removeprefix("instances_"), json.loads(f.read_text())


def _labels(out, split, im) -> list[list[float]]:
    text = (out / "labels" / split / im["file_name"]).with_suffix(".txt").read_text()
    return [[float(v) for v in line.split()] for line in text.splitlines()]


def test_yolo_detect_layout_and_boxes(dataset, tmp_path):
    out = tmp_path / "yolo"
    res = run_cli("export", "yolo", dataset, out)
    assert res.exit_code == 0, res.output
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["path"] == str(out.resolve()) and data["train"] == "images/train" and data["val"] == "images/val"
    seen = 0
    for split, doc in _instances(dataset):
        cats = sorted(c["id"] for c in doc["categories"])
        assert data["names"] == {k: c["name"] for k, c in enumerate(sorted(doc["categories"], key=lambda c: c["id"]))}
        for im in doc["images"]:
            link = out / "images" / split / im["file_name"]
            assert link.is_symlink() and link.resolve() == (dataset / "images" / split / im["file_name"]).resolve()
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            rows = _labels(out, split, im)
            assert len(rows) == len(anns)
            for a, row in zip(anns, rows, strict=True):
                assert int(row[0]) == cats.index(a["category_id"])
                cx, cy, w, h = row[1] * im["width"], row[2] * im["height"], row[3] * im["width"], row[4] * im["height"]
                np.testing.assert_allclose([cx - w / 2, cy - h / 2, w, h], a["bbox"], atol=1e-4)
                seen += 1
    assert seen > 5


def test_yolo_segment_outlines_fill_back_to_the_masks(dataset, tmp_path):
    """ultralytics scales each vertex to pixels, truncates to int32 and fills with OpenCV's fillPoly
    (pixel centres inside or on the outline): done here the same way (PIL's fill, same rule)."""
    out = tmp_path / "seg"
    assert run_cli("export", "yolo", dataset, out, "--task", "segment", "--copy").exit_code == 0
    exact = holes = 0
    for split, doc in _instances(dataset):
        for im in doc["images"]:
            w, h = im["width"], im["height"]
            copied = out / "images" / split / im["file_name"]
            assert not copied.is_symlink() and copied.read_bytes() == (dataset / "images" / split / im["file_name"]).read_bytes()
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            for a, row in zip(anns, _labels(out, split, im), strict=True):
                xy = (np.array(row[1:]).reshape(-1, 2) * [w, h]).astype(np.int32)
                filled = fill_centres([xy.ravel().tolist()], h, w)
                mask = decode(a, h, w)
                pieces, holed = ndimage.label(mask)[1], (ndimage.binary_fill_holes(mask) & ~mask).any()
                assert not (mask & ~filled).any()  # nothing lost; a bridge may cover a few background pixels
                assert (filled & mask).sum() / (filled | mask).sum() > 0.97
                if pieces == 1:  # nuts, washers, a flange's bolt holes: bridged in along the metal
                    assert np.array_equal(filled, mask)
                    exact += 1
                    holes += int(holed)
    assert exact > 5 and holes > 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/nothing", "{tmp}/y"], "no annotations/instances_*.json"),
        (["{ds}", "{tmp}/full"], "exists and is not an empty folder"),
        (["{ds}", "{tmp}/y", "--task", "pose"], "--task"),
    ],
)
def test_yolo_export_bad_input_is_one_line(dataset, tmp_path, args, message):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    res = run_cli("export", "yolo", *[a.format(tmp=tmp_path, ds=dataset) for a in args])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine" and not (tmp_path / "y").exists()
    assert not list(tmp_path.glob(".y.tmp*"))


@pytest.mark.interop
def test_ultralytics_checks_and_trains_on_the_export(dataset, tmp_path):
    """ultralytics (optional: pip install ultralytics) accepts the layout and trains one tiny epoch."""
    pytest.importorskip("ultralytics")
    from ultralytics import YOLO
    from ultralytics.data.utils import check_det_dataset

    out = tmp_path / "seg"
    assert run_cli("export", "yolo", dataset, out, "--task", "segment").exit_code == 0
    info = check_det_dataset(str(out / "data.yaml"))
    assert info["nc"] == len(yaml.safe_load((out / "data.yaml").read_text())["names"])
    model = YOLO("yolov8n-seg.yaml")
    model.train(
        data=str(out / "data.yaml"), epochs=1, imgsz=64, batch=2, workers=0, device="cpu", project=str(tmp_path), plots=False
    )
