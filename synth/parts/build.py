"""The demo parts: sizes are typical catalogue values in millimetres."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import trimesh
from manifold3d import CrossSection, Manifold, OpType

from .solids import chamfer_cone, hex_prism, revolve, thread_profile, to_trimesh


def hex_bolt(d: float = 10.0, length: float = 40.0, af: float = 16.0, head: float = 6.4) -> trimesh.Trimesh:
    """ISO 4017 style M10x40 hex bolt, head down at z = 0..head."""
    h = hex_prism(af, head) ^ chamfer_cone(af, head, top=True)
    shank = revolve(thread_profile(d / 2, length, 1.5, z0=head - 0.01))
    return to_trimesh(h + shank)


def hex_nut(d: float = 10.0, af: float = 16.0, m: float = 8.4) -> trimesh.Trimesh:
    """ISO 4032 M10 nut, chamfered both sides."""
    body = hex_prism(af, m) ^ chamfer_cone(af, m, top=True, bottom=True)
    bore = Manifold.cylinder(m + 2, d / 2 * 0.85, d / 2 * 0.85, 48).translate((0, 0, -1))
    return to_trimesh(body - bore)


def washer(d_in: float = 10.5, d_out: float = 20.0, t: float = 2.0) -> trimesh.Trimesh:
    """ISO 7089 washer for M10."""
    return to_trimesh(revolve([(d_in / 2, 0), (d_out / 2, 0), (d_out / 2, t), (d_in / 2, t)], 96))


def l_bracket(w: float = 40.0, a: float = 60.0, b: float = 50.0, t: float = 4.0) -> trimesh.Trimesh:
    """Bent sheet-metal angle bracket with two holes per leg and a stiffening gusset."""
    base = Manifold.cube((a, w, t))
    leg = Manifold.cube((t, w, b))
    gusset = CrossSection([np.array([[0, 0], [18, 0], [0, 18]], float)]).extrude(3).rotate((90, 0, 0))
    gusset = gusset.translate((t, w / 2 + 1.5, t))
    solid = base + leg + gusset
    for y in (w * 0.22, w * 0.78):
        solid -= Manifold.cylinder(t + 2, 3.3, 3.3, 32).translate((a * 0.65, y, -1))
        solid -= Manifold.cylinder(t + 2, 3.3, 3.3, 32).rotate((0, 90, 0)).translate((-1, y, b * 0.65))
    return to_trimesh(solid)


def flange(
    d_out: float = 120.0,
    t: float = 14.0,
    hub_d: float = 62.0,
    hub_h: float = 22.0,
    bore: float = 40.0,
    pcd: float = 95.0,
    holes: int = 6,
    hole_d: float = 11.0,
) -> trimesh.Trimesh:
    """Weld-neck style flange: disc, raised hub, bore and a bolt circle."""
    r0, r1, rh = bore / 2, d_out / 2, hub_d / 2
    profile = [
        (r0, 0),
        (r1 - 1.5, 0),
        (r1, 1.5),
        (r1, t - 1.5),
        (r1 - 1.5, t),
        (rh + 3, t),
        (rh, t + 3),
        (rh * 0.9, t + hub_h),
        (r0, t + hub_h),
    ]
    solid = revolve(profile, 128)
    for k in range(holes):
        ang = 2 * np.pi * k / holes
        solid -= Manifold.cylinder(t + 2, hole_d / 2, hole_d / 2, 32).translate(
            (pcd / 2 * np.cos(ang), pcd / 2 * np.sin(ang), -1)
        )
    return to_trimesh(solid)


def spur_gear(teeth: int = 24, module: float = 2.5, width: float = 12.0, bore: float = 12.0) -> trimesh.Trimesh:
    """Spur gear with an involute-like tooth outline, a bore and a keyway."""
    rp = module * teeth / 2
    ra, rf = rp + module, rp - 1.25 * module
    pts = []
    for k in range(teeth):
        a0 = 2 * np.pi * k / teeth
        pitch_ang = 2 * np.pi / teeth
        for frac, r in ((0.0, rf), (0.12, rf), (0.2, rp * 0.985), (0.28, ra), (0.47, ra), (0.55, rp * 0.985), (0.63, rf)):
            pts.append((r * np.cos(a0 + frac * pitch_ang), r * np.sin(a0 + frac * pitch_ang)))
    outline = CrossSection([np.array(pts)])
    hole = CrossSection.circle(bore / 2, 48) + CrossSection.square((3.0, 2.5)).translate((bore / 2 - 1, -1.5))
    body = (outline - hole).extrude(width)
    # lightening recess on both faces
    recess = Manifold.cylinder(2.0, rf - 4, rf - 4, 96) - Manifold.cylinder(2.0, bore / 2 + 5, bore / 2 + 5, 64)
    body = body - recess.translate((0, 0, width - 2.0)) - recess.translate((0, 0, 0))
    return to_trimesh(body)


def _tube(length: float, w: float, h: float, wall: float) -> Manifold:
    outer = Manifold.cube((length, w, h))
    inner = Manifold.cube((length + 2, w - 2 * wall, h - 2 * wall)).translate((-1, wall, wall))
    return outer - inner


def _bead(p0: np.ndarray, p1: np.ndarray, r: float = 2.2, step: float = 1.4) -> Manifold:
    """A weld bead: overlapping spheres along a line, which gives the rippled look of a real seam."""
    n = max(2, int(np.linalg.norm(p1 - p0) / step) + 1)
    balls = [
        Manifold.sphere(r * (1 + 0.06 * np.sin(i * 2.1)), 16).translate(tuple(p0 + (p1 - p0) * i / (n - 1))) for i in range(n)
    ]
    return Manifold.batch_boolean(balls, OpType.Add)


def battery_frame(a: float = 240.0, b: float = 160.0, w: float = 20.0, h: float = 30.0, wall: float = 2.5) -> trimesh.Scene:
    """Battery-module frame: four extruded tube profiles and a cross member, joined by weld seams.
    Returns a Scene whose nodes are `frame` and `weld_seam_<k>` (the seams are their own bodies)."""
    frame = (
        _tube(a, w, h, wall)
        + _tube(a, w, h, wall).translate((0, b - w, 0))
        + _tube(b - 2 * w, w, h, wall).rotate((0, 0, 90)).translate((w, w, 0))
        + _tube(b - 2 * w, w, h, wall).rotate((0, 0, 90)).translate((a, w, 0))
        + _tube(b - 2 * w, w, h, wall).rotate((0, 0, 90)).translate((a / 2 + w / 2, w, 0))
    )
    seams = []
    for x0, x1, inner in ((0, w, (w,)), (a - w, a, (a - w,)), (a / 2 - w / 2, a / 2 + w / 2, (a / 2 - w / 2, a / 2 + w / 2))):
        for y in (w, b - w):  # each butt joint: a fillet seam in each inner corner and one across the top
            seams += [_bead(np.array([x, y, 1.0]), np.array([x, y, h - 1.0])) for x in inner]
            seams.append(_bead(np.array([x0 + 1.0, y, h]), np.array([x1 - 1.0, y, h])))
    scene = trimesh.Scene()
    scene.add_geometry(to_trimesh(frame), node_name="frame", geom_name="frame")
    for k, s in enumerate(seams):
        scene.add_geometry(to_trimesh(s), node_name=f"weld_seam_{k}", geom_name=f"weld_seam_{k}")
    return scene


def distractor_box(x: float = 34.0, y: float = 22.0, z: float = 14.0) -> trimesh.Trimesh:
    """A small block: stands for packaging, offcuts, clutter."""
    return to_trimesh(Manifold.cube((x, y, z), center=True).translate((0, 0, z / 2)))


def distractor_cylinder(r: float = 7.0, h: float = 45.0) -> trimesh.Trimesh:
    """A pin or dowel lying around."""
    return to_trimesh(Manifold.cylinder(h, r, r, circular_segments=40))


def distractor_sphere(r: float = 9.0) -> trimesh.Trimesh:
    """A ball (bearing ball, knob)."""
    return to_trimesh(Manifold.sphere(r, circular_segments=32).translate((0, 0, r)))


def distractor_ring(r_out: float = 16.0, r_in: float = 11.0, h: float = 6.0) -> trimesh.Trimesh:
    """An O-ring-like loop."""
    return to_trimesh(Manifold.cylinder(h, r_out, r_out, 48) - Manifold.cylinder(h, r_in, r_in, 48))


def _lying(solid: Manifold) -> Manifold:
    """A solid of revolution built along +z, laid along +x on the table (z = 0 below it)."""
    lo, hi = solid.rotate((0, 90, 0)).bounding_box()[:3], solid.rotate((0, 90, 0)).bounding_box()[3:]
    return solid.rotate((0, 90, 0)).translate((-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]))


def clutter_pen(length: float = 142.0, r: float = 4.8) -> trimesh.Trimesh:
    """A ballpoint pen: barrel, conical tip, a cap with a pocket clip."""
    barrel = revolve([(0, 0), (0.6, 0), (1.5, 3), (r * 0.8, 16), (r, 20), (r, length - 55), (0, length - 55)], 40)
    cap = revolve([(0, length - 58), (r + 0.5, length - 58), (r + 0.5, length - 2), (r - 1, length), (0, length)], 40)
    clip = Manifold.cube((1.4, 3.0, 45.0)).translate((r + 0.3, -1.5, length - 50))
    return to_trimesh(_lying(barrel + cap + clip))


def clutter_pencil(length: float = 170.0, af: float = 7.2) -> trimesh.Trimesh:
    """A hexagonal pencil, sharpened."""
    body = hex_prism(af, length - 18).translate((0, 0, 18))
    tip = revolve([(0, 0), (af / 2 * 1.15, 18), (0, 18)], 6).rotate((0, 0, 30))
    return to_trimesh(_lying(body + tip))


def clutter_marker(length: float = 128.0, r: float = 8.5) -> trimesh.Trimesh:
    """A felt-tip marker: a fat barrel with a stepped cap."""
    return to_trimesh(
        _lying(
            revolve(
                [
                    (0, 0),
                    (r - 1, 0),
                    (r, 2),
                    (r, length - 48),
                    (r + 0.8, length - 48),
                    (r + 0.8, length - 1.5),
                    (r - 0.5, length),
                    (0, length),
                ],
                48,
            )
        )
    )


def clutter_cable(r: float = 2.6, seed: int = 7) -> trimesh.Trimesh:
    """A loose cable lying on the bench: a round tube along a smooth wandering curve."""
    rng = np.random.default_rng(seed)
    heading, p, pts = 0.0, np.zeros(2), []
    for _ in range(70):
        heading += rng.normal(0, 0.22)
        p = p + 5.0 * np.array([np.cos(heading), np.sin(heading)])
        pts.append(p.copy())
    balls = [Manifold.sphere(r, 16).translate((x, y, r)) for x, y in pts]
    tube = Manifold.batch_boolean([Manifold.batch_hull([a, b]) for a, b in zip(balls, balls[1:], strict=False)], OpType.Add)
    lo, hi = np.asarray(tube.bounding_box()[:3]), np.asarray(tube.bounding_box()[3:])
    return to_trimesh(tube.translate((-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, 0)))


def clutter_mug(r: float = 41.0, h: float = 95.0, wall: float = 4.0) -> trimesh.Trimesh:
    """A coffee mug with a handle."""
    shell = revolve([(0, 0), (r - 3, 0), (r, 3), (r, h), (r - wall, h), (r - wall, 7), (0, 7)], 64)
    ring = CrossSection.circle(5.0, 20).translate((22.0, 0)).revolve(48).rotate((90, 0, 0))
    handle = (ring - Manifold.cube((60, 20, 60), center=True).translate((-30, 0, 0))).translate((r - 8, 0, h * 0.55))
    return to_trimesh(shell + handle)


def clutter_tape(r_out: float = 48.0, r_in: float = 38.0, h: float = 19.0) -> trimesh.Trimesh:
    """A roll of tape: a wide flat ring."""
    return to_trimesh(Manifold.cylinder(h, r_out, r_out, 96) - Manifold.cylinder(h + 2, r_in, r_in, 96).translate((0, 0, -1)))


def clutter_battery(r: float = 7.25, length: float = 50.5) -> trimesh.Trimesh:
    """An AA cell lying on its side."""
    return to_trimesh(
        _lying(revolve([(0, 0), (r - 0.5, 0), (r, 0.5), (r, length - 1.5), (2.7, length - 1.5), (2.7, length), (0, length)], 48))
    )


def tote(x: float = 300.0, y: float = 200.0, z: float = 120.0, wall: float = 4.0) -> trimesh.Trimesh:
    """An open plastic tote for bin picking: inner size x by y, z deep, floor at z = wall."""
    outer = Manifold.cube((x + 2 * wall, y + 2 * wall, z + wall), center=True).translate((0, 0, (z + wall) / 2))
    inner = Manifold.cube((x, y, z + 1), center=True).translate((0, 0, wall + (z + 1) / 2))
    return to_trimesh(outer - inner)


DISTRACTORS: dict[str, Callable[[], trimesh.Trimesh | trimesh.Scene]] = {
    "distractor_box.stl": distractor_box,
    "distractor_cylinder.stl": distractor_cylinder,
    "distractor_sphere.stl": distractor_sphere,
    "distractor_ring.stl": distractor_ring,
}

CLUTTER: dict[str, Callable[[], trimesh.Trimesh | trimesh.Scene]] = {
    "clutter_pen.stl": clutter_pen,
    "clutter_pencil.stl": clutter_pencil,
    "clutter_marker.stl": clutter_marker,
    "clutter_cable.stl": clutter_cable,
    "clutter_mug.stl": clutter_mug,
    "clutter_tape.stl": clutter_tape,
    "clutter_battery.stl": clutter_battery,
}

PARTS: dict[str, Callable[[], trimesh.Trimesh | trimesh.Scene]] = {
    "hex_bolt.stl": hex_bolt,
    "hex_nut.stl": hex_nut,
    "washer.stl": washer,
    "l_bracket.stl": l_bracket,
    "flange.stl": flange,
    "spur_gear.stl": spur_gear,
    "battery_frame.glb": battery_frame,
    **DISTRACTORS,
    **CLUTTER,
    "tote.stl": tote,
}


def build_all(out: Path) -> list[Path]:
    """Write every demo part (binary STL; the battery frame as a multi-node GLB, in mm)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fn in PARTS.items():
        path = out / name
        fn().export(path)
        paths.append(path)
    return paths
