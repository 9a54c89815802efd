"""The OpenGL platform VTK renders with: EGL off-screen when there is no display."""

from __future__ import annotations

import os


def use_egl_when_headless() -> None:
    """Without an X display, ask VTK for its EGL window (Mesa's llvmpipe, or a GPU's EGL driver)
    instead of trying X11 first; a user's own VTK_DEFAULT_OPENGL_WINDOW wins. VTK reads the
    variable when a render window is made, so this runs just before the first one is."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def gl_info() -> dict[str, str]:
    """Render one small off-screen frame and say what rendered it: the window class (EGL, X11,
    OSMesa), OpenGL vendor, renderer and version strings. Raises when nothing can render."""
    use_egl_when_headless()
    from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow

    win = vtkRenderWindow()
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
