"""PyVista/VTK off-screen renderer: a PBR RGB pass plus exact label passes with the same camera.

Two off-screen windows live for the whole process and are reused for every frame:
- the RGB window: PBR materials, image-based lighting from an HDR environment, key lights,
  ambient occlusion, filmic tone mapping and anti-aliasing;
- the label window: no multisampling, no lighting, flat colours that encode instance ids in
  24 bits (16 when the frame has defects: the third byte then carries the defect id), and the
  depth buffer. A pixel gets id k exactly when object k covers its centre
  and is nearest, which is what the RGB pass shows there;
- a square depth-only window that sees the parts from each shadow-casting light: the depth maps
  the RGB pass's shader samples for cast shadows (see shadowmap.py).
Meshes are converted and uploaded once per process (one mapper per mesh and window).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyvista as pv
from trimesh.triangles import points_to_barycentric
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkFiltersCore import vtkPolyDataTangents
from vtkmodules.vtkRenderingCore import vtkActor, vtkLight, vtkPolyDataMapper, vtkRenderer, vtkTexture
from vtkmodules.vtkRenderingOpenGL2 import (
    vtkOpenGLFXAAPass,
    vtkRenderStepsPass,
    vtkSSAAPass,
    vtkSSAOPass,
    vtkToneMappingPass,
)

from ..assets import load_mesh
from ..environments import with_floor
from ..frame import Frame
from ..scene.model import Material, Scene
from ..sensor import source_pixels, warp_bilinear, warp_nearest
from ..surfaces import support_texture, support_tile
from ..textures import FINISH_TILE_M, box_uv, finish_texture, load_image, srgb_to_linear
from . import shadowmap as sm
from .camera import apply_camera, linear_depth
from .lamps import spot_falloff
from .platform import use_egl_when_headless
from .vtk_io import image_data, read_depth_buffer, read_rgb, texture_image

SHADOW_MAP = 1024  # texels per side of each light's depth map
SHADOW_CODE = sm.shader_code()
MAX_MESHES = 32  # meshes kept ready to draw (with their GPU buffers), the least recently drawn dropped first
NORMAL_OUT = "gl_FragData[0] = vec4(normalize(normalVCVSOutput) * 0.5 + 0.5, 1.0);\n"  # view-space normal as colour


@dataclass
class Item:
    """One thing drawn in a frame, by role: a `part` (a target, whole or the unedited rest of a
    defect host), its defect `patch`, a `distractor` (clutter, the tote) or the `support`."""

    role: str
    path: str  # the mesh file ("support" for the plane)
    units: str  # the mesh's units (the plane's size for the support)
    pose: np.ndarray
    material: Material
    instance_id: int  # the label colour; 0 for the support
    edited: pv.PolyData | None = None  # this frame's geometry (defects), else the cached mesh

    @property
    def tile(self) -> float | None:
        """Metres one texture tile covers (the support's by its kind), or None: no texture coordinates."""
        return support_tile(self.material.name) if self.role == "support" else _tile(self.material)


def id_to_rgb(k: int) -> tuple[float, float, float]:
    return ((k & 255) / 255.0, ((k >> 8) & 255) / 255.0, ((k >> 16) & 255) / 255.0)


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def _patch(obj, combined: bool, corners: np.ndarray) -> pv.PolyData:
    """Polydata of the patch that defects edited: per-face label colours (host id and defect id
    when `combined`, else defect ids alone for a separate pass), per-vertex albedo multipliers and
    the normals of `_corner_normals`. Each face has its own three points, so a corner takes the
    normal of the side of a crease it lies on, as in the cached mesh."""
    g = obj.geometry
    ids = obj.instance_id + (g.face_defect.astype(np.int64) << 16) if combined else g.face_defect
    labels = np.stack([(ids >> s) & 255 for s in (0, 8, 16)], axis=1).astype(np.uint8)
    f = len(g.faces)
    cells = np.hstack([np.full((f, 1), 3), np.arange(3 * f).reshape(f, 3)]).ravel()
    pd = pv.PolyData(np.asarray(g.vertices[g.faces].reshape(-1, 3), np.float64), cells)
    pd.cell_data["label_rgb"] = labels
    pd.point_data["albedo_mult"] = np.asarray(g.albedo[g.faces].reshape(-1, 3), np.float32)
    pd.point_data["Normals"] = _corner_normals(obj, corners).reshape(-1, 3).astype(np.float32)
    pd.point_data.active_normals_name = "Normals"
    return pd


def _corner_normals(obj, corners: np.ndarray) -> np.ndarray:
    """(faces, 3, 3) shading normal per patch face corner. Where the defects left the surface in
    place, the host's own corner normals (`corners`, per host face) interpolated at the corner's
    place on its host face: what the cached mesh shows there, so subdividing changes no pixel,
    creases and all. Where they moved it or added material, computed with the ring of host faces
    around the patch, so the rim shades as the cached mesh does."""
    g = obj.geometry
    host = load_mesh(obj.mesh_path, obj.units).mesh
    n_host, n = len(host.vertices), len(g.vertices)
    on_host = g.source < n_host
    at = np.full(n_host, -1)
    at[g.source[on_host]] = np.flatnonzero(on_host)
    ring = g.host_faces[(at[host.faces[g.host_faces]] >= 0).any(axis=1)]
    ring_faces = np.asarray(host.faces[ring])
    extra = np.setdiff1d(np.unique(ring_faces), g.source[on_host])  # ring vertices not in the patch
    at[extra] = n + np.arange(len(extra))
    points = np.vstack([g.vertices, host.vertices[extra]])
    faces = np.vstack([g.faces, at[ring_faces]])
    pd = pv.PolyData(np.asarray(points, np.float64), np.hstack([np.full((len(faces), 1), 3), faces]).ravel())
    out = pd.compute_normals(split_vertices=True, feature_angle=35.0, auto_orient_normals=False, consistent_normals=False)
    normals = np.asarray(out.point_data["Normals"])[out.faces.reshape(-1, 4)[: len(g.faces), 1:]]
    still = np.linalg.norm(g.vertices - g.rest, axis=1) <= 1e-9
    fi, ci = np.nonzero((g.face_host >= 0)[:, None] & still[g.faces])
    hf = g.face_host[fi]
    bary = points_to_barycentric(host.vertices[host.faces[hf]], g.rest[g.faces[fi, ci]])
    inner = np.einsum("kj,kjd->kd", bary, corners[hf])
    normals[fi, ci] = inner / np.maximum(np.linalg.norm(inner, axis=1, keepdims=True), 1e-18)
    return normals


def _with_uv(pd: pv.PolyData, tile: float) -> pv.PolyData:
    """Add box-projected texture coordinates (see textures.box_uv) and tangents (for anisotropy)."""
    uv = box_uv(np.asarray(pd.points), np.asarray(pd.point_data["Normals"]), tile)
    pd.active_texture_coordinates = uv
    t = vtkPolyDataTangents()
    t.SetInputData(pd)
    t.ComputeCellTangentsOff()
    t.Update()
    out = pv.wrap(t.GetOutput())
    return out


ENV_ROWS = 128  # VTK prefilters at the map's height: 128 rows cost a fifth of 256, and change a frame by 0.2/255


def _env_size(img: np.ndarray) -> np.ndarray:
    """The map averaged down to about ENV_ROWS rows (radiance kept: box means)."""
    k = img.shape[0] // ENV_ROWS
    if k < 2:
        return img
    h, w = img.shape[0] // k * k, img.shape[1] // k * k
    return img[:h, :w].reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3), dtype=np.float32)


