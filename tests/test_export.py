"""`synth export yolo`: the ultralytics layout, boxes equal to the COCO boxes, outlines that a
whole-pixel reader fills back to the COCO masks; clear errors; ultralytics' own checker."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import ndimage

from synth.annotate import decode, fill_centres

from .conftest import MESHES, run_cli, small_config


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


ULTRALYTICS = """
import json, sys
from pathlib import Path
import numpy as np
from PIL import Image
from ultralytics import YOLO
from ultralytics.data.utils import check_det_dataset, polygon2mask
data, project = sys.argv[1:]
info = check_det_dataset(data)
masks = {}
for txt in sorted(Path(data).parent.glob("labels/*/*.txt")):
    w, h = Image.open(next(Path(data).parent.glob(f"images/{txt.parent.name}/{txt.stem}.*"))).size
    for i, line in enumerate(txt.read_text().splitlines()):
        xy = np.array(line.split()[1:], float).reshape(1, -1, 2) * [w, h]
        masks[f"{txt.parent.name}/{txt.stem}/{i}"] = polygon2mask((h, w), xy, color=1, downsample_ratio=1) > 0
np.savez_compressed(Path(project) / "masks.npz", **masks)
YOLO("yolov8n-seg.yaml").train(data=data, epochs=1, imgsz=64, batch=2, workers=0, device="cpu", project=project,
                               name="run", plots=False, val=False)
