"""End to end through the CLI with the real renderer; files read back with pycocotools."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from synth.annotate import decode, tight_bbox
from synth.tools.validate import validate_dataset

from .conftest import run_cli, small_config


def load(ds, split):
    return json.loads((ds / "annotations" / f"instances_{split}.json").read_text())


def test_layout_and_validate(dataset):
    assert sorted(p.name for p in dataset.iterdir()) == [".synth-dataset", "README.md", "annotations", "config.yaml", "images"]
    summary, bad = validate_dataset(dataset)
    assert bad == []
    assert sum(s["images"] for s in summary.values()) == 4
    assert sum(s["annotations"] for s in summary.values()) > 0
    res = run_cli("validate", dataset)
    assert res.exit_code == 0 and "ok" in res.output
    card = (dataset / "README.md").read_text()
    assert "| category | annotations |" in card


def test_annotation_invariants_hold(dataset):
    for split in ("train", "val"):
        doc = load(dataset, split)
        assert set(doc) == {"info", "licenses", "images", "annotations", "categories"}
        images = {im["id"]: im for im in doc["images"]}
        cats = {c["id"] for c in doc["categories"]}
        assert min(cats) == 1 and all(c.get("supercategory") for c in doc["categories"])
        ann_ids = [a["id"] for a in doc["annotations"]]
        assert len(set(ann_ids)) == len(ann_ids) and min(ann_ids) >= 1
        for im in images.values():
            assert im["id"] >= 1 and im["id"] == im["synth_frame_index"] + 1 and im["synth_seed"] == 3
            K = np.array(im["synth_camera"]["K"])
            assert K.shape == (3, 3) and np.array(im["synth_camera"]["world_to_camera"]).shape == (4, 4)
            assert K[0, 2] == im["width"] / 2 - 0.5 and K[1, 2] == im["height"] / 2 - 0.5
            with Image.open(dataset / "images" / split / im["file_name"]) as pic:
                assert pic.size == (im["width"], im["height"])
        for a in doc["annotations"]:
            im = images[a["image_id"]]
            assert a["category_id"] in cats and a["iscrowd"] == 0
            m = decode(a, im["height"], im["width"])
            assert m.any()
            assert tight_bbox(m) == a["bbox"]
            assert int(m.sum()) == a["area"] >= 20
            P = np.array(a["synth_object_pose"])
            assert P.shape == (4, 4) and np.allclose(P[:3, :3] @ P[:3, :3].T, np.eye(3), atol=1e-6)
            assert P[2, 3] > 0  # in front of the camera


@pytest.mark.interop
def test_cocoeval_of_ground_truth_against_itself_is_perfect(dataset):
    for split in ("train", "val"):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(dataset / "annotations" / f"instances_{split}.json"))
            if not gt.dataset["annotations"]:
                continue
            dets = [{**a, "score": 1.0} for a in gt.dataset["annotations"]]
            dt = gt.loadRes(dets)
            for kind in ("bbox", "segm"):
                ev = COCOeval(gt, dt, kind)
                ev.evaluate()
                ev.accumulate()
                ev.summarize()
                assert ev.stats[0] == 1.0, (split, kind, ev.stats[:3])


def test_label_pixels_are_the_part_pixels_of_the_rgb_image(dataset):
    """Pixels labeled as a part differ from the support's colour statistics: a weak but real
    check that the label map and the RGB image are from the same camera."""
    doc = load(dataset, "train")
    im = doc["images"][0]
    rgb = np.asarray(Image.open(dataset / "images" / "train" / im["file_name"])).astype(float)
    anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
    union = np.zeros(rgb.shape[:2], bool)
    for a in anns:
        union |= decode(a, im["height"], im["width"])
    # the image gradient is concentrated on mask boundaries (part silhouettes)
    gy, gx = np.gradient(rgb.mean(axis=2))
    grad = np.hypot(gx, gy)
    edge = union ^ (np.roll(union, 1, 0) & np.roll(union, -1, 0) & np.roll(union, 1, 1) & np.roll(union, -1, 1))
    assert grad[edge].mean() > 2 * grad[~union].mean()


def test_same_seed_same_bytes_other_seed_other_images(tmp_path, dataset):
    cfg = small_config(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("generate", cfg, "-o", a, "-q").exit_code == 0
    assert run_cli("generate", cfg, "-o", b, "-q", "--seed", "4").exit_code == 0
    files = sorted(p.relative_to(dataset) for p in dataset.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    for f in files:
        assert (dataset / f).read_bytes() == (a / f).read_bytes(), f
    img = sorted((a / "images").rglob("*.png"))[0]
    other = b / img.relative_to(a)
    assert not other.exists() or other.read_bytes() != img.read_bytes()


def test_polygon_masks_are_exact(tmp_path):
    out = tmp_path / "poly"
    res = run_cli("generate", small_config(tmp_path, num_images=2), "-o", out, "-q", "--set", "annotations.mask_format=polygon")
    assert res.exit_code == 0, res.output
    summary, bad = validate_dataset(out)
    assert bad == []
    seen = 0
    for split in ("train", "val"):
        for a in load(out, split)["annotations"]:
            assert isinstance(a["segmentation"], list) and all(len(p) >= 6 for p in a["segmentation"])
            seen += 1
    assert seen > 0


def test_more_than_255_instances_encode(tmp_path):
    from synth.render.renderer import id_to_rgb, rgb_to_id

    ids = np.array([1, 255, 256, 300, 65535, 65536, 70000])
    rgb = np.array([[round(c * 255) for c in id_to_rgb(int(i))] for i in ids], dtype=np.uint8)
    assert (rgb_to_id(rgb) == ids).all()


def test_preview_draws_a_sheet(tmp_path, dataset):
    out = tmp_path / "sheet.png"
    res = run_cli("preview", dataset, "-o", out, "-n", "4")
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        assert im.size[0] >= 2 * 256 and im.size[1] >= 2 * 192


def test_amodal_masks_contain_the_visible_ones(tmp_path):
    """Amodal masks: each part's whole silhouette with the others removed; the visible mask lies
    inside it, visibility = visible / amodal pixels in (0, 1], some parts are partly hidden, and
    min_visibility drops the least visible."""
    import json

    from synth.annotate import decode
    from synth.tools.validate import validate_dataset

    from .conftest import run_cli, small_config

    crowd = {"parts_per_image": {"uniform": [6, 8]}, "region": [0.07, 0.05], "spacing": 0.0}
    cam = {"distance": {"uniform": [0.25, 0.3]}, "elevation_deg": {"uniform": [25, 35]}}
    out = tmp_path / "out"
    path = small_config(tmp_path, scene=crowd, camera=cam, num_images=3, annotations={"amodal": True, "min_visible_pixels": 5})
    assert run_cli("generate", path, "-o", out, "-q").exit_code == 0
    assert validate_dataset(out)[1] == []
    vis = []
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        ims = {im["id"]: im for im in doc["images"]}
        for a in doc["annotations"]:
            im = ims[a["image_id"]]
            m, whole = (
                decode(a, im["height"], im["width"]),
                decode({"segmentation": a["synth_amodal_segmentation"]}, im["height"], im["width"]),
            )
            assert not (m & ~whole).any() and 0 < a["synth_visibility"] <= 1
            vis.append(a["synth_visibility"])
    assert min(vis) < 0.9 and max(vis) == 1.0, vis  # occlusion happens, and unoccluded parts are whole
    cut = sorted(vis)[len(vis) // 3]
    out2 = tmp_path / "out2"
    path = small_config(
        tmp_path,
        scene=crowd,
        camera=cam,
        num_images=3,
        annotations={"amodal": True, "min_visible_pixels": 5, "min_visibility": cut},
    )
    assert run_cli("generate", path, "-o", out2, "-q").exit_code == 0
    kept = [
        a["synth_visibility"]
        for s in ("train", "val")
        for a in json.loads((out2 / "annotations" / f"instances_{s}.json").read_text())["annotations"]
    ]
    assert min(kept) >= cut and len(kept) < len(vis)
