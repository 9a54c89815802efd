"""The masks are geometrically right: ray casting the mesh files with the exported K and
object_pose (no renderer involved) reproduces each visible mask."""

from __future__ import annotations

import json

import numpy as np
import yaml

from synth.annotate import decode

from .raycast import raycast_instances


def test_raycast_masks_match_rendered_masks(dataset):
    cfg = yaml.safe_load((dataset / "config.yaml").read_text())
    units = {p["mesh"]: p["units"] for p in cfg["parts"]}
    ious = []
    for split in ("train", "val"):
        doc = json.loads((dataset / "annotations" / f"instances_{split}.json").read_text())
        for im in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            if not anns:
                continue
            ref = raycast_instances(im, anns, units, lambda p: p)
            for a in anns:
                if a["area"] < 1000:
                    continue
                m = decode(a, im["height"], im["width"])
                r = ref == a["synth_instance_id"]
                ious.append((m & r).sum() / (m | r).sum())
    assert len(ious) >= 4
    assert np.mean(ious) >= 0.99 and min(ious) >= 0.97, ious


def test_lens_model_round_trips():
    from synth.sensor import distort_points, undistort_points

    xy = np.random.default_rng(0).uniform(-0.6, 0.6, (500, 2))
    for d in [(-0.3, 0.1, 0.001, -0.002, -0.02), (0.2, -0.05, 0.0, 0.0, 0.01)]:
        assert np.abs(distort_points(undistort_points(distort_points(xy, d), d), d) - distort_points(xy, d)).max() < 1e-9


def test_distorted_masks_are_the_ideal_masks_warped_through_the_lens(tmp_path):
    """With barrel distortion every map goes through the same warp: each distorted pixel takes
    the ideal pinhole pixel nearest to where its ray lands. So the masks equal ray-cast ideal
    masks (mesh files, exported K and object_pose, no renderer) warped with the exported
    OpenCV coefficients; against rays cast through the lens exactly, they differ only on pixels
    along the silhouette (the nearest-pixel warp moves an edge by less than a pixel)."""
    from scipy.ndimage import binary_dilation, binary_erosion

    from synth.sensor import padding, source_pixels, warp_nearest

    from .conftest import run_cli, small_config

    cam = {
        "distance": {"uniform": [0.25, 0.3]},
        "elevation_deg": {"uniform": [50, 80]},
        "fov_deg": 60,
        "distortion": {"k1": {"uniform": [-0.35, -0.25]}, "k2": 0.08, "p1": 0.002, "p2": -0.001},
    }
    out = tmp_path / "out"
    res = run_cli("generate", small_config(tmp_path, camera=cam, num_images=2), "-o", out, "-q")
    assert res.exit_code == 0, res.output
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    units = {p["mesh"]: p["units"] for p in cfg["parts"]}
    warped_iou, off_edge = [], 0
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for im in doc["images"]:
            d = tuple(im["synth_camera"]["distortion"])
            assert d[0] < -0.2
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            K, w, h = np.array(im["synth_camera"]["K"]), im["width"], im["height"]
            px, py = padding(K, [(c, c) for c in d], w, h)
            Kp = K.copy()
            Kp[:2, 2] += (px, py)
            canvas = {"width": w + 2 * px, "height": h + 2 * py, "synth_camera": {"K": Kp.tolist()}}
            ideal = warp_nearest(raycast_instances(canvas, anns, units, lambda p: p), source_pixels(K, d, w, h), (px, py))
            through = raycast_instances(im, anns, units, lambda p: p)
            for a in anns:
                m = decode(a, h, w)
                if a["area"] >= 1000:
                    ref = ideal == a["synth_instance_id"]
                    warped_iou.append((m & ref).sum() / (m | ref).sum())
                exact = through == a["synth_instance_id"]
                band = binary_dilation(exact, np.ones((3, 3))) & ~binary_erosion(exact, np.ones((3, 3)))
                off_edge += int(((m ^ exact) & ~band).sum())
    assert len(warped_iou) >= 3 and np.mean(warped_iou) >= 0.99 and min(warped_iou) >= 0.97, warped_iou
    assert off_edge == 0


