"""One frame: config -> scene -> render -> lens and sensor -> annotate -> `FrameResult`.

`FrameMaker` is built once per process (it holds the renderer, whose windows, uploaded meshes
and prefiltered environments are reused for every frame); every back end (in this process, a
process pool, Ray actors), the benchmark and `synth preview` make frames through it, so a frame
is made the same way everywhere.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import numpy as np

from .annotate import annotate_defects, annotate_frame, defect_class_map, encoder, image_record
from .assets import LoadedMesh, load_mesh
from .config import Config, PartCfg
from .environments import BUILTIN, environment_image
from .errors import SynthError
from .frame import Frame, FrameResult
from .render import Renderer
from .render.metering import apply_metering
from .scene import Scene, sample_scene
from .scene.physics import bullet
from .scene.sampler import part_textures
from .sensor import apply_optics, apply_sensor
from .textures import PART_TEXTURES, background_images, load_image


def preload(cfg: Config) -> None:
    """Load every mesh, texture, photo and environment the config names, so bad input fails with
    one line naming its key before anything is written."""
    for i, p in enumerate(cfg.parts):
        if p.mesh is not None:
            try:
                loaded = load_mesh(cfg.resolve_path(p.mesh), p.units)
            except SynthError as e:
                raise SynthError(f"parts[{i}].mesh: {e}") from None
            _check_groups(i, p, loaded)
        if p.texture:
            try:
                for image in part_textures(cfg, p.texture):
                    load_image(image)
            except SynthError as e:
                raise SynthError(f"parts[{i}].texture: {e}") from None
    if cfg.scene.physics.enabled:
        bullet()  # the optional extra is there, or one line says which to install
    if cfg.scene.support.images:
        try:
            for photo in background_images(str(cfg.resolve_path(cfg.scene.support.images))):
                load_image(photo)  # every photo decodes: a broken one is found now, not at frame 40,000
        except SynthError as e:
            raise SynthError(f"scene.support.images: {e}") from None
    if cfg.scene.layout == "bin":
        try:
            load_mesh(cfg.resolve_path(cfg.scene.bin.mesh), cfg.scene.bin.units)
        except SynthError as e:
            raise SynthError(f"scene.bin.mesh: {e}") from None
    dc = cfg.scene.distractors
    if dc.count.bounds()[1] > 0:
        for i, m in enumerate(dc.meshes):
            try:
                load_mesh(cfg.resolve_path(m), dc.units)
            except SynthError as e:
                raise SynthError(f"scene.distractors.meshes[{i}]: {e}") from None
    for name in cfg.lighting.environment.values():
        if name not in BUILTIN:
            environment_image(str(cfg.resolve_path(name)))


def _check_groups(i: int, p: PartCfg, loaded: LoadedMesh) -> None:
    """`materials_from_file` needs a file that assigns materials, each `group_materials` prefix a face group."""
    if p.materials_from_file and not loaded.materials:
        raise SynthError(f"parts[{i}].materials_from_file: {p.mesh} assigns no materials (glTF PBR or USD UsdPreviewSurface)")
    for prefix in p.group_materials:
        if not any(g.startswith(prefix) for g in loaded.face_groups):
            known = ", ".join(sorted(loaded.face_groups)[:8]) or "none"
            raise SynthError(
                f"parts[{i}].group_materials.{prefix}: no face group of {p.mesh} starts with {prefix!r} (groups: {known})"
            )


def input_paths(cfg: Config) -> list[Path]:
    """Every file or folder the config reads (an --overwrite never deletes a folder holding one)."""
    paths = [cfg.base_dir] + [cfg.resolve_path(p.mesh) for p in cfg.parts if p.mesh is not None]
    paths += [cfg.resolve_path(p.texture) for p in cfg.parts if p.texture and p.texture not in PART_TEXTURES]
    if cfg.scene.support.images:
        paths.append(cfg.resolve_path(cfg.scene.support.images))
    paths += [cfg.resolve_path(m) for m in cfg.scene.distractors.meshes] + [cfg.resolve_path(cfg.scene.bin.mesh)]
    paths += [cfg.resolve_path(name) for name in cfg.lighting.environment.values() if name not in BUILTIN]
    return paths


def render(cfg: Config, scene: Scene, renderer: Renderer) -> Frame:
    """The frame's maps as the config asks for them, the RGB image through the lens blur and the
    sensor the scene drew (labels keep the sharp geometry)."""
    dof = scene.optics is not None and scene.optics.f_number is not None
    frame = renderer.render(scene, depth=cfg.outputs.depth or dof, amodal=cfg.annotations.amodal, normals=cfg.outputs.normals)
    if scene.metering is not None:  # the camera's meter reads the rendered frame
        parts = [o.instance_id for o in scene.objects if not o.distractor]
        frame.rgb, _ = apply_metering(frame.rgb, frame.instance_ids, parts, scene.metering, cfg.render.tone_mapping)
    if scene.optics is not None:
        frame.rgb = apply_optics(frame.rgb, frame.depth, scene.camera, scene.optics)
    if scene.sensor is not None:
        frame.rgb = apply_sensor(frame.rgb, scene.sensor)
    if dof and not cfg.outputs.depth:
        frame.depth = None
    return frame


def annotate(cfg: Config, scene: Scene, frame: Frame, image: dict, cat_ids: dict[str, int]) -> tuple[list[dict], dict]:
    """Part and defect records of a frame (as `annotations.categories` asks; the image's defect
    counts go into `image`), and the per-pixel label maps to write: `masks` (defect classes,
    `defects.masks`), `semantic` (part and defect classes, `outputs.semantic`) and `normals`."""
    assert frame.instance_ids is not None, "annotation needs the label pass"
    anns: list[dict] = []
    encode = encoder(cfg.annotations.mask_format, cfg.annotations.polygon_convention)
    if cfg.annotations.categories == "parts_and_defects":
        a = cfg.annotations
        anns = annotate_frame(
            frame.instance_ids, scene, cat_ids, encode, a.min_visible_pixels, frame.amodal, a.min_visibility, a.boxes_3d
        )
    maps: dict[str, np.ndarray] = {}
    defect_map = None
    if cfg.defects.enabled():
        ids = frame.defect_ids if frame.defect_ids is not None else np.zeros_like(frame.instance_ids)
        defect_anns, counts = annotate_defects(ids, scene, cat_ids, encode, cfg.defects.min_visible_pixels)
        anns += defect_anns
        image["synth_defects"] = counts
        image["synth_anomaly"] = counts["visible"] > 0
        if cfg.defects.masks or cfg.outputs.semantic:
            defect_map = defect_class_map(ids, scene, cat_ids, cfg.defects.min_visible_pixels)
        if cfg.defects.masks and defect_map is not None:
            maps["masks"] = defect_map
    if cfg.outputs.semantic:  # annotated parts by category, the annotated defects on top
        lut = np.zeros(len(scene.objects) + 1, np.int32)
        for rec in anns:
            if "synth_instance_id" in rec:
                lut[rec["synth_instance_id"]] = rec["category_id"]
        semantic = lut[frame.instance_ids]
        maps["semantic"] = semantic if defect_map is None else np.where(defect_map > 0, defect_map, semantic)
    if frame.normals is not None:  # 8-bit (n + 1) / 2, black where nothing is
        maps["normals"] = np.nan_to_num(np.rint((frame.normals + 1) * 127.5), nan=0).astype(np.uint8)
    return anns, maps


class FrameMaker:
    """Makes frames of one config in this process: `make(i)` is frame i, the same bytes in any
    process and any order. Build one per process and `close()` it (or use it as a context manager)."""

    def __init__(self, cfg: Config, renderer: Renderer | None = None):
        """`renderer`: one to share (the benchmark times several configs on one); else its own."""
        self.cfg = cfg
        self.categories = cfg.categories()
        self.cat_ids = {c["name"]: c["id"] for c in self.categories}
        self._own = renderer is None
        self.renderer = renderer if renderer is not None else Renderer.for_config(cfg)

    def scene(self, i: int) -> Scene:
        """Everything random about frame i (pure: safe to run in another thread)."""
        return sample_scene(self.cfg, i)

    def make(self, i: int, scene: Scene | None = None) -> FrameResult:
        """Frame i (from its `scene` when already sampled): image, records and label maps."""
        scene = scene if scene is not None else self.scene(i)
        return self.finish(scene, render(self.cfg, scene, self.renderer))

    def finish(self, scene: Scene, frame: Frame) -> FrameResult:
        """The records and maps of a rendered frame."""
        cfg, i = self.cfg, scene.frame_index
        name = f"{i:06d}.{'png' if cfg.image.format == 'png' else 'jpg'}"
        image = image_record(scene, name)
        anns, maps = annotate(cfg, scene, frame, image, self.cat_ids)
        split = cfg.split_of(i)
        if cfg.outputs.depth:  # depth in mm = stored value x synth_depth_unit_mm
            tiff = cfg.outputs.depth_format == "tiff32"
            image["synth_depth_file"] = f"depth/{split}/{i:06d}.{'tiff' if tiff else 'png'}"
            image["synth_depth_unit_mm"] = 1000.0 if tiff else cfg.outputs.depth_unit_mm
        return FrameResult(
            index=i,
            split=split,
            file_name=name,
            rgb=frame.rgb,
            image=image,
            annotations=anns,
            maps=maps,
            depth=frame.depth if cfg.outputs.depth else None,
            notes=list(scene.notes),
            jpeg_quality=scene.jpeg_quality,
            meshes={o.mesh: o.mesh_path for o in scene.objects if o.attributes is not None},
        )

    def close(self) -> None:
        if self._own:
            self.renderer.close()

    def __enter__(self) -> FrameMaker:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
