"""The package's layering, read from the source: every import (at the top or inside a function)
points to a lower layer, so there are no import cycles between parts of the package, and only
`synth/render/` imports pyvista or vtk."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

# each top-level module or package of synth/ and its layer: imports only go to lower layers
LAYERS = [
    ["__init__", "errors"],
    ["distributions", "hdr", "textures", "presets", "frame", "parts", "paths"],
    ["fields", "assets", "environments"],
    ["defects"],
    ["config"],
    ["scene"],
    ["sensor"],
    ["annotate", "render"],
    ["pipeline", "writers"],
    ["backends"],
    ["runner"],
    ["tools"],
    ["cli"],
]
RANK = {unit: k for k, units in enumerate(LAYERS) for unit in units}
RENDERING = ("pyvista", "vtk", "vtkmodules")


def imports(path: Path) -> list[str]:
    """Absolute names of everything a module imports."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])  # a module's package; an __init__'s own
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            else:
                names.append(node.module or "")
    return names


def unit(path: Path) -> str:
    parts = path.relative_to(ROOT / "synth").with_suffix("").parts
    return parts[0]


def modules() -> list[Path]:
    return sorted((ROOT / "synth").rglob("*.py"))


def test_every_unit_has_a_layer():
    assert {unit(p) for p in modules()} <= set(RANK), {unit(p) for p in modules()} - set(RANK)


def test_imports_only_go_down_the_layers():
    upward = []
    for path in modules():
        src = unit(path)
        for name in imports(path):
            parts = name.split(".")
            if parts[0] != "synth":
                continue
            dst = parts[1] if len(parts) > 1 else "__init__"
            if dst != src and RANK[dst] >= RANK[src]:
                upward.append(f"{path.relative_to(ROOT)} imports {name} ({src} is layer {RANK[src]}, {dst} is {RANK[dst]})")
    assert not upward, "\n".join(upward)


def test_only_render_imports_pyvista_or_vtk():
    outside = [
        f"{p.relative_to(ROOT)}: {name}"
        for p in modules()
        if unit(p) != "render"
        for name in imports(p)
        if name.split(".")[0] in RENDERING
    ]
    assert not outside, outside


def test_the_checker_sees_relative_and_nested_imports(tmp_path):
    """The test above can fail: a function-level relative import is found and resolved."""
    names = imports(ROOT / "synth" / "pipeline.py")
    assert "synth.render" in names and "synth.frame" in names
    assert any(n.startswith("synth.backends.") for n in imports(ROOT / "synth" / "runner.py"))  # inside generate()
    assert "synth.scene.sampler" in imports(ROOT / "synth" / "scene" / "__init__.py")