print(json.dumps({"nc": info["nc"]}))
"""


@pytest.mark.interop
def test_ultralytics_checks_fills_and_trains_on_the_export(dataset, tmp_path):
    """ultralytics (extra `trainers`) accepts the layout, its own polygon2mask fills every one-piece
    part's outline back to the COCO mask, and it trains one tiny epoch. In its own process: torch's
    compiler loads an LLVM that crashes next to the one Mesa's llvmpipe has loaded."""
    if importlib.util.find_spec("ultralytics") is None:
        pytest.skip("ultralytics is not installed (pip install -e '.[trainers]')")
    out, runs = tmp_path / "seg", tmp_path / "runs"
    runs.mkdir()
    assert run_cli("export", "yolo", dataset, out, "--task", "segment").exit_code == 0
    res = subprocess.run(
        [sys.executable, "-c", ULTRALYTICS, str(out / "data.yaml"), str(runs)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "YOLO_OFFLINE": "1"},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(res.stdout.strip().splitlines()[-1])["nc"] == len(yaml.safe_load((out / "data.yaml").read_text())["names"])
    assert (runs / "run" / "weights" / "last.pt").stat().st_size > 0
    filled, exact = np.load(runs / "masks.npz"), 0
    for split, doc in _instances(dataset):
        for im in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            for i, a in enumerate(anns):
                mask, theirs = decode(a, im["height"], im["width"]), filled[f"{split}/{Path(im['file_name']).stem}/{i}"]
                assert not (mask & ~theirs).any()
                if ndimage.label(mask)[1] == 1:
                    assert np.array_equal(theirs, mask)
                    exact += 1
    assert exact > 5


@pytest.fixture(scope="module")
def defect_dataset(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("defects")
    defects = {"defect_free_fraction": 0.3, "min_visible_pixels": 4, "kinds": {"stain": {"probability": 0.6}, "scratch": {}}}
    parts = [{"mesh": str(MESHES / "flange.stl"), "category": "flange", "units": "mm", "material": "cast_iron"}]
    scene = {"parts_per_image": {"uniform": [1, 2]}, "region": [0.16, 0.12]}
    res = run_cli("generate", small_config(tmp, num_images=6, defects=defects, parts=parts, scene=scene), "-o", tmp / "ds", "-q")
    assert res.exit_code == 0, res.output
    return tmp / "ds"


def test_mvtec_layout_crops_and_masks(defect_dataset, tmp_path):
    """Every sample is the part's crop of the frame; its mask (0/255) is every defect pixel inside the
    crop; defect-free crops of the training split are train/good, the rest test/...; nothing else."""
    from PIL import Image

    from synth.tools.mvtec import crop_box

    out = tmp_path / "mvtec"
    res = run_cli("export", "mvtec", defect_dataset, out)
    assert res.exit_code == 0, res.output
    expected = {}
    for split, doc in _instances(defect_dataset):
        for im in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            defects = [a for a in anns if "host_instance_id" in a.get("synth_attributes", {})]
            rgb = np.asarray(Image.open(defect_dataset / "images" / split / im["file_name"]).convert("RGB"))
            for a in anns:
                if a in defects:
                    continue
                x0, y0, x1, y1 = crop_box(a["bbox"], im["width"], im["height"])
                masks = [(d["synth_attributes"]["kind"], decode(d, im["height"], im["width"])[y0:y1, x0:x1]) for d in defects]
                union = np.any([m for _, m in masks], axis=0) if masks else np.zeros((y1 - y0, x1 - x0), bool)
                kinds = sorted({k for k, m in masks if m.any()})
                kind = "good" if not kinds else kinds[0] if len(kinds) == 1 else "combined"
                stage = "train" if split == "train" and kind == "good" else "test"
                name = f"{split}_{im['file_name'].rsplit('.', 1)[0]}_{a['synth_instance_id']}"
                cat = next(c["name"] for c in doc["categories"] if c["id"] == a["category_id"])
                expected[f"{cat}/{stage}/{kind}/{name}.png"] = (rgb[y0:y1, x0:x1], union)
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png") if "ground_truth" not in p.parts)
    assert written == sorted(expected)
    kinds_seen = set()
    for rel, (pixels, union) in expected.items():
        assert np.array_equal(np.asarray(Image.open(out / rel)), pixels)
        cat, stage, kind, file = rel.split("/")
        truth = out / cat / "ground_truth" / kind / file.replace(".png", "_mask.png")
        if kind == "good":
            assert not truth.exists() and not union.any()
        else:
            mask = np.asarray(Image.open(truth))
            assert set(np.unique(mask)) == {0, 255} and np.array_equal(mask == 255, union)
            kinds_seen.add(kind)
    assert len(list(out.rglob("*_mask.png"))) == sum("/good/" not in r for r in expected)
    assert kinds_seen and any("/train/good/" in r for r in expected)


def test_mvtec_by_frame_and_bad_input(defect_dataset, dataset, tmp_path):
    """--by frame: whole frames of one part category; frames mixing categories are left out, counted."""
    from PIL import Image

    out = tmp_path / "frames"
    res = run_cli("export", "mvtec", defect_dataset, out, "--by", "frame")
    images = [p for p in out.rglob("*.png") if "ground_truth" not in p.parts] if res.exit_code == 0 else []
    mixed = sum(
        len({a["category_id"] for a in doc["annotations"] if a["image_id"] == im["id"] and "synth_instance_id" in a}) != 1
        for _, doc in _instances(defect_dataset)
        for im in doc["images"]
    )
    assert len(images) == 6 - mixed and (mixed == 0 or f"left out: {mixed} frames" in res.output)
    for p in images:
        with Image.open(p) as im:
            assert im.size == (256, 192)
    res = run_cli("export", "mvtec", dataset, tmp_path / "none")
    assert res.exit_code == 2 and "has no defects" in res.output and not (tmp_path / "none").exists()


ANOMALIB = """
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from anomalib.data import MVTecAD
out = Path(sys.argv[1])
for cat in sorted(p.name for p in out.iterdir()):
    dm = MVTecAD(root=out, category=cat, train_batch_size=1, eval_batch_size=1, num_workers=0)
    dm.prepare_data()  # finds the folder, downloads nothing
    dm.setup()
    assert len(dm.train_data) == len(list((out / cat / "train" / "good").glob("*.png")))
    tests = sorted((out / cat / "test").rglob("*.png"))
    assert len(dm.test_data) == len(tests)
    for item in dm.test_data:
        path = out / cat / Path(item.image_path).relative_to(out / cat)
        rgb = np.asarray(Image.open(path).convert("RGB"))
        assert np.allclose(item.image.permute(1, 2, 0).numpy() * 255, rgb, atol=0.5), path
        anomalous = path.parent.name != "good"
        assert int(item.gt_label) == anomalous, path
        if anomalous:
            truth = np.asarray(Image.open(out / cat / "ground_truth" / path.parent.name / f"{path.stem}_mask.png"))
            assert np.array_equal(item.gt_mask.numpy().astype(bool), truth == 255), path
        else:
            assert not item.gt_mask.numpy().any(), path
    print("checked", cat, len(dm.train_data), len(dm.test_data))
"""


@pytest.mark.interop
def test_anomalib_loads_the_mvtec_export(defect_dataset, tmp_path):
    """anomalib's own MVTec AD data module (extra `trainers`) reads every crop of the
    export, the good ones as normal, the rest as anomalous with their 0/255 masks. In its own
    process, as for ultralytics: importing torch's compiler next to Mesa's llvmpipe crashes."""
    if importlib.util.find_spec("anomalib") is None:
        pytest.skip("anomalib is not installed (pip install -e '.[trainers]')")
    out = tmp_path / "mvtec"
    assert run_cli("export", "mvtec", defect_dataset, out).exit_code == 0
    res = subprocess.run([sys.executable, "-c", ANOMALIB, str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    checked = dict(line.split(" ", 2)[1:] for line in res.stdout.splitlines() if line.startswith("checked "))
    assert sorted(checked) == sorted(p.name for p in out.iterdir())
    for cat, counts in checked.items():
        train, test = map(int, counts.split())
        assert train == len(list((out / cat / "train" / "good").glob("*.png"))) and test > 0
