"""Bad input, table-driven, through the real CLI: each row is one command a user might type with
one thing wrong. Every row must end with one `error:` line naming the key path or file (or, for
`validate`, the violations), the expected exit code, no traceback, and OUT as it was before."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from .conftest import MESHES, run_cli, small_config

# `--set` overrides of the small test config, each with the text its error must contain
SETS = [
    ("scene.region=[.nan, 0.2]", "scene.region"),
    ("scene.region=[.inf, .inf]", "scene.region"),
    ("scene.region=[0.1]", "scene.region"),
    ("scene.region=wide", "scene.region"),
    ("scene.spacing=.inf", "scene.spacing"),
    ("scene.spacing=-1", "scene.spacing"),
    ("scene.max_tries=0", "scene.max_tries"),
    ("scene.max_tries=1000000000", "scene.max_tries"),
    ("scene.parts_per_image=100000", "maximum 1000"),
    ("scene.parts_per_image=-1", "scene.parts_per_image"),
    ("scene.parts_per_image={uniform: [5, 1]}", "min 5 > max 1"),
    ("scene.parts_per_image=abc", "scene.parts_per_image"),
    ("scene.parts_per_image={uniform: [1, .inf]}", "scene.parts_per_image"),
    ("scene.parts_per_image={gauss: [1, 2]}", "scene.parts_per_image"),
    ("scene.parts_per_image={normal: {mean: 2}}", "scene.parts_per_image"),
    ("scene.parts_per_image={choice: [1, 2], weights: [0, 0]}", "weights"),
    ("scene.support.size=0", "scene.support.size"),
    ("scene.support.size=.nan", "scene.support.size"),
    ("scene.support.material=marble", "unknown support 'marble'"),
    ("scene.support.material={choice: []}", "scene.support.material"),
    ("scene.support.material=5", "scene.support.material"),
    ("scene.distractors.count=5000", "maximum 1000"),
    ("scene.distractors.meshes=[]", "scene.distractors.meshes"),
    ("scene.distractors.region=[0.3, -1]", "scene.distractors.region: must be positive"),
    ("scene.layout=pile", "scene.layout"),
    ("scene.bin.floor=-1", "scene.bin.floor"),
    ("scene.bin.inner=[.nan, 0.2]", "scene.bin.inner"),
    ("camera.distance={uniform: [0.9, 0.4]}", "camera.distance.uniform: min 0.9 > max 0.4"),
    ("camera.distance=0", "camera.distance"),
    ("camera.distance=.nan", "camera.distance"),
    ("camera.elevation_deg=95", "camera.elevation_deg"),
    ("camera.elevation_deg=0", "camera.elevation_deg"),
    ("camera.azimuth_deg=.inf", "camera.azimuth_deg"),
    ("camera.roll_deg=[1, 2]", "camera.roll_deg"),
    ("camera.fov_deg=0", "camera.fov_deg"),
    ("camera.fov_deg=200", "camera.fov_deg"),
    ("camera.look_at_jitter=-0.1", "camera.look_at_jitter"),
    ("camera.look_at_jitter=.inf", "camera.look_at_jitter"),
    ("camera.intrinsics={fx: -1, fy: 100, cx: 1, cy: 1}", "camera.intrinsics"),
    ("camera.intrinsics={fx: 100}", "camera.intrinsics"),
    ("camera.distortion.k1=.nan", "camera.distortion.k1"),
    ("camera.distortion.k7=0.1", "camera.distortion.k7: unknown key"),
    ("camera.depth_of_field={f_number: 0}", "camera.depth_of_field.f_number"),
    ("camera.depth_of_field={}", "camera.depth_of_field.f_number"),
    ("camera.motion_blur={length_px: -1, angle_deg: 0}", "camera.motion_blur.length_px"),
    ("camera.model={pixel_size_um: 0, focal_length_mm: 8}", "camera.model.pixel_size_um"),
    ("camera.distanse=0.5", "camera.distanse: unknown key (did you mean 'distance'?)"),
    ("lighting.environment=5", "lighting.environment"),
    ("lighting.environment=nowhere_hall", "nowhere_hall"),
    ("lighting.environment={choice: [[studio_soft]]}", "lighting.environment"),
    ("lighting.environment_rotation_deg=.nan", "lighting.environment_rotation_deg"),
    ("lighting.key_lights.count=5000", "maximum 16"),
    ("lighting.key_lights.count={uniform: [1, 17]}", "maximum 16"),
    ("lighting.key_lights.type=laser", "unknown light type 'laser'"),
    ("lighting.key_lights.intensity=-1", "lighting.key_lights.intensity"),
    ("lighting.key_lights.color_temperature_k=100", "lighting.key_lights.color_temperature_k"),
    ("lighting.key_lights.elevation_deg=.inf", "lighting.key_lights.elevation_deg"),
    ("lighting.auto_exposure=matrix", "lighting.auto_exposure"),
    ("lighting.metering_target=1.5", "lighting.metering_target"),
    ("lighting.exposure_bias={uniform: [2, 1]}", "lighting.exposure_bias"),
    ("lighting.exposure_bias=9", "lighting.exposure_bias"),
    ("parts.0.scale={uniform: [2, 1]}", "parts[0].scale"),
    ("parts.0.scale=0", "parts[0].scale"),
    ("lighting.rig={type: halo}", "lighting.rig.type"),
    ("lighting.rig={type: ring, lights: 0}", "lighting.rig.lights"),
    ("lighting.rig={type: ring, lights: 1000}", "lighting.rig.lights"),
    ("lighting.exposure=.nan", "lighting.exposure"),
    ("lighting.exposure=-1", "lighting.exposure"),
    ("lighting.shadows=maybe", "lighting.shadows"),
    ("lighting.lightning=1", "lighting.lightning: unknown key"),
    ("render.anti_aliasing=msaa", "render.anti_aliasing"),
    ("render.tone_mapping=[1]", "render.tone_mapping"),
    ("image.width=8", "image.width"),
    ("image.width=100000", "image.width"),
    ("image.height=.nan", "image.height"),
    ("image.format=bmp", "image.format"),
    ("image.jpeg_quality=0", "image.jpeg_quality"),
    ("image.png_compress_level=10", "image.png_compress_level"),
    ("splits={train: .nan}", "splits"),
    ("splits={train: 0.5}", "sum to 1"),
    ("splits={}", "splits"),
    ("splits={Train: 1.0}", "splits"),
    ("splits={train: 1.5, val: -0.5}", "splits"),
    ("splits=[train]", "splits"),
    ("num_images=0", "num_images"),
    ("num_images=1000000000000", "num_images"),
    ("num_images=many", "num_images"),
    ("seed=-1", "seed"),
    ("seed=abc", "seed"),
    ("seed=1.5", "seed"),
    ("name=..", "not a plain folder name"),
    ("name=.", "not a plain folder name"),
    ("name=a/b", "not a plain folder name"),
    ("name=''", "not a plain folder name"),
    ("name=[a]", "name"),
    ("parts=[]", "parts"),
    ("parts=notalist", "parts"),
    ("parts.0.mesh=5", "parts[0].mesh"),
    ("parts.0.category=''", "parts[0].category"),
    ("parts.0.units=furlong", "parts[0].units"),
    ("parts.0.material=unobtainium", "unknown material 'unobtainium'"),
    ("parts.0.material={choice: [[steel]]}", "parts[0].material"),
    ("parts.0.material={choice: [steel], weights: [-1]}", "weights"),
    ("parts.0.material={choice: [steel, brass], weights: [1]}", "weights"),
    ("parts.0.weight=0", "parts[0].weight"),
    ("parts.0.weight=.inf", "parts[0].weight"),
    ("parts.0.texture_size=.inf", "parts[0].texture_size"),
    ("parts.0.texture_size=0", "parts[0].texture_size"),
    ("parts.0.texture=nowhere.png", "parts[0].texture"),
    ("parts.0.colour=red", "parts[0].colour: unknown key"),
    ("parts.0.supercategory=fastener", "category 'nut' is 'fastener' in parts[0], 'part' here"),
    ("annotations.mask_format=bitmap", "annotations.mask_format"),
    ("annotations.min_visible_pixels=-1", "annotations.min_visible_pixels"),
    ("annotations.categories=everything", "annotations.categories"),
    ("annotations.min_visibility=2", "annotations.min_visibility"),
    ("sensor.noise.bit_depth=32", "sensor.noise.bit_depth"),
    ("sensor.noise.full_well_e=0", "sensor.noise.full_well_e"),
    ("sensor.noise.gain=.inf", "sensor.noise.gain"),
    ("sensor.white_balance=0", "sensor.white_balance"),
    ("sensor.vignetting=2", "sensor.vignetting"),
    ("outputs.depth_unit_mm=0", "outputs.depth_unit_mm"),
    ("outputs.depth=maybe", "outputs.depth"),
    ("defects.kinds.scrach={}", "defects.kinds.scrach: unknown key"),
    ("defects.kinds.scratch.width_mm={uniform: [3, 1]}", "defects.kinds.scratch.width_mm"),
    ("defects.kinds.scratch.count=5000", "defects.kinds.scratch.count"),
    ("defects.kinds.scratch.probability=2", "defects.kinds.scratch.probability"),
    ("defects.kinds.dent.hosts=5", "defects.kinds.dent.hosts"),
    ("defects.defect_free_fraction=1.5", "defects.defect_free_fraction"),
    ("defects.min_visible_pixels=0", "defects.min_visible_pixels"),
    ("lightning={}", "lightning: unknown key"),
    ("camera", "expected key.path=value"),
    ("parts.9.units=cm", "not an index"),
    ("image.width.x=1", "is a value, not a section"),
]

# (name, arguments with {ws} = the workspace of bad files and {out} = OUT, the text of the error, exit code)
FILES = [
    ("config missing", ["generate", "{ws}/nope.yaml", "-o", "{out}"], "nope.yaml: config file not found", 2),
    ("config is a folder", ["generate", "{ws}", "-o", "{out}"], "not a file", 2),
    ("config not UTF-8", ["generate", "{ws}/latin1.yaml", "-o", "{out}"], "not a UTF-8 text file", 2),
    ("config is a PNG", ["generate", "{ws}/corrupt.png", "-o", "{out}"], "corrupt.png", 2),
    ("config YAML syntax", ["generate", "{ws}/syntax.yaml", "-o", "{out}"], "not valid YAML", 2),
    ("config top-level list", ["generate", "{ws}/list.yaml", "-o", "{out}"], "expected a mapping", 2),
    ("config empty", ["generate", "{ws}/empty.yaml", "-o", "{out}"], "parts: required key is missing", 2),
    ("config duplicate key", ["generate", "{ws}/dup.yaml", "-o", "{out}"], "key 'seed' appears twice", 2),
    ("mesh missing", ["--set", "parts.0.mesh={ws}/nope.stl"], "parts[0].mesh", 2),
    ("mesh zeros", ["--set", "parts.0.mesh={ws}/zeros.stl"], "parts[0].mesh", 2),
    ("mesh empty file", ["--set", "parts.0.mesh={ws}/empty.stl"], "parts[0].mesh", 2),
    ("mesh text extension", ["--set", "parts.0.mesh={ws}/notes.txt"], "unsupported mesh format", 2),
    ("mesh NaN vertex", ["--set", "parts.0.mesh={ws}/nan.stl"], "parts[0].mesh", 2),
    ("mesh 1e30 coordinates", ["--set", "parts.0.mesh={ws}/huge.stl"], "parts[0].mesh", 2),
    ("mesh wrong units", ["--set", "parts.0.units=m", "--set", "parts.0.mesh={ws}/big_mm.stl"], "check its units", 2),
    ("mesh all degenerate", ["--set", "parts.0.mesh={ws}/degenerate.stl"], "degenerate", 2),
    ("mesh is a folder", ["--set", "parts.0.mesh={ws}"], "parts[0].mesh", 2),
    ("mesh garbage obj", ["--set", "parts.0.mesh={ws}/garbage.obj"], "parts[0].mesh", 2),
    ("step without extra", ["--set", "parts.0.mesh={ws}/part.step"], "parts[0].mesh", 2),
    ("texture missing", ["--set", "parts.0.texture={ws}/nope.png"], "parts[0].texture", 2),
    ("texture corrupt", ["--set", "parts.0.texture={ws}/corrupt.png"], "parts[0].texture", 2),
    ("texture truncated", ["--set", "parts.0.texture={ws}/truncated.png"], "parts[0].texture", 2),
    ("texture bomb", ["--set", "parts.0.texture={ws}/bomb.png"], "too large to decode", 2),
    ("texture empty folder", ["--set", "parts.0.texture={ws}/no_images"], "parts[0].texture", 2),
    ("photos missing", ["--set", "scene.support.images={ws}/nope"], "scene.support.images", 2),
    ("photos empty folder", ["--set", "scene.support.images={ws}/no_images"], "scene.support.images", 2),
    ("photo corrupt", ["--set", "scene.support.images={ws}/photos_corrupt"], "scene.support.images", 2),
    ("photo bomb", ["--set", "scene.support.images={ws}/photos_bomb"], "too large to decode", 2),
    ("environment missing", ["--set", "lighting.environment={ws}/nope.hdr"], "lighting.environment", 2),
    ("environment random bytes", ["--set", "lighting.environment={ws}/random.hdr"], "lighting.environment", 2),
    ("environment truncated", ["--set", "lighting.environment={ws}/truncated.hdr"], "truncated", 2),
    ("environment corrupt png", ["--set", "lighting.environment={ws}/corrupt.png"], "lighting.environment", 2),
    ("environment bomb", ["--set", "lighting.environment={ws}/bomb.png"], "lighting.environment", 2),
    ("bin mesh missing", ["--set", "scene.layout=bin", "--set", "scene.bin.mesh={ws}/nope.stl"], "scene.bin.mesh", 2),
    (
        "distractor mesh missing",
        ["--set", "scene.distractors={{count: 2, meshes: ['{ws}/nope.stl']}}"],
        "distractors.meshes[0]",
        2,
    ),
]

CLI = [
    ("workers 0", ["--workers", "0"], "--workers", 2),
    ("workers 999", ["--workers", "999"], "--workers 999: at most", 2),
    ("images 0", ["-n", "0"], "--num-images", 2),
    ("images a trillion", ["-n", "1000000000000"], "num_images", 2),
    ("seed -1", ["--seed", "-1"], "--seed", 2),
    ("seed text", ["--seed", "x"], "--seed", 2),
    ("on-error maybe", ["--on-error", "maybe"], "--on-error", 2),
    ("backend foo", ["--backend", "foo"], "--backend", 2),
    ("shard 0/3", ["--shard", "0/3"], "--shard 0/3", 2),
    ("shard 4/3", ["--shard", "4/3"], "--shard 4/3", 2),
    ("shard text", ["--shard", "half"], "--shard half", 2),
    ("unknown option", ["--frobnicate"], "--frobnicate", 2),
    ("set without value", ["--set"], "--set", 2),
]

# OUT in a state that must survive: (name, how OUT is prepared, extra arguments, text of the error)
OUTS = [
    ("out is a file", "file", [], "exists and is not a folder"),
    ("out under a file", "under_file", [], "not writable"),
    ("out not empty", "user_files", [], "not empty"),
    ("overwrite a user folder", "user_files", ["--overwrite"], "synth did not make"),
    ("overwrite a user project with a config.yaml", "user_project", ["--overwrite"], "synth did not make"),
    ("overwrite a dataset holding user files", "dataset_plus_notes", ["--overwrite"], "files synth did not write (notes.txt)"),
    ("overwrite a folder holding the mesh", "holds_mesh", ["--overwrite"], "which this run reads"),
    ("overwrite the config's folder", "holds_config", ["--overwrite"], "which this run reads"),
    ("resume with nothing to resume", "user_files", ["--resume"], "no interrupted run"),
    ("resume a finished dataset", "dataset", ["--resume"], "already complete"),
]


def _stl(path: Path, triangles: np.ndarray) -> None:
    """A binary STL of (n, 3, 3) triangles, written as is (NaN and huge values included)."""
    data = b"\0" * 80 + struct.pack("<I", len(triangles))
    for t in triangles:
        data += struct.pack("<12fH", 0, 0, 0, *t.ravel(), 0)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    """A folder of bad files, made once."""
    ws = tmp_path_factory.mktemp("bad")
    small_config(ws)
    good = yaml.safe_load((ws / "cfg.yaml").read_text())
    (ws / "latin1.yaml").write_bytes("name: café\n".encode("latin-1"))
    (ws / "syntax.yaml").write_text("name: [unclosed\n")
    (ws / "list.yaml").write_text("- a\n- b\n")
    (ws / "empty.yaml").write_text("")
    (ws / "dup.yaml").write_text(yaml.safe_dump(good) + "seed: 4\n")
    (ws / "zeros.stl").write_bytes(b"\0" * 90)
    (ws / "empty.stl").write_bytes(b"")
    (ws / "notes.txt").write_text("not a mesh")
    (ws / "garbage.obj").write_text("v a b c\nf 1 2 x\n")
    (ws / "part.step").write_text("ISO-10303-21;\n")
    tri = np.array([[[0, 0, 0], [10, 0, 0], [0, 10, 0]], [[0, 0, 0], [0, 10, 0], [0, 0, 10]]], np.float64)
    _stl(ws / "nan.stl", np.where(np.arange(18).reshape(2, 3, 3) == 4, np.nan, tri))
    _stl(ws / "huge.stl", tri * 1e30)
    _stl(ws / "big_mm.stl", tri * 50)  # 500 m across when read as metres
    _stl(ws / "degenerate.stl", np.zeros((3, 3, 3)) + np.arange(3)[:, None, None])
    Image.new("RGB", (8, 8), (200, 30, 30)).save(ws / "good.png")
    (ws / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    (ws / "truncated.png").write_bytes((ws / "good.png").read_bytes()[:40])
    Image.new("1", (20000, 20000)).save(ws / "bomb.png")  # 400 million pixels, a few kB on disk
    (ws / "no_images").mkdir()
    (ws / "photos_corrupt").mkdir()
    (ws / "photos_corrupt" / "a.png").write_bytes((ws / "good.png").read_bytes())
    (ws / "photos_corrupt" / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (ws / "photos_bomb").mkdir()
    (ws / "photos_bomb" / "a.png").write_bytes((ws / "bomb.png").read_bytes())
    (ws / "random.hdr").write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    rows = b"".join(b"\x02\x02\x00\x10" + bytes([144, 100]) * 4 for _ in range(8))
    (ws / "truncated.hdr").write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 8 +X 16\n" + rows[:-30])
    return ws


def _state(path: Path) -> dict[str, bytes] | None:
    if not path.exists():
        return None
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() if p.is_file() else b"/" for p in sorted(path.rglob("*"))}


def _prepare(kind: str, out: Path, ws: Path, tmp: Path) -> tuple[Path, Path]:
    """Make OUT as `kind` says; returns (config to use, OUT)."""
    cfg = ws / "cfg.yaml"
    if kind == "file":
        out.write_text("a file")
    elif kind == "under_file":
        (tmp / "plain").write_text("x")
        out = tmp / "plain" / "out"
    elif kind == "user_files":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        (out / "src").mkdir()
        (out / "src" / "main.py").write_text("print('mine')")
    elif kind == "user_project":
        out.mkdir()
        (out / "config.yaml").write_text("my: own config\n")
        (out / "src").mkdir()
        (out / "src" / "main.py").write_text("print('mine')")
    elif kind in ("dataset", "dataset_plus_notes", "holds_mesh", "holds_config"):
        res = run_cli("generate", cfg, "-o", out, "-q", "-n", "1", "--workers", "1")
        assert res.exit_code == 0, res.output
        if kind == "dataset_plus_notes":
            (out / "notes.txt").write_text("mine")
        if kind == "holds_mesh":  # the run reads a mesh that lies inside OUT
            (out / "images" / "nut.stl").write_bytes((MESHES / "hex_nut.stl").read_bytes())
            cfg = small_config(tmp, parts=[{"mesh": str(out / "images" / "nut.stl"), "category": "nut"}])
        if kind == "holds_config":
            (out / "annotations" / "cfg.yaml").write_text((ws / "cfg.yaml").read_text())
            cfg = out / "annotations" / "cfg.yaml"
    return cfg, out


def _check(res, needle: str, code: int) -> None:
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output, res.output
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize(("override", "needle"), SETS, ids=[s for s, _ in SETS])
def test_bad_config_values(ws, tmp_path, override, needle):
    out = tmp_path / "out"
    args = ["generate", ws / "cfg.yaml", "-o", out, "-q", "--workers", "1", "--set", override]
    if override.startswith("parts.0.supercategory"):
        args += ["--set", "parts.1.category=nut"]
    _check(run_cli(*args), needle, 2)
    assert not out.exists()


@pytest.mark.parametrize(("name", "args", "needle", "code"), FILES + CLI, ids=[r[0] for r in FILES + CLI])
def test_bad_files_and_arguments(ws, tmp_path, name, args, needle, code):
    out = tmp_path / "out"
    args = [a.format(ws=ws, out=out) for a in args]
    if args[0] != "generate":
        args = ["generate", str(ws / "cfg.yaml"), "-o", str(out), "-q", *args]
    _check(run_cli(*args), needle, code)
    assert not out.exists()


@pytest.mark.parametrize(("name", "kind", "extra", "needle"), OUTS, ids=[r[0] for r in OUTS])
def test_output_folders_are_never_harmed(ws, tmp_path, name, kind, extra, needle):
    cfg, out = _prepare(kind, tmp_path / "out", ws, tmp_path)
    before = _state(out)
    _check(run_cli("generate", cfg, "-o", out, "-q", "--workers", "1", *extra), needle, 2)
    assert _state(out) == before


def test_overwrite_never_deletes_the_working_folder(ws, tmp_path, monkeypatch):
    """The reported data loss: `-o . --overwrite` in a folder with the user's own config.yaml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text((ws / "cfg.yaml").read_text())
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print('mine')")
    before = _state(tmp_path)
    _check(run_cli("generate", "config.yaml", "-o", ".", "--overwrite", "-q"), "working folder", 2)
    _check(run_cli("generate", "config.yaml", "-o", "..", "--overwrite", "-q"), "working folder", 2)
    assert _state(tmp_path) == before


