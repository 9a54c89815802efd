"""Config models (pydantic), YAML loading and `--set key.path=value` overrides.

Every default, unit and range lives here. Scene units are metres and degrees; meshes
declare their own units. Errors name the key path: `camera.distance.uniform: min 0.9 > max 0.4`.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .defects.registry import DefectSpec
from .distributions import dist
from .errors import SynthError
from .fields import Model, NumDist, StrDist, bounds, one_of
from .parts.families import FAMILIES
from .paths import bundled
from .presets import PRESETS, SUPPORTS

MAX_OBJECTS = 1000  # parts or distractors in one image: placement and labels stay fast (ids fit 16 bits)
MAX_LIGHTS = 16  # key lights: each casts a shadow pass (64 of them took 47 s for one frame)
MAX_IMAGES = 100_000_000  # per run; shard bigger datasets


class ImageCfg(Model):
    width: int = Field(640, ge=16, le=16384, description="image width in pixels")
    height: int = Field(480, ge=16, le=16384, description="image height in pixels")
    format: Literal["png", "jpg"] = "png"
    jpeg_quality: Annotated[NumDist, bounds(1, 100)] = Field(
        dist(95), description="JPEG quality (a distribution varies compression artefacts from frame to frame)"
    )
    png_compress_level: int = Field(1, ge=0, le=9, description="zlib level: 1 is fast, 9 is small")


class PartCfg(Model):
    mesh: str | None = Field(None, description="mesh file (STL, OBJ, PLY, GLB/GLTF, OFF, 3MF, STEP), or use family")
    family: str | None = Field(None, description=f"a procedural part family: {', '.join(FAMILIES)}")
    params: dict[str, Any] = Field(default_factory=dict, description="the family's parameters: constants or distributions")
    _spec: Model | None = PrivateAttr(None)

    @property
    def spec(self) -> Model | None:
        """The family's validated parameters (distributions), or None for a mesh file."""
        return self._spec

    category: str = Field(min_length=1)
    supercategory: str = "part"
    units: Literal["mm", "cm", "m", "in"] = "mm"
    material: StrDist = Field(dist("steel", numeric=False))
    materials_from_file: bool = Field(
        False, description="face groups the file gives a material (glTF PBR, USD UsdPreviewSurface) are drawn with it"
    )
    group_materials: dict[str, StrDist] = Field(
        default_factory=dict,
        description="a material per face-group name prefix (e.g. weld_seam: weld_bead), over `material` and the file's",
    )
    texture: str | None = Field(
        None,
        description="base colour: a built-in texture (painted_chipped, rust), an image, or a folder of images (one per instance)",
    )
    texture_size: float = Field(0.05, gt=0, description="metres of part surface one copy of the texture covers")
    weight: float = Field(1.0, gt=0, description="relative chance of this part being picked")
    scale: Annotated[NumDist, bounds(0.05, 20)] = Field(
        dist(1.0),
        description="size jitter of a mesh part: each instance scaled by a draw (0.5% steps), recorded as synth_attributes.scale",
    )


class SupportCfg(Model):
    material: StrDist = Field(dist({"choice": ["steel_table", "conveyor_belt", "wood"]}, numeric=False))
    size: float = Field(6.0, gt=0, description="edge length of the square support plane, metres")
    images: str | None = Field(None, description="a folder of photos (.png/.jpg): each frame lays one on the support instead")


class DistractorsCfg(Model):
    """Clutter placed among the parts: they occlude and confuse, and are not parts."""

    count: Annotated[NumDist, bounds(0, MAX_OBJECTS)] = Field(dist(0), description="distractors per image")
    meshes: list[str] = Field(
        [f"synth:meshes/distractor_{k}.stl" for k in ("box", "cylinder", "sphere", "ring")],
        min_length=1,
        description="meshes to draw from (the bundled primitives, or non-target parts)",
    )
    units: Literal["mm", "cm", "m", "in"] = "mm"
    material: StrDist = Field(dist({"choice": ["black_plastic", "rubber", "steel", "aluminium"]}, numeric=False))
    labeled: bool = Field(False, description="annotate them as category 'distractor' (else they are background)")
    region: tuple[float, float] | None = Field(
        None,
        description="x, y extent in metres where clutter lies (default: scene.region); a larger one puts clutter "
        "around the parts and at the image border, as on a real bench",
    )

    @field_validator("region")
    @classmethod
    def _region(cls, v):
        if v is not None and min(v) <= 0:
            raise ValueError(f"must be positive, got {list(v)}")
        return v


