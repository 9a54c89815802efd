"""The OpenGL platform VTK renders with: EGL off-screen when there is no display."""

from __future__ import annotations

import os


def use_egl_when_headless() -> None:
    """Without an X display, ask VTK for its EGL window (Mesa's llvmpipe, or a GPU's EGL driver)
    instead of trying X11 first; a user's own VTK_DEFAULT_OPENGL_WINDOW wins. VTK reads the
    variable when a render window is made, so this runs just before the first one is."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
