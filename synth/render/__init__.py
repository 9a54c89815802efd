"""Rendering back end (PyVista/VTK). The only package that imports pyvista or vtk."""

from .renderer import Frame, Renderer

__all__ = ["Frame", "Renderer"]