class BinCfg(Model):
    """The tote of `scene.layout: bin` (its floor is at z = floor, its inside centred on x = y = 0)."""

    mesh: str = Field("synth:meshes/tote.stl", description="the tote mesh (default: the bundled one)")
    units: Literal["mm", "cm", "m", "in"] = "mm"
    inner: tuple[float, float] = Field((0.30, 0.20), description="inside x, y in metres: parts fall within it")
    floor: float = Field(0.004, ge=0, description="height of the inside floor, metres")
    material: StrDist = Field(dist({"choice": ["black_plastic", "grey_plastic"]}, numeric=False))


class PhysicsCfg(Model):
    """Parts settled by rigid-body simulation (pybullet): dropped one by one in random orientations,
    they lean on each other, stand on their heads, lie tilted; needs pip install 'synth[physics]'."""

    enabled: bool = False
    touching: float = Field(0.5, ge=0, le=1, description="chance a part is dropped beside or onto one already down")
    drop_height: Annotated[NumDist, bounds(0, 1)] = Field(
        dist({"uniform": [0.002, 0.02]}), description="metres above whatever lies below that a part starts falling"
    )
    friction: float = Field(0.5, ge=0, le=2, description="Coulomb friction between parts, table and tote")
    max_time_s: float = Field(2.0, gt=0, le=30, description="simulated seconds a part may take to come to rest")


class SceneCfg(Model):
    parts_per_image: Annotated[NumDist, bounds(0, MAX_OBJECTS)] = Field(dist({"uniform": [2, 6]}))
    region: tuple[float, float] = Field((0.30, 0.20), description="x, y extent in metres where parts may lie")
    spacing: float = Field(0.002, ge=0, description="minimum gap between part footprints, metres")
    max_tries: int = Field(40, ge=1, le=10000, description="placement attempts per part before giving up on it")
    support: SupportCfg = SupportCfg()
    distractors: DistractorsCfg = DistractorsCfg()
    layout: Literal["table", "bin"] = Field("table", description="table: parts lie apart; bin: dropped into a tote, piled")
    bin: BinCfg = BinCfg()
    physics: PhysicsCfg = PhysicsCfg()

    @field_validator("region")
    @classmethod
    def _region(cls, v):
        if min(v) <= 0:
            raise ValueError(f"must be positive, got {list(v)}")
        return v


class IntrinsicsCfg(Model):
    fx: float = Field(gt=0)
    fy: float = Field(gt=0)
    cx: float
    cy: float


class DistortionCfg(Model):
    """OpenCV lens distortion coefficients (numbers or distributions); all 0: an ideal pinhole."""

    k1: NumDist = Field(dist(0.0))
    k2: NumDist = Field(dist(0.0))
    p1: NumDist = Field(dist(0.0))
    p2: NumDist = Field(dist(0.0))
    k3: NumDist = Field(dist(0.0))

    def dists(self) -> list:
        return [self.k1, self.k2, self.p1, self.p2, self.k3]


class CameraModelCfg(Model):
    """A real camera: sensor pixel pitch and lens focal length give K (overrides fov_deg)."""

    pixel_size_um: float = Field(gt=0, description="sensor pixel pitch in micrometres (e.g. 3.45 for a Sony IMX264)")
    focal_length_mm: Annotated[NumDist, bounds(0.5, 2000)] = Field(description="lens focal length in mm")


class DepthOfFieldCfg(Model):
    """Thin-lens defocus, focused on the look-at point (the RGB blurs; labels keep the sharp geometry)."""

    f_number: Annotated[NumDist, bounds(0.5, 64)] = Field(description="aperture: smaller numbers blur more")
    focal_length_mm: float | None = Field(None, gt=0, description="lens focal length; default camera.model's, else 16")


class MotionBlurCfg(Model):
    """Linear motion during the exposure, e.g. parts on a conveyor: speed x exposure x f / distance."""

    length_px: Annotated[NumDist, bounds(0, 500)] = Field(description="blur length in pixels")
    angle_deg: NumDist = Field(dist({"uniform": [0, 180]}), description="direction in the image, degrees from +x")


