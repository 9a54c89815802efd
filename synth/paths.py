"""Where the bundled assets are: config paths that start with `synth:` name files shipped with
synth (`synth:meshes/hex_bolt.stl`), so a config works from any folder, with any install."""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED = "synth:"


def bundled_dir() -> Path:
    """The bundled assets: `synth/bundled/` in an installed wheel, the repository's `assets/` in
    a source checkout or an editable install."""
    here = Path(__file__).resolve().parent
    for d in (here / "bundled", here.parent / "assets"):
        if (d / "meshes").is_dir():
            return d
    return here / "bundled"


def cache_dir() -> Path:
    """Where synth keeps what it builds once per machine (part family meshes): $SYNTH_CACHE, else
    $XDG_CACHE_HOME/synth or ~/.cache/synth."""
    if os.environ.get("SYNTH_CACHE"):
        return Path(os.environ["SYNTH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "synth"


def bundled(path: str) -> Path | None:
    """The file a `synth:` path names, or None for any other path."""
    if not path.startswith(BUNDLED):
        return None
    return bundled_dir() / path[len(BUNDLED) :].lstrip("/")
