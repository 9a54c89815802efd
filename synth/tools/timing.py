"""Helpers the benchmarks share: configs with a few keys changed, warming a renderer, memory."""

from __future__ import annotations

import os
import resource

from ..config import Config, config_from_dict
from ..render import Renderer
from ..scene import sample_scene


def with_overrides(cfg: Config, **kw: object) -> Config:
    """`cfg` with top-level keys replaced (validated again)."""
    raw = cfg.model_dump(mode="json")
    raw.update(kw)
    return config_from_dict(raw, base_dir=cfg.base_dir)


def merged(cfg: Config, over: dict) -> Config:
    """`cfg` with sections updated key by key."""
    raw = cfg.model_dump(mode="json")
    for section, values in over.items():
        raw[section] = {**(raw.get(section) or {}), **values}
    return config_from_dict(raw, base_dir=cfg.base_dir)


def warm(renderer: Renderer, cfg: Config) -> None:
    """Render until every environment and mesh has been used once (prefilter, uploads), on
    frames past the ones the benchmark times."""
    for i in range(cfg.num_images, cfg.num_images + 12):
        renderer.render(sample_scene(cfg, i))


def rss_bytes() -> int:
    """This process's resident memory now (Linux /proc), else its peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