class CameraCfg(Model):
    distance: Annotated[NumDist, bounds(1e-3)] = Field(dist({"uniform": [0.4, 0.8]}))
    elevation_deg: Annotated[NumDist, bounds(1, 90)] = Field(dist({"uniform": [35, 85]}))
    azimuth_deg: NumDist = Field(dist({"uniform": [0, 360]}))
    roll_deg: NumDist = Field(dist({"uniform": [-10, 10]}))
    look_at_jitter: float = Field(0.03, ge=0, description="metres; the look-at point moves this much around the parts' centre")
    look_at_group: str | None = Field(None, description="aim at a random face group of this name prefix (e.g. weld_seam)")
    fov_deg: Annotated[NumDist, bounds(1, 170)] = Field(
        dist(45), description="horizontal field of view (ignored when intrinsics are given)"
    )
    intrinsics: IntrinsicsCfg | None = Field(None, description="fx, fy, cx, cy in pixels (OpenCV: pixel centres at integers)")
    model: CameraModelCfg | None = Field(None, description="pixel pitch and focal length instead of fov_deg")
    distortion: DistortionCfg = DistortionCfg()
    depth_of_field: DepthOfFieldCfg | None = None
    motion_blur: MotionBlurCfg | None = None
    softness_px: Annotated[NumDist, bounds(0, 10)] = Field(
        dist(0.0), description="lens softness: the Gaussian point spread's sigma in pixels (0: sharp)"
    )
    chromatic_aberration_px: Annotated[NumDist, bounds(-5, 5)] = Field(
        dist(0.0), description="lateral colour: red and blue shift this many pixels at the image corner, in opposite ways"
    )


class KeyLightsCfg(Model):
    count: Annotated[NumDist, bounds(0, MAX_LIGHTS)] = Field(dist({"uniform": [1, 3]}))
    type: StrDist = Field(dist({"choice": ["spot", "point", "directional"]}, numeric=False))
    intensity: Annotated[NumDist, bounds(0)] = Field(dist({"uniform": [2.0, 8.0]}))
    color_temperature_k: Annotated[NumDist, bounds(1000, 40000)] = Field(dist({"uniform": [3500, 6500]}))
    elevation_deg: Annotated[NumDist, bounds(5, 90)] = Field(dist({"uniform": [30, 80]}))
    distance: Annotated[NumDist, bounds(0.05)] = Field(dist({"uniform": [0.8, 1.6]}))
    size: Annotated[NumDist, bounds(0)] = Field(
        dist(0.05), description="metres: the lamp's diameter; the larger, the softer its shadows' edges (0: hard)"
    )


class RigCfg(Model):
    """A machine-vision light rig: broad sources (ring, coaxial, dome) light the frame as its
    environment, lamps (dark field, bars) are spot lights around the parts, a back light is the support."""

    type: Literal["ring", "coaxial", "dome", "dark_field", "bar", "back"] = Field(
        description="ring: around the lens; coaxial: on the optical axis; dome: diffuse from a hemisphere; "
        "dark_field: low-angle ring at the parts; bar: linear lights; back: a lit panel under the parts"
    )
    intensity: Annotated[NumDist, bounds(0)] = Field(dist(30.0), description="the rig's total intensity (shared by its lights)")
    color_temperature_k: Annotated[NumDist, bounds(1000, 40000)] = Field(dist(6000.0))
    radius: Annotated[NumDist, bounds(0.001)] = Field(dist(0.06), description="metres: ring/dark-field radius, bar distance")
    lights: int = Field(12, ge=1, le=64, description="spot lights that make up a dark-field ring")
    height: Annotated[NumDist, bounds(0)] = Field(dist(0.02), description="dark_field: metres above the parts' centre")
    bars: int = Field(2, ge=1, le=8, description="bar: how many bars, evenly around the parts")
    length: Annotated[NumDist, bounds(0.01)] = Field(dist(0.2), description="bar: length in metres")
    elevation_deg: Annotated[NumDist, bounds(1, 90)] = Field(dist(45.0), description="bar: elevation seen from the parts")


METERS = ("white_card", "average", "center_weighted", "spot", "off")


