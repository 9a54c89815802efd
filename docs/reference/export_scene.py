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
    np.save(out / "env.npy", environment_image(scene.environment.name))
    meshes, objects = {}, []
    for o in scene.objects:
        key = f"{o.mesh_path}|{o.units}"
        if key not in meshes:
            pd = r._polydata(o.mesh_path, o.units)
            name = f"mesh_{len(meshes)}.npz"
            np.savez(
                out / name,
                vertices=np.asarray(pd.points, np.float32),
                normals=np.asarray(pd.point_data["Normals"], np.float32),
                faces=pd.faces.reshape(-1, 4)[:, 1:].astype(np.int32),
            )
            meshes[key] = name
        m = o.material
        objects.append(
            {
                "instance_id": o.instance_id,
                "category": o.category,
                "mesh": meshes[key],
                "pose": o.pose.tolist(),
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
