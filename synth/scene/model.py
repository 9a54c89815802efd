"""The Scene: plain data, independent of any renderer. World frame is Z-up, metres."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Material:
    """Metallic/roughness PBR material; `base_color` is linear RGB in [0, 1]."""

    name: str
    base_color: tuple[float, float, float]
    metallic: float
    roughness: float
    finish: str | None = None  # surface finish texture (machined, brushed, cast): roughness varies across it
    anisotropy: float = 0.0  # brushed metal stretches highlights across the brushing direction
    texture: str | None = None  # an image file: the base colour, box-projected in tiles of texture_size metres
    texture_size: float = 0.03


@dataclass
class Defect:
    """One defect instance; `params` are its sizes in mm, as sampled."""

    defect_id: int
    kind: str
    host_instance_id: int
    params: dict


@dataclass
class DefectGeometry:
    """A host mesh edited by its defects (metres, file axes, like the mesh file scaled): the host
    faces left as they were (indices into the host mesh) plus the edited patch."""

    host_faces: np.ndarray  # indices of unedited faces of the host mesh
    vertices: np.ndarray  # the patch
    faces: np.ndarray
    face_defect: np.ndarray  # defect id per patch face, 0 = none
    albedo: np.ndarray  # per-vertex multiplier of the base colour
    rest: np.ndarray  # per vertex: where it lay before any defect moved it (on its host face)
    face_host: np.ndarray  # per patch face: the host face it lies in (-1: new material)
    source: np.ndarray  # per vertex: its index in the host mesh (>= its vertex count: new)


@dataclass
class SceneObject:
    """One part instance. `pose` maps mesh-file coordinates scaled to metres (s * x_file) to world."""

    instance_id: int
    category: str
    mesh: str  # the path as the config gives it
    mesh_path: str  # resolved path on disk
    units: str
    pose: np.ndarray
    material: Material
    geometry: DefectGeometry | None = None  # set when defects edited this instance
    distractor: bool = False  # clutter: never a defect host, annotated only when configured
    attributes: dict | None = None  # a family part's {"family", "params"} (its mesh is made for them)
    # face groups drawn with their own material: the file's, then `parts[].group_materials` (a later entry wins)
    group_materials: list[tuple[tuple[str, ...], Material]] = field(default_factory=list)


@dataclass
class Camera:
    """Pinhole camera in OpenCV convention (x right, y down, z forward; pixel centres at integers)."""

    K: np.ndarray
    world_to_camera: np.ndarray
    width: int
    height: int
    distortion: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)  # OpenCV k1, k2, p1, p2, k3
    focus_distance: float = 0.0  # metres to the look-at point, where a lens with depth of field is focused


@dataclass
class Light:
    kind: str  # spot | point | directional
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    intensity: float
    color: tuple[float, float, float]
    cone_angle_deg: float = 30.0  # a spot's beam: half-angle at half intensity (it fades on beyond; see spot_falloff)
    shadow: bool = True  # casts shadows (a dark-field ring's lamps do not)
    size: float = 0.05  # the lamp's diameter in metres: how soft its shadows' edges are


@dataclass
class Environment:
    name: str  # built-in name or a file path
    rotation_deg: float
    exposure: float
    floor: float | None = None  # grey radiance below the horizon (the lit support), or None: the map's own ground
    sky: float = 1.0  # scale of the map above the horizon (a dimmed room for a back light)
    up: tuple[float, float, float] | None = None  # where the map's pole points (a rig at the lens: back
    right: tuple[float, float, float] | None = None  # along the optical axis), else Z up and rotation_deg


@dataclass
class Support:
    """The support plane z = 0: a square of `size` metres; `pose` shifts and turns its texture."""

    material: Material
    size: float
    kind: str
    pose: np.ndarray = field(default_factory=lambda: np.eye(4))


@dataclass
class Optics:
    """The lens blur drawn for a frame: thin-lens defocus (when `f_number` is set) and linear
    motion blur (when `motion_length_px` > 0). Applied to the RGB image only."""

    f_number: float | None = None
    focal_m: float = 0.0  # the lens's focal length in metres, for the circle of confusion
    motion_length_px: float = 0.0
    motion_angle_deg: float = 0.0
    softness_px: float = 0.0  # Gaussian point spread sigma
    chromatic_aberration_px: float = 0.0  # red moves out by this much at the corner, blue in


@dataclass
class Sensor:
    """The sensor drawn for a frame (EMVA 1288 terms, in electrons). `noise_seed` seeds the
    per-pixel noise, so the noise is as reproducible as everything else in the scene."""

    white_balance: tuple[float, float] = (1.0, 1.0)  # red and blue gains relative to green
    vignetting: float = 0.0
    monochrome: bool = False
    noise: bool = False
    gain: float = 1.0
    full_well_e: float = 10000.0
    dark_e: float = 0.0  # dark current x exposure
    read_noise_e: float = 0.0
    bit_depth: int = 10
    noise_seed: int = 0
    falloff: float = 0.0  # uneven illumination: light lost at the edge around `falloff_centre`
    falloff_centre: tuple[float, float] = (0.0, 0.0)  # offset of the bright spot, in half image sizes


@dataclass
class Metering:
    """How the frame's exposure is set from the rendered image: its `mode` (average,
    center_weighted, spot), the display value the metered mean goes to, and a bias in stops."""

    mode: str
    target: float = 0.46
    bias_stops: float = 0.0


@dataclass
class Scene:
    frame_index: int
    seed: int
    objects: list[SceneObject]
    camera: Camera
    lights: list[Light]
    environment: Environment
    support: Support
    shadows: bool
    notes: list[str] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    optics: Optics | None = None  # lens blur, None: a sharp pinhole image
    sensor: Sensor | None = None  # None: an ideal sensor (the rendered image as it is)
    jpeg_quality: int = 95  # when the images are written as JPEG
    metering: Metering | None = None  # None: the exposure the scene set before rendering stands
