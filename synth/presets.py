"""PBR material presets (metallic/roughness workflow, linear base colours): plain data, so the
config can check names against them and the scene sampler can draw from them.

Base colours follow measured reflectances of the metals (e.g. aluminium 0.91, iron 0.56)
and typical albedos of dielectrics; each preset is a range so that parts vary.
"""

from __future__ import annotations

Preset = tuple[tuple[float, float, float], float, tuple[float, float], tuple[float, float]]

# name: (base colour linear RGB, brightness jitter, metallic range, roughness range)
PRESETS: dict[str, Preset] = {
    "steel": ((0.56, 0.57, 0.58), 0.08, (0.9, 1.0), (0.25, 0.45)),
    "stainless": ((0.67, 0.64, 0.60), 0.05, (0.95, 1.0), (0.12, 0.3)),
    "aluminium": ((0.91, 0.92, 0.92), 0.05, (0.9, 1.0), (0.2, 0.4)),
    "brushed_aluminium": ((0.88, 0.89, 0.90), 0.05, (0.9, 1.0), (0.35, 0.5)),
    "cast_iron": ((0.40, 0.40, 0.41), 0.10, (0.6, 0.85), (0.6, 0.85)),
    "copper": ((0.95, 0.64, 0.54), 0.05, (0.95, 1.0), (0.2, 0.4)),
    "brass": ((0.91, 0.78, 0.42), 0.05, (0.95, 1.0), (0.2, 0.4)),
    "zinc_plated": ((0.70, 0.72, 0.75), 0.06, (0.85, 1.0), (0.25, 0.45)),
    "black_oxide": ((0.10, 0.10, 0.11), 0.20, (0.7, 0.9), (0.35, 0.55)),
    "anodized_black": ((0.04, 0.04, 0.045), 0.2, (0.5, 0.7), (0.3, 0.45)),  # dyed oxide over aluminium
    "anodized_blue": ((0.06, 0.18, 0.48), 0.1, (0.5, 0.7), (0.3, 0.45)),
    "anodized_red": ((0.45, 0.05, 0.06), 0.1, (0.5, 0.7), (0.3, 0.45)),
    "anodized_gold": ((0.62, 0.45, 0.12), 0.1, (0.6, 0.8), (0.3, 0.45)),
    "black_plastic": ((0.03, 0.03, 0.03), 0.30, (0.0, 0.0), (0.3, 0.6)),
    "grey_plastic": ((0.28, 0.29, 0.30), 0.15, (0.0, 0.0), (0.4, 0.7)),
    "blue_plastic": ((0.05, 0.16, 0.45), 0.15, (0.0, 0.0), (0.4, 0.7)),
    "rubber": ((0.02, 0.02, 0.02), 0.30, (0.0, 0.0), (0.8, 0.95)),
    "red_plastic": ((0.50, 0.04, 0.03), 0.15, (0.0, 0.0), (0.3, 0.6)),  # desk clutter: pens, tape, boxes
    "yellow_plastic": ((0.70, 0.50, 0.03), 0.15, (0.0, 0.0), (0.3, 0.6)),
    "green_plastic": ((0.05, 0.30, 0.08), 0.15, (0.0, 0.0), (0.3, 0.6)),
    "white_plastic": ((0.75, 0.75, 0.72), 0.08, (0.0, 0.0), (0.3, 0.6)),
    "ceramic": ((0.80, 0.79, 0.76), 0.06, (0.0, 0.0), (0.05, 0.2)),  # a glazed mug
    "weld_bead": ((0.50, 0.50, 0.51), 0.12, (0.8, 1.0), (0.45, 0.65)),  # as-welded metal: greyer and rougher than the plate
}

# name: (finish texture, anisotropy); the finish modulates roughness, anisotropy stretches highlights
FINISH: dict[str, tuple[str, float]] = {
    "steel": ("machined", 0.0),
    "stainless": ("machined", 0.0),
    "aluminium": ("machined", 0.0),
    "brushed_aluminium": ("brushed", 0.6),
    "cast_iron": ("cast", 0.0),
    "brass": ("machined", 0.0),
    "zinc_plated": ("cast", 0.0),
    "weld_bead": ("cast", 0.0),
    **{f"anodized_{c}": ("machined", 0.0) for c in ("black", "blue", "red", "gold")},
}

SUPPORTS: dict[str, Preset] = {
    "steel_table": ((0.22, 0.23, 0.24), 0.15, (0.3, 0.5), (0.55, 0.7)),
    "conveyor_belt": ((0.035, 0.04, 0.04), 0.25, (0.0, 0.0), (0.75, 0.9)),
    "wood": ((0.42, 0.27, 0.15), 0.15, (0.0, 0.0), (0.6, 0.8)),
    "grey_mat": ((0.18, 0.18, 0.18), 0.2, (0.0, 0.0), (0.7, 0.9)),
    "fixture_plate": ((0.5, 0.51, 0.52), 0.08, (0.7, 0.9), (0.35, 0.5)),
    "pallet": ((0.48, 0.36, 0.24), 0.15, (0.0, 0.0), (0.7, 0.9)),
    "oak": ((0.40, 0.26, 0.14), 0.15, (0.0, 0.0), (0.5, 0.8)),
    "beech": ((0.52, 0.33, 0.20), 0.12, (0.0, 0.0), (0.5, 0.8)),
    "walnut": ((0.16, 0.09, 0.05), 0.2, (0.0, 0.0), (0.45, 0.75)),
    "pine": ((0.58, 0.42, 0.24), 0.12, (0.0, 0.0), (0.55, 0.8)),
    "bamboo": ((0.55, 0.38, 0.18), 0.15, (0.0, 0.0), (0.4, 0.7)),
    "cloth_grey": ((0.15, 0.15, 0.15), 0.4, (0.0, 0.0), (0.9, 1.0)),  # woven cloth: weave, yarn variation, wrinkles
    "cloth_dark": ((0.03, 0.03, 0.035), 0.4, (0.0, 0.0), (0.9, 1.0)),
    "cloth_blue": ((0.05, 0.09, 0.20), 0.3, (0.0, 0.0), (0.9, 1.0)),
    "cloth_green": ((0.06, 0.14, 0.07), 0.3, (0.0, 0.0), (0.9, 1.0)),
    "cloth_beige": ((0.45, 0.38, 0.28), 0.2, (0.0, 0.0), (0.9, 1.0)),
    "paper": ((0.80, 0.80, 0.78), 0.08, (0.0, 0.0), (0.8, 0.95)),
    "cardboard": ((0.38, 0.24, 0.12), 0.15, (0.0, 0.0), (0.8, 0.95)),
    "concrete": ((0.30, 0.29, 0.27), 0.25, (0.0, 0.0), (0.8, 0.95)),
    "rubber_mat": ((0.03, 0.03, 0.03), 0.3, (0.0, 0.0), (0.6, 0.8)),
    "painted_bench": ((0.14, 0.22, 0.16), 0.3, (0.0, 0.0), (0.35, 0.6)),  # grey-green workshop paint
    "backlight": ((1.0, 1.0, 1.0), 0.0, (0.0, 0.0), (1.0, 1.0)),  # a lit diffuser panel (lighting.rig.type: back)
    "photo": ((0.8, 0.8, 0.8), 0.1, (0.0, 0.0), (0.6, 0.9)),  # a background photo: its pixels give the colour
}
