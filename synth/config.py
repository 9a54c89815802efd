"""Config models (pydantic), YAML loading and `--set key.path=value` overrides.

Every default, unit and range lives here. Scene units are metres and degrees; meshes
declare their own units. Errors name the key path: `camera.distance.uniform: min 0.9 > max 0.4`.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .distributions import Dist, check_bounds, parse_dist
from .errors import SynthError

_DIST_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {
            "type": "object",
            "properties": {"uniform": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
            "required": ["uniform"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"loguniform": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
            "required": ["loguniform"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "normal": {
                    "type": "object",
                    "properties": {k: {"type": "number"} for k in ("mean", "std", "min", "max")},
                    "required": ["mean", "std"],
                }
            },
            "required": ["normal"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "choice": {"type": "array", "items": {"type": "number"}},
                "weights": {"type": "array", "items": {"type": "number"}},
            },
            "required": ["choice"],
            "additionalProperties": False,
        },
    ]
}
_STR_DIST_SCHEMA = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {
                "choice": {"type": "array", "items": {"type": "string"}},
                "weights": {"type": "array", "items": {"type": "number"}},
            },
            "required": ["choice"],
            "additionalProperties": False,
        },
    ]
}
_SER = PlainSerializer(lambda d: d.to_yaml(), return_type=Any)


def _num_dist(lo: float | None = None, hi: float | None = None):
    return Annotated[
        Dist,
        BeforeValidator(lambda v: parse_dist(v, numeric=True)),
        AfterValidator(lambda d: check_bounds(d, lo, hi)),
        _SER,
        WithJsonSchema(_DIST_SCHEMA),
    ]


StrDist = Annotated[Dist, BeforeValidator(lambda v: parse_dist(v, numeric=False)), _SER, WithJsonSchema(_STR_DIST_SCHEMA)]
AnyNum = _num_dist()
PosNum = _num_dist(0.0)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_default=True)


class ImageCfg(Model):
    width: int = Field(640, ge=16, le=16384, description="image width in pixels")
    height: int = Field(480, ge=16, le=16384, description="image height in pixels")
    format: Literal["png", "jpg"] = "png"
    jpeg_quality: int = Field(95, ge=1, le=100)
    png_compress_level: int = Field(1, ge=0, le=9, description="zlib level: 1 is fast, 9 is small")


class PartCfg(Model):
    mesh: str = Field(description="mesh file (STL, OBJ, PLY, GLB/GLTF, OFF, 3MF, STEP)")
    category: str = Field(min_length=1)
    supercategory: str = "part"
    units: Literal["mm", "cm", "m", "in"] = "mm"
    material: StrDist = "steel"
    weight: float = Field(1.0, gt=0, description="relative chance of this part being picked")


class SupportCfg(Model):
    material: StrDist = {"choice": ["steel_table", "conveyor_belt", "wood"]}
    size: float = Field(6.0, gt=0, description="edge length of the square support plane, metres")


class SceneCfg(Model):
    parts_per_image: _num_dist(0) = {"uniform": [2, 6]}
    region: tuple[float, float] = Field((0.30, 0.20), description="x, y extent in metres where parts may lie")
    spacing: float = Field(0.002, ge=0, description="minimum gap between part footprints, metres")
    max_tries: int = Field(40, ge=1, description="placement attempts per part before giving up on it")
    support: SupportCfg = SupportCfg()

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


class CameraCfg(Model):
    distance: _num_dist(1e-3) = {"uniform": [0.4, 0.8]}
    elevation_deg: _num_dist(1, 90) = {"uniform": [35, 85]}
    azimuth_deg: AnyNum = {"uniform": [0, 360]}
    roll_deg: AnyNum = {"uniform": [-10, 10]}
    look_at_jitter: float = Field(0.03, ge=0, description="metres; the look-at point moves this much around the parts' centre")
    fov_deg: _num_dist(1, 170) = Field(45, description="horizontal field of view (ignored when intrinsics are given)")
    intrinsics: IntrinsicsCfg | None = Field(None, description="fx, fy, cx, cy in pixels (OpenCV: pixel centres at integers)")


class KeyLightsCfg(Model):
    count: _num_dist(0) = {"uniform": [1, 3]}
    type: StrDist = {"choice": ["spot", "point", "directional"]}
    intensity: _num_dist(0) = {"uniform": [2.0, 8.0]}
    color_temperature_k: _num_dist(1000, 40000) = {"uniform": [3500, 6500]}
    elevation_deg: _num_dist(5, 90) = {"uniform": [30, 80]}
    distance: _num_dist(0.05) = {"uniform": [0.8, 1.6]}


class LightingCfg(Model):
    environment: StrDist = {"choice": ["studio_soft", "factory_hall"]}
    environment_rotation_deg: AnyNum = {"uniform": [0, 360]}
    key_lights: KeyLightsCfg = KeyLightsCfg()
    shadows: bool = True
    auto_exposure: bool = Field(True, description="meter a white card on the table, as a camera would; exposure then scales it")
    exposure: _num_dist(0) = Field(1.0, description="exposure multiplier (on top of the metered one when auto_exposure is on)")


class RenderCfg(Model):
    anti_aliasing: Literal["fxaa", "ssaa", "none"] = Field(
        "fxaa", description="anti-aliasing of the RGB pass: fxaa (fast) or ssaa (5x supersampling, slow); labels never use it"
    )
    ambient_occlusion: bool = Field(True, description="screen-space ambient occlusion: contact shadows, dark cavities")
    tone_mapping: bool = Field(True, description="filmic tone mapping of the HDR render")


class AnnotationsCfg(Model):
    mask_format: Literal["rle", "polygon"] = "rle"
    min_visible_pixels: int = Field(50, ge=1)


class Config(Model):
    name: str = Field("dataset", pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = Field(0, ge=0)
    num_images: int = Field(100, ge=1)
    image: ImageCfg = ImageCfg()
    splits: dict[str, float] = {"train": 0.8, "val": 0.2}
    parts: list[PartCfg] = Field(min_length=1)
    scene: SceneCfg = SceneCfg()
    camera: CameraCfg = CameraCfg()
    lighting: LightingCfg = LightingCfg()
    render: RenderCfg = RenderCfg()
    annotations: AnnotationsCfg = AnnotationsCfg()
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

    @model_validator(mode="after")
    def _names(self):
        from .scene.materials import PRESETS, SUPPORTS

        for i, p in enumerate(self.parts):
            for m in p.material.values():
                if m not in PRESETS:
                    raise ValueError(f"parts[{i}].material: unknown material {m!r} (known: {', '.join(PRESETS)})")
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
        """COCO categories in first-appearance order, ids from 1; stable for a given config."""
        cats: dict[str, str] = {}
        for p in self.parts:
            cats.setdefault(p.category, p.supercategory)
        return [{"id": i + 1, "name": n, "supercategory": s} for i, (n, s) in enumerate(cats.items())]

    def resolve_path(self, p: str) -> Path:
        """A path from the config: absolute, else relative to the working directory, the config's
        folder, or the folder above it (so bundled configs work from the repo root or configs/)."""
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


def format_error(err: ValidationError) -> str:
    """One line naming the key path and what is wrong with it."""
    e = err.errors()[0]
    loc = _loc(tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-"))))
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        known = _all_field_names(Config, set())
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


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read, override and validate a YAML config; raises SynthError with one line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise SynthError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise SynthError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from e
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