def test_bop_export_poses_reproduce_the_masks(tmp_path):
    """The BOP copy: models in mm, cam_R_m2c / cam_t_m2c (mm) and cam_K reproduce each visible
    mask when the model is ray cast (no renderer), and rgb/ holds the same images."""
    from PIL import Image

    from .conftest import run_cli, small_config

    out = tmp_path / "out"
    assert run_cli("generate", small_config(tmp_path, num_images=3, outputs={"bop": True}), "-o", out, "-q").exit_code == 0
    bop = out / "bop"
    info = json.loads((bop / "models" / "models_info.json").read_text())
    assert len(info) == 5 and all(v["diameter"] > 5 for v in info.values())  # millimetres
    ious = []
    for split in ("train", "val"):
        scene = bop / split / "000000"
        gt = json.loads((scene / "scene_gt.json").read_text())
        cams = json.loads((scene / "scene_camera.json").read_text())
        for key, objs in gt.items():
            rgb = scene / "rgb" / f"{int(key):06d}.png"
            assert rgb.read_bytes() == (out / "images" / split / f"{int(key):06d}.png").read_bytes()
            h, w = np.asarray(Image.open(rgb)).shape[:2]
            anns, units = [], {}
            for k, o in enumerate(objs):
                model = str(bop / "models" / f"obj_{o['obj_id']:06d}.ply")
                pose = np.eye(4)
                pose[:3, :3] = np.reshape(o["cam_R_m2c"], (3, 3))
                pose[:3, 3] = np.asarray(o["cam_t_m2c"]) / 1000.0
                anns.append({"synth_mesh": model, "synth_object_pose": pose.tolist(), "synth_instance_id": k + 1})
                units[model] = "mm"
            image = {"width": w, "height": h, "synth_camera": {"K": np.reshape(cams[key]["cam_K"], (3, 3)).tolist()}}
            ref = raycast_instances(image, anns, units, lambda p: p)
            for k in range(len(objs)):
                m = np.asarray(Image.open(scene / "mask_visib" / f"{int(key):06d}_{k:06d}.png")) > 0
                if m.sum() >= 1000:
                    r = ref == k + 1
                    ious.append((m & r).sum() / (m | r).sum())
    assert len(ious) >= 3 and np.mean(ious) >= 0.99 and min(ious) >= 0.97, ious


def test_3d_boxes_enclose_the_parts(tmp_path):
    """bbox_3d: the projected box corners enclose each visible mask, and the box's centre and
    rotation agree with object_pose."""
    from .conftest import run_cli, small_config

    out = tmp_path / "out"
    assert (
        run_cli("generate", small_config(tmp_path, num_images=2, annotations={"boxes_3d": True}), "-o", out, "-q").exit_code == 0
    )
    n = 0
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for a in doc["annotations"]:
            b = a["synth_bbox_3d"]
            uv = np.array(b["corners_2d"])
            x, y, w, h = a["bbox"]
            assert uv[:, 0].min() <= x + 0.5 and uv[:, 0].max() >= x + w - 1.5
            assert uv[:, 1].min() <= y + 0.5 and uv[:, 1].max() >= y + h - 1.5
            P = np.array(a["synth_object_pose"])
            assert np.allclose(b["rotation"], P[:3, :3]) and b["center"][2] > 0 and min(b["size"]) > 0
            n += 1
    assert n >= 4


def test_distractors_occlude_exactly_and_are_labeled_on_request(tmp_path):
    """Distractors (bundled primitives) lie among the parts; unlabeled they get no annotation,
    labeled they are category 'distractor', and ray casting every annotated mesh still
    reproduces every mask (occlusion by clutter included)."""
    from synth.paths import bundled

    from .conftest import run_cli, small_config

    scene = {"parts_per_image": {"uniform": [2, 3]}, "region": [0.12, 0.09], "distractors": {"count": 4}}
    out = tmp_path / "plain"
    assert run_cli("generate", small_config(tmp_path, num_images=2, scene=scene), "-o", out, "-q").exit_code == 0
    doc = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert "distractor" not in {c["name"] for c in doc["categories"]}
    scene["distractors"]["labeled"] = True
    out = tmp_path / "labeled"
    assert run_cli("generate", small_config(tmp_path, num_images=2, scene=scene), "-o", out, "-q").exit_code == 0
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    units = {p["mesh"]: p["units"] for p in cfg["parts"]} | {m: "mm" for m in cfg["scene"]["distractors"]["meshes"]}
    ious, seen = [], set()
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        names = {c["id"]: c["name"] for c in doc["categories"]}
        for im in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            seen |= {names[a["category_id"]] for a in anns}
            ref = raycast_instances(im, anns, units, lambda p: str(bundled(p) or p))  # synth:meshes/... or absolute
            for a in anns:
                if a["area"] >= 800:
                    m = decode(a, im["height"], im["width"])
                    ious.append((m & (ref == a["synth_instance_id"])).sum() / (m | (ref == a["synth_instance_id"])).sum())
    assert "distractor" in seen
    assert len(ious) >= 4 and np.mean(ious) >= 0.99, ious