def _tile(mat) -> float | None:
    """Texture tile size (metres) a material needs on its part, or None: no texture coordinates."""
    if mat.texture is not None:
        return mat.texture_size
    return FINISH_TILE_M if mat.finish is not None else None


def _set_albedo(pd: pv.PolyData, base_color) -> None:
    """Per-vertex base colour (8-bit sRGB, as VTK reads colour arrays) = base colour x tint."""
    lin = np.clip(pd.point_data["albedo_mult"] * np.asarray(base_color, np.float32), 0, 1)
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)
    pd.point_data["albedo"] = np.round(srgb * 255).astype(np.uint8)


def _texture(img: np.ndarray) -> vtkTexture:
    """A tiled, mipmapped, interpolated texture of an image (row 0 at the top)."""
    tex = vtkTexture()
    tex.SetInputData(image_data(img))
    tex.RepeatOn()
    tex.MipmapOn()
    tex.InterpolateOn()
    return tex


def _each_map(f: Frame, rgb: Callable[[np.ndarray], np.ndarray], label: Callable[[np.ndarray], np.ndarray]) -> Frame:
    """The frame with `rgb` applied to its image and `label` to every other map (the same warp or
    crop, nearest-neighbour for labels)."""

    def opt(m: np.ndarray | None) -> np.ndarray | None:
        return None if m is None else label(m)

    amodal = None if f.amodal is None else {i: label(m) for i, m in f.amodal.items()}
    return Frame(rgb(f.rgb), opt(f.instance_ids), opt(f.depth), opt(f.defect_ids), amodal, opt(f.normals))


ENERGY_DEC = (  # 1 / the directional albedo of the GGX lobe, from VTK's split-sum table (brdf)
    "vec3 L, H, radiance, F, specular, diffuse;\n"
    "  float synthE = brdf.r + brdf.g;\n"
    "  vec3 synthEc = synthE > 0.01 ? 1.0 + F0 * (1.0 / synthE - 1.0) : vec3(1.0);\n"
)


def _compensate_energy(actor: vtkActor) -> None:
    """The lamps' specular as a path tracer's GGX: the visibility term gets alpha (roughness squared,
    VTK passes the roughness), and the energy single scattering loses on rough surfaces comes back
    (VTK does this for the environment light only): x 1 + F0 (1 / albedo - 1), as Filament does.
    Rough metal under lamps was up to 25% darker than path traced (tests/test_pbr.py)."""
    sp = actor.GetShaderProperty()
    sp.AddFragmentShaderReplacement("vec3 L, H, radiance, F, specular, diffuse;", False, ENERGY_DEC, False)
    sp.AddFragmentShaderReplacement(
        "float V = V_SmithCorrelated(NdV, NdL, roughness);",
        False,
        "float V = V_SmithCorrelated(NdV, NdL, roughness * roughness);",
        False,
    )
    sp.AddFragmentShaderReplacement(
        "Lo += radiance * (diffuse + specular) * NdL;", False, "Lo += radiance * (diffuse + specular * synthEc) * NdL;", True
    )


FLOOR_REST = (  # the support's radiance beyond the map's stop, as a uniform lower hemisphere
    "vec3 color = iblDiffuse + iblSpecular;\n"
    "  vec3 synthN = envMatrix * N;\n"
    "  float synthLobe = roughness * roughness + 0.02;\n"
    "  color += synthFloor * ((FmsEms + k_D) * (0.5 - 0.5 * synthN.y)"
    " + FssEss * clamp(0.5 - 0.5 * worldReflect.y / synthLobe, 0.0, 1.0));\n"
)


