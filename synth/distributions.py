"""Randomized config values: a constant or a distribution, sampled with an explicit Generator.

YAML forms::

    0.5                                  # constant
    {uniform: [a, b]}
    {loguniform: [a, b]}                 # a, b > 0
    {normal: {mean: m, std: s, min: lo, max: hi}}   # min/max optional, clipped
    {choice: [x, y, z], weights: [1, 2, 1]}         # weights optional
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dist:
    """A parsed distribution. `kind` is const|uniform|loguniform|normal|choice."""

    kind: str
    args: tuple

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one value (always draws the same number of variates for a given kind)."""
        k, a = self.kind, self.args
        if k == "const":
            return a[0]
        if k == "uniform":
            return float(rng.uniform(a[0], a[1]))
        if k == "loguniform":
            return float(math.exp(rng.uniform(math.log(a[0]), math.log(a[1]))))
        if k == "normal":
            mean, std, lo, hi = a
            return float(np.clip(rng.normal(mean, std), lo, hi))
        values, weights = a
        return values[int(rng.choice(len(values), p=weights))]

    def sample_int(self, rng: np.random.Generator) -> int:
        """Draw an integer: uniform ranges are inclusive of both ends."""
        if self.kind == "uniform":
            return int(rng.integers(int(self.args[0]), int(self.args[1]) + 1))
        return int(round(self.sample(rng)))

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a numeric distribution draws (a normal: within 4 sigma)."""
        k, a = self.kind, self.args
        if k == "const":
            return float(a[0]), float(a[0])
        if k in ("uniform", "loguniform"):
            return float(a[0]), float(a[1])
        if k == "normal":
            return max(a[2], a[0] - 4 * a[1]), min(a[3], a[0] + 4 * a[1])
        return float(min(a[0])), float(max(a[0]))

    def values(self) -> list:
        """Every value a const or choice can take (used to check names up front)."""
        if self.kind == "const":
            return [self.args[0]]
        if self.kind == "choice":
            return list(self.args[0])
        return []

    def to_yaml(self) -> Any:
        """The YAML/JSON form this was parsed from (normalised)."""
        k, a = self.kind, self.args
        if k == "const":
            return a[0]
        if k in ("uniform", "loguniform"):
            return {k: [a[0], a[1]]}
        if k == "normal":
            return {"normal": {"mean": a[0], "std": a[1], "min": a[2], "max": a[3]}}
        return {"choice": list(a[0]), "weights": [float(w) for w in a[1]]}


def _num(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{what}: expected a finite number, got {x!r}")
    return x if isinstance(x, int) else float(x)  # integers stay integers, so the resolved config says `count: 2`


def _range(kind: str, v: Any) -> Dist:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise ValueError(f"{kind}: expected [min, max], got {v!r}")
    lo, hi = _num(v[0], kind), _num(v[1], kind)
    if lo > hi:
        raise ValueError(f"{kind}: min {v[0]} > max {v[1]}")
    if kind == "loguniform" and lo <= 0:
        raise ValueError(f"loguniform: bounds must be > 0, got {v!r}")
    return Dist(kind, (lo, hi))


def parse_dist(v: Any, numeric: bool = True) -> Dist:
    """Parse a config value into a Dist; raises ValueError naming the sub-key on bad input."""
    if isinstance(v, Dist):
        return v
    if not isinstance(v, dict):
        if numeric:
            return Dist("const", (_num(v, "value"),))
        if not isinstance(v, str) or not v:
            raise ValueError(f"expected a name or {{choice: [names]}}, got {v!r}")
        return Dist("const", (v,))
    keys = set(v)
    if keys == {"choice"} or keys == {"choice", "weights"}:
        values = v["choice"]
        if not isinstance(values, list) or not values:
            raise ValueError("choice: expected a non-empty list")
        if numeric:
            values = [_num(x, "choice") for x in values]
        elif not all(isinstance(x, str) and x for x in values):
            raise ValueError(f"choice: expected names, got {values!r}")
        w = v.get("weights")
        if w is None:
            w = [1.0] * len(values)
        if not isinstance(w, list) or len(w) != len(values):
            raise ValueError(f"weights: expected {len(values)} weights, got {w!r}")
        w = np.array([_num(x, "weights") for x in w])
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights: must be >= 0 with a positive sum")
        return Dist("choice", (tuple(values), tuple((w / w.sum()).tolist())))
    if not numeric:
        raise ValueError(f"expected a value or {{choice: [...]}}, got keys {sorted(keys)}")
    if len(keys) != 1:
        raise ValueError(f"expected one of uniform, loguniform, normal, choice; got keys {sorted(keys)}")
    (kind,) = keys
    if kind in ("uniform", "loguniform"):
        return _range(kind, v[kind])
    if kind == "normal":
        n = v[kind]
        if not isinstance(n, dict) or not {"mean", "std"} <= set(n) or set(n) - {"mean", "std", "min", "max"}:
            raise ValueError("normal: expected {mean, std, min, max} (min/max optional)")
        mean, std = _num(n["mean"], "normal.mean"), _num(n["std"], "normal.std")
        if std < 0:
            raise ValueError(f"normal.std: must be >= 0, got {std}")
        lo = _num(n.get("min", -math.inf), "normal.min") if "min" in n else -math.inf
        hi = _num(n.get("max", math.inf), "normal.max") if "max" in n else math.inf
        if lo > hi:
            raise ValueError(f"normal: min {lo} > max {hi}")
        return Dist("normal", (mean, std, lo, hi))
    raise ValueError(f"unknown distribution {kind!r} (use uniform, loguniform, normal or choice)")


def dist(value: Any, numeric: bool = True) -> Dist:
    """A config default as a Dist: `dist({"uniform": [2, 6]})`, `dist("steel", numeric=False)`."""
    return parse_dist(value, numeric)


def check_bounds(d: Dist, lo: float | None = None, hi: float | None = None) -> Dist:
    """Raise ValueError when any value `d` can take lies outside [lo, hi]."""
    if d.kind == "const" or d.kind == "choice":
        vals = [float(x) for x in d.values()]
    elif d.kind == "normal":
        vals = [d.args[2], d.args[3]]
    else:
        vals = [d.args[0], d.args[1]]
    for x in vals:
        if lo is not None and x < lo:
            raise ValueError(f"value {x:g} is below the minimum {lo:g}")
        if hi is not None and x > hi:
            raise ValueError(f"value {x:g} is above the maximum {hi:g}")
    return d
