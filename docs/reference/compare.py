"""Put a Cycles reference (cycles_render.py) through synth's tone curve and compare it with
synth's render of the same frame (export_scene.py):

    python docs/reference/compare.py OUTDIR [OUTDIR ...] --sheet docs/images/cycles_reference.png

Prints, per frame and region (each part, the support), the mean display brightness of both
renders and their ratio, and writes a sheet: synth | Cycles, one row per frame.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from synth.render.tone import filmic


def luma(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def compare(out: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    doc = json.loads((out / "scene.json").read_text())
    synth = np.asarray(Image.open(out / "synth.png").convert("RGB"))
    ref = filmic(np.load(out / "cycles.npy"), doc["environment"]["exposure"])
    Image.fromarray(ref).save(out / "cycles.png")
    ids = np.load(out / "ids.npy")
    ls, lr = luma(synth), luma(ref)
    names = {o["instance_id"]: f"{o['category']} ({o['metallic']:.1f} metal, {o['roughness']:.2f} rough)" for o in doc["objects"]}
    rows = []
    for iid, name in [(0, f"support ({doc['support']['kind']})"), *sorted(names.items())]:
        m = ids == iid
        if m.sum() < 50:
            continue
        a, b = float(ls[m].mean()), float(lr[m].mean())
        rows.append(f"  {name:44s} {m.sum():7d} px  synth {a:6.1f}  cycles {b:6.1f}  ratio {a / max(b, 1e-3):5.2f}")
    return synth, ref, rows


def main(dirs: list[Path], sheet: Path | None) -> None:
    pairs = []
    for d in dirs:
        synth, ref, rows = compare(d)
        print(f"{d}: mean |synth - cycles| = {np.abs(synth.astype(int) - ref).mean():.1f} / 255")
        print("\n".join(rows))
        pairs.append((synth, ref))
    if sheet is not None:
        h, w, _ = pairs[0][0].shape
        img = Image.new("RGB", (2 * w, h * len(pairs)))
        for k, (s, r) in enumerate(pairs):
            for j, (label, a) in enumerate((("synth (VTK, real time)", s), ("Cycles (path traced)", r))):
                tile = Image.fromarray(a)
                ImageDraw.Draw(tile).text((6, 4), label, fill=(255, 60, 200))
                img.paste(tile, (j * w, k * h))
        img.save(sheet)


if __name__ == "__main__":
    args = sys.argv[1:]
    sheet = Path(args[args.index("--sheet") + 1]) if "--sheet" in args else None
    main([Path(a) for a in args if a != "--sheet" and str(sheet) != a], sheet)
