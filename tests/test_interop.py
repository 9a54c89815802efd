"""Other tools read synth's files as they are: FiftyOne's COCO importer (the `interop` extra)."""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import pytest

from synth.annotate import decode

from .conftest import run_cli, small_config


def load_fiftyone(root, split: str):
    """The documented call (README, Use it with ...): FiftyOne's COCO importer, then the image-level
    synth_* fields as sample fields, matched by the COCO image id."""
    import fiftyone as fo

    labels = f"{root}/annotations/instances_{split}.json"
    ds = fo.Dataset.from_dir(
        dataset_type=fo.types.COCODetectionDataset,
        data_path=f"{root}/images/{split}",
        labels_path=labels,
        label_types=["detections", "segmentations"],
        include_id=True,
        name=f"synth-test-{uuid.uuid4().hex[:8]}",
    )
    images = {im["id"]: im for im in json.load(open(labels))["images"]}
    for key in ("synth_anomaly", "synth_defects", "synth_camera", "synth_seed", "synth_frame_index"):
        ds.set_values(key, [images[i].get(key) for i in ds.values("coco_id")])
    return ds


@pytest.fixture(scope="module")
def fiftyone(tmp_path_factory):
    os.environ["FIFTYONE_DO_NOT_TRACK"] = "true"
    os.environ.setdefault("FIFTYONE_DATABASE_DIR", str(tmp_path_factory.mktemp("fiftyone-db")))
    return pytest.importorskip("fiftyone")


@pytest.mark.interop
@pytest.mark.parametrize("mask_format", ["rle", "polygon"])
def test_fiftyone_loads_boxes_masks_and_fields_exactly(fiftyone, tmp_path, mask_format):
    defects = {"defect_free_fraction": 0.3, "kinds": {"stain": {"probability": 0.7}, "scratch": {}}}
    cfg = small_config(tmp_path, num_images=3, splits={"train": 1.0}, defects=defects)
    out = tmp_path / "ds"
    res = run_cli("generate", cfg, "-o", out, "-q", "--set", f"annotations.mask_format={mask_format}")
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "annotations" / "instances_train.json").read_text())
    ds = load_fiftyone(out, "train")
    try:
        assert len(ds) == len(doc["images"])
        names = {c["id"]: c["name"] for c in doc["categories"]}
        checked = 0
        for sample in ds:
            im = next(i for i in doc["images"] if i["id"] == sample["coco_id"])
            w, h = im["width"], im["height"]
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            for field in ("detections", "segmentations"):
                dets = sample[field].detections
                assert [d.label for d in dets] == [names[a["category_id"]] for a in anns]
                for d, a in zip(dets, anns, strict=True):
                    x, y, bw, bh = d.bounding_box
                    np.testing.assert_allclose([x * w, y * h, bw * w, bh * h], a["bbox"], atol=1e-6)
                    assert {k: d[k] for k in a if k.startswith("synth_") and k != "synth_amodal_segmentation"} == {
                        k: v for k, v in a.items() if k.startswith("synth_") and k != "synth_amodal_segmentation"
                    }
            for d, a in zip(sample["segmentations"].detections, anns, strict=True):
                bx, by, bw, bh = a["bbox"]
                assert np.array_equal(np.asarray(d.mask, bool), decode(a, h, w)[by : by + bh, bx : bx + bw])
                checked += 1
            assert sample["synth_anomaly"] == im["synth_anomaly"] and sample["synth_defects"] == im["synth_defects"]
            assert sample["synth_camera"] == im["synth_camera"] and sample["synth_frame_index"] == im["synth_frame_index"]
        assert checked > 5
    finally:
        ds.delete()
