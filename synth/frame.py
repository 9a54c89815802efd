"""The data that crosses the pipeline's seams: what the renderer returns (`Frame`) and what one
finished frame is (`FrameResult`). Plain numpy and dicts, no renderer types, so every stage
and back end can be typed and tested without VTK."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Frame:
    """The maps the renderer draws for a scene, all with the scene camera's size."""

    rgb: np.ndarray  # (h, w, 3) uint8 sRGB, or (h, w) for a monochrome sensor after `sensor.apply_sensor`
    instance_ids: np.ndarray | None  # (h, w) int32, 0 = background/support
    depth: np.ndarray | None  # (h, w) float32 camera z in metres, inf where nothing
    defect_ids: np.ndarray | None = None  # (h, w) int32 defect id seen at each pixel, 0 = none
    amodal: dict[int, np.ndarray] | None = None  # instance id -> (h, w) bool: its whole silhouette, occluders removed
    normals: np.ndarray | None = None  # (h, w, 3) float32 unit surface normals, OpenCV camera frame; NaN where nothing


@dataclass
class FrameResult:
    """One frame, ready to write: the image, its label maps and its COCO records."""

    index: int
    split: str
    file_name: str  # NNNNNN.png or NNNNNN.jpg
    rgb: np.ndarray
    image: dict  # the COCO image record
    annotations: list[dict]
    maps: dict[str, np.ndarray] = field(default_factory=dict)  # folder (masks, semantic, normals) -> 8/16-bit map
    depth: np.ndarray | None = None  # camera z in metres (inf where nothing), when outputs.depth
    notes: list[str] = field(default_factory=list)  # things the user should know (parts that found no room)
    jpeg_quality: int = 95  # this frame's, when written as JPEG
    meshes: dict[str, str] = field(default_factory=dict)  # dataset path (meshes/...) -> file: the frame's family meshes