def test_overwrite_replaces_a_dataset_synth_made(ws, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):
        res = run_cli("generate", ws / "cfg.yaml", "-o", out, "-q", "-n", "1", "--workers", "1", "--overwrite")
        assert res.exit_code == 0, res.output
    assert (out / ".synth-dataset").is_file() and run_cli("validate", out).exit_code == 0


def _dataset(ws: Path, tmp: Path) -> Path:
    out = tmp / "ds"
    assert run_cli("generate", ws / "cfg.yaml", "-o", out, "-q", "-n", "2", "--workers", "1").exit_code == 0
    return out


def _break(ds: Path, how: str) -> None:
    inst = next((ds / "annotations").glob("*.json"))
    doc = json.loads(inst.read_text())
    img = next((ds / "images").rglob("*.png"))
    if how == "truncated json":
        inst.write_text(inst.read_text()[:50])
    elif how == "json not an object":
        inst.write_text("[1, 2]")
    elif how == "missing bbox":
        del doc["annotations"][0]["bbox"]
        inst.write_text(json.dumps(doc))
    elif how == "garbage rle":
        doc["annotations"][0]["segmentation"] = {"size": [1, 1], "counts": "%%%garbage"}
        inst.write_text(json.dumps(doc))
    elif how == "truncated png":
        img.write_bytes(img.read_bytes()[:100])
    elif how == "extra image":
        (img.parent / "999999.png").write_bytes(img.read_bytes())
    elif how == "missing image":
        img.unlink()
    elif how == "stray file":
        (ds / "notes.txt").write_text("x")


