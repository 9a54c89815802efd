"""Frames as Ray tasks on long-lived actors, one `FrameMaker` each (`--backend ray`): a local Ray
started for the run, or an existing cluster (`--address`). Every actor writes its frames into OUT
itself, so on a cluster OUT (and the config's meshes) must be on a path every node shares. The
output is the same bytes as a local run. Ray is an optional extra: pip install 'synth[ray]'.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Config, config_from_dict
from ..errors import SynthError
from ..pipeline import FrameMaker
from ..render.platform import device_for, gpu_devices, use_device
from .frames import make_and_write
from .threads import thread_env


class RayWorker:
    """The actor: a FrameMaker kept across frames, writing into OUT."""

    def __init__(self, raw: dict, base_dir: str, out: str, threads: int, index: int):
        os.environ.update(thread_env(threads))
        use_device(device_for(index, gpu_devices()))  # this node's GPUs in turn, if it has any
        self.maker = FrameMaker(config_from_dict(raw, base_dir=Path(base_dir)))
        self.out = Path(out)

    def frame(self, i: int) -> list[str]:
        return make_and_write(self.maker, self.out, i)


def run_ray(
    cfg: Config, out: Path, todo: list[int], actors: int, tick: Callable[[], None], address: str | None
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """Run frames `todo` on `actors` Ray actors (one CPU each); returns the notes per frame. An
    actor that dies is restarted and its frame retried once (Ray's max_restarts / max_task_retries);
    a frame that fails again stops the run."""
    try:
        import ray
    except ImportError:
        raise SynthError("--backend ray needs Ray: pip install 'synth[ray]'") from None
    started = not ray.is_initialized()
    if started:
        kwargs = {"address": address} if address else {"num_cpus": actors}
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **kwargs)
    try:
        cpus = int(ray.cluster_resources().get("CPU", actors))
        actors = max(1, min(actors, cpus))
        threads = max(1, cpus // actors) if not address else 1
        env = thread_env(threads)  # set before the actor's process loads numpy
        if "SYNTH_FAULT" in os.environ:  # the tests' fault hook reaches the actors too
            env["SYNTH_FAULT"] = os.environ["SYNTH_FAULT"]
        maker: Any = ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1, runtime_env={"env_vars": env})(RayWorker)
        raw = cfg.model_dump(mode="json")
        pool = [maker.remote(raw, str(cfg.base_dir.resolve()), str(out.resolve()), threads, k) for k in range(actors)]
        queue = list(reversed(todo))
        inflight: dict = {}
        notes: dict[int, list[str]] = {}
        free = [a for a in pool for _ in range(2)]  # two frames per actor: the next waits while one renders
        while queue or inflight:
            while free and queue:
                a, i = free.pop(), queue.pop()
                inflight[a.frame.remote(i)] = (a, i)
            (ref,), _ = ray.wait(list(inflight), num_returns=1)
            a, i = inflight.pop(ref)
            try:
                notes[i] = ray.get(ref)
            except ray.exceptions.RayError as e:
                reason = type(e).__name__
                raise SynthError(f"frame {i} failed on Ray ({reason}); finished frames are kept, rerun with --resume") from e
            tick()
            free.append(a)
        return notes, {}
    finally:
        if started:
            ray.shutdown()
