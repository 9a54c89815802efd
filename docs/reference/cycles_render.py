"""Render a scene exported by export_scene.py with Blender Cycles (path tracing, CPU), as a
reference for synth's real-time renderer. Runs in its own venv with `bpy` (never a synth
dependency):

    python -m venv /tmp/bpy && /tmp/bpy/bin/pip install bpy
    /tmp/bpy/bin/python docs/reference/cycles_render.py OUTDIR [--samples 256]

Writes OUTDIR/cycles.npy: linear scene-referred RGB (no tone mapping), so compare.py can put
it through synth's own tone curve. Conventions match synth's: OpenCV camera, Z-up world,
equirectangular environment with azimuth from +X towards +Y and row 0 straight up, and VTK's
light model (a light's intensity is the irradiance it gives at its focal point).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

# Cycles' light units, measured on a white Lambertian card by calibrate() below (Blender 5.0):
# a sun of strength S gives irradiance S * SUN_E; a point or spot light of power P at distance d
# gives P * POINT_E / d^2 (irradiance = pi x the card's radiance).
SUN_E = 1.0
POINT_E = 1.0 / (4.0 * math.pi)
# An IES texture's output per candela in the file: a point light with a profile of 1 cd at nadir
# gives 1 / IES_CD of the irradiance of the same light without it (measured, Blender 5.0).
IES_CD = 14.18


def _clear() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _image(name: str, rgb: np.ndarray, linear: bool) -> bpy.types.Image:
    h, w, _ = rgb.shape
    img = bpy.data.images.new(name, w, h, float_buffer=linear)
    rgba = np.concatenate([rgb, np.ones((h, w, 1), np.float32)], axis=2)[::-1]  # Blender rows run bottom up
    img.pixels.foreach_set(rgba.astype(np.float32).ravel())
    if not linear:
        img.colorspace_settings.name = "sRGB"
    img.pack()
    return img


def _world(env: np.ndarray, rotation_deg: float) -> None:
    world = bpy.data.worlds.new("env")
    bpy.context.scene.world = world
    world.use_nodes = True
    nt = world.node_tree
    tc = nt.nodes.new("ShaderNodeTexCoord")
    mp = nt.nodes.new("ShaderNodeMapping")
    # Blender's equirect has +X at the centre column, azimuth running clockwise; synth's maps
    # start at +X and run counter-clockwise, turned by rotation_deg: mirror y, then turn.
    mp.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(rotation_deg) + math.pi)
    mp.inputs["Scale"].default_value = (1.0, -1.0, 1.0)
    tex = nt.nodes.new("ShaderNodeTexEnvironment")
    tex.image = _image("env", env, linear=True)
    bg = nt.nodes["Background"]
    nt.links.new(tc.outputs["Generated"], mp.inputs["Vector"])
    nt.links.new(mp.outputs["Vector"], tex.inputs["Vector"])
    nt.links.new(tex.outputs["Color"], bg.inputs["Color"])


def _material(name: str, color, metallic: float, roughness: float, texture: bpy.types.Image | None = None, emissive=False):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nt = mat.node_tree
    out = nt.nodes["Material Output"]
    if emissive:
        for n in list(nt.nodes):
            if n.type == "BSDF_PRINCIPLED":
                nt.nodes.remove(n)
        em = nt.nodes.new("ShaderNodeEmission")
        em.inputs["Color"].default_value = (*color, 1.0)
        nt.links.new(em.outputs["Emission"], out.inputs["Surface"])
        return mat
    p = nt.nodes["Principled BSDF"]
    p.inputs["Base Color"].default_value = (*color, 1.0)
    p.inputs["Metallic"].default_value = metallic
    p.inputs["Roughness"].default_value = roughness
    if texture is not None:
        t = nt.nodes.new("ShaderNodeTexImage")
        t.image = texture
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        mix.blend_type = "MULTIPLY"
        mix.inputs["Factor"].default_value = 1.0
        mix.inputs[6].default_value = (*color, 1.0)
        nt.links.new(t.outputs["Color"], mix.inputs[7])
        nt.links.new(mix.outputs[2], p.inputs["Base Color"])
    return mat


def _mesh(name: str, npz: Path) -> bpy.types.Mesh:
    d = np.load(npz)
    v, n, f = d["vertices"], d["normals"], d["faces"]
    me = bpy.data.meshes.new(name)
    me.vertices.add(len(v))
    me.vertices.foreach_set("co", v.ravel())
    me.loops.add(f.size)
    me.loops.foreach_set("vertex_index", f.ravel())
    me.polygons.add(len(f))
    me.polygons.foreach_set("loop_start", np.arange(0, f.size, 3, dtype=np.int32))
    me.polygons.foreach_set("use_smooth", np.ones(len(f), bool))
    me.update()
    me.normals_split_custom_set_from_vertices([tuple(x) for x in n])
    return me


def _object(name: str, data, matrix, mat) -> bpy.types.Object:
    ob = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(ob)
    ob.matrix_world = Matrix(matrix)
    if mat is not None:
        ob.data.materials.append(mat)
    return ob


def spot_profile(beam_deg: float) -> str:
    """synth's spot (cos^n, half intensity at the beam angle, cut where VTK's cone ends at 2%:
    synth.render.lamps) as an IES photometric file (LM-63), for a point light's IES texture:
    Cycles' own spot fades as a smoothstep, which is no cos^n."""
    n = math.log(0.5) / math.log(math.cos(math.radians(beam_deg)))
    cut = min(math.degrees(math.acos(0.02 ** (1.0 / n))), 89.0)
    angles = list(range(181))
    cd = [math.cos(math.radians(a)) ** n if a <= cut else 0.0 for a in angles]
    return "\n".join(
        [
            "IESNA:LM-63-2002",
            "TILT=NONE",
            f"1 -1 {IES_CD} {len(angles)} 1 1 2 0 0 0",
            "1.0 1.0 0",
            " ".join(str(a) for a in angles),
            "0",
            " ".join(f"{v:.6f}" for v in cd),
            "",
        ]
    )