@pytest.mark.parametrize(
    ("how", "needle"),
    [
        ("truncated json", "not readable JSON"),
        ("json not an object", "expected a JSON object"),
        ("missing bbox", "missing bbox"),
        ("garbage rle", "cannot be decoded"),
        ("truncated png", "cannot be decoded"),
        ("extra image", "not an image of the dataset"),
        ("missing image", "is missing"),
        ("stray file", "not part of a synth dataset"),
    ],
)
def test_validate_reports_broken_files(ws, tmp_path, how, needle):
    ds = _dataset(ws, tmp_path)
    _break(ds, how)
    res = run_cli("validate", ds)
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert needle in res.output, res.output


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [
        ("validate a file", ["validate", "{ws}/cfg.yaml"], "not a folder"),
        ("preview a PNG", ["preview", "{ws}/corrupt.png", "-o", "{tmp}/p.png"], "corrupt.png"),
        ("preview n 0", ["preview", "{ws}/cfg.yaml", "-n", "0", "-o", "{tmp}/p.png"], "-n"),
        ("preview truncated dataset", ["preview", "{ds}", "-o", "{tmp}/p.png"], "instances_"),
        ("merge into a file", ["merge", "{ws}/notes.txt", "{ds}"], "not a folder"),
        ("merge a truncated shard", ["merge", "{tmp}/m", "{ds}"], "not a readable instances file"),
        ("merge a user folder", ["merge", "{tmp}/m", "{ws}/no_images"], "not a dataset made by synth"),
        ("parts into a file", ["parts", "{ws}/notes.txt"], "not a folder"),
        ("init over a file", ["init", "{ws}/notes.txt"], "exists"),
    ],
)
def test_other_commands_fail_cleanly(ws, tmp_path, name, args, needle):
    ds = _dataset(ws, tmp_path)
    _break(ds, "truncated json")
    before = _state(ws)
    res = run_cli(*[a.format(ws=ws, tmp=tmp_path, ds=ds) for a in args])
    _check(res, needle, 2)
    assert _state(ws) == before and not (tmp_path / "m").exists() and not (tmp_path / "p.png").exists()


