"""Cast shadows inside the PBR pass: every shadow-casting light's depth maps, sampled by the
fragment shader of every lit surface (support, tote, parts, distractors).

Each light sees the casters (parts and distractors) through one view framing their bounding
sphere (a perspective frustum from a spot or point light, an orthographic box along a
directional light), or, when a point or spot light sits inside that sphere, through the six
faces of a cube map. The views' depth maps (window depth, 24 bits in three bytes) are packed
into one RGBA8 texture, an atlas. VTK writes each light's term of the PBR sum as
`radiance = lightColor<i>;`; the shader replacement multiplies it by the fraction of the light
that reaches the fragment: soft shadows by percentage-closer filtering whose width follows the
light's size and the blocker's distance (PCSS), with a normal offset and a slope-sized bias
against self-shadowing. Nothing here imports VTK: the renderer sets the uniforms this module
names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scene.model import Light

MAX_ATLAS = 2048  # texels per side of the atlas: more than four views get half-size maps
MAX_PCF_TEXELS = 12.0  # widest filter, in texels
SEARCH_TAPS = 4  # blocker search taps: a fragment with no caster near pays only these


@dataclass
class ShadowView:
    """One depth map of the casters seen from light `light` (its index in `scene.lights`)."""

    light: int
    view: np.ndarray  # world -> light eye, 4x4 (OpenGL axes: looking down -z)
    proj: np.ndarray  # 4x4 clip projection
    ortho: bool
    size: float  # the light's size: metres (a directional light: metres per metre, its angular size)


def _look(eye: np.ndarray, fwd: np.ndarray, up_hint: np.ndarray | None = None) -> np.ndarray:
    fwd = fwd / np.linalg.norm(fwd)
    up = up_hint if up_hint is not None else (np.array([0.0, 0.0, 1.0]) if abs(fwd[2]) < 0.99 else np.array([0.0, 1.0, 0.0]))
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    view = np.eye(4)
    view[:3, :3] = np.stack([right, up, -fwd])
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def _perspective(cot_half: float, near: float, far: float) -> np.ndarray:
    proj = np.zeros((4, 4))
    proj[0, 0] = proj[1, 1] = cot_half
    proj[2, 2] = -(far + near) / (far - near)
    proj[2, 3] = -2.0 * far * near / (far - near)
    proj[3, 2] = -1.0
    return proj


CUBE = [  # (forward, up) of a cube map's six faces
    ((1, 0, 0), (0, 0, 1)),
    ((-1, 0, 0), (0, 0, 1)),
    ((0, 1, 0), (0, 0, 1)),
    ((0, -1, 0), (0, 0, 1)),
    ((0, 0, 1), (0, 1, 0)),
    ((0, 0, -1), (0, 1, 0)),
]


def light_views(lights: list[Light], centre: np.ndarray, radius: float) -> list[ShadowView]:
    """The views that together see every caster inside the sphere (centre, radius) from each
    shadow-casting light (the first MAX_VIEWS views' lights; the rest cast none)."""
    views: list[ShadowView] = []
    for i, light in enumerate(lights[:MAX_SHADER_LIGHTS]):
        if not light.shadow or len(views) >= MAX_VIEWS:
            continue
        pos = np.asarray(light.position, float)
        if light.kind == "directional":
            d = pos - np.asarray(light.focal_point, float)
            eye = centre + d / np.linalg.norm(d) * (3.0 * radius)
            near, far = 1.5 * radius, 4.5 * radius
            proj = np.zeros((4, 4))
            proj[0, 0] = proj[1, 1] = 1.0 / radius
            proj[2, 2] = -2.0 / (far - near)
            proj[2, 3] = -(far + near) / (far - near)
            proj[3, 3] = 1.0
            views.append(ShadowView(i, _look(eye, centre - eye), proj, True, light.size / float(np.linalg.norm(d))))
            continue
        dist = float(np.linalg.norm(centre - pos))
        if dist > 1.05 * radius:  # outside the casters: one frustum round their sphere
            near, far = max(dist - 1.5 * radius, 1e-3), dist + 1.5 * radius
            cot = 0.95 * np.sqrt(dist**2 - radius**2) / radius  # the cone that holds the sphere, less a margin
            views.append(ShadowView(i, _look(pos, centre - pos), _perspective(cot, near, far), False, light.size))
            continue
        if len(views) + len(CUBE) > MAX_VIEWS:
            continue
        far = dist + radius  # among the casters: a cube map
        for fwd, up in CUBE:
            view = _look(pos, np.asarray(fwd, float), np.asarray(up, float))
            views.append(ShadowView(i, view, _perspective(1.0, 1e-3, far), False, light.size))
    return views


def encode_depth(zbuf: np.ndarray) -> np.ndarray:
    """Window depth [0, 1] (float32, from a 24-bit depth buffer) -> its 24 bits in the last three
    of four bytes, high byte first: an 8-bit RGBA texture keeps them exactly and the shader
    decodes them (1.0, all ones, is nothing drawn: no caster there)."""
    q = np.round(zbuf * np.float32(2**24 - 1)).astype(">u4")
    return q.view(np.uint8).reshape(*zbuf.shape, 4)


def atlas_layout(n: int, tile: int) -> tuple[int, int, int]:
    """(columns, rows, tile texels) of an atlas for n views of `tile` texels, shrunk to fit MAX_ATLAS."""
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    while cols * tile > MAX_ATLAS:
        tile //= 2
    return cols, rows, tile


def atlas_places(n: int, tile: int) -> list[tuple[float, float, float, float]]:
    """Each of n maps' (u offset, v offset, u size, v size) in the atlas."""
    cols, rows, _ = atlas_layout(n, tile)
    return [((k % cols) / cols, (k // cols) / rows, 1.0 / cols, 1.0 / rows) for k in range(n)]


def pack(maps: list[np.ndarray], tile: int) -> np.ndarray:
    """Encoded maps (row 0 at the bottom, as OpenGL stores them) -> the atlas, laid out as
    `atlas_places` says. A map larger than the atlas's tiles keeps, per tile texel, its nearest depth (a
    caster never goes missing)."""
    cols, rows, size = atlas_layout(len(maps), tile)
    if len(maps) == 1 and maps[0].shape[0] == size:
        return maps[0]
    atlas = np.full((rows * size, cols * size, 4), 255, np.uint8)
    for k, m in enumerate(maps):
        if m.shape[0] != size:  # the nearest depth of each block: the bytes compare as the depth does
            f = m.shape[0] // size
            code = m.view(">u4")[..., 0].reshape(size, f, size, f).min(axis=(1, 3))
            m = code.astype(">u4").view(np.uint8).reshape(size, size, 4)
        r, c = divmod(k, cols)
        atlas[r * size : (r + 1) * size, c * size : (c + 1) * size] = m
    return atlas


POISSON = np.array(  # 16 points in the unit disk (a Poisson-disk set), the filter's taps
    [
        (-0.942, -0.399), (0.946, -0.769), (-0.094, -0.929), (0.345, 0.294),
        (-0.916, 0.458), (-0.815, -0.879), (-0.383, 0.277), (0.975, 0.756),
        (0.443, -0.976), (0.538, -0.474), (-0.265, -0.419), (0.792, 0.191),
        (-0.242, 0.997), (-0.814, 0.914), (0.200, 0.786), (0.144, -0.141),
    ]
) / 1.38  # fmt: skip


def _taps() -> str:
    return ", ".join(f"vec2({x:.4f}, {y:.4f})" for x, y in POISSON)


MAX_VIEWS = 32  # depth maps a frame may use (a cube map takes six)
MAX_SHADER_LIGHTS = 96  # lights a frame may have (key lights and a rig's lamps)


def shader_code() -> tuple[str, str]:
    """GLSL declarations to put before `main`, and the lit-fraction expression to multiply
    `lightColor<i>` by, with `{i}` for the light's index. The text is the same for every frame
    (frames differ only in uniforms), so VTK compiles it once per material variant:
    `synthViews[2 i]`, `synthViews[2 i + 1]`: light i's first view and number of views (0: it
    casts none); per view v, `synthToLight[v]` (camera view coordinates -> the view's eye
    coordinates), `synthProj[v]`, `synthTile[4 v ..]` (the map's place in the atlas),
    `synthSize[v]` (the light's size) and `synthOrtho[v]`; `synthTexel`, one texel in a tile's
    units. VTK declares them from the actor's custom uniforms, and the atlas from its texture
    `synthShadow`."""
    n = len(POISSON)
    code = f"""
const vec2 synthTaps[{n}] = vec2[{n}]({_taps()});

// the nearest caster's window depth (0-1) in view v at uv; 1: none
float synthCode(int v, vec2 uv)
{{
  vec2 at = vec2(synthTile[4 * v], synthTile[4 * v + 1]) + clamp(uv, 0.0, 1.0) * vec2(synthTile[4 * v + 2], synthTile[4 * v + 3]);
  return dot(texture(synthShadow, at).gba, vec3(65536.0, 256.0, 1.0) * (255.0 / 16777215.0));
}}

// distance along view v's axis <-> window depth, through its projection
float synthToDepth(mat4 proj, bool ortho, float w)
{{
  float z = 2.0 * w - 1.0;
  return ortho ? (proj[3][2] - z) / proj[2][2] : proj[3][2] / (z + proj[2][2]);
}}

float synthToWindow(mat4 proj, bool ortho, float d)
{{
  return 0.5 * (ortho ? proj[3][2] - proj[2][2] * d : proj[3][2] / d - proj[2][2]) + 0.5;
}}

// -1 where the point is outside view v, else the fraction of the light that reaches it;
// ndl: the cosine between the surface normal and the light
float synthView(int v, vec3 p, vec3 n, float ndl)
{{
  bool ortho = synthOrtho[v] > 0.5;
  mat4 proj = synthProj[v];
  vec4 pl = synthToLight[v] * vec4(p, 1.0);
  // one texel's width in metres at this distance; the map covers 2 / proj[0][0] (times d in perspective)
  float texel = 2.0 * synthTexel / proj[0][0] * (ortho ? 1.0 : -pl.z);
  pl = synthToLight[v] * vec4(p + n * 1.5 * texel, 1.0);  // normal offset: a surface does not shadow itself
  vec4 clip = proj * pl;
  if (clip.w <= 0.0) return -1.0;
  vec2 ndc = clip.xy / clip.w;
  if (abs(ndc.x) > 1.0 || abs(ndc.y) > 1.0) return -1.0;
  vec2 uv = ndc * 0.5 + 0.5;
  float d = -pl.z;
  // a texel spans more depth on a surface the light grazes: the bias grows with the slope
  float slope = min(sqrt(max(1.0 - ndl * ndl, 0.0)) / max(ndl, 0.05), 8.0);
  float edge = synthToWindow(proj, ortho, d - (2.0 + slope) * texel);  // casters nearer than this (in window depth) block
  float size = synthSize[v];
  // blockers' mean depth over the search disk, then the penumbra's width (PCSS)
  float search = clamp(size / texel, 1.0, {MAX_PCF_TEXELS:.1f}) * synthTexel;
  float blocker = 0.0, found = 0.0;
  for (int k = 0; k < {n}; k += {n // SEARCH_TAPS}) {{
    float w = synthCode(v, uv + synthTaps[k] * search);
    if (w < edge) {{ blocker += w; found += 1.0; }}
  }}
  if (found == 0.0) return 1.0;  // nothing near: lit (most fragments stop here)
  blocker = synthToDepth(proj, ortho, blocker / found);
  float penumbra = size * (d - blocker) / (ortho ? 1.0 : blocker);
  float r = clamp(penumbra / texel, 1.0, {MAX_PCF_TEXELS:.1f});
  if (found == {SEARCH_TAPS}.0 && r * synthTexel < 0.5 * search) return 0.0;  // deep in the umbra
  r *= synthTexel;
  float lit = 0.0;
  for (int k = 0; k < {n}; ++k) {{
    lit += synthCode(v, uv + synthTaps[k] * r) < edge ? 0.0 : 1.0;
  }}
  return lit / {float(n):.1f};
}}

float synthLit(int light, vec3 p, vec3 n, float ndl)
{{
  int first = synthViews[2 * light];
  for (int v = first; v < first + synthViews[2 * light + 1]; ++v) {{
    float s = synthView(v, p, n, ndl);
    if (s >= 0.0) return s;
  }}
  return 1.0;
}}
"""
    return code, "(attenuation > 0.0 && dot(N, L) > 0.0 ? synthLit({i}, vertexVC.xyz, N, dot(N, L)) : 1.0)"


def uniforms(views: list[ShadowView], vc_to_world: np.ndarray, texels: int) -> dict[str, np.ndarray]:
    """The values of `shader_code`'s uniforms for this frame's views (arrays padded to their
    fixed sizes; matrices row-major, as VTK uploads them, so transposed for GLSL's columns)."""
    first = np.zeros((MAX_SHADER_LIGHTS, 2), np.int32)
    for v, sv in enumerate(views):
        if first[sv.light, 1] == 0:
            first[sv.light, 0] = v
        first[sv.light, 1] += 1
    to_light = np.tile(np.eye(4), (MAX_VIEWS, 1, 1))
    proj = np.tile(np.eye(4), (MAX_VIEWS, 1, 1))
    tile = np.zeros((MAX_VIEWS, 4))
    size, ortho = np.zeros(MAX_VIEWS), np.zeros(MAX_VIEWS)
    for v, (sv, place) in enumerate(zip(views, atlas_places(len(views), texels), strict=True)):
        to_light[v], proj[v], tile[v] = (sv.view @ vc_to_world).T, sv.proj.T, place
        size[v], ortho[v] = sv.size, float(sv.ortho)
    return {
        "synthViews": first.ravel(),
        "synthToLight": to_light.astype(np.float32),
        "synthProj": proj.astype(np.float32),
        "synthTile": tile.ravel().astype(np.float32),
        "synthSize": size.astype(np.float32),
        "synthOrtho": ortho.astype(np.float32),
        "synthTexel": np.array(1.0 / atlas_layout(max(len(views), 1), texels)[2], np.float32),
    }
