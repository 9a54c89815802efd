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


def resume_gives_reference(cfg_path: Path, out: Path, reference: dict[str, bytes], workers: int | str = 1) -> None:
    """`--resume` finishes the run in OUT, and the dataset is the uninterrupted run's bytes."""
    res = run_cli("generate", cfg_path, "-o", out, "-q", "--resume", "--workers", workers)
    assert res.exit_code == 0, res.output
    assert files(out) == reference


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
    resume_gives_reference(cfg_path, out, reference, workers)


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


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_second_writer_is_refused_and_workers_die_with_their_parent(cfg_path, reference, tmp_path):
    """While a run writes OUT, --resume (or --overwrite) of the same OUT is refused. kill -9 of
    the parent alone: its workers exit by themselves within seconds; --resume then finishes."""
    out = tmp_path / "out"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", "2")
    wait_for_frames(out, 1, proc)
    for flag in ("--resume", "--overwrite"):
        res = run_cli("generate", cfg_path, "-o", out, "-q", flag)
        assert res.exit_code == 2 and "another synth run is writing here" in res.output, res.output
    workers = _children(proc.pid)
    assert workers, "the run should have worker processes"
    os.kill(proc.pid, signal.SIGKILL)  # the parent only, not its process group
    proc.wait()
    t = time.time()
    while any(_alive(w) for w in workers):
        assert time.time() - t < 15, "workers outlived their parent"
        time.sleep(0.2)
    resume_gives_reference(cfg_path, out, reference)


def test_resume_redoes_frames_whose_files_are_broken(cfg_path, reference, tmp_path):
    out = tmp_path / "out"
    proc = synth("generate", cfg_path, "-o", out, "-q", "--workers", "1")
    wait_for_frames(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    records = sorted((out / ".synth" / "frames").glob("*.json"))
    records[0].write_bytes(b"")  # a record that does not parse
    done = json.loads(records[1].read_text())
    (out / "images" / done["split"] / done["image"]["file_name"]).unlink()  # a frame whose image is gone
    resume_gives_reference(cfg_path, out, reference)


def test_merge_refuses_a_shard_with_a_missing_image(cfg_path, tmp_path):
    shards = []
    for i in (1, 2):
        shard = tmp_path / f"shard{i}"
        assert run_cli("generate", cfg_path, "-o", shard, "-q", "--shard", f"{i}/2", "--workers", "1").exit_code == 0
        shards.append(shard)
    next((shards[1] / "images").rglob("*.png")).unlink()
    res = run_cli("merge", tmp_path / "merged", *shards)
    assert res.exit_code == 2 and "missing; the shard is incomplete" in res.output, res.output
    assert not (tmp_path / "merged").exists()


def test_a_full_disk_at_the_end_leaves_a_resumable_run(cfg_path, tmp_path):
    """The final instances file hits a file size limit (as a full disk would fail it; frames,
    records and config are smaller): one error line, no temporary files, every frame kept;
    --resume writes the dataset files."""
    out = tmp_path / "out"
    script = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000)); "
        "from synth.cli import app; sys.argv[0] = 'synth'; app()"
    )
    small = ["image.width=32", "image.height=24", "splits={train: 1.0}", "annotations.boxes_3d=true", "scene.parts_per_image=5"]
    args = ["generate", str(cfg_path), "-o", str(out), "-q", "--workers", "1"] + [a for s in small for a in ("--set", s)]
    res = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "writing the dataset files failed" in res.stderr and "--resume" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert not list(out.rglob(".*.tmp*")) and not (out / "annotations" / "instances_train.json").exists()
    assert len(list((out / ".synth" / "frames").glob("*.json"))) == N
    res = run_cli(*args, "--resume")
    assert res.exit_code == 0, res.output
    assert run_cli("validate", out).exit_code == 0
    assert (out / "annotations" / "instances_train.json").stat().st_size > 10_000  # the file the limit stopped