def test_the_table_is_big_enough():
    assert len(SETS) + len(FILES) + len(CLI) + len(OUTS) + 8 + 9 + 3 >= 150


def test_ray_backend_without_ray_is_one_line_before_out_is_touched(ws, tmp_path):
    """As on a machine without the synth[ray] extra: the import of ray is blocked."""
    import subprocess
    import sys

    out = tmp_path / "out"
    script = "import sys; sys.modules['ray'] = None; from synth.cli import app; sys.argv[0] = 'synth'; app()"
    args = ["generate", str(ws / "cfg.yaml"), "-o", str(out), "-q", "--backend", "ray"]
    res = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stderr.strip() == "error: --backend ray needs Ray: pip install 'synth[ray]'", res.stderr
    assert not out.exists()


def test_doctor_reports_the_renderer_and_the_extras(tmp_path):
    res = run_cli("doctor", "-o", tmp_path / "datasets")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    gl = next(ln for ln in lines if "OpenGL:" in ln)
    assert gl.startswith("ok  OpenGL:") and ("software rendering" in gl or "a GPU" in gl), gl
    assert any(ln.startswith(("ok  ", "--  ")) and "STEP files" in ln for ln in lines)
    assert any(f"at {tmp_path}" in ln for ln in lines if "disk:" in ln)
