"""`synth doctor`: is this machine ready to render? OpenGL, cores, memory, disk and the optional
extras, each with what to do when it is missing."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import shutil
from pathlib import Path

from ..backends.threads import cores, default_workers

EXTRAS = {  # module: (what it is for, how to get it, its package)
    "cascadio": ("STEP files", "pip install 'synth[step]'", "cascadio"),
    "ray": ("--backend ray", "pip install 'synth[ray]'", "ray"),
    "pybullet": ("scene.physics", "pip install 'synth[physics]'", "pybullet"),
    "pxr": ("USD files", "pip install 'synth[usd]'", "usd-core"),
}


def checks(out: Path) -> list[tuple[bool | None, str]]:
    """(ok, line) per check: True ok, False a problem that stops synth, None an optional extra missing."""
    rows: list[tuple[bool | None, str]] = [
        (True, f"python {platform.python_version()} on {platform.system()} {platform.machine()}")
    ]
    try:
        from ..render.platform import gl_info, is_software

        gl = gl_info()
        software = is_software(gl.get("renderer", ""))
        kind = "software rendering on the CPU" if software else "a GPU"
        rows.append((True, f"OpenGL: {gl.get('renderer', '?')} ({gl.get('version', '?')}) via {gl['window']}: {kind}"))
    except Exception as e:
        hint = "install Mesa's EGL (Debian: apt-get install libegl1 libgl1-mesa-dri) or run under a display"
        rows.append((False, f"OpenGL: cannot render off-screen ({type(e).__name__}: {e}); {hint}"))
    try:
        gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        rows.append(
            (gib >= 2, f"memory: {gib:.1f} GiB; cores: {cores()}; default workers: {default_workers()} (about 0.7 GB each)")
        )
    except (ValueError, OSError, AttributeError):
        rows.append((True, f"cores: {cores()}; default workers: {default_workers()}"))
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 2**30
    writable = os.access(probe, os.W_OK)
    rows.append((writable and free > 1, f"disk: {free:.1f} GiB free at {probe}{'' if writable else ' (not writable)'}"))
    for module, (what, how, package) in EXTRAS.items():
        if importlib.util.find_spec(module) is None:
            rows.append((None, f"{what}: {package} is not installed ({how})"))
        else:
            rows.append((True, f"{what}: {package} {importlib.metadata.version(package)}"))
    return rows