class LightingCfg(Model):
    environment: StrDist = Field(dist({"choice": ["studio_soft", "factory_hall"]}, numeric=False))
    environment_rotation_deg: NumDist = Field(dist({"uniform": [0, 360]}))
    key_lights: KeyLightsCfg = KeyLightsCfg()
    rig: RigCfg | None = Field(None, description="a machine-vision light rig, in addition to the key lights")
    shadows: bool = True
    auto_exposure: Annotated[StrDist, one_of(*METERS)] = Field(
        dist("white_card", numeric=False),
        description="how the camera meters: white_card (true): a white card on the table maps to white, whatever lies "
        "around it; average: the whole frame's mean; center_weighted: the mean, weighted to the centre; spot: the "
        "parts only. The last three bring the metered mean to metering_target and let highlights clip; off: "
        "the exposure alone (true and false also work: white_card and off); a choice draws one per frame",
    )
    metering_target: float = Field(
        0.46, gt=0.02, lt=0.98, description="display value (0-1) the metered mean is brought to (0.46: 18% grey in sRGB)"
    )
    exposure_bias: Annotated[NumDist, bounds(-6, 6)] = Field(
        dist(0.0), description="exposure compensation in stops, on top of the meter (+1: twice the light)"
    )
    exposure: Annotated[NumDist, bounds(0)] = Field(
        dist(1.0), description="exposure multiplier (on top of the metered one when auto_exposure is on)"
    )

    @field_validator("auto_exposure", mode="before")
    @classmethod
    def _on_off(cls, v: object) -> object:
        return {True: "white_card", False: "off"}.get(v, v) if isinstance(v, bool) else v


class RenderCfg(Model):
    anti_aliasing: Literal["fxaa", "ssaa", "none"] = Field(
        "fxaa", description="anti-aliasing of the RGB pass: fxaa (fast) or ssaa (5x supersampling, slow); labels never use it"
    )
    ambient_occlusion: bool = Field(True, description="screen-space ambient occlusion: contact shadows, dark cavities")
    tone_mapping: bool = Field(True, description="filmic tone mapping of the HDR render")


class NoiseCfg(Model):
    """Sensor noise in electrons (EMVA 1288 terms); a linear 1.0 fills the well at gain 1."""

    enabled: bool = False
    full_well_e: float = Field(10000.0, gt=0, description="electrons at saturation")
    read_noise_e: float = Field(6.0, ge=0, description="read noise, electrons rms")
    dark_current_e_per_s: float = Field(20.0, ge=0, description="dark current, electrons per second")
    exposure_ms: float = Field(10.0, gt=0, description="exposure time (dark current integrates over it)")
    gain: Annotated[NumDist, bounds(0.01, 1000)] = Field(
        dist(1.0), description="analog gain: higher gain, fewer electrons, more noise"
    )
    bit_depth: int = Field(8, ge=1, le=16, description="ADC bits before the 8-bit output")


class SensorCfg(Model):
    monochrome: bool = Field(False, description="one-channel images, as most inspection cameras give")
    white_balance: Annotated[NumDist, bounds(0.1, 10)] = Field(
        dist(1.0), description="red and blue gains relative to green (drawn per channel)"
    )
    vignetting: Annotated[NumDist, bounds(0, 1)] = Field(dist(0.0), description="brightness lost at the image corners (0: none)")
    falloff: Annotated[NumDist, bounds(0, 1)] = Field(
        dist(0.0), description="uneven illumination: light lost at the image edge around a bright spot near the centre (0: even)"
    )
    noise: NoiseCfg = NoiseCfg()

    def active(self) -> bool:
        w, v, f = self.white_balance.bounds(), self.vignetting.bounds(), self.falloff.bounds()
        return self.monochrome or self.noise.enabled or w != (1.0, 1.0) or v != (0.0, 0.0) or f != (0.0, 0.0)


class OutputsCfg(Model):
    depth: bool = Field(False, description="depth/<split>/NNNNNN.png: 16-bit camera z in depth_unit_mm (0: nothing there)")
    depth_unit_mm: float = Field(1.0, gt=0, description="depth PNG step: 1 mm reaches 65 m; 0.1 mm suits close-ups")
    depth_format: Literal["png16", "tiff32"] = Field(
        "png16", description="png16: 16-bit PNG in steps of depth_unit_mm; tiff32: 32-bit float TIFF, metres (0: nothing there)"
    )
    normals: bool = Field(
        False, description="normals/<split>/NNNNNN.png: surface normals, OpenCV camera frame, as (n + 1) / 2 * 255"
    )
    semantic: bool = Field(False, description="semantic/<split>/NNNNNN.png: category id per pixel (parts, defects on top)")
    bop: bool = Field(
        False,
        description="also a BOP-format copy for 6D pose (bop/: models in mm, scene_gt, scene_gt_info, scene_camera, "
        "scene_gt_coco, mask, mask_visib, depth with outputs.depth); turns annotations.amodal on",
    )