def test_scaled_parts_keep_exact_masks(tmp_path):
    """parts[].scale draws a size per instance in 0.5% steps, records it as attributes.scale, and
    the mesh file scaled by it (with object_pose) reproduces each mask by ray casting."""
    from .conftest import MESHES, run_cli, small_config

    parts = [{"mesh": str(MESHES / "hex_nut.stl"), "category": "nut", "units": "mm", "scale": {"uniform": [0.6, 1.6]}}]
    out = tmp_path / "out"
    res = run_cli("generate", small_config(tmp_path, parts=parts, num_images=2), "-o", out, "-q")
    assert res.exit_code == 0, res.output
    scales, ious = [], []
    for split in ("train", "val"):
        doc = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for im in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == im["id"]]
            ref = raycast_instances(im, anns, {str(MESHES / "hex_nut.stl"): "mm"}, lambda p: p)
            for a in anns:
                scales.append(a["synth_attributes"]["scale"])
                m, r = decode(a, im["height"], im["width"]), ref == a["synth_instance_id"]
                ious.append((m & r).sum() / (m | r).sum())
    s = np.array(scales)
    assert len(s) >= 4 and ((s >= 0.6) & (s <= 1.6)).all() and np.ptp(s) > 0.1
    assert np.allclose(s / 0.005, np.round(s / 0.005))
    assert min(ious) >= 0.95 and np.mean(ious) >= 0.98, ious


def test_bop_export_follows_the_format_spec(tmp_path):
    """Field by field against the BOP format spec: models (binary PLY with normals and no other
    property, exact diameters), camera.json, depth/, amodal mask/ and mask_visib/, a complete
    scene_gt_info.json and a scene_gt_coco.json that pycocotools loads."""
    import contextlib
    import io

    import trimesh
    from PIL import Image
    from pycocotools.coco import COCO

    from synth.annotate import tight_bbox
    from synth.writers.bop import diameter

    from .conftest import run_cli, small_config

    out = tmp_path / "out"
    cfg = small_config(tmp_path, num_images=2, splits={"train": 1.0}, outputs={"bop": True, "depth": True})
    assert run_cli("generate", cfg, "-o", out, "-q").exit_code == 0
    bop = out / "bop"
    info = json.loads((bop / "models" / "models_info.json").read_text())
    for k, v in info.items():
        raw = (bop / "models" / f"obj_{int(k):06d}.ply").read_bytes()
        header = raw[: raw.index(b"end_header\n")].decode().splitlines()
        props = [ln for ln in header if ln.startswith("property")]
        assert header[1] == "format binary_little_endian 1.0"
        assert props == [f"property float {p}" for p in ("x", "y", "z", "nx", "ny", "nz")] + [
            "property list uchar int vertex_indices"
        ]
        m = trimesh.load(io.BytesIO(raw), file_type="ply", process=False)
        assert m.is_watertight and np.allclose(m.bounds[0], [v["min_x"], v["min_y"], v["min_z"]], atol=1e-3)
        brute = max(np.linalg.norm(m.vertices[i] - m.vertices, axis=1).max() for i in range(len(m.vertices)))
        assert abs(v["diameter"] - brute) < 1e-3 and abs(diameter(np.asarray(m.vertices)) - brute) < 1e-3
    camera = json.loads((bop / "camera.json").read_text())
    assert set(camera) == {"cx", "cy", "fx", "fy", "width", "height", "depth_scale"}
    scene = bop / "train" / "000000"
    gt = json.loads((scene / "scene_gt.json").read_text())
    gt_info = json.loads((scene / "scene_gt_info.json").read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(scene / "scene_gt_coco.json"))
    seen = 0
    for key, objs in gt.items():
        depth = np.asarray(Image.open(scene / "depth" / f"{int(key):06d}.png"))
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[int(key)]))
        assert len(objs) == len(gt_info[key]) == len(anns)
        for k, (o, gi, ca) in enumerate(zip(objs, gt_info[key], anns, strict=True)):
            whole = np.asarray(Image.open(scene / "mask" / f"{int(key):06d}_{k:06d}.png")) > 0
            visible = np.asarray(Image.open(scene / "mask_visib" / f"{int(key):06d}_{k:06d}.png")) > 0
            assert not (visible & ~whole).any()
            assert gi["bbox_obj"] == tight_bbox(whole) and gi["bbox_visib"] == tight_bbox(visible)
            assert gi["px_count_all"] == whole.sum() and gi["px_count_visib"] == visible.sum()
            assert gi["px_count_valid"] == (whole & (depth > 0)).sum()
            assert abs(gi["visib_fract"] - visible.sum() / whole.sum()) < 1e-9
            assert ca["category_id"] == o["obj_id"] and ca["bbox"] == gi["bbox_obj"] and ca["area"] == gi["px_count_visib"]
            assert np.array_equal(coco.annToMask(ca).astype(bool), visible) and ca["ignore"] == (gi["visib_fract"] < 0.1)
            seen += 1
    assert seen >= 3 and any(g["px_count_visib"] < g["px_count_all"] for v in gt_info.values() for g in v)
