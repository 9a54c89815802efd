"""Pydantic field types for randomized config values (constants or distributions)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from .distributions import Dist, check_bounds, parse_dist

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


def bounds(lo: float | None = None, hi: float | None = None) -> AfterValidator:
    """Field metadata: every value a numeric distribution can take lies in [lo, hi]
    (`Annotated[NumDist, bounds(0, 1)]`)."""
    return AfterValidator(lambda d: check_bounds(d, lo, hi))


def one_of(*names: str) -> AfterValidator:
    """Field metadata: every name a string distribution can take is one of `names`
    (`Annotated[StrDist, one_of("full", "partial")]`)."""

    def check(d: Dist) -> Dist:
        for v in d.values():
            if v not in names:
                raise ValueError(f"unknown value {v!r} (known: {', '.join(names)})")
        return d

    return AfterValidator(check)


NumDist = Annotated[Dist, BeforeValidator(lambda v: parse_dist(v, numeric=True)), _SER, WithJsonSchema(_DIST_SCHEMA)]
StrDist = Annotated[Dist, BeforeValidator(lambda v: parse_dist(v, numeric=False)), _SER, WithJsonSchema(_STR_DIST_SCHEMA)]


class Model(BaseModel):
    """Base of every config section: unknown keys are errors, defaults are validated too, and
    numbers must be finite (.inf and .nan are errors, not crashes half-way through a run)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_default=True, allow_inf_nan=False)
