"""Export one synth frame for the Cycles reference (docs/reference/README.md).

    python docs/reference/export_scene.py CONFIG FRAME OUTDIR [--set key=value ...]

Writes OUTDIR/scene.json (camera, lights, environment, materials, poses), one .npz per mesh
(the renderer's own vertices, split normals and triangles, in metres), the environment map
(env.npy, linear radiance), the support texture, synth's render of the frame (synth.png) and
its instance map (ids.npy). Surface finishes are switched off on both sides (Cycles would need
the same textures), so the comparison is about shading, lighting and shadows.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from synth.config import load_config
from synth.environments import environment_image
from synth.render.renderer import Renderer
from synth.scene.sampler import sample_scene
from synth.surfaces import support_texture, support_tile


def main(config: str, frame: int, out: Path, overrides: list[str]) -> None:
    cfg = load_config(config, overrides)
    out.mkdir(parents=True, exist_ok=True)
    scene = sample_scene(cfg, frame)
    scene.objects = [replace(o, material=replace(o.material, finish=None, anisotropy=0.0, texture=None)) for o in scene.objects]
    if any(o.geometry is not None for o in scene.objects):
        raise SystemExit("defects are not exported: use a config without defects")
    r = Renderer.for_config(cfg)
    f = r.render(scene)
    Image.fromarray(f.rgb).save(out / "synth.png")
    np.save(out / "ids.npy", f.instance_ids.astype(np.int32))
    np.save(out / "env.npy", environment_image(scene.environment.name) * scene.environment.sky)
    meshes, objects = {}, []
    for item in r._items(scene):  # what the renderer draws: a part's faces per material, the tote, ...
        if item.role == "support":
            continue
        pd = item.edited if item.edited is not None else r._polydata(item.path, item.units)
        key = f"{item.path}|{item.units}" if item.edited is None else f"item{len(objects)}"
        if key not in meshes:
            name = f"mesh_{len(meshes)}.npz"
            np.savez(
                out / name,
                vertices=np.asarray(pd.GetPoints().GetData(), np.float32),
                normals=np.asarray(pd.GetPointData().GetNormals(), np.float32),
                faces=np.asarray(pd.GetPolys().GetConnectivityArray(), np.int32).reshape(-1, 3),
            )
            meshes[key] = name
        m = item.material
        category = next(o.category for o in scene.objects if o.instance_id == item.instance_id)
        objects.append(
            {
                "instance_id": item.instance_id,
                "category": category,
                "mesh": meshes[key],
                "pose": item.pose.tolist(),
                "base_color": list(m.base_color),
                "metallic": m.metallic,
                "roughness": m.roughness,
            }
        )
    sup = scene.support
    tex = support_texture(sup.kind)
    color = np.asarray(sup.material.base_color)
    if tex is not None:
        Image.fromarray(tex).save(out / "support.png")
        lin = np.where(tex / 255.0 <= 0.04045, tex / 255.0 / 12.92, ((tex / 255.0 + 0.055) / 1.055) ** 2.4)
        color = np.clip(color / float(lin.mean()), 0, 1)  # as the renderer: the texture keeps the mean albedo
    cam = scene.camera
    doc = {
        "width": cam.width,
        "height": cam.height,
        "K": cam.K.tolist(),
        "world_to_camera": cam.world_to_camera.tolist(),
        "environment": {"rotation_deg": scene.environment.rotation_deg, "exposure": scene.environment.exposure},
        "lights": [
            {
                "kind": lt.kind,
                "position": list(lt.position),
                "focal_point": list(lt.focal_point),
                "intensity": lt.intensity,
                "color": list(lt.color),
                "cone_angle_deg": lt.cone_angle_deg,
                "size": lt.size,
                "shadow": lt.shadow,
            }
            for lt in scene.lights
        ],
        "support": {
            "size": sup.size,
            "pose": sup.pose.tolist(),
            "kind": sup.kind,
            "texture": "support.png" if tex is not None else None,
            "tile_m": support_tile(sup.kind),
            "base_color": color.tolist(),
            "metallic": sup.material.metallic,
            "roughness": sup.material.roughness,
            "emissive": sup.kind == "backlight",
        },
        "objects": objects,
    }
    (out / "scene.json").write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    args = sys.argv[1:]
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    pos = [a for i, a in enumerate(args) if a != "--set" and (i == 0 or args[i - 1] != "--set")]
    main(pos[0], int(pos[1]), Path(pos[2]), sets)
