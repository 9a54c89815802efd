import numpy as np
import pytest

from synth.config import apply_override, config_from_dict, load_config
from synth.distributions import parse_dist
from synth.errors import SynthError

PART = {"mesh": "assets/meshes/hex_nut.stl", "category": "nut"}


def err(raw: dict) -> str:
    with pytest.raises(SynthError) as e:
        config_from_dict(raw)
    return str(e.value)


def test_distributions_sample_inside_their_ranges():
    rng = np.random.default_rng(0)
    u = parse_dist({"uniform": [2, 5]})
    assert all(2 <= u.sample(rng) <= 5 for _ in range(200))
    assert {u.sample_int(rng) for _ in range(300)} == {2, 3, 4, 5}
    n = parse_dist({"normal": {"mean": 0, "std": 10, "min": -1, "max": 1}})
    assert all(-1 <= n.sample(rng) <= 1 for _ in range(200))
    lu = parse_dist({"loguniform": [0.01, 1]})
    assert all(0.01 <= lu.sample(rng) <= 1 for _ in range(200))
    c = parse_dist({"choice": ["a", "b"], "weights": [0, 1]}, numeric=False)
    assert {c.sample(rng) for _ in range(50)} == {"b"}
    assert parse_dist(3.5).sample(rng) == 3.5


def test_error_names_key_path_for_min_above_max():
    msg = err({"parts": [PART], "camera": {"distance": {"uniform": [0.9, 0.4]}}})
    assert "camera.distance.uniform: min 0.9 > max 0.4" in msg


def test_unknown_key_is_named_with_a_suggestion():
    msg = err({"parts": [PART], "camera": {"distanse": 0.5}})
    assert "camera.distanse: unknown key" in msg and "'distance'" in msg


def test_unknown_material_and_missing_parts():
    assert "parts[0].material: unknown material 'unobtanium'" in err({"parts": [{**PART, "material": "unobtanium"}]})
    assert "parts: required key is missing" in err({})


def test_bad_values_are_rejected():
    assert "splits" in err({"parts": [PART], "splits": {"train": 0.5, "val": 0.2}})
    assert "image.width" in err({"parts": [PART], "image": {"width": 0}})
    assert "lighting.key_lights.intensity" in err({"parts": [PART], "lighting": {"key_lights": {"intensity": -1}}})
    assert "units" in err({"parts": [{**PART, "units": "furlong"}]})
    family = {"family": "hex_nut", "category": "nut", "scale": {"uniform": [0.9, 1.1]}}
    assert "parts[0].scale: a family draws its own sizes" in err({"parts": [family]})
    scaled = {**PART, "scale": {"uniform": [0.9, 1.1]}}
    assert "outputs.bop" in err({"parts": [scaled], "outputs": {"bop": True}})
    assert "BOP depth images are 16-bit PNG" in err(
        {"parts": [PART], "outputs": {"bop": True, "depth": True, "depth_format": "tiff32"}}
    )


def test_overrides_apply_to_nested_keys_and_list_items(tmp_path):
    raw = {"parts": [dict(PART)], "camera": {}}
    apply_override(raw, "camera.distance={uniform: [0.2, 0.3]}")
    apply_override(raw, "parts.0.units=cm")
    cfg = config_from_dict(raw)
    assert cfg.camera.distance.args == (0.2, 0.3)
    assert cfg.parts[0].units == "cm"
    with pytest.raises(SynthError, match="expected key.path=value"):
        apply_override(raw, "nonsense")


def test_load_config_reports_yaml_errors(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("parts: [\n")
    with pytest.raises(SynthError, match="not valid YAML"):
        load_config(p)
    with pytest.raises(SynthError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_categories_are_stable_and_start_at_one():
    cfg = config_from_dict({"parts": [PART, {**PART, "category": "bolt"}, {**PART, "category": "nut"}]})
    assert cfg.categories() == [
        {"id": 1, "name": "nut", "supercategory": "part"},
        {"id": 2, "name": "bolt", "supercategory": "part"},
    ]


def test_bundled_configs_validate():
    from pathlib import Path

    for p in sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")):
        load_config(p)
