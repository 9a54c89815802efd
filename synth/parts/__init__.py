"""Parametric demo parts (in millimetres), built with manifold3d so every solid is watertight.

`python -m synth.parts [OUT]` writes them to `assets/meshes/`.
"""

from .build import PARTS, build_all

__all__ = ["PARTS", "build_all"]
