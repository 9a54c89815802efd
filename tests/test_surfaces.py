"""Procedural support surfaces: every preset has one, fine enough for close-ups, seamless, and
the renderer keeps each preset's mean albedo whatever the texture."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from synth.config import load_config
from synth.presets import SUPPORTS
from synth.surfaces import SURFACE_TEXTURE, TEXTURES, support_texture, support_tile

from .conftest import small_config


def test_every_support_preset_has_a_surface():
    assert set(SUPPORTS) - set(SURFACE_TEXTURE) == {"backlight", "photo"}
    assert set(SURFACE_TEXTURE.values()) == set(TEXTURES)


@pytest.mark.parametrize("name", sorted(TEXTURES))
def test_surfaces_are_fine_seamless_and_not_flat(name):
    _, n, tile = TEXTURES[name]
    kind = next(k for k, v in SURFACE_TEXTURE.items() if v == name)
    img = support_texture(kind)
    assert img is not None and img.shape == (n, n, 3) and img.dtype == np.uint8
    assert support_tile(kind) == tile
    assert tile / n * 1000 <= 0.25  # mm per texel: sharp where a close-up camera sees 0.1-0.3 mm a pixel
    grey = img.astype(float).mean(axis=2)
    assert grey.std() > 1.0
    for g in (grey, grey.T):  # wrapping around is no bigger a step than the largest one inside
        inner = np.abs(np.diff(g, axis=1)).mean(axis=0)
        assert np.abs(g[:, 0] - g[:, -1]).mean() <= inner.max() + 1e-9


def test_rendered_supports_keep_their_albedo_order(tmp_path):
    """White paper, grey concrete and a black rubber mat come out in that order under the same
    light, so the texture's own brightness does not override the preset's albedo."""
    from synth.pipeline import FrameMaker

    means = {}
    for kind in ("paper", "concrete", "rubber_mat", "cloth_dark"):
        raw = yaml.safe_load(small_config(tmp_path).read_text())
        raw["image"] = {"width": 96, "height": 72}
        raw["scene"]["support"] = {"material": kind}
        raw["scene"]["parts_per_image"] = 1
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(raw))
        with FrameMaker(load_config(path)) as fm:
            r = fm.make(0)
        means[kind] = float(r.rgb.mean())  # one small part: the frame is mostly support
    assert means["paper"] > means["concrete"] + 30 > means["rubber_mat"] + 60
    assert means["cloth_dark"] < means["concrete"] - 30
