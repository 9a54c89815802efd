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
    ["distributions", "hdr", "noise", "presets", "frame", "paths", "polygons", "usd"],
    ["textures"],
    ["surfaces", "fields", "assets", "environments"],
    ["defects", "parts"],
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


def module_graph() -> dict[str, set[str]]:
    """Module -> the synth modules it imports (a package stands for its __init__)."""
    names = {}
    for p in modules():
        parts = p.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph: dict[str, set[str]] = {}
    for mod, path in names.items():
        targets = set()
        for name in imports(path):
            while name and name not in names:  # `from synth.scene.model import X` -> synth.scene.model
                name = name.rpartition(".")[0]
            if name and name != mod:
                targets.add(name)
        graph[mod] = targets
    return graph


def test_no_import_cycles_between_modules():
    graph = module_graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            # a package's __init__ re-exporting its own submodules is not a cycle of dependencies
            if n.startswith(m + "."):
                continue
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n) :] + [n])
            elif n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles
