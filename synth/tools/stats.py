"""`synth stats`: what is in a dataset, as numbers (stats.json), plots (PNG, matplotlib: the
optional extra `synth[report]`) and one self-contained report.html (plots, a gallery of frames
with their masks, defect close-ups, the dataset card and the config), to look at before training."""

from __future__ import annotations

import base64
import html
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..annotate import polygon_convention
from ..errors import SynthError
from ..writers.files import staged_folder
from .preview import closeups, draw, is_defect, read_instances

BRIGHTNESS_SAMPLE = 200  # images read for the brightness histogram (spread over the dataset)


def camera_geometry(world_to_camera: list) -> tuple[float, float]:
    """(elevation in degrees above the table, distance in metres along the optical axis to z = 0)."""
    w2c = np.asarray(world_to_camera, float)
    R, t = w2c[:3, :3], w2c[:3, 3]
    centre, axis = -R.T @ t, R.T @ np.array([0.0, 0.0, 1.0])
    elevation = float(np.degrees(np.arcsin(np.clip(-axis[2], -1, 1))))
    distance = float(centre[2] / -axis[2]) if axis[2] < -1e-9 else float("nan")
    return elevation, distance


def collect(root: Path) -> dict[str, Any]:
    """Every statistic of the dataset at `root`, as plain numbers and lists (what stats.json holds)."""
    docs = read_instances(root)
    s: dict[str, Any] = {
        "images": 0,
        "splits": {},
        "categories": Counter(),
        "parts_per_image": [],
        "object_size_px": [],
        "box_aspect": [],
        "visibility": [],
        "camera_elevation_deg": [],
        "camera_distance_m": [],
        "defect_kinds": Counter(),
        "defect_area_px": {},
        "anomalous_images": 0,
        "brightness": [],
    }
    paths = []
    for split, doc in docs:
        names = {c["id"]: c["name"] for c in doc["categories"]}
        s["splits"][split] = len(doc["images"])
        s["images"] += len(doc["images"])
        parts: Counter = Counter()
        for a in doc["annotations"]:
            if is_defect(a):
                kind = a["synth_attributes"]["kind"]
                s["defect_kinds"][kind] += 1
                s["defect_area_px"].setdefault(kind, []).append(a["area"])
                continue
            parts[a["image_id"]] += 1
            s["categories"][names[a["category_id"]]] += 1
            s["object_size_px"].append(float(np.sqrt(a["area"])))
            s["box_aspect"].append(a["bbox"][2] / max(a["bbox"][3], 1))
            if "synth_visibility" in a:
                s["visibility"].append(a["synth_visibility"])
        for im in doc["images"]:
            s["parts_per_image"].append(parts[im["id"]])
            s["anomalous_images"] += bool(im.get("synth_anomaly"))
            if "synth_camera" in im:
                elevation, distance = camera_geometry(im["synth_camera"]["world_to_camera"])
                s["camera_elevation_deg"].append(elevation)
                s["camera_distance_m"].append(distance)
            paths.append(root / "images" / split / im["file_name"])
    step = max(1, len(paths) // BRIGHTNESS_SAMPLE)
    for p in tqdm(paths[::step], desc="stats: brightness", unit="img", disable=None, leave=False):
        with Image.open(p) as pic:
            s["brightness"].append(float(np.asarray(pic.convert("L"), np.float32).mean()))
    s["anomaly_ratio"] = s["anomalous_images"] / max(s["images"], 1)
    s["annotations"] = sum(s["categories"].values())
    return s


def _figures(s: dict) -> dict[str, Any]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SynthError("synth stats draws its plots with matplotlib: pip install 'synth[report]'") from None

    def hist(ax, values, title, xlabel, bins=30):
        v = [x for x in values if np.isfinite(x)]
        if v:
            ax.hist(v, bins=bins, color="#4c72b0")
        else:
            ax.text(0.5, 0.5, "none in this dataset", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        ax.set_xlabel(xlabel)

    figs = {}
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(3, len(s["categories"])) + 1))
    cats = sorted(s["categories"].items(), key=lambda kv: kv[1])
    ax.barh([k for k, _ in cats], [v for _, v in cats], color="#4c72b0")
    ax.set_title("annotations per category")
    figs["class_balance"] = fig
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    hist(axes[0], s["object_size_px"], "object size", "sqrt(visible pixels)")
    hist(axes[1], s["box_aspect"], "box aspect", "width / height")
    hist(axes[2], s["visibility"], "visibility (amodal on)", "visible / whole pixels", bins=20)
    figs["objects"] = fig
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    counts = np.bincount(np.asarray(s["parts_per_image"], int)) if s["parts_per_image"] else np.zeros(1)
    axes[0].bar(np.arange(len(counts)), counts, color="#4c72b0")
    axes[0].set_title("parts per image")
    hist(axes[1], s["camera_elevation_deg"], "camera elevation", "degrees above the table")
    hist(axes[2], s["camera_distance_m"], "camera distance", "metres to the table along the axis")
    figs["scenes"] = fig
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    hist(axes[0], s["brightness"], "image brightness (light, exposure)", "mean grey, 0-255", bins=32)
    kinds = sorted(s["defect_kinds"].items())
    axes[1].bar([k for k, _ in kinds], [v for _, v in kinds], color="#c44e52")
    axes[1].set_title(f"defects by kind; anomalous images {100 * s['anomaly_ratio']:.0f}%")
    axes[1].tick_params(axis="x", rotation=30)
    for kind, areas in sorted(s["defect_area_px"].items()):
        axes[2].hist(np.sqrt(areas), bins=20, alpha=0.6, label=kind)
    axes[2].set_title("defect size")
    axes[2].set_xlabel("sqrt(visible pixels)")
    if s["defect_area_px"]:
        axes[2].legend(fontsize=7)
    figs["lighting_and_defects"] = fig
    for f in figs.values():
        f.tight_layout()
    return figs