class AnnotationsCfg(Model):
    mask_format: Literal["rle", "polygon"] = "rle"
    polygon_convention: Literal["pixel_edge", "pixel_center"] = Field(
        "pixel_edge",
        description="polygon vertices on pixel edges (COCO, pycocotools: exact) or on pixel centres (readers that "
        "fill the pixels whose centres lie inside or on the outline, like OpenCV's fillPoly)",
    )
    min_visible_pixels: int = Field(50, ge=1)
    amodal: bool = Field(
        False, description="also each part's whole silhouette: synth_amodal_segmentation, synth_bbox_amodal, synth_visibility"
    )
    min_visibility: float = Field(0.0, ge=0, le=1, description="with amodal: skip parts less visible than this")
    boxes_3d: bool = Field(
        False, description="also synth_bbox_3d: each part's oriented box in the camera frame and its projected corners"
    )
    categories: Literal["parts_and_defects", "defects", "defect"] = Field(
        "parts_and_defects", description="parts and defect kinds; defect kinds only; or one 'defect' class"
    )


def _defect_kinds_model() -> type[Model]:
    """`defects.kinds`: one optional section per registered kind, so every key path is checked."""
    from pydantic import create_model

    from .defects import KINDS

    fields: dict[str, Any] = {name: (kind.spec | None, None) for name, kind in KINDS.items()}
    return create_model("DefectKindsCfg", __base__=Model, **fields)


if TYPE_CHECKING:  # built from the registry at import time; to a type checker, a section like any other
    DefectKindsCfg = Model
else:
    DefectKindsCfg = _defect_kinds_model()


class DefectsCfg(Model):
    defect_free_fraction: float = Field(0.3, ge=0, le=1, description="share of images with no defect at all")
    min_visible_pixels: int = Field(12, ge=1, description="defects with fewer visible pixels get no annotation")
    masks: bool = Field(False, description="also write masks/<split>/NNNNNN.png (value = defect category id)")
    facing_camera: bool = Field(True, description="place defects on faces turned towards the camera, in the image")
    kinds: DefectKindsCfg = Field(default_factory=DefectKindsCfg)

    def enabled(self) -> list[tuple[str, DefectSpec]]:
        """(kind name, spec) of the configured kinds, in the registry's fixed order."""
        return [(k, v) for k in type(self.kinds).model_fields if (v := getattr(self.kinds, k)) is not None]


