"""`synth validate`: every invariant of a synth COCO dataset, checked with pycocotools."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from PIL import Image
from pycocotools.coco import COCO
from tqdm import tqdm

from ..annotate import decode, polygon_convention, tight_bbox
from ..writers.dataset import MARKER, OWN

MAP_FOLDERS = ("masks", "semantic", "depth", "normals")  # one PNG per image, named by frame


def _read_json(path: Path) -> tuple[dict | None, str | None]:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as e:
        return None, f"{path}: not readable JSON ({str(e).splitlines()[0]})"
    if not isinstance(doc, dict):
        return None, f"{path}: expected a JSON object at the top level, got {type(doc).__name__}"
    return doc, None


def _image_problem(f: Path, size: tuple[int, int] | None) -> str | None:
    """None when `f` decodes completely (and has `size`), else what is wrong."""
    try:
        with Image.open(f) as pic:
            pic.load()
            if size is not None and pic.size != size:
                return f"{f}: image is {pic.size[0]}x{pic.size[1]}, its record says {size[0]}x{size[1]}"
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        return f"{f}: cannot be decoded ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
    return None


def validate_file(path: Path, images_dir: Path) -> tuple[dict, list[str]]:
    """Check one instances file; returns (counts, violations). Never raises on bad content."""
    doc, problem = _read_json(path)
    if doc is None:
        return {}, [problem or f"{path}: unreadable"]
    bad: list[str] = []
    for key in ("info", "licenses", "images", "annotations", "categories"):
        if key not in doc:
            bad.append(f"{path}: missing top-level key {key!r}")
    if any(not isinstance(doc.get(k, []), list) for k in ("images", "annotations", "categories")):
        return {}, bad + [f"{path}: images, annotations and categories must be lists"]
    for kind in ("images", "annotations", "categories"):
        if any(not isinstance(x, dict) for x in doc.get(kind, [])):
            return {}, bad + [f"{path}: every entry of {kind} must be an object"]
        ids = [x.get("id") for x in doc.get(kind, [])]
        if any(not isinstance(i, int) or isinstance(i, bool) or i < 1 for i in ids):
            bad.append(f"{path}: {kind} ids must be integers >= 1")
        if len(set(map(str, ids))) != len(ids):
            bad.append(f"{path}: {kind} ids are not unique")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            index = COCO()
            index.dataset = doc
            index.createIndex()
    except Exception as e:
        bad.append(f"{path}: pycocotools cannot index it ({type(e).__name__}: {e})")
    names = [c.get("name") for c in doc.get("categories", [])]
    if len(set(map(str, names))) != len(names):
        bad.append(f"{path}: category names are duplicated")
    for c in doc.get("categories", []):
        if "supercategory" not in c:
            bad.append(f"{path}: category {c.get('name')!r} has no supercategory")
    images = {im.get("id"): im for im in doc.get("images", [])}
    cats = {c.get("id") for c in doc.get("categories", [])}
    convention = polygon_convention(doc)
    for im in images.values():
        name, w, h = im.get("file_name"), im.get("width"), im.get("height")
        if not isinstance(name, str) or not isinstance(w, int) or not isinstance(h, int) or "/" in name:
            bad.append(f"{path}: image {im.get('id')}: needs file_name (a plain name), width and height")
            continue
        f = images_dir / name
        if not f.is_file():
            bad.append(f"{path}: image {im['id']}: file {f} is missing")
        elif (problem := _image_problem(f, (w, h))) is not None:
            bad.append(problem)
    for a in tqdm(doc.get("annotations", []), desc=f"validate {path.name}", unit="ann", disable=None, leave=False):
        where = f"{path}: annotation {a.get('id')}"
        im = images.get(a.get("image_id"))
        if im is None or not isinstance(im.get("width"), int) or not isinstance(im.get("height"), int):
            bad.append(f"{where}: image_id {a.get('image_id')} does not exist")
            continue
        if a.get("category_id") not in cats:
            bad.append(f"{where}: category_id {a.get('category_id')} does not exist")
        if a.get("iscrowd") != 0:
            bad.append(f"{where}: iscrowd must be 0")
        missing = [k for k in ("segmentation", "bbox", "area") if k not in a]
        if missing:
            bad.append(f"{where}: missing {', '.join(missing)}")
            continue
        try:
            m = decode(a, im["height"], im["width"], convention)
        except Exception as e:  # pycocotools raises several kinds on garbage
            bad.append(f"{where}: segmentation cannot be decoded ({type(e).__name__})")
            continue
        if not m.any():
            bad.append(f"{where}: mask is empty")
            continue
        box = a["bbox"]
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
            bad.append(f"{where}: bbox {box!r} is not [x, y, w, h]")
        elif tight_bbox(m) != [int(v) for v in box] or any(v != int(v) for v in box):
            bad.append(f"{where}: bbox {box} != tight box of the mask {tight_bbox(m)}")
        if convention != "pixel_center" and int(m.sum()) != a["area"]:  # centre readers: the box only (bridges add pixels)
            bad.append(f"{where}: area {a['area']} != mask pixel count {int(m.sum())}")
        mesh = a.get("synth_mesh")
        if isinstance(mesh, str) and mesh.startswith("meshes/") and not (images_dir.parent.parent / mesh).is_file():
            bad.append(f"{where}: its mesh {mesh} is not in the dataset")
        if "synth_amodal_segmentation" in a:
            try:
                whole = decode({"segmentation": a["synth_amodal_segmentation"]}, im["height"], im["width"])
            except Exception as e:
                bad.append(f"{where}: amodal_segmentation cannot be decoded ({type(e).__name__})")
                continue
            if (m & ~whole).any():
                bad.append(f"{where}: visible mask is not inside the amodal mask")
            if tight_bbox(whole) != a.get("synth_bbox_amodal") or int(whole.sum()) != a.get("synth_amodal_area"):
                bad.append(f"{where}: bbox_amodal/amodal_area do not match the amodal mask")
            if not 0 < a.get("synth_visibility", 0) <= 1 or abs(a["synth_visibility"] - m.sum() / whole.sum()) > 1e-5:
                bad.append(f"{where}: visibility {a.get('synth_visibility')} != visible / amodal pixels")
    counts = {"images": len(images), "annotations": len(doc.get("annotations", [])), "categories": len(cats)}
    return counts, bad


def _folder_problems(root: Path, split: str, doc: dict) -> list[str]:
    """Every image of the split has its label maps, each decodes at the image's size, and the
    image and map folders hold nothing else."""
    bad = []
    names = {im.get("file_name") for im in doc.get("images", []) if isinstance(im, dict)}
    folder = root / "images" / split
    if folder.is_dir():
        bad += [f"{p}: not an image of the dataset" for p in sorted(folder.iterdir()) if p.name not in names]
    for kind in MAP_FOLDERS:
        maps = root / kind / split
        if not (root / kind).is_dir():
            continue
        expected = {}
        for im in doc.get("images", []):
            if isinstance(im, dict) and isinstance(im.get("file_name"), str):
                name = Path(im["file_name"]).stem + ".png"
                if kind == "depth" and isinstance(im.get("synth_depth_file"), str):  # .png or a float .tiff
                    name = Path(im["synth_depth_file"]).name
                expected[name] = (im.get("width"), im.get("height"))
        have = {p.name for p in maps.iterdir()} if maps.is_dir() else set()
        bad += [f"{maps / n}: missing" for n in sorted(set(expected) - have)]
        bad += [f"{maps / n}: not a map of an image of the dataset" for n in sorted(have - set(expected))]
        for n in sorted(set(expected) & have):
            w, h = expected[n]
            if (problem := _image_problem(maps / n, (w, h) if isinstance(w, int) and isinstance(h, int) else None)) is not None:
                bad.append(problem)
    return bad


def validate_dataset(root: Path) -> tuple[dict[str, dict], list[str]]:
    """Every file of a dataset: the instances files (loaded with pycocotools), every image and
    label map decoded, no missing or extra files; returns (counts per split, violations)."""
    files = sorted((root / "annotations").glob("instances_*.json"))
    if not files:
        return {}, [f"{root}: no annotations/instances_*.json files (not a finished synth dataset?)"]
    summary: dict[str, dict] = {}
    bad: list[str] = []
    if (root / MARKER).exists():
        bad.append(f"{root / MARKER}: an unfinished run's work folder (finish it with synth generate ... --resume)")
    splits = [f.stem.removeprefix("instances_") for f in files]
    bad += [f"{p}: not part of a synth dataset" for p in sorted(root.iterdir()) if p.name not in OWN]
    for kind in ("images", *MAP_FOLDERS):
        if (root / kind).is_dir():
            bad += [f"{p}: not a split of the dataset" for p in sorted((root / kind).iterdir()) if p.name not in splits]
    categories = []
    for f, split in zip(files, splits, strict=True):
        counts, problems = validate_file(f, root / "images" / split)
        summary[split] = counts
        bad += problems
        doc, _ = _read_json(f)
        if doc is not None:
            bad += _folder_problems(root, split, doc)
            categories.append(doc.get("categories"))
    if any(c != categories[0] for c in categories):
        bad.append(f"{root}: the splits do not share the same categories")
    return summary, bad