def _png(fig_or_image) -> bytes:
    buf = io.BytesIO()
    if isinstance(fig_or_image, Image.Image):
        fig_or_image.save(buf, format="PNG")
    else:
        fig_or_image.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _gallery(root: Path, n: int) -> tuple[list[Image.Image], list[Image.Image]]:
    """The first `n` frames with their labels drawn, and the largest defect of each kind close up."""
    frames: list = []
    tiles: list[Image.Image] = []
    for split, doc in read_instances(root):
        names = {c["id"]: c["name"] for c in doc["categories"]}
        by_image: dict[int, list[dict]] = {}
        for a in doc["annotations"]:
            by_image.setdefault(a["image_id"], []).append(a)
        for im in doc["images"]:
            path = root / "images" / split / im["file_name"]

            def rgb(path: Path = path) -> np.ndarray:
                return np.asarray(Image.open(path).convert("RGB"))

            anns = by_image.get(im["id"], [])
            frames.append((rgb, anns))
            if len(tiles) < n:
                tiles.append(draw(rgb(), anns, names, polygon_convention(doc)))
    return tiles, closeups(frames, 8)


def write_report(root: Path, out: Path, gallery: int = 8) -> dict:
    """stats.json, one PNG per group of plots and report.html into `out` (new, empty, or a previous
    report of this command); returns the statistics."""
    if out.exists() and any(out.iterdir()) and not (out / "report.html").is_file():
        raise SynthError(f"{out}: exists, is not empty and holds no report.html (not a synth stats folder)")
    s = collect(root)
    figs = _figures(s)
    tiles, defect_tiles = _gallery(root, gallery)
    with staged_folder(out, replace=True) as tmp:
        plots = {name: _png(f) for name, f in figs.items()}
        for name, data in plots.items():
            (tmp / f"{name}.png").write_bytes(data)
        numbers = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in s.items()}
        (tmp / "stats.json").write_text(json.dumps(numbers, indent=1))
        card = (root / "README.md").read_text() if (root / "README.md").is_file() else "(no dataset card)"
        config = (root / "config.yaml").read_text() if (root / "config.yaml").is_file() else "(no config.yaml)"
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(s["defect_kinds"].items()))
        rows = [
            ("images", f"{s['images']} ({', '.join(f'{k} {v}' for k, v in s['splits'].items())})"),
            ("annotated parts", str(s["annotations"])),
            ("categories", str(len(s["categories"]))),
            ("defects", f"{sum(s['defect_kinds'].values())} ({kinds or 'none'})"),
            ("anomalous images", f"{100 * s['anomaly_ratio']:.1f}%"),
        ]
        body = [
            f"<h1>{html.escape(root.name)}</h1>",
            "<table>" + "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>" for a, b in rows) + "</table>",
            "<h2>Statistics</h2>",
            *[_img(data, name) for name, data in plots.items()],
            "<h2>Frames with their labels</h2>",
            '<div class="grid">' + "".join(_img(_png(t), "frame") for t in tiles) + "</div>",
            "<h2>Defect close-ups</h2>",
            '<div class="grid">' + ("".join(_img(_png(t), "defect") for t in defect_tiles) or "<p>no defects</p>") + "</div>",
            "<h2>Dataset card</h2>",
            f"<pre>{html.escape(card)}</pre>",
            "<h2>Config</h2>",
            f"<pre>{html.escape(config)}</pre>",
        ]
        style = (
            "body{font-family:sans-serif;margin:2em;max-width:1400px}img{max-width:100%;margin:4px}"
            ".grid img{width:32%}pre{background:#f4f4f4;padding:1em;overflow:auto}th{text-align:left;padding-right:1em}"
        )
        page = f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(root.name)}: synth stats</title>"
        (tmp / "report.html").write_text(page + f"<style>{style}</style></head><body>{''.join(body)}</body></html>")
    return s