def floor_stop(floor: float | None) -> float | None:
    """The whole stop a map is prefiltered with for a support of radiance `floor`: prefiltering
    costs about a second, so a renderer keeps a handful of maps and the shader adds the rest."""
    if floor is None or floor <= 0.0:
        return floor
    return float(2.0 ** round(np.log2(floor)))


def _label_colours(m: vtkPolyDataMapper) -> None:
    """Colour a patch's faces by their `label_rgb` bytes, exactly (no lighting, no colour map)."""
    m.ScalarVisibilityOn()
    m.SetScalarModeToUseCellFieldData()
    m.SelectColorArray("label_rgb")
    m.SetColorModeToDirectScalars()


class Renderer:
    """One per process; `render(scene)` returns the RGB image and the label maps."""

    def __init__(
        self,
        width: int,
        height: int,
        anti_aliasing: str = "fxaa",
        tone_mapping: bool = True,
        ambient_occlusion: bool = True,
        pad: tuple[int, int] = (0, 0),
    ):
        """`pad`: margin (x, y) in pixels drawn around the image, which lens distortion pulls in."""
        use_egl_when_headless()
        self.pad = pad
        self.out_size = (width, height)
        self._lens_maps: dict[bytes, np.ndarray] = {}
        width, height = width + 2 * pad[0], height + 2 * pad[1]
        self.width, self.height = width, height
        self.rgb = pv.Plotter(off_screen=True, window_size=(width, height), lighting=None)
        self.rgb.ren_win.SetMultiSamples(0)
        self._ssaa = anti_aliasing == "ssaa"
        self._fxaa = anti_aliasing == "fxaa"
        self._ssao = ambient_occlusion
        self.labels = pv.Plotter(off_screen=True, window_size=(width, height), lighting=None)
        self.labels.ren_win.SetMultiSamples(0)
        self.labels.renderer.SetUseFXAA(False)
        self.labels.set_background((0, 0, 0))
        self.shadow = pv.Plotter(off_screen=True, window_size=(SHADOW_MAP, SHADOW_MAP), lighting=None)
        self.shadow.ren_win.SetMultiSamples(0)
        self._tone_mapping = tone_mapping
        self._shadow_views: list[sm.ShadowView] = []  # this frame's depth-map views
        self._shadow_uniforms: dict[str, np.ndarray] = {}
        self._shadow_lights = 0
        self._atlas = vtkTexture()  # this frame's depth maps, 24 bits in an RGBA8 texture (see encode_depth)
        self._atlas.InterpolateOff()
        self._atlas.RepeatOff()
        self._atlas.EdgeClampOn()
        self._atlas.SetColorModeToDirectScalars()
        self._normals_plotter: pv.Plotter | None = None
        self._corner_cache: dict[tuple, np.ndarray] = {}  # (path, units) -> per host face, its corners' normals
        self._meshes: dict[tuple, pv.PolyData] = {}  # (path, units) or (path, units, tile): with texture coordinates
        self._mappers: dict[tuple, vtkPolyDataMapper] = {}  # (window, path, units[, tile])
        self._recent: OrderedDict[tuple[str, str], None] = OrderedDict()  # (path, units), least recently drawn first
        self._env: dict[tuple, vtkRenderer] = {}  # one renderer per (environment, floor) keeps its prefiltered maps
        self._current = self.rgb.renderer
        self._actors: list[tuple[vtkRenderer, vtkActor]] = []
        self._lights: list[vtkLight] = []
        self._passes: dict[str, Any] = {}  # the render pass chain per environment
        self._tone: dict[str, vtkToneMappingPass] = {}
        self._support: dict[tuple[float, float], pv.PolyData] = {}
        self._textures: dict[str, vtkTexture | None] = {}
        self._texture_mean: dict[str, float] = {}
        self.timings: dict[str, float] = {}  # seconds per stage of the last render (the benchmark reads them)

    @classmethod
    def for_config(cls, cfg) -> Renderer:
        """A renderer with the image size and render settings of a `Config`."""
        from ..scene.camera import widest_intrinsics
        from ..sensor import padding

        r, w, h = cfg.render, cfg.image.width, cfg.image.height
        pad = padding(widest_intrinsics(cfg.camera, cfg.image), [d.bounds() for d in cfg.camera.distortion.dists()], w, h)
        return cls(w, h, r.anti_aliasing, r.tone_mapping, r.ambient_occlusion, pad)

    # -- resources cached per process -------------------------------------------------
    def _polydata(self, path: str, units: str) -> pv.PolyData:
        key = (path, units)
        if key not in self._meshes:
            tm = load_mesh(path, units).mesh
            faces = np.hstack([np.full((len(tm.faces), 1), 3), tm.faces]).ravel()
            pd = pv.PolyData(np.asarray(tm.vertices, dtype=np.float64), faces)
            self._meshes[key] = pd.compute_normals(split_vertices=True, feature_angle=35.0, auto_orient_normals=False)
        return self._meshes[key]

    def _corners(self, path: str, units: str) -> np.ndarray:
        """(host faces, 3, 3): the normal the cached mesh shades each corner of each host face with,
        corners in the order of the host's faces (VTK may have turned a face round)."""
        key = (path, units)
        if key not in self._corner_cache:
            pd = self._polydata(path, units)
            cells = pd.faces.reshape(-1, 4)[:, 1:]
            original = np.asarray(pd.point_data["pyvistaOriginalPointIds"])[cells]
            host = np.asarray(load_mesh(path, units).mesh.faces)
            place = np.argmax(original[:, None, :] == host[:, :, None], axis=2)  # host corner j is cell corner place[:, j]
            self._corner_cache[key] = np.asarray(pd.point_data["Normals"])[np.take_along_axis(cells, place, axis=1)]
        return self._corner_cache[key]

    def _mapper(self, window: str, path: str, units: str, tile: float | None = None) -> vtkPolyDataMapper:
        """One mapper per mesh and window; with `tile`, the variant with texture coordinates."""
        key = (window, path, units, tile)
        if key not in self._mappers:
            m = vtkPolyDataMapper()
            m.SetInputData(self._textured(path, units, tile) if tile else self._polydata(path, units))
            m.ScalarVisibilityOff()
            m.StaticOn()
            self._mappers[key] = m
        return self._mappers[key]

    def _environment(self, name: str, floor: float | None = None, sky: float = 1.0) -> vtkRenderer:
        """The RGB renderer lit by environment `name` over a support of radiance `floor`;
        prefiltering a map costs most of a second, so each keeps its own renderer (switching is
        free) and all share one BRDF table."""
        key = (name, floor, sky)
        if key not in self._env:
            # VTK (up = +Z, right = +X) reads column 0 of an equirectangular map as azimuth 180 deg
            # and runs clockwise seen from above; the maps start at +X and run counter-clockwise
            img = _env_size(with_floor(name, floor, sky))[:, ::-1]
            tex = _texture(np.ascontiguousarray(np.roll(img, img.shape[1] // 2, axis=1)))
            tex.SetColorModeToDirectScalars()
            ren = vtkRenderer()
            ren.UseImageBasedLightingOn()
            ren.SetEnvironmentTexture(tex, False)
            ren.SetEnvironmentUp(0.0, 0.0, 1.0)
            if self._env:
                ren.SetEnvMapLookupTable(next(iter(self._env.values())).GetEnvMapLookupTable())
            # 256 samples per texel halve the prefiltering time of VTK's 512; a frame changes by 0.5/255
            ren.GetEnvMapPrefiltered().SetPrefilterMaxSamples(256)
            ren.AutomaticLightCreationOff()
            ren.DrawOff()
            self.rgb.ren_win.AddRenderer(ren)
            self._env[key] = ren
        return self._env[key]

    def _textured(self, path: str, units: str, tile: float) -> pv.PolyData:
        """The cached mesh with box-projected texture coordinates (tiles of `tile` metres) and
        tangents, for finishes and textures."""
        key = (path, units, tile)
        if key not in self._meshes:
            self._meshes[key] = _with_uv(self._polydata(path, units).copy(), tile)
        return self._meshes[key]

    def _cut(self, path: str, units: str, faces: np.ndarray, tile: float | None) -> pv.PolyData:
        """Some faces of the cached mesh (a defect host's unedited ones, a face group with its own
        material). They share the cached mesh's point arrays (normals, texture coordinates,
        tangents), so VTK's buffer cache reuses their uploads; only indices change."""
        cached = self._textured(path, units, tile) if tile is not None else self._polydata(path, units)
        cells = cached.faces.reshape(-1, 4)[faces]
        pd = pv.PolyData()
        pd.SetPoints(cached.GetPoints())
        src, dst = cached.GetPointData(), pd.GetPointData()
        dst.SetNormals(src.GetNormals())
        if tile is not None:
            dst.SetTCoords(src.GetTCoords())
            dst.SetTangents(src.GetTangents())
        pd.SetPolys(pv.CellArray(cells.ravel()))
        return pd

    def _support_polydata(self, size: float, tile: float) -> pv.PolyData:
        """A unit plane (scaled to `size`) whose texture coordinates repeat every `tile` metres."""
        if (size, tile) not in self._support:
            pd = pv.Plane(i_size=1.0, j_size=1.0, i_resolution=1, j_resolution=1)
            pd.active_texture_coordinates = np.asarray(pd.active_texture_coordinates) * (size / tile)
            self._support[(size, tile)] = pd
        return self._support[(size, tile)]

    def _finish_texture(self, kind: str) -> vtkTexture:
        key = f"finish:{kind}"
        if key not in self._textures:
            self._textures[key] = _texture(finish_texture(kind))
        return self._textures[key]

    def _image_texture(self, path: str) -> vtkTexture:
        """A user's colour texture (sRGB image), a few kept on the GPU."""
        key = "part:" + path
        if key not in self._textures:
            held = [k for k in self._textures if k.startswith("part:")]
            if len(held) >= 16:
                for k in held:
                    del self._textures[k]
            tex = _texture(load_image(path))
            tex.UseSRGBColorSpaceOn()
            self._textures[key] = tex
        return self._textures[key]

    def _support_texture(self, kind: str) -> vtkTexture | None:
        if kind not in self._textures:
            photos = [k for k in self._textures if k.startswith("image:")]
            if len(photos) >= 16:  # keep a few background photos on the GPU, not all of them
                for k in photos:
                    del self._textures[k]
            img = support_texture(kind)
            tex = None
            if img is not None:
                tex = _texture(img)
                tex.UseSRGBColorSpaceOn()
                self._texture_mean[kind] = float(np.mean(srgb_to_linear(img / 255.0)))
            self._textures[kind] = tex
        return self._textures[kind]

    def _render_pass(self, env: str):
        if env not in self._passes:
            inner = vtkRenderStepsPass()
            if self._ssao:  # contact shadows and dark cavities that image-based lighting alone misses
                ao = vtkSSAOPass()
                ao.SetRadius(0.008)
                ao.SetBias(0.0005)
                ao.SetKernelSize(16)
                ao.BlurOn()
                ao.SetDelegatePass(inner)
                inner = ao
            if self._ssaa:
                aa = vtkSSAAPass()
                aa.SetDelegatePass(inner)
                inner = aa
            if self._tone_mapping:
                tm = vtkToneMappingPass()
                tm.SetToneMappingType(vtkToneMappingPass.GenericFilmic)
                tm.SetGenericFilmicDefaultPresets()
                tm.SetDelegatePass(inner)
                inner = tm
                self._tone[env] = tm
            if self._fxaa:  # on the tone-mapped image, as FXAA expects
                fx = vtkOpenGLFXAAPass()
                fx.SetDelegatePass(inner)
                inner = fx
            self._passes[env] = inner
        return self._passes[env]

    # -- per frame ---------------------------------------------------------------------
    def _clear(self) -> None:
        for ren, actor in self._actors:
            ren.RemoveActor(actor)
        self._actors.clear()
        for light in self._lights:
            self._current.RemoveLight(light)
        self._lights.clear()

    def _use(self, ren: vtkRenderer) -> None:
        if ren is not self._current:  # removing a renderer from the window would free its maps
            self._current.DrawOff()
            ren.DrawOn()
            self._current = ren

    def _add(
        self,
        ren: vtkRenderer,
        window: str,
        path: str,
        units: str,
        pose: np.ndarray,
        edited: pv.PolyData | None = None,
        tile: float | None = None,
    ) -> vtkActor:
        actor = vtkActor()
        if edited is not None:  # a mesh edited by defects: this frame only
            mapper = vtkPolyDataMapper()
            mapper.SetInputData(edited)
            mapper.ScalarVisibilityOff()
        elif path == "support":
            key = (window, "support", units, tile or 1.0)
            mapper = self._mappers.get(key)
            if mapper is None:
                mapper = self._mappers[key] = vtkPolyDataMapper()
                mapper.SetInputData(self._support_polydata(float(units), tile or 1.0))
                mapper.ScalarVisibilityOff()
        else:
            mapper = self._mapper(window, path, units, tile)
        actor.SetMapper(mapper)
        m = pv.vtkmatrix_from_array(pose)
        actor.SetUserMatrix(m)
        ren.AddActor(actor)
        self._actors.append((ren, actor))
        return actor

    def _normals_window(self) -> pv.Plotter:
        """A window whose fragments output the interpolated view-space normal (made on first use).
        VTK passes normals to the fragment shader only when a light exists: a dark headlight."""
        if self._normals_plotter is None:
            p = pv.Plotter(off_screen=True, window_size=(self.width, self.height), lighting=None)
            p.ren_win.SetMultiSamples(0)
            p.renderer.SetUseFXAA(False)
            p.set_background((0, 0, 0))
            light = vtkLight()
            light.SetLightTypeToHeadlight()
            light.SetIntensity(0.0)
            p.renderer.AddLight(light)
            self._normals_plotter = p
        return self._normals_plotter

    def _setup(self, scene: Scene, with_labels: bool, normals: bool = False) -> tuple[float, float]:
        """Actors, lights and cameras of every window for `scene`. When instance ids fit 16 bits and
        defect ids 8, the label pass carries both (defect id in the third byte), else defects get
        a pass of their own."""
        self._clear()
        self._forget_old_meshes({(o.mesh_path, o.units) for o in scene.objects})
        self._combined = len(scene.objects) < 2**16 and max((d.defect_id for d in scene.defects), default=0) < 2**8
        env = scene.environment
        self._use(self._environment(env.name, floor_stop(env.floor), env.sky))
        self._label_actors: list[tuple[vtkActor, bool, int]] = []
        self._plan_shadows(scene)
        for item in self._items(scene):
            self._shade(item, scene)
            if self._shadow_views and item.role != "support":  # what this frame draws casts: a dent is no bump in the map
                self._add(self.shadow.renderer, "shadow", item.path, item.units, item.pose, item.edited)
            if normals:
                n = self._add(self._normals_window().renderer, "normals", item.path, item.units, item.pose, item.edited)
                n.GetShaderProperty().AddFragmentShaderReplacement("//VTK::Light::Impl", True, NORMAL_OUT, False)
            if with_labels:
                self._label(item)
        self._add_lights(scene)
        return self._set_cameras(scene, normals)

    def _forget_old_meshes(self, used: set[tuple[str, str]]) -> None:
        """Keep the meshes (and their mappers' GPU buffers) of the last MAX_MESHES (path, units)
        used, so part families, a new mesh every few frames, do not grow a worker without bound."""
        for key in used:
            self._recent.pop(key, None)
            self._recent[key] = None
        while len(self._recent) > MAX_MESHES:
            path, units = next(iter(self._recent))
            del self._recent[(path, units)]
            for k in [k for k in self._meshes if k[:2] == (path, units)]:
                del self._meshes[k]
            self._corner_cache.pop((path, units), None)
            windows = {"rgb": self.rgb, "labels": self.labels, "shadow": self.shadow, "normals": self._normals_plotter}
            for k in [k for k in self._mappers if k[1:3] == (path, units)]:
                plotter = windows.get(k[0])
                if plotter is not None:
                    self._mappers[k].ReleaseGraphicsResources(plotter.ren_win)
                del self._mappers[k]

    def _items(self, scene: Scene) -> list[Item]:
        """What the frame draws: each object (its faces by material when face groups have their own;
        a defect host's unedited faces plus the edited patch, which takes the material of most of
        the faces it replaced), then the support plane."""
        items = []
        for o in scene.objects:
            role = "distractor" if o.distractor else "part"
            if o.geometry is None and not o.group_materials:
                items.append(Item(role, o.mesh_path, o.units, o.pose, o.material, o.instance_id))
                continue
            groups = load_mesh(o.mesh_path, o.units).face_groups
            index = np.zeros(len(load_mesh(o.mesh_path, o.units).mesh.faces), np.int64)  # material per face
            for k, (names, _) in enumerate(o.group_materials, start=1):
                for g in names:
                    index[groups[g]] = k
            materials = [o.material] + [m for _, m in o.group_materials]
            kept = o.geometry.host_faces if o.geometry is not None else np.arange(len(index))
            for k in np.unique(index[kept]):
                mat = materials[k]
                faces = kept[index[kept] == k]
                items.append(
                    Item(
                        role, o.mesh_path, o.units, o.pose, mat, o.instance_id, self._cut(o.mesh_path, o.units, faces, _tile(mat))
                    )
                )
            if o.geometry is not None:
                replaced = np.setdiff1d(np.arange(len(index)), kept)
                mat = materials[int(np.bincount(index[replaced]).argmax())] if len(replaced) else o.material
                tile = _tile(mat)
                patch = _patch(o, self._combined, self._corners(o.mesh_path, o.units))
                items.append(
                    Item("patch", o.mesh_path, o.units, o.pose, mat, o.instance_id, _with_uv(patch, tile) if tile else patch)
                )
        sup = scene.support
        pose = sup.pose @ np.diag([sup.size, sup.size, 1.0, 1.0])
        items.append(Item("support", "support", repr(sup.size), pose, sup.material, 0))
        return items

    def _shade(self, item: Item, scene: Scene) -> None:
        """The item's PBR actor in the RGB window."""
        a = self._add(self._current, "rgb", item.path, item.units, item.pose, item.edited, item.tile)
        p = a.GetProperty()
        p.SetInterpolationToPBR()
        _compensate_energy(a)
        floor, stop = scene.environment.floor, floor_stop(scene.environment.floor)
        a.GetShaderProperty().AddFragmentShaderReplacement("vec3 color = iblDiffuse + iblSpecular;", False, FLOOR_REST, False)
        a.GetShaderProperty().GetFragmentCustomUniforms().SetUniformf(
            "synthFloor", 0.0 if floor is None or stop is None else floor - stop
        )
        if self._shadow_views:
            self._receive_shadows(a)
        mat = item.material
        p.SetColor(*mat.base_color)
        p.SetMetallic(mat.metallic)
        p.SetRoughness(mat.roughness)
        if item.role == "support":
            self._shade_support(p, scene)
            return
        if item.role == "patch":  # the defects' tints, per vertex
            mapper = a.GetMapper()
            mapper.ScalarVisibilityOn()
            mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray("albedo")
            mapper.SetColorModeToDirectScalars()
            assert item.edited is not None
            _set_albedo(item.edited, mat.base_color)
        if mat.finish is not None:  # the finish modulates roughness
            p.SetORMTexture(self._finish_texture(mat.finish))
            p.SetAnisotropy(mat.anisotropy)
        if mat.texture is not None:  # the image is the base colour
            p.SetBaseColorTexture(self._image_texture(mat.texture))
            p.SetColor(1.0, 1.0, 1.0)

    def _plan_shadows(self, scene: Scene) -> None:
        """This frame's shadow-map views (none when nothing casts) and the shader code and uniforms
        every lit surface gets to sample them."""
        self._shadow_views = []
        if not (scene.shadows and scene.objects and any(lt.shadow for lt in scene.lights)):
            return
        boxes = []
        for o in scene.objects:
            lo, hi = load_mesh(o.mesh_path, o.units).mesh.bounds
            box = np.array([[x, y, w] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for w in (lo[2], hi[2])])
            boxes.append(box @ o.pose[:3, :3].T + o.pose[:3, 3])
        corners = np.concatenate(boxes)
        centre = (corners.min(axis=0) + corners.max(axis=0)) / 2
        radius = float(np.linalg.norm(corners - centre, axis=1).max()) * 1.05
        views = self._shadow_views = sm.light_views(scene.lights, centre, radius)
        vc_to_world = np.linalg.inv(np.diag([1.0, -1.0, -1.0, 1.0]) @ scene.camera.world_to_camera)  # VTK's view: OpenGL axes
        self._shadow_uniforms = sm.uniforms(views, vc_to_world, SHADOW_MAP)
        self._shadow_lights = min(len(scene.lights), sm.MAX_SHADER_LIGHTS)

    def _receive_shadows(self, actor: vtkActor) -> None:
        """Let the actor's PBR shader dim each light where its shadow maps say it is blocked."""
        dec, lit = SHADOW_CODE
        sp = actor.GetShaderProperty()
        sp.AddFragmentShaderReplacement("void main()", False, dec + "void main()", False)
        for i in range(self._shadow_lights):
            sp.AddFragmentShaderReplacement(
                f"radiance = lightColor{i};", False, f"radiance = lightColor{i} * {lit.format(i=i)};", False
            )
        u = sp.GetFragmentCustomUniforms()
        for name, value in self._shadow_uniforms.items():
            if value.ndim == 0:
                u.SetUniformf(name, float(value))
            elif value.dtype == np.int32:
                u.SetUniform1iv(name, len(value), value)
            elif value.ndim == 3:
                u.SetUniformMatrix4x4v(name, len(value), value.ravel())
            else:
                u.SetUniform1fv(name, len(value), value)
        actor.GetProperty().SetTexture("synthShadow", self._atlas)

    def _shadow_maps(self) -> None:
        """Render each view's depth map of the casters and upload them as the atlas."""
        texels = sm.atlas_layout(len(self._shadow_views), SHADOW_MAP)[2]
        maps = [sm.encode_depth(self._light_depth(v.view, v.proj, texels)) for v in self._shadow_views]
        self._atlas.SetInputData(texture_image(sm.pack(maps, SHADOW_MAP)))

    def _shade_support(self, p, scene: Scene) -> None:
        """The support's texture (its colour scaled so the sampled mean albedo holds), or a lit
        diffuser that emits rather than being lit (a back light)."""
        sup = scene.support
        if (tex := self._support_texture(sup.kind)) is not None:
            p.SetBaseColorTexture(tex)  # multiplies the colour: keep the sampled mean albedo
            p.SetColor(*np.clip(np.asarray(sup.material.base_color) / self._texture_mean[sup.kind], 0.0, 1.0))
        if sup.kind == "backlight":
            p.SetInterpolationToFlat()
            p.SetLighting(False)

    def _label(self, item: Item) -> None:
        """The item's flat, unlit actor in the label window, coloured by its instance id (a patch's
        faces by their own host and defect ids when both fit one pass)."""
        b = self._add(self.labels.renderer, "labels", item.path, item.units, item.pose, item.edited)
        self._label_actors.append((b, item.role == "patch", item.instance_id))
        if item.role == "patch" and self._combined:
            _label_colours(b.GetMapper())
        q = b.GetProperty()
        q.SetLighting(False)
        q.SetInterpolationToFlat()
        q.SetAmbient(1.0)
        q.SetDiffuse(0.0)
        q.SetSpecular(0.0)
        q.SetColor(*id_to_rgb(item.instance_id))
        q.SetAmbientColor(*id_to_rgb(item.instance_id))

    def _add_lights(self, scene: Scene) -> None:
        for light in scene.lights:
            lt = vtkLight()
            lt.SetLightTypeToSceneLight()
            lt.SetPosition(*light.position)
            lt.SetFocalPoint(*light.focal_point)
            lt.SetColor(*light.color)
            lt.SetIntensity(light.intensity)
            lt.SetPositional(light.kind != "directional")
            if light.kind != "directional":  # inverse-square falloff; `intensity` holds at the focal point
                lt.SetAttenuationValues(0.0, 0.0, 1.0)
                lt.SetIntensity(light.intensity * float(np.sum(np.subtract(light.position, light.focal_point) ** 2)))
            if light.kind == "spot":  # soft falloff from the beam angle, not a hard circle
                exponent, cone = spot_falloff(light.cone_angle_deg)
                lt.SetExponent(exponent)
                lt.SetConeAngle(cone)
            else:  # VTK makes any light with a cone under 90 degrees a spot: a point light shines all round
                lt.SetConeAngle(180.0)
            self._current.AddLight(lt)
            self._lights.append(lt)

    def _set_cameras(self, scene: Scene, normals: bool) -> tuple[float, float]:
        """Environment orientation, exposure and the same camera in every window; returns (near, far)."""
        ren = self._current
        env_ = scene.environment
        if env_.up is not None and env_.right is not None:  # a rig's map, turned with the camera
            ren.SetEnvironmentUp(*env_.up)
            ren.SetEnvironmentRight(*env_.right)
        else:
            rot = np.radians(env_.rotation_deg)
            ren.SetEnvironmentUp(0.0, 0.0, 1.0)
            ren.SetEnvironmentRight(float(np.cos(rot)), float(np.sin(rot)), 0.0)
        env = scene.environment.name
        ren.SetPass(self._render_pass(env))
        if env in self._tone:
            self._tone[env].SetExposure(scene.environment.exposure)
        near, far = self._clip_range(scene)
        cam = scene.camera
        for r in (ren, self.labels.renderer) + ((self._normals_window().renderer,) if normals else ()):
            apply_camera(r.GetActiveCamera(), cam.K, cam.world_to_camera, self.width, self.height, near, far)
        return near, far

    def _clip_range(self, scene: Scene) -> tuple[float, float]:
        pos = -scene.camera.world_to_camera[:3, :3].T @ scene.camera.world_to_camera[:3, 3]
        far = float(np.linalg.norm(pos) + scene.support.size * 1.5)
        near = max(0.005, float(pos[2]) * 0.02)
        return near, far

    def render_rgb(self, scene: Scene) -> np.ndarray:
        """The finished RGB image alone: the PBR pass (with its shadow maps when the scene casts
        shadows); no instance ids."""
        return self._through_lens(scene, ids=False, depth=False).rgb

    def render(self, scene: Scene, depth: bool = False, amodal: bool = False, normals: bool = False) -> Frame:
        """RGB and instance ids; the depth map (camera z, metres), amodal masks (one label pass per
        part, with every other part hidden) and surface normals only when asked for."""
        return self._through_lens(scene, ids=True, depth=depth, amodal=amodal, normals=normals)

    def _through_lens(self, scene: Scene, ids: bool, depth: bool, amodal: bool = False, normals: bool = False) -> Frame:
        """Render the ideal pinhole frame on the padded canvas, then crop it, or warp every map
        through the lens distortion (RGB bilinear; ids and depth nearest: the same warp)."""
        cam = scene.camera
        if (cam.width, cam.height) != self.out_size:
            raise ValueError(f"renderer is {self.out_size}, scene camera is {(cam.width, cam.height)}")
        if self.pad == (0, 0) and not any(cam.distortion):
            return self._render(scene, ids, depth, amodal, normals)
        px, py = self.pad
        K = cam.K.copy()
        K[0, 2] += px
        K[1, 2] += py
        ideal = replace(scene, camera=replace(cam, K=K, width=self.width, height=self.height, distortion=(0.0,) * 5))
        f = self._render(ideal, ids, depth, amodal, normals)
        if not any(cam.distortion):

            def crop(m: np.ndarray) -> np.ndarray:
                return m[py : py + cam.height, px : px + cam.width]

            return _each_map(f, crop, crop)
        key = cam.K.tobytes() + np.asarray(cam.distortion).tobytes()
        if key not in self._lens_maps:
            src = source_pixels(cam.K, cam.distortion, cam.width, cam.height)
            half = np.array([(cam.width - 1) / 2, (cam.height - 1) / 2])
            if (np.abs(src - half) - half > np.array([px, py]) - 0.5).any():
                raise ValueError(f"lens distortion {cam.distortion} needs more than the renderer's margin {self.pad}")
            if len(self._lens_maps) > 64:
                self._lens_maps.clear()
            self._lens_maps[key] = src
        src = self._lens_maps[key]
        return _each_map(f, lambda m: warp_bilinear(m, src, self.pad), lambda m: warp_nearest(m, src, self.pad))

    def _render(self, scene: Scene, ids: bool, depth: bool, amodal: bool = False, normals: bool = False) -> Frame:
        t = [time.perf_counter()]
        near, far = self._setup(scene, with_labels=ids, normals=normals)
        t.append(time.perf_counter())
        if self._shadow_views:
            self._shadow_maps()
        t.append(time.perf_counter())
        self.rgb.ren_win.Render()
        rgb = read_rgb(self.rgb.ren_win, self.width, self.height)
        t.append(time.perf_counter())
        self.timings = {"scene setup": t[1] - t[0], "shadow maps": t[2] - t[1], "RGB pass": t[3] - t[2]}
        if not ids:
            return Frame(rgb=rgb, instance_ids=None, depth=None)
        self.labels.ren_win.Render()
        id_map = rgb_to_id(read_rgb(self.labels.ren_win, self.width, self.height))
        z = linear_depth(read_depth_buffer(self.labels.ren_win, self.width, self.height), near, far) if depth else None
        whole = self._amodal_passes(scene) if amodal else None  # (these passes redraw the label window)
        defect_map = None
        if scene.defects:
            if self._combined:
                id_map, defect_map = id_map & 0xFFFF, id_map >> 16
            else:
                defect_map = self._defect_pass()
        t.append(time.perf_counter())
        self.timings["label passes"] = t[4] - t[3]
        n = self._normals_pass() if normals else None
        return Frame(rgb=rgb, instance_ids=id_map, depth=z, defect_ids=defect_map, amodal=whole, normals=n)

    def _normals_pass(self) -> np.ndarray:
        """Unit normals in the OpenCV camera frame (x right, y down, z forward) from the normals
        window's view-space colours (x right, y up, z back); NaN where nothing was drawn."""
        win = self._normals_window().ren_win
        win.Render()
        raw = read_rgb(win, self.width, self.height)
        n = raw.astype(np.float32) / 127.5 - 1.0
        n[..., 1:] *= -1.0
        n /= np.maximum(np.linalg.norm(n, axis=2, keepdims=True), 1e-6)
        n[raw.max(axis=2) == 0] = np.nan
        return n

    def _amodal_passes(self, scene: Scene) -> dict[int, np.ndarray]:
        """Each part's whole silhouette: the label window drawn with only that part's actors."""
        out = {}
        for obj in scene.objects:
            for actor, _, iid in self._label_actors:
                actor.SetVisibility(iid == obj.instance_id)
            self.labels.ren_win.Render()
            ids = rgb_to_id(read_rgb(self.labels.ren_win, self.width, self.height))
            out[obj.instance_id] = (ids & 0xFFFF if self._combined else ids) == obj.instance_id
        for actor, _, _ in self._label_actors:
            actor.SetVisibility(True)
        return out

    def _defect_pass(self) -> np.ndarray:
        """Re-render the label window with every face black except defect faces, which carry their
        defect id: same camera, same depth test, so a defect hidden by anything is not labeled."""
        for actor, patch, _ in self._label_actors:
            actor.GetProperty().SetColor(0.0, 0.0, 0.0)
            actor.GetProperty().SetAmbientColor(0.0, 0.0, 0.0)
            if patch:
                _label_colours(actor.GetMapper())
        self.labels.ren_win.Render()
        return rgb_to_id(read_rgb(self.labels.ren_win, self.width, self.height))

    def _light_depth(self, view: np.ndarray, proj: np.ndarray, texels: int = SHADOW_MAP) -> np.ndarray:
        """Depth buffer of the casters seen from a light, `texels` a side in the window's corner
        (row 0 at the bottom, as textures want it)."""
        self.shadow.renderer.SetViewport(0.0, 0.0, texels / SHADOW_MAP, texels / SHADOW_MAP)
        cam = self.shadow.renderer.GetActiveCamera()
        r = view[:3, :3]
        eye = -r.T @ view[:3, 3]
        cam.SetPosition(*eye)
        cam.SetFocalPoint(*(eye - r[2]))
        cam.SetViewUp(*r[1])
        m = vtkMatrix4x4()
        m.DeepCopy(proj.ravel())
        cam.SetExplicitProjectionTransformMatrix(m)
        cam.SetUseExplicitProjectionTransformMatrix(True)
        self.shadow.ren_win.Render()
        return read_depth_buffer(self.shadow.ren_win, texels, texels, top_first=False)

    def close(self) -> None:
        self._clear()
        for p in self._passes.values():
            p.ReleaseGraphicsResources(self.rgb.ren_win)
        for ren in self._env.values():
            ren.SetPass(None)
        self.rgb.close()
        self.labels.close()
        self.shadow.close()
        if self._normals_plotter is not None:
            self._normals_plotter.close()
