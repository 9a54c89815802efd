"""The scene sampler: one `Scene` per frame, a pure function of (config, seed, frame index)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..assets import LoadedMesh, load_mesh
from ..config import Config
from ..environments import BUILTIN, white_radiance
from ..parts.families import FAMILIES, mesh_file, mesh_name
from ..paths import cache_dir
from ..presets import SUPPORTS
from ..textures import PART_TEXTURES, TILE_M, background_images
from .bin import Pile
from .camera import sample_camera
from .defects import sample_defects
from .lighting import BROAD_RIGS, floor_radiance, metered_exposure, rig_environment, rig_lights, sample_environment, sample_lights
from .materials import sample_material
from .model import Material, Scene, SceneObject, Support
from .optics import exposure_rng, optics_rng, sample_jpeg_quality, sample_metering, sample_optics, sample_sensor
from .physics import settle
from .placement import place_part, rotation_z

SCALE_STEP = 0.005  # parts[].scale is drawn in steps of 0.5%


def part_textures(cfg: Config, texture: str) -> list[str]:
    """The images a part's `texture` names: a built-in ("builtin:<name>"), a file or a folder's images."""
    if texture in PART_TEXTURES:
        return ["builtin:" + texture]
    return background_images(str(cfg.resolve_path(texture)))


def frame_rng(seed: int, frame_index: int) -> np.random.Generator:
    """The only source of randomness for a frame: independent of worker count and order."""
    return np.random.default_rng(np.random.SeedSequence([seed, frame_index]))


def group_materials(part, loaded: LoadedMesh, rng: np.random.Generator) -> list[tuple[tuple[str, ...], Material]]:
    """The part's face groups with materials of their own: the file's (`materials_from_file`), then
    each `group_materials` prefix's draw (no draws at all when neither is set)."""
    out: list[tuple[tuple[str, ...], Material]] = []
    if part.materials_from_file:
        for group, m in sorted(loaded.materials.items()):
            out.append(((group,), Material(f"file:{m.name}", m.base_color, m.metallic, m.roughness)))
    for prefix, d in part.group_materials.items():
        groups = tuple(g for g in sorted(loaded.face_groups) if g.startswith(prefix))
        out.append((groups, sample_material(str(d.sample(rng)), rng)))
    return out


def _group_point(objects: list[SceneObject], prefix: str, rng: np.random.Generator, default: np.ndarray) -> np.ndarray:
    """A random point (world) on the named face groups of a random part that has them (say, a weld seam)."""
    hosts = []
    for o in objects:
        groups = load_mesh(o.mesh_path, o.units).face_groups
        faces = [f for name, f in sorted(groups.items()) if name.startswith(prefix)]
        if faces:
            hosts.append((o, np.concatenate(faces)))
    if not hosts:
        return default
    o, on_groups = hosts[int(rng.integers(len(hosts)))]
    mesh = load_mesh(o.mesh_path, o.units).mesh
    p = mesh.triangles_center[on_groups[int(rng.integers(len(on_groups)))]]
    return o.pose[:3, :3] @ p + o.pose[:3, 3]