class Config(Model):
    name: str = Field("dataset", description="a plain folder name (the default output is output/<name>)")
    seed: int = Field(0, ge=0)
    num_images: int = Field(100, ge=1, le=MAX_IMAGES)
    image: ImageCfg = ImageCfg()
    splits: dict[str, float] = {"train": 0.8, "val": 0.2}
    parts: list[PartCfg] = Field(min_length=1)
    scene: SceneCfg = SceneCfg()
    camera: CameraCfg = CameraCfg()
    lighting: LightingCfg = LightingCfg()
    render: RenderCfg = RenderCfg()
    annotations: AnnotationsCfg = AnnotationsCfg()
    defects: DefectsCfg = DefectsCfg()
    sensor: SensorCfg = SensorCfg()
    outputs: OutputsCfg = OutputsCfg()
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("splits")
    @classmethod
    def _splits(cls, v: dict[str, float]):
        if not v:
            raise ValueError("needs at least one split")
        for k, f in v.items():
            if not re.fullmatch(r"[a-z0-9_]+", k):
                raise ValueError(f"split name {k!r} must be lower-case letters, digits or _")
            if f <= 0:
                raise ValueError(f"{k}: fraction must be > 0, got {f}")
        if abs(sum(v.values()) - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {sum(v.values()):g}")
        return v

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}", v):
            raise ValueError(f"{v!r} is not a plain folder name (letters, digits, _ . -; not starting with a dot)")
        return v

    @model_validator(mode="after")
    def _mesh_or_family(self):
        """Each part is a mesh file or a family; a family's parameters are checked key by key."""
        for i, p in enumerate(self.parts):
            if (p.mesh is None) == (p.family is None):
                raise ValueError(f"parts[{i}]: give either mesh (a file) or family (one of {', '.join(FAMILIES)})")
            if p.mesh is not None and p.params:
                raise ValueError(f"parts[{i}].params: only a family takes params")
            if p.family is None:
                continue
            if p.family not in FAMILIES:
                raise ValueError(f"parts[{i}].family: unknown family {p.family!r} (known: {', '.join(FAMILIES)})")
            try:
                p._spec = FAMILIES[p.family].params.model_validate(p.params)
            except ValidationError as e:
                raise ValueError(f"parts[{i}].params.{format_error(e, FAMILIES[p.family].params)}") from None
        for i, p in enumerate(self.parts):
            if p.family is not None and p.scale.bounds() != (1.0, 1.0):
                raise ValueError(f"parts[{i}].scale: a family draws its own sizes (its params); scale is for mesh parts")
        if self.outputs.bop and any(p.scale.bounds() != (1.0, 1.0) for p in self.parts):
            raise ValueError("outputs.bop: the BOP export takes one model per mesh file; parts[].scale must be 1")
        if self.outputs.bop and any(p.family for p in self.parts):
            raise ValueError("outputs.bop: the BOP export does not take part families yet (one BOP object per mesh file)")
        if self.outputs.bop and self.outputs.depth and self.outputs.depth_format != "png16":
            raise ValueError("outputs.depth_format: BOP depth images are 16-bit PNG; use png16 with outputs.bop")
        if self.outputs.bop:  # BOP's mask/ holds each part's whole silhouette
            self.annotations.amodal = True
        return self

    @model_validator(mode="after")
    def _one_supercategory(self):
        """A category has one supercategory (COCO consumers key categories by name)."""
        seen: dict[str, tuple[int, str]] = {}
        for i, p in enumerate(self.parts):
            if p.category in seen and seen[p.category][1] != p.supercategory:
                j, sup = seen[p.category]
                raise ValueError(
                    f"parts[{i}].supercategory: category {p.category!r} is {sup!r} in parts[{j}], {p.supercategory!r} here"
                )
            seen.setdefault(p.category, (i, p.supercategory))
        return self

    @model_validator(mode="after")
    def _names(self):
        for i, p in enumerate(self.parts):
            for m in p.material.values():
                if m not in PRESETS:
                    raise ValueError(f"parts[{i}].material: unknown material {m!r} (known: {', '.join(PRESETS)})")
            for prefix, d in p.group_materials.items():
                for m in d.values():
                    if m not in PRESETS:
                        raise ValueError(
                            f"parts[{i}].group_materials.{prefix}: unknown material {m!r} (known: {', '.join(PRESETS)})"
                        )
            if p.family and (p.group_materials or p.materials_from_file):
                raise ValueError(f"parts[{i}]: a part family's mesh has no face groups; group materials need a mesh file")
        for m in self.scene.support.material.values():
            if m not in SUPPORTS:
                raise ValueError(f"scene.support.material: unknown support {m!r} (known: {', '.join(SUPPORTS)})")
        for t in self.lighting.key_lights.type.values():
            if t not in ("spot", "point", "directional"):
                raise ValueError(f"lighting.key_lights.type: unknown light type {t!r} (known: spot, point, directional)")
        return self

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def categories(self) -> list[dict]:
        """COCO categories, ids from 1, stable for a given config: parts in first-appearance order,
        then the configured defect kinds in a fixed order (or one `defect` class), as `annotations.categories` says."""
        cats: dict[str, str] = {}
        mode = self.annotations.categories
        if mode == "parts_and_defects":
            for p in self.parts:
                cats.setdefault(p.category, p.supercategory)
            if self.scene.distractors.labeled and self.scene.distractors.count.bounds()[1] > 0:
                cats.setdefault("distractor", "distractor")
        kinds = [k for k, _ in self.defects.enabled()]
        if kinds and mode == "defect":
            cats.setdefault("defect", "defect")
        elif kinds:
            for k in kinds:
                cats.setdefault(k, "defect")
        return [{"id": i + 1, "name": n, "supercategory": s} for i, (n, s) in enumerate(cats.items())]

    def split_of(self, frame_index: int) -> str:
        """The frame's split: deterministic and well spread (golden-ratio sequence), independent
        of the run's length, so a longer run keeps the splits of a shorter one."""
        u = ((frame_index + 1) * 0.6180339887498949) % 1.0
        acc = 0.0
        for name, fraction in self.splits.items():
            acc += fraction
            if u < acc:
                return name
        return list(self.splits)[-1]

    def resolve_path(self, p: str) -> Path:
        """A path from the config: absolute, else relative to the working directory, the config's
        folder, or the folder above it (so bundled configs work from the repo root or configs/);
        `synth:meshes/...` is a file bundled with synth."""
        if (shipped := bundled(p)) is not None:
            return shipped
        path = Path(p).expanduser()
        if path.is_absolute():
            return path
        for base in (Path.cwd(), self._base_dir, self._base_dir.parent):
            if (base / path).exists():
                return base / path
        return Path.cwd() / path


