"""The lamps' specular term against the microfacet model it stands for: GGX with the height-correlated
Smith visibility and the energy single scattering loses on rough metal given back (a path tracer's
multiple-scattering GGX). VTK's own shader passes roughness where the visibility wants alpha and
compensates the environment light only, which left rough metal under lamps up to 25% too dark."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import trimesh

from synth.config import load_config
from synth.render import Renderer
from synth.scene import sample_scene
from synth.scene.model import Light, Material

from .conftest import small_config


def _ggx(n_l: float, n_h: float, h_l: float, alpha: float, f0: float) -> float:
    """Single-scattering GGX with the camera along the normal (N.V = 1): D * V * F."""
    a2 = alpha * alpha
    d = a2 / (np.pi * (n_h * n_h * (a2 - 1.0) + 1.0) ** 2)
    vis = 0.5 / (n_l + np.sqrt(a2 + n_l * n_l * (1.0 - a2)))
    return d * vis * (f0 + (1.0 - f0) * (1.0 - h_l) ** 5)


def _albedo(alpha: float) -> float:
    """Directional albedo of the white (F = 1) single-scattering lobe seen along the normal: the
    energy it keeps, by quadrature over the hemisphere."""
    th, dth = np.linspace(0.0, np.pi / 2, 2001, retstep=True)
    n_l, n_h = np.cos(th), np.cos(th / 2)
    return float(sum(_ggx(c, h, h, alpha, 1.0) * c * np.sin(t) for c, h, t in zip(n_l, n_h, th, strict=True)) * dth * 2 * np.pi)


def _plate(tmp_path, side: float, material: Material, pixels: int, focal: float, light: Light) -> np.ndarray:
    """Linear RGB of a square plate (`side` metres, its top 0.01 m up) lit by `light` alone, seen
    straight down from 0.3 m over its centre (the environment dark, no tone mapping or AO)."""
    plate = trimesh.creation.box((side, side, 0.01))
    plate.apply_translation((0.0, 0.0, 0.005))
    plate.export(tmp_path / "plate.stl")
    cfg = load_config(small_config(tmp_path, image={"width": pixels, "height": pixels}))
    scene = sample_scene(cfg, 0)
    path = str(tmp_path / "plate.stl")
    part = dataclasses.replace(
        scene.objects[0],
        mesh=path,
        mesh_path=path,
        units="m",
        pose=np.eye(4),
        material=material,
        geometry=None,
        group_materials=[],
    )
    scene.objects, scene.defects = [part], []
    c = (pixels - 1) / 2
    scene.camera.K = np.array([[focal, 0.0, c], [0.0, focal, c], [0.0, 0.0, 1.0]])
    scene.camera.world_to_camera = np.array([[1.0, 0, 0, 0], [0, -1.0, 0, 0], [0, 0, -1.0, 0.3], [0, 0, 0, 1.0]])
    scene.camera.distortion = (0.0,) * 5
    scene.lights = [light]
    scene.environment = dataclasses.replace(scene.environment, sky=0.0, floor=0.0, up=None, right=None)
    scene.optics = scene.sensor = scene.metering = None
    r = Renderer(pixels, pixels, "none", tone_mapping=False, ambient_occlusion=False)
    try:
        return (r.render(scene).rgb.astype(float) / 255.0) ** 2.2  # VTK writes linear radiance with a 2.2 gamma
    finally:
        r.close()


@pytest.mark.parametrize("roughness", [0.35, 0.8])
def test_lamp_specular_on_rough_metal_is_energy_compensated_ggx(tmp_path, roughness):
    f0, theta, intensity = 0.9, np.radians(40.0), 2.0
    light = Light("directional", (np.sin(theta), 0.0, np.cos(theta)), (0.0, 0.0, 0.0), intensity, (1.0, 1.0, 1.0), shadow=False)
    seen = _plate(tmp_path, 0.2, Material("grey metal", (f0, f0, f0), 1.0, roughness), 32, 200.0, light)[14:18, 14:18]
    alpha = roughness**2
    single = _ggx(np.cos(theta), np.cos(theta / 2), np.cos(theta / 2), alpha, f0) * np.cos(theta) * intensity
    compensated = single * (1.0 + f0 * (1.0 / _albedo(alpha) - 1.0))
    assert seen.mean() == pytest.approx(compensated, rel=0.07)
    if roughness > 0.5:  # where the lost energy shows: the uncompensated lobe is clearly darker
        assert seen.mean() > 1.15 * single


def test_support_radiance_between_stops_matches_a_map_prefiltered_with_it(tmp_path, monkeypatch):
    """A map is prefiltered at the support's nearest whole stop and the shader adds the rest (a
    uniform lower hemisphere): the parts' sides look as under a map made with the exact radiance."""
    from synth.render import renderer as rmod

    cfg = load_config(small_config(tmp_path))
    scene = sample_scene(cfg, 1)
    scene.environment.floor = 0.7  # 40% over the stop, 0.5
    scene.optics = scene.sensor = None

    def render(stop) -> np.ndarray:
        monkeypatch.setattr(rmod, "floor_stop", stop)
        r = Renderer(cfg.image.width, cfg.image.height, "none", ambient_occlusion=False)
        try:
            f = r.render(scene)
            return f.rgb.astype(float), f.instance_ids
        finally:
            r.close()

    whole = rmod.floor_stop
    (stop, ids), (exact, _) = render(whole), render(lambda f: f)
    monkeypatch.setattr(rmod, "FLOOR_REST", "vec3 color = iblDiffuse + iblSpecular;")  # the stop alone
    (bare, _) = render(whole)
    parts = ids > 0
    assert abs(whole(scene.environment.floor) - scene.environment.floor) > 0.1 * scene.environment.floor
    assert np.abs(stop - exact)[parts].mean() < 0.4 * np.abs(bare - exact)[parts].mean()
    assert np.abs(stop - exact)[parts].mean() < 1.5


def test_lamps_fall_off_with_the_square_of_distance(tmp_path):
    """A point lamp 0.1 m over a matte plate: 35 degrees off its foot the plate gets cos^3 of the
    irradiance under it (cos for the incidence, cos^2 for the distance), as from a real lamp."""
    h, theta = 0.1, np.radians(35.0)
    lamp = Light("point", (0.0, 0.0, 0.01 + h), (0.0, 0.0, 0.01), 1.0, (1.0, 1.0, 1.0), shadow=False)
    lin = _plate(tmp_path, 0.4, Material("matte", (0.8, 0.8, 0.8), 0.0, 1.0), 64, 80.0, lamp).mean(axis=2)
    u = 31.5 + 80.0 * h * np.tan(theta) / 0.29  # the pixel over the point 35 degrees off the lamp's foot
    off = lin[30:34, int(round(u)) - 1 : int(round(u)) + 1].mean()
    assert off / lin[30:34, 30:34].mean() == pytest.approx(np.cos(theta) ** 3, rel=0.08)
