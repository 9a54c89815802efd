"""Bad input gets one clear line, exit code 2, no traceback, and nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from .conftest import ROOT, run_cli, small_config


def assert_clean_failure(res, *needles: str):
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    for n in needles:
        assert n in lines[0], (n, lines[0])


def part(tmp_path, **over):
    return [{"mesh": str(ROOT / "assets/meshes/hex_nut.stl"), "category": "nut", **over}]


@pytest.mark.parametrize(
    "case,needles",
    [
        ("missing_mesh", ["parts[0].mesh", "nope.stl", "not found"]),
        ("corrupt_mesh", ["parts[0].mesh", "broken.stl"]),
        ("unknown_key", ["camera.distanse: unknown key"]),
        ("min_gt_max", ["camera.distance.uniform: min 0.9 > max 0.4"]),
    ],
)
def test_bad_config_input(tmp_path, case, needles):
    out = tmp_path / "out"
    if case == "missing_mesh":
        cfg = small_config(tmp_path, parts=[{"mesh": str(tmp_path / "nope.stl"), "category": "x"}])
    elif case == "corrupt_mesh":
        (tmp_path / "broken.stl").write_bytes(b"\x00" * 90)
        cfg = small_config(tmp_path, parts=[{"mesh": str(tmp_path / "broken.stl"), "category": "x"}])
    elif case == "unknown_key":
        cfg = small_config(tmp_path, camera={"distanse": 0.5})
    else:
        cfg = small_config(tmp_path, camera={"distance": {"uniform": [0.9, 0.4]}})
    assert_clean_failure(run_cli("generate", cfg, "-o", out), *needles)
    assert not out.exists()


def test_set_override_errors_name_the_key(tmp_path):
    out = tmp_path / "out"
    assert_clean_failure(
        run_cli("generate", small_config(tmp_path), "-o", out, "--set", "scene.parts_per_image={uniform: [5, 1]}"),
        "scene.parts_per_image.uniform: min 5 > max 1",
    )
    assert not out.exists()


def test_unwritable_output(tmp_path):
    if os.geteuid() == 0:
        target = tmp_path / "file_not_dir"
        target.write_text("x")
        out = target / "out"  # a path under a regular file cannot be created, even by root
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out = ro / "out"
    assert_clean_failure(run_cli("generate", small_config(tmp_path), "-o", out), str(out))
    assert not out.exists()


def test_non_empty_output_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    assert_clean_failure(run_cli("generate", small_config(tmp_path), "-o", out), "not empty")
    assert_clean_failure(run_cli("generate", small_config(tmp_path), "-o", out, "--overwrite"), "synth did not make")
    assert (out / "precious.txt").read_text() == "keep me"


def test_missing_config_and_debug_traceback(tmp_path):
    assert_clean_failure(run_cli("generate", tmp_path / "none.yaml"), "none.yaml", "not found")
    res = run_cli("--debug", "generate", tmp_path / "none.yaml")
    assert res.exit_code == 2 and "Traceback" in res.output


def test_validate_reports_violations(tmp_path, dataset):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(dataset, bad)
    f = bad / "annotations" / "instances_train.json"
    doc = json.loads(f.read_text())
    doc["annotations"][0]["area"] += 1
    doc["annotations"][0]["bbox"][2] += 1
    f.write_text(json.dumps(doc))
    res = run_cli("validate", bad)
    assert res.exit_code == 1
    assert "area" in res.output and "bbox" in res.output


def test_init_and_schema(tmp_path):
    p = tmp_path / "starter.yaml"
    assert run_cli("init", p).exit_code == 0
    raw = yaml.safe_load(p.read_text())
    assert raw["parts"] and "# " in p.read_text()
    assert_clean_failure(run_cli("init", p), "exists")
    res = run_cli("schema")
    schema = json.loads(res.output)
    assert "camera" in schema["properties"] and "parts" in schema["required"]


def test_resume_finishes_an_interrupted_run(tmp_path, dataset):
    """Ctrl-C in the middle of a run leaves finished frames and no instances file; --resume
    completes it and the result equals an uninterrupted run byte for byte."""
    from synth.config import load_config
    from synth.render import Renderer
    from synth.runner import generate

    class CtrlCOnThirdFrame(Renderer):
        calls = 0

        def render(self, scene, **kw):
            CtrlCOnThirdFrame.calls += 1
            if CtrlCOnThirdFrame.calls == 3:
                raise KeyboardInterrupt
            return super().render(scene, **kw)

    cfg = small_config(tmp_path)
    out = tmp_path / "partial"
    full = load_config(cfg)
    r = CtrlCOnThirdFrame.for_config(full)
    with pytest.raises(KeyboardInterrupt):
        generate(full, out, progress=False, renderer=r)
    r.close()
    assert not (out / "annotations").exists()
    assert len(list((out / ".synth" / "frames").glob("*.json"))) == 2
    assert_clean_failure(run_cli("generate", cfg, "-o", out), "--resume")
    res = run_cli("generate", cfg, "-o", out, "--resume", "-q")
    assert res.exit_code == 0, res.output
    assert_clean_failure(run_cli("generate", cfg, "-o", out, "--resume"), "already complete")
    for f in sorted(p.relative_to(dataset) for p in dataset.rglob("*") if p.is_file()):
        assert (dataset / f).read_bytes() == (out / f).read_bytes(), f


def test_a_run_that_stops_before_its_first_frame_leaves_no_output(tmp_path):
    """Ctrl-C during the first render: OUT, which the run created, is gone again (a rerun needs no
    --overwrite); a folder that existed (empty) before is left, empty."""
    from synth.config import load_config
    from synth.render import Renderer
    from synth.runner import generate

    class CtrlCOnFirstFrame(Renderer):
        def render(self, scene, **kw):
            raise KeyboardInterrupt

    full = load_config(small_config(tmp_path))
    r = CtrlCOnFirstFrame.for_config(full)
    try:
        for out, existed in ((tmp_path / "new" / "out", False), (tmp_path / "empty", True)):
            if existed:
                out.mkdir()
            with pytest.raises(KeyboardInterrupt):
                generate(full, out, progress=False, renderer=r)
            assert out.exists() == existed and (not existed or not any(out.iterdir()))
    finally:
        r.close()


def test_cli_entry_point_runs_as_a_program(tmp_path):
    res = subprocess.run([sys.executable, "-m", "synth.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "generate" in res.stdout


def test_workers_give_the_same_bytes(tmp_path, dataset):
    """--workers 2: frames made in two spawned processes, each with its own renderer, give the same
    dataset byte for byte as `--workers 1` (the `dataset` fixture)."""
    out = tmp_path / "parallel"
    res = run_cli("generate", small_config(tmp_path), "-o", out, "-q", "--workers", "2")
    assert res.exit_code == 0, res.output
    files = sorted(p.relative_to(dataset) for p in dataset.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    for f in files:
        assert (dataset / f).read_bytes() == (out / f).read_bytes(), f


def test_version_and_short_help():
    import synth

    from .conftest import run_cli

    res = run_cli("--version")
    assert res.exit_code == 0 and res.output.strip() == f"synth {synth.__version__}"
    for args, shows in ((["-h"], "COMMAND"), (["generate", "-h"], "--overwrite"), (["bench", "-h"], "--rss-frames")):
        res = run_cli(*args)
        assert res.exit_code == 0 and "Usage:" in res.output and shows in res.output, args


def test_shell_completion_script():
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "synth"
    res = subprocess.run([str(exe), "--show-completion", "bash"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "_synth_completion" in res.stdout and "complete " in res.stdout