def _all_field_names(model: type[BaseModel], acc: set[str]) -> set[str]:
    for name, f in model.model_fields.items():
        acc.add(name)
        for t in getattr(f.annotation, "__args__", ()) + (f.annotation,):
            if isinstance(t, type) and issubclass(t, BaseModel) and t is not model:
                _all_field_names(t, acc)
    return acc


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_error(err: ValidationError, model: type[BaseModel] | None = None) -> str:
    """One line naming the key path and what is wrong with it (`model`: where to look for
    the names an unknown key may have meant; the whole config by default)."""
    e = err.errors()[0]
    loc = _loc(tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-"))))
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        known = _all_field_names(model or Config, set())
        close = difflib.get_close_matches(str(e["loc"][-1]), known, n=1)
        msg = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    elif e["type"] == "missing":
        msg = "required key is missing"
    elif re.match(r"^[a-z_]+(\.[a-z_]+)?: ", msg) and not msg.startswith(("value:", "parts[")):
        sub, _, rest = msg.partition(": ")
        loc, msg = f"{loc}.{sub}", rest
    elif msg.startswith("parts[") or msg.startswith(("scene.", "lighting.")):
        loc, _, msg = msg.partition(": ")
    more = len(err.errors()) - 1
    return f"{loc}: {msg}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def apply_override(raw: dict, assignment: str) -> None:
    """Apply `a.b.c=value` (value parsed as YAML; list items by index: `parts.0.units=cm`)."""
    key, sep, value = assignment.partition("=")
    if not sep or not key.strip():
        raise SynthError(f"--set {assignment!r}: expected key.path=value")
    parts = key.strip().split(".")
    node: Any = raw
    for i, p in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not p.isdigit() or int(p) >= len(node):
                raise SynthError(f"--set {key}: {'.'.join(parts[: i + 1])} is not an index of the list")
            node = node[int(p)]
        else:
            node = node.setdefault(p, {})
        if not isinstance(node, (dict, list)):
            raise SynthError(f"--set {key}: {'.'.join(parts[: i + 1])} is a value, not a section")
    last = parts[-1]
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise SynthError(f"--set {key}: {last!r} is not an index of the list")
        node[int(last)] = parsed
    else:
        node[last] = parsed


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last silently)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(text: str) -> Any:
    """YAML with duplicate keys refused."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read, override and validate a YAML config; raises SynthError with one line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise SynthError(f"{path}: config file not found" if not path.exists() else f"{path}: not a file")
    try:
        raw = read_yaml(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as e:
        raise SynthError(f"{path}: not a UTF-8 text file (byte {e.start})") from None
    except OSError as e:
        raise SynthError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        mark = getattr(e, "problem_mark", None)
        raise SynthError(f"{path}: not valid YAML ({problem}{f', line {mark.line + 1}' if mark else ''})") from None
    if not isinstance(raw, dict):
        raise SynthError(f"{path}: expected a mapping of config keys at the top level")
    for o in overrides or []:
        apply_override(raw, o)
    return config_from_dict(raw, base_dir=path.resolve().parent, source=str(path))


def config_from_dict(raw: dict, base_dir: Path | None = None, source: str = "config") -> Config:
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as e:
        raise SynthError(f"{source}: {format_error(e)}") from e
    cfg._base_dir = base_dir or Path.cwd()
    return cfg


def dump_config(cfg: Config) -> str:
    """The resolved config as YAML (distributions in their normal form)."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
