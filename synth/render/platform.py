"""The OpenGL platform VTK renders with: EGL off-screen when there is no display, on a GPU when
the machine has one (each worker on its own EGL device), else Mesa's llvmpipe on the CPU."""

from __future__ import annotations

import functools
import os

SOFTWARE = ("llvmpipe", "softpipe", "swrast", "software rasterizer")  # OpenGL renderer strings of CPU rendering
DEVICE_ENV = "VTK_DEFAULT_EGL_DEVICE_INDEX"  # VTK's EGL window renders on this EGL device


def use_egl_when_headless() -> None:
    """Without an X display, ask VTK for its EGL window (Mesa's llvmpipe, or a GPU's EGL driver)
    instead of trying X11 first; a user's own VTK_DEFAULT_OPENGL_WINDOW wins. VTK reads the
    variable when a render window is made, so this runs just before the first one is."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _egl() -> bool:
    use_egl_when_headless()
    return os.environ.get("VTK_DEFAULT_OPENGL_WINDOW") == "vtkEGLRenderWindow"


def gl_info(device: int | None = None) -> dict[str, str]:
    """Render one small off-screen frame (on EGL device `device`, when given) and say what
    rendered it: the window class (EGL, X11, OSMesa), OpenGL vendor, renderer and version
    strings. Raises when nothing can render."""
    use_egl_when_headless()
    from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow

    win = vtkRenderWindow()
    if device is not None and hasattr(win, "SetDeviceIndex"):
        win.SetDeviceIndex(device)
    win.SetOffScreenRendering(True)
    win.SetSize(32, 32)
    win.AddRenderer(vtkRenderer())
    win.Render()
    info = {"window": win.GetClassName()}
    for line in (win.ReportCapabilities() or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("OpenGL vendor string", "OpenGL renderer string", "OpenGL version string"):
            info[key.strip().split()[1]] = value.strip()
    win.Finalize()
    return info


def is_software(renderer: str) -> bool:
    return any(s in renderer.lower() for s in SOFTWARE)


@functools.cache
def gpu_devices() -> tuple[int, ...]:
    """The EGL devices that are GPUs (each asked for its OpenGL renderer once per process); none
    without EGL, or when the user chose a device in VTK_DEFAULT_EGL_DEVICE_INDEX themselves."""
    if not _egl() or DEVICE_ENV in os.environ:
        return ()
    from vtkmodules.vtkRenderingOpenGL2 import vtkEGLRenderWindow

    n = vtkEGLRenderWindow().GetNumberOfDevices()
    return tuple(i for i in range(n) if not is_software(gl_info(i).get("renderer", "")))


def device_for(worker: int, gpus: tuple[int, ...]) -> int | None:
    """The EGL device worker number `worker` renders on: the GPUs in turn, or None (the default)."""
    return gpus[worker % len(gpus)] if gpus else None


def use_device(device: int | None) -> None:
    """Render this process's windows on EGL device `device` (call before the first window)."""
    if device is not None:
        os.environ[DEVICE_ENV] = str(device)


@functools.cache
def describe(workers: int = 1) -> str:
    """What renders the frames, for a run's summary: the GPUs and how workers share them, or the
    CPU's software renderer."""
    gpus = gpu_devices()
    if gpus:
        name = gl_info(gpus[0]).get("renderer", "a GPU")
        return f"{name} (EGL device{'s' if len(gpus) > 1 else ''} {', '.join(map(str, gpus))}; {workers} worker(s))"
    info = gl_info(int(os.environ[DEVICE_ENV])) if DEVICE_ENV in os.environ and _egl() else gl_info()
    name = info.get("renderer", "?")
    where = "on the CPU" if is_software(name) else f"via {info['window']}"
    return f"{name} {where}"
