"""Small VTK <-> numpy helpers (the only place that reads VTK images into arrays)."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkFloatArray, vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkImageData


def image_data(rgb: np.ndarray) -> vtkImageData:
    """(h, w, c) array with row 0 at the top to vtkImageData (origin bottom-left)."""
    h, w, c = rgb.shape
    img = vtkImageData()
    img.SetDimensions(w, h, 1)
    arr = numpy_to_vtk(np.ascontiguousarray(rgb[::-1]).reshape(-1, c), deep=True)
    img.GetPointData().SetScalars(arr)
    return img


def texture_image(a: np.ndarray) -> vtkImageData:
    """(h, w, c) array with row 0 at the bottom, as OpenGL stores textures, to vtkImageData."""
    h, w, c = a.shape
    img = vtkImageData()
    img.SetDimensions(w, h, 1)
    img.GetPointData().SetScalars(numpy_to_vtk(np.ascontiguousarray(a).reshape(-1, c), deep=True))
    return img


def read_rgb(window, width: int, height: int) -> np.ndarray:
    """The window's colour buffer as (h, w, 3) uint8, row 0 at the top."""
    buf = vtkUnsignedCharArray()
    window.GetPixelData(0, 0, width - 1, height - 1, 0, buf, 0)
    return vtk_to_numpy(buf).reshape(height, width, 3)[::-1].copy()


def read_depth_buffer(window, width: int, height: int, top_first: bool = True) -> np.ndarray:
    """The window's depth buffer in [0, 1] as (h, w) float32, row 0 at the top (else at the
    bottom, as OpenGL stores it)."""
    buf = vtkFloatArray()
    window.GetZbufferData(0, 0, width - 1, height - 1, buf)
    z = vtk_to_numpy(buf).reshape(height, width)
    return z[::-1].copy() if top_first else z.copy()