def _ies(data, profile: str) -> None:
    text = bpy.data.texts.new(f"{data.name}.ies")
    text.from_string(profile)
    data.use_nodes = True
    nt = data.node_tree
    ies = nt.nodes.new("ShaderNodeTexIES")
    ies.mode = "INTERNAL"
    ies.ies = text
    nt.links.new(ies.outputs["Fac"], nt.nodes["Emission"].inputs["Strength"])


def _light(i: int, lt: dict) -> None:
    pos, fp = np.array(lt["position"]), np.array(lt["focal_point"])
    d = fp - pos
    dist = float(np.linalg.norm(d))
    kind = {"directional": "SUN", "spot": "POINT", "point": "POINT"}[lt["kind"]]
    data = bpy.data.lights.new(f"light{i}", kind)
    data.color = lt["color"]
    if kind == "SUN":
        data.energy = lt["intensity"] / SUN_E
        data.angle = max(lt.get("size", 0.0) / dist, math.radians(0.05))  # the lamp's size seen from the parts
    else:
        data.energy = lt["intensity"] * dist**2 / POINT_E
        data.shadow_soft_size = lt.get("size", 0.01) / 2  # a radius
        if lt["kind"] == "spot":  # a point light with synth's beam as its IES profile
            _ies(data, spot_profile(lt["cone_angle_deg"]))
    z = -d / dist  # a Blender light shines down its -Z
    x = np.cross([0.0, 0.0, 1.0] if abs(z[2]) < 0.99 else [1.0, 0.0, 0.0], z)
    x /= np.linalg.norm(x)
    m = np.eye(4)
    m[:3, :3] = np.stack([x, np.cross(z, x), z], axis=1)
    m[:3, 3] = pos
    _object(f"light{i}", data, m.tolist(), None)


def _camera(doc: dict) -> None:
    w, h, K = doc["width"], doc["height"], np.array(doc["K"])
    cam = bpy.data.cameras.new("cam")
    cam.sensor_fit = "HORIZONTAL"
    cam.sensor_width = 36.0
    cam.lens = K[0, 0] * 36.0 / w
    cam.shift_x = -(K[0, 2] - (w / 2 - 0.5)) / w
    cam.shift_y = (K[1, 2] - (h / 2 - 0.5)) / w
    cam.clip_start, cam.clip_end = 0.005, 100.0
    c2w = np.linalg.inv(np.array(doc["world_to_camera"])) @ np.diag([1.0, -1.0, -1.0, 1.0])
    ob = _object("cam", cam, c2w.tolist(), None)
    scene = bpy.context.scene
    scene.camera = ob
    scene.render.resolution_x, scene.render.resolution_y = w, h
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = 1.0
    scene.render.pixel_aspect_y = K[0, 0] / K[1, 1]


