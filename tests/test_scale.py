"""Batch runs at scale: kill -9 and resume, Ctrl-C, crashing workers, shards and merge, Ray.
Each compares real datasets written by the real CLI, byte for byte, with one uninterrupted run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import run_cli, small_config

pytestmark = pytest.mark.slow  # whole datasets, several times over

N = 6


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def synth(*args, env=None) -> subprocess.Popen:
    """`synth ...` in its own process group (so a kill reaches its workers too)."""
    cmd = [sys.executable, "-m", "synth.cli", *map(str, args)]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def cfg_path(tmp_path_factory) -> Path:
    return small_config(tmp_path_factory.mktemp("scale"), num_images=N)


@pytest.fixture(scope="module")
def reference(cfg_path, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("ref") / "out"
    res = run_cli("generate", cfg_path, "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    return files(out)


def wait_for_frames(out: Path, k: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    t = time.time()
    while len(list((out / ".synth" / "frames").glob("*.json"))) < k:
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t < timeout
        time.sleep(0.02)


@pytest.mark.parametrize(("workers", "after"), [(1, 1), (2, 2), (2, 4)])
def test_kill_9_then_resume_gives_the_same_bytes(cfg_path, reference, tmp_path, workers, after):
    """kill -9 of the whole run (parent and workers) once `after` frames are on disk; --resume
    finishes it, and the dataset is the same bytes as an uninterrupted run, with no leftovers."""
    out = tmp_path / "out"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", workers)
    wait_for_frames(out, after, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "annotations").exists()  # nothing looks finished
    res = run_cli("generate", cfg_path, "-o", out, "-q", "--resume", "--workers", workers)
    assert res.exit_code == 0, res.output
    assert files(out) == reference


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(cfg_path, reference, tmp_path):
    out = tmp_path / "out"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", "2")
    wait_for_frames(out, 1, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    res = run_cli("generate", cfg_path, "-o", out, "-q", "--resume")
    assert res.exit_code == 0, res.output
    assert files(out) == reference


def test_a_crashed_worker_is_replaced_and_its_frame_retried(cfg_path, reference, tmp_path):
    out = tmp_path / "out"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", "2", env={"SYNTH_FAULT": "crash_once:3"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert files(out) == reference


def test_a_frame_that_fails_twice_stops_the_run_or_is_skipped(cfg_path, reference, tmp_path):
    out = tmp_path / "stop"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", "2", env={"SYNTH_FAULT": "crash:2"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2 and "frame 2 failed 2 times" in err and "--resume" in err and "Traceback" not in err
    out = tmp_path / "skip"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", "2", "--on-error", "skip", env={"SYNTH_FAULT": "crash:2"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "frame 2 failed twice and is left out" in err
    got = files(out)
    ids = []
    for name in ("annotations/instances_train.json", "annotations/instances_val.json"):
        ids += [im["id"] for im in json.loads(got[name])["images"]]
    assert sorted(ids) == [i + 1 for i in range(N) if i != 2]
    for name, data in got.items():  # every frame's files as in the full run
        if name.startswith("images/"):
            assert reference[name] == data
    assert run_cli("validate", out).exit_code == 0


def test_merged_shards_equal_one_run(cfg_path, reference, tmp_path):
    shards = []
    for i in (1, 2, 3):
        shard = tmp_path / f"shard{i}"
        res = run_cli("generate", cfg_path, "-o", shard, "-q", "--shard", f"{i}/3", "--workers", "1")
        assert res.exit_code == 0, res.output
        shards.append(shard)
    res = run_cli("merge", tmp_path / "merged", *shards[::-1])
    assert res.exit_code == 0, res.output
    assert files(tmp_path / "merged") == reference
    # refusals: a missing shard, a shard of another seed, an unfinished shard, bad --shard
    res = run_cli("merge", tmp_path / "m2", *shards[:2])
    assert res.exit_code == 2 and "2 of 6 frames are in none of the shards" in res.output
    other = tmp_path / "other"
    assert run_cli("generate", cfg_path, "-o", other, "-q", "--shard", "3/3", "--seed", "99").exit_code == 0
    res = run_cli("merge", tmp_path / "m3", *shards[:2], other)
    assert res.exit_code == 2 and "another config or seed" in res.output
    res = run_cli("generate", cfg_path, "-o", tmp_path / "bad", "--shard", "4/3")
    assert res.exit_code == 2 and "--shard 4/3" in res.output


@pytest.mark.ray
@pytest.mark.interop
def test_ray_backend_gives_the_same_bytes(cfg_path, reference, tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "out"
    res = run_cli("generate", cfg_path, "-o", out, "-q", "--backend", "ray", "--workers", "2")
    assert res.exit_code == 0, res.output
    assert files(out) == reference


@pytest.mark.ray
@pytest.mark.interop
def test_ray_restarts_a_dead_actor_once_then_stops(cfg_path, reference, tmp_path):
    """An actor killed on frame 3 is restarted and its frames retried: the same bytes. An actor
    that dies on frame 2 every time fails the retry too: exit 2, finished frames kept, resumable."""
    pytest.importorskip("ray")
    out = tmp_path / "once"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--backend", "ray", "--workers", "2", env={"SYNTH_FAULT": "crash_once:3"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert (out / ".synth").exists() is False and files(out) == reference
    out = tmp_path / "always"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--backend", "ray", "--workers", "2", env={"SYNTH_FAULT": "crash:2"})
    _, err = proc.communicate(timeout=300)
    # frame 2, or the frame queued behind it on the same actor, is reported: both die with the actor
    assert proc.returncode == 2 and re.search(r"frame \d+ failed on Ray", err), err
    assert "--resume" in err and "Traceback" not in err, err
    assert not (out / "annotations").exists()
    res = run_cli("generate", cfg_path, "-o", out, "-q", "--resume", "--workers", "1")  # without the fault
    assert res.exit_code == 0, res.output
    assert files(out) == reference