def sample_scene(cfg: Config, frame_index: int, seed: int | None = None) -> Scene:
    """Everything random about frame `frame_index`: parts and poses, camera, lights, environment,
    support, defects, lens blur and sensor draws."""
    seed = cfg.seed if seed is None else seed
    rng = frame_rng(seed, frame_index)
    group_rng = np.random.default_rng(np.random.SeedSequence([seed, frame_index, 3]))  # its own stream: group
    # materials change no other draw
    weights = np.array([p.weight for p in cfg.parts])
    weights = weights / weights.sum()
    n = cfg.scene.parts_per_image.sample_int(rng)
    objects: list[SceneObject] = []
    footprints: list = []
    notes: list[str] = []
    pile = Pile(cfg.scene.bin.inner, cfg.scene.bin.floor) if cfg.scene.layout == "bin" else None

    physics = cfg.scene.physics.enabled
    falling: list = []  # with physics: the meshes to drop, in order; their poses come from settle()

    def place(mesh, region: tuple[float, float]) -> np.ndarray | None:
        """On the table apart from the others, or dropped onto the pile in the bin."""
        if pile is not None:
            region = cfg.scene.bin.inner
        if physics:
            falling.append((mesh.mesh, region))
            return np.eye(4)
        if pile is not None:
            return pile.drop(mesh, rng, cfg.scene.max_tries)
        placed = place_part(mesh, footprints, region, cfg.scene.spacing, cfg.scene.max_tries, rng)
        if placed is None:
            return None
        footprints.append(placed.footprint)
        return placed.transform

    for _ in range(n):
        part = cfg.parts[int(rng.choice(len(cfg.parts), p=weights))]
        attributes: dict[str, Any] | None = None
        units: str = part.units
        if part.family is not None and part.spec is not None:  # this instance's own shape, drawn first
            params = FAMILIES[part.family].draw(part.spec, rng)
            path = mesh_file(part.family, params, cache_dir())
            mesh_ref, units = f"meshes/{mesh_name(part.family, params)}", "mm"
            attributes = {"family": part.family, "params": params}
        else:
            path = cfg.resolve_path(str(part.mesh))
            mesh_ref = str(part.mesh)
            if part.scale.bounds() != (1.0, 1.0):  # size jitter, in steps so a few mesh variants are cached
                s = round(float(part.scale.sample(rng)) / SCALE_STEP) * SCALE_STEP
                units, attributes = f"{units}*{s:.4g}", {"scale": float(f"{s:.4g}")}
        pose = place(load_mesh(path, units), cfg.scene.region)
        material = sample_material(str(part.material.sample(rng)), rng)
        if part.texture:  # a built-in texture or the user's image as the base colour (one drawn from a folder)
            images = part_textures(cfg, part.texture)
            image = images[int(rng.integers(len(images)))] if len(images) > 1 else images[0]
            material = replace(material, texture=image, texture_size=part.texture_size)
        if pose is None:
            notes.append(f"frame {frame_index}: no room for another {part.category}; placed {len(objects)} of {n} parts")
            continue
        objects.append(
            SceneObject(
                instance_id=len(objects) + 1,
                category=part.category,
                mesh=mesh_ref,
                mesh_path=str(path),
                units=units,
                pose=pose,
                material=material,
                attributes=attributes,
                group_materials=group_materials(part, load_mesh(path, units), group_rng),
            )
        )
    targets = list(objects)
    dc = cfg.scene.distractors
    for _ in range(dc.count.sample_int(rng)):  # clutter among the parts, placed the same way
        clutter = dc.meshes[int(rng.integers(len(dc.meshes)))]
        path = cfg.resolve_path(clutter)
        pose = place(load_mesh(path, dc.units), dc.region or cfg.scene.region)
        material = sample_material(str(dc.material.sample(rng)), rng)
        if pose is None:
            continue
        objects.append(
            SceneObject(
                instance_id=len(objects) + 1,
                category="distractor",
                mesh=clutter,
                mesh_path=str(path),
                units=dc.units,
                pose=pose,
                material=material,
                distractor=True,
            )
        )
    if physics and falling:  # everything placed above falls now, in the order it was drawn
        tote = load_mesh(cfg.resolve_path(cfg.scene.bin.mesh), cfg.scene.bin.units).mesh if pile is not None else None
        meshes, regions = zip(*falling, strict=True)
        for obj, pose in zip(objects, settle(list(meshes), list(regions), cfg.scene.physics, rng, tote), strict=True):
            obj.pose = pose
    if pile is not None:  # the tote: it hides parts like anything else, and is never annotated
        b = cfg.scene.bin
        objects.append(
            SceneObject(
                instance_id=len(objects) + 1,
                category="tote",
                mesh=b.mesh,
                mesh_path=str(cfg.resolve_path(b.mesh)),
                units=b.units,
                pose=np.eye(4),
                material=sample_material(str(b.material.sample(rng)), rng),
                distractor=True,
            )
        )
    if targets:
        c = np.mean([o.pose[:3, 3] for o in targets], axis=0)
        centre = np.array([c[0], c[1], 0.01])
    else:
        centre = np.array([0.0, 0.0, 0.0])
    if cfg.camera.look_at_group and objects:
        centre = _group_point(objects, cfg.camera.look_at_group, rng, centre)
    camera = sample_camera(cfg.camera, cfg.image, centre, rng)
    lights = sample_lights(cfg.lighting, centre, rng)
    rig = cfg.lighting.rig
    if rig is not None and rig.type not in BROAD_RIGS:
        lights += rig_lights(rig, centre, rng)
    env = sample_environment(cfg.lighting, rng)
    if env.name not in BUILTIN:
        env.name = str(cfg.resolve_path(env.name))
    if rig is not None and rig.type in BROAD_RIGS:  # the rig's own room replaces the environment
        rig_environment(rig, camera, centre, env, rng)
    meter, metering, bias = sample_metering(cfg.lighting, exposure_rng(seed, frame_index))
    back_lit = cfg.lighting.rig is not None and cfg.lighting.rig.type == "back"
    if back_lit:  # a dark room, six stops under the panel; exposed for the panel (radiance 1)
        env.sky = round(1.0 / (64.0 * white_radiance(env.name)), 5)
        env.floor = env.sky  # the panel shines through the table, not onto the parts' tops: silhouettes
        env.exposure *= 2.0 if meter != "off" else 1.0
    elif meter != "off":
        env.exposure = metered_exposure(env, lights)
    if metering is None:  # a bias on the white card (or on a fixed exposure); an image meter applies its own
        env.exposure *= 2.0**bias
    support_kind = str(cfg.scene.support.material.sample(rng))
    material_kind = support_kind
    if cfg.scene.support.images:  # a photo as the support's texture
        photos = background_images(str(cfg.resolve_path(cfg.scene.support.images)))
        support_kind, material_kind = "image:" + photos[int(rng.integers(len(photos)))], "photo"
    if back_lit:
        support_kind = material_kind = "backlight"
    else:
        env.floor = floor_radiance(env, lights, SUPPORTS[material_kind][0])
    support_pose = rotation_z(rng.uniform(0.0, 2.0 * np.pi))
    support_pose[:2, 3] = rng.uniform(-TILE_M, TILE_M, 2)
    support = Support(
        material=sample_material(material_kind, rng, SUPPORTS), size=cfg.scene.support.size, kind=support_kind, pose=support_pose
    )
    cam_pos = -camera.world_to_camera[:3, :3].T @ camera.world_to_camera[:3, 3]
    pixel = float(np.linalg.norm(cam_pos - centre)) / camera.K[0, 0]  # metres per pixel at the parts
    defects = sample_defects(cfg, objects, rng, min_edge=pixel, camera=camera)
    lens_rng = optics_rng(seed, frame_index)  # its own stream: switching optics on changes nothing else
    optics = sample_optics(cfg.camera, camera, lens_rng)
    sensor = sample_sensor(cfg.sensor, lens_rng)
    jpeg_quality = sample_jpeg_quality(cfg.image, lens_rng)
    return Scene(
        frame_index=frame_index,
        seed=seed,
        objects=objects,
        camera=camera,
        lights=lights,
        environment=env,
        support=support,
        shadows=cfg.lighting.shadows,
        notes=notes,
        defects=defects,
        optics=optics,
        sensor=sensor,
        jpeg_quality=jpeg_quality,
        metering=metering,
    )
