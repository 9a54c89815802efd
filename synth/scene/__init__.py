"""Scene sampling: pure functions from (config, rng) to a renderer-independent `Scene`."""

from .model import Camera, Environment, Light, Material, Scene, SceneObject, Support
from .sampler import sample_scene

__all__ = ["Camera", "Environment", "Light", "Material", "Scene", "SceneObject", "Support", "sample_scene"]
