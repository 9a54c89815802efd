"""The README's sheets: the same frame of configs/fasteners_on_table.yaml over each support kind and
under each auto-exposure mode on a dark cloth; four frames of fasteners dropped by scene.physics;
each part family close up.
Run from the repository root: python docs/make_sheets.py"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw

from synth.config import load_config
from synth.pipeline import FrameMaker

SUPPORTS = [
    "oak",
    "beech",
    "walnut",
    "pine",
    "bamboo",
    "cloth_grey",
    "cloth_dark",
    "cloth_blue",
    "paper",
    "cardboard",
    "concrete",
    "rubber_mat",
    "painted_bench",
    "steel_table",
    "cloth_beige",
    "pallet",
]
METERS = ["white_card", "average", "center_weighted", "spot"]


def frame(tmp: Path, support: str, meter: str, index: int = 5) -> Image.Image:
    raw = yaml.safe_load(Path("configs/fasteners_on_table.yaml").read_text())
    raw["image"].update(width=320, height=240, format="png")
    raw["scene"]["support"] = {"material": support}
    raw["lighting"].update(auto_exposure=meter, exposure_bias=0.0, exposure=1.0)
    raw["camera"].update(distance=0.3, elevation_deg=88)
    (tmp / "c.yaml").write_text(yaml.safe_dump(raw))
    with FrameMaker(load_config(tmp / "c.yaml")) as fm:
        rgb = fm.make(index).rgb
    im = Image.fromarray(rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2))
    ImageDraw.Draw(im).text((6, 4), support if meter == "white_card" else meter, fill=(255, 60, 200))
    return im


def sheet(images: list[Image.Image], cols: int, path: str) -> None:
    out = Image.new("RGB", (320 * cols, 240 * ((len(images) + cols - 1) // cols)))
    for k, im in enumerate(images):
        out.paste(im, ((k % cols) * 320, (k // cols) * 240))
    out.save(path)


PHYSICS = {
    "name": "physics",
    "seed": 1,
    "num_images": 4,
    "image": {"width": 480, "height": 360},
    "parts": [
        {
            "family": "hex_bolt",
            "category": "bolt",
            "material": "zinc_plated",
            "params": {"size": "M8", "length": {"uniform": [20, 60]}},
        },
        {"family": "washer", "category": "washer", "material": "zinc_plated"},
        {"family": "hex_nut", "category": "nut", "material": "steel"},
        {"family": "wood_screw", "category": "screw", "material": "black_oxide"},
    ],
    "scene": {
        "parts_per_image": 8,
        "region": [0.08, 0.06],
        "support": {"material": "oak"},
        "physics": {"enabled": True, "touching": 0.7},
    },
    "camera": {"distance": 0.22, "elevation_deg": {"uniform": [50, 70]}},
}


def physics_sheet(tmp: Path) -> None:
    (tmp / "p.yaml").write_text(yaml.safe_dump(PHYSICS))
    with FrameMaker(load_config(tmp / "p.yaml")) as fm:
        images = [Image.fromarray(fm.make(i).rgb) for i in range(4)]
    out = Image.new("RGB", (960, 720))
    for k, im in enumerate(images):
        out.paste(im, ((k % 2) * 480, (k // 2) * 360))
    out.save("docs/images/physics.png")


def families_sheet(tmp: Path) -> None:
    from synth.parts.families import FAMILIES

    images = []
    for name in FAMILIES:
        raw = {
            "name": name,
            "seed": 2,
            "num_images": 1,
            "image": {"width": 320, "height": 240},
            "parts": [{"family": name, "category": name, "material": "zinc_plated"}],
            "scene": {"parts_per_image": 4, "region": [0.06, 0.045], "support": {"material": "paper"}},
            "camera": {"distance": 0.16, "elevation_deg": 60},
            "lighting": {"environment": "studio_soft", "key_lights": {"count": 1, "type": "spot", "intensity": 4}},
        }
        (tmp / "f.yaml").write_text(yaml.safe_dump(raw))
        with FrameMaker(load_config(tmp / "f.yaml")) as fm:
            im = Image.fromarray(fm.make(0).rgb)
        ImageDraw.Draw(im).text((6, 4), name, fill=(255, 60, 200))
        images.append(im)
    sheet(images, 4, "docs/images/families.png")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        sheet([frame(tmp, s, "white_card") for s in SUPPORTS], 4, "docs/images/supports.png")
        sheet([frame(tmp, "cloth_dark", m) for m in METERS], 4, "docs/images/exposure.png")
        physics_sheet(tmp)
        families_sheet(tmp)