def _settings(samples: int) -> None:
    s = bpy.context.scene
    s.render.engine = "CYCLES"
    s.cycles.device = "CPU"
    s.cycles.samples = samples
    s.cycles.use_denoising = True
    s.cycles.max_bounces = 8
    s.view_settings.view_transform = "Standard"
    s.view_settings.look = "None"
    s.view_settings.exposure = 0.0
    s.render.image_settings.file_format = "OPEN_EXR"
    s.render.image_settings.color_depth = "32"


def _render(out: Path) -> np.ndarray:
    path = str(out / "cycles.exr")
    bpy.context.scene.render.filepath = path
    bpy.ops.render.render(write_still=True)
    img = bpy.data.images.load(path)
    w, h = img.size
    px = np.empty(w * h * 4, np.float32)
    img.pixels.foreach_get(px)
    return px.reshape(h, w, 4)[::-1, :, :3].copy()


def render(out: Path, samples: int) -> None:
    doc = json.loads((out / "scene.json").read_text())
    _clear()
    _settings(samples)
    _world(np.load(out / "env.npy"), doc["environment"]["rotation_deg"])
    _camera(doc)
    for i, lt in enumerate(doc["lights"]):
        _light(i, lt)
    meshes = {}
    for o in doc["objects"]:
        if o["mesh"] not in meshes:
            meshes[o["mesh"]] = _mesh(o["mesh"], out / o["mesh"])
        mat = _material(f"m{o['instance_id']}", o["base_color"], o["metallic"], o["roughness"])
        _object(f"part{o['instance_id']}", meshes[o["mesh"]].copy(), o["pose"], mat)
    s = doc["support"]
    tex = None
    if s["texture"]:
        tex = bpy.data.images.load(str(out / s["texture"]))
        tex.colorspace_settings.name = "sRGB"
    bpy.ops.mesh.primitive_plane_add(size=1.0)
    plane = bpy.context.active_object
    reps = s["size"] / s["tile_m"]
    uv = plane.data.uv_layers.active.data
    for loop in plane.data.loops:  # (x, y) in [-0.5, 0.5] -> repeat the tile every tile_m
        co = plane.data.vertices[loop.vertex_index].co
        uv[loop.index].uv = ((co.x + 0.5) * reps, (co.y + 0.5) * reps)
    plane.matrix_world = Matrix((np.array(s["pose"]) @ np.diag([s["size"], s["size"], 1.0, 1.0])).tolist())
    plane.data.materials.append(_material("support", s["base_color"], s["metallic"], s["roughness"], tex, emissive=s["emissive"]))
    np.save(out / "cycles.npy", _render(out))


def calibrate(out: Path) -> None:
    """Print the white card's radiance under a sun of strength 1 and a 1 W point light 1 m away."""
    out.mkdir(parents=True, exist_ok=True)
    for kind in ("SUN", "POINT", "SPOT"):
        _clear()
        _settings(64)
        _world(np.zeros((4, 8, 3), np.float32), 0.0)  # black: a new world glows grey
        bpy.ops.mesh.primitive_plane_add(size=4.0)
        mat = bpy.data.materials.new("white")  # a Lambertian card
        mat.use_nodes = True
        nt = mat.node_tree
        nt.nodes.remove(nt.nodes["Principled BSDF"])
        diffuse = nt.nodes.new("ShaderNodeBsdfDiffuse")
        diffuse.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
        nt.links.new(diffuse.outputs[0], nt.nodes["Material Output"].inputs["Surface"])
        bpy.context.active_object.data.materials.append(mat)
        data = bpy.data.lights.new("l", kind)
        data.energy = 1.0
        if kind != "SUN":
            data.shadow_soft_size = 0.0
        _object("l", data, Matrix.Translation((0.0, 0.0, 1.0)), None)
        doc = {"width": 64, "height": 64, "K": [[64, 0, 31.5], [0, 64, 31.5], [0, 0, 1]]}
        doc["world_to_camera"] = [[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, 2.0], [0, 0, 0, 1]]
        _camera(doc)
        v = float(_render(out)[30:34, 30:34].mean())
        print(f"{kind}: white card radiance {v:.5f} (x pi = {v * math.pi:.5f})")


if __name__ == "__main__":
    args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]
    if args[0] == "--calibrate":
        calibrate(Path(args[1]))
    else:
        render(Path(args[0]), int(args[args.index("--samples") + 1]) if "--samples" in args else 256)
