"""Runs a config to a finished dataset: checks, frame loop, streaming writes, merge, resume.

Each frame is a pure function of (config, seed, frame index); the frame records written
per frame make an interrupted run resumable, and the final files appear atomically.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import __version__
from .annotate import annotate_defects, annotate_frame, defect_class_map, image_record
from .assets import load_mesh
from .config import Config, dump_config
from .errors import SynthError
from .sensor import apply_optics, apply_sensor
from .writers import coco
from .writers.bop import export_bop
from .writers.files import encode_depth, encode_image, encode_mask, write_atomic

MARKER = ".synth"


@dataclass
class Summary:
    out: Path
    images: dict[str, int]
    annotations: int
    annotations_per_category: dict[str, int]
    seconds: float
    rendered: int
    notes: list[str] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # frames left out (on_error="skip"), with the reason


def preload(cfg: Config) -> None:
    """Load every mesh and environment once, so bad input fails before anything is written."""
    for i, p in enumerate(cfg.parts):
        path = cfg.resolve_path(p.mesh)
        try:
            load_mesh(path, p.units)
        except SynthError as e:
            raise SynthError(f"parts[{i}].mesh: {e}") from None
        if p.texture:
            from .scene.sampler import part_textures
            from .textures import load_image

            try:
                for image in part_textures(cfg, p.texture):
                    load_image(image)
            except SynthError as e:
                raise SynthError(f"parts[{i}].texture: {e}") from None
    if cfg.scene.support.images:
        from .textures import background_images

        try:
            background_images(str(cfg.resolve_path(cfg.scene.support.images)))
        except SynthError as e:
            raise SynthError(f"scene.support.images: {e}") from None
    if cfg.scene.layout == "bin":
        try:
            load_mesh(cfg.resolve_path(cfg.scene.bin.mesh), cfg.scene.bin.units)
        except SynthError as e:
            raise SynthError(f"scene.bin.mesh: {e}") from None
    dc = cfg.scene.distractors
    if dc.count.bounds()[1] > 0:
        for i, m in enumerate(dc.meshes):
            try:
                load_mesh(cfg.resolve_path(m), dc.units)
            except SynthError as e:
                raise SynthError(f"scene.distractors.meshes[{i}]: {e}") from None
    from .environments import BUILTIN, environment_image

    for name in cfg.lighting.environment.values():
        if name not in BUILTIN:
            environment_image(str(cfg.resolve_path(name)))


def prepare_output(out: Path, overwrite: bool, resume: bool, config_text: str) -> bool:
    """Check OUT before writing anything; returns True when resuming a previous run."""
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out}: output path exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        is_ours = (out / "config.yaml").is_file() or (out / MARKER).is_dir()
        if resume:
            old = out / MARKER / "config.yaml"
            if not old.is_file():
                if (out / "annotations").is_dir() and (out / "config.yaml").is_file():
                    raise SynthError(f"{out}: this dataset is already complete; nothing to resume")
                raise SynthError(f"{out}: no interrupted run to resume here")
            if old.read_text() != config_text:
                raise SynthError(f"{out}: the interrupted run used another config or seed; --resume needs the same ones")
            for tmp in out.rglob(".*.tmp*"):  # files a killed run was writing
                tmp.unlink()
            return True
        if not overwrite:
            raise SynthError(f"{out}: output folder is not empty (use --overwrite to replace it, or --resume)")
        if not is_ours:
            raise SynthError(f"{out}: refusing to --overwrite a folder that is not a synth dataset")
        shutil.rmtree(out)
    try:
        (out / MARKER / "frames").mkdir(parents=True, exist_ok=True)
        probe = out / MARKER / ".write_test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as e:
        raise SynthError(f"{out}: output folder is not writable ({e.strerror})") from None
    write_atomic(out / MARKER / "config.yaml", config_text.encode())
    return False


def resolved_config_text(cfg: Config) -> str:
    return f"# resolved by synth {__version__}\n" + dump_config(cfg)


def generate(
    cfg: Config,
    out: Path,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    renderer=None,
    on_frame: Callable[[int], None] | None = None,
    workers: int = 1,
    on_error: str = "stop",
    shard: tuple[int, int] | None = None,
    backend: str = "local",
    address: str | None = None,
) -> Summary:
    """Generate `cfg.num_images` frames into `out` (seed and count already set on `cfg`), in this
    process (workers=1), in `workers` local processes, or on a Ray cluster; the same bytes every way.
    `shard` = (I, N) makes only the I-th of N blocks of frames (1-based), a dataset of its own
    that `synth merge` joins with the others. `on_error`: "stop" or "skip" a frame that fails twice.
    `on_frame(k)` is called when the k-th frame of this run is on disk (the benchmark samples memory there)."""
    from .workers import cores

    os.environ.setdefault("LP_NUM_THREADS", str(cores()))  # llvmpipe: the cores this process may use (taskset)
    from .render import Renderer

    text = resolved_config_text(cfg)
    preload(cfg)
    frames = shard_frames(cfg.num_images, shard)
    resuming = prepare_output(out, overwrite, resume, text + (f"# shard {shard[0]}/{shard[1]}\n" if shard else ""))
    categories = cfg.categories()
    cat_ids = {c["name"]: c["id"] for c in categories}
    todo = [i for i in frames if not (resuming and coco.frame_record_path(out, i).is_file())]
    for split in cfg.splits:
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        if cfg.defects.masks and cfg.defects.enabled():
            (out / "masks" / split).mkdir(parents=True, exist_ok=True)
        for folder, on in (("depth", cfg.outputs.depth), ("semantic", cfg.outputs.semantic), ("normals", cfg.outputs.normals)):
            if on:
                (out / folder / split).mkdir(parents=True, exist_ok=True)
    parallel = (workers > 1 or backend == "ray") and renderer is None and len(todo) > 1
    own = renderer is None and not parallel
    renderer = renderer or (None if parallel else Renderer.for_config(cfg))
    t0 = time.perf_counter()
    finished = 0
    bar = tqdm(
        total=len(frames),
        initial=len(frames) - len(todo),
        unit="img",
        disable=not progress,
        desc=cfg.name,
        dynamic_ncols=True,
    )

    def tick() -> None:
        nonlocal finished
        finished += 1
        bar.update(1)
        if on_frame:
            on_frame(finished)

    failed: dict[int, str] = {}
    try:
        if parallel and backend == "ray":
            from .ray_backend import run_ray

            by_frame = run_ray(cfg, out, todo, workers, tick, address)
        elif parallel:
            from .workers import run_pool

            by_frame, failed = run_pool(cfg, out, todo, workers, tick, on_error)
        else:
            by_frame = _run_here(cfg, out, todo, renderer, cat_ids, tick)
        notes = [n for i in sorted(by_frame) for n in by_frame[i]]
    except OSError as e:
        raise SynthError(f"{out}: writing failed ({e.strerror or e}); fix it and rerun with --resume") from None
    finally:
        bar.close()
        if own:
            renderer.close()
    done = [i for i in frames if i not in failed]
    stats = coco.merge(out, done, cfg.splits, categories, f"synth dataset '{cfg.name}'")
    if cfg.outputs.bop:
        export_bop(out, cfg)
    write_atomic(out / "config.yaml", text.encode())
    seconds = time.perf_counter() - t0
    write_atomic(out / "README.md", dataset_card(cfg, stats).encode())
    coco.finish(out)
    return Summary(
        out=out,
        images=stats["images"],
        annotations=stats["annotations"],
        annotations_per_category=stats["annotations_per_category"],
        seconds=seconds,
        rendered=len(todo) - len(failed),
        notes=notes,
        failed=failed,
    )


def shard_frames(num_images: int, shard: tuple[int, int] | None) -> list[int]:
    """The frames of shard (I, N): the I-th of N contiguous blocks, 1-based; all frames without one."""
    if shard is None:
        return list(range(num_images))
    i, n = shard
    if not 1 <= i <= n:
        raise SynthError(f"--shard {i}/{n}: I must be between 1 and N")
    return list(range((i - 1) * num_images // n, i * num_images // n))


def _run_here(
    cfg: Config, out: Path, todo: list[int], renderer, cat_ids: dict[str, int], tick: Callable[[], None]
) -> dict[int, list[str]]:
    """Frames in this process: the next scene is sampled while this one renders, and encoding and
    writing overlap the next render. Returns the notes per frame."""
    from .scene import sample_scene

    notes: dict[int, list[str]] = {}
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=1) as io_pool, ThreadPoolExecutor(max_workers=1) as sampler:
        ahead = deque(sampler.submit(sample_scene, cfg, i) for i in todo[:1])
        for k, i in enumerate(todo):
            if k + 1 < len(todo):
                ahead.append(sampler.submit(sample_scene, cfg, todo[k + 1]))
            scene = ahead.popleft().result()
            frame = expose(cfg, scene, renderer, i)
            notes[i] = scene.notes
            pending.append(io_pool.submit(write_frame, *frame_outputs(cfg, out, scene, frame, i, cat_ids)))
            while len(pending) > 2:
                pending.popleft().result()
                tick()
        while pending:
            pending.popleft().result()
            tick()
    return notes


def frame_outputs(cfg: Config, out: Path, scene, frame, i: int, cat_ids: dict[str, int]) -> tuple:
    """Everything `write_frame` writes for frame i: image, label maps, depth, records."""
    split = coco.split_of(i, cfg.splits)
    name = f"{i:06d}.{'png' if cfg.image.format == 'png' else 'jpg'}"
    image = image_record(scene, name)
    anns, maps = annotate_scene(cfg, scene, frame, image, cat_ids)
    depth = frame.depth if cfg.outputs.depth else None
    if depth is not None:
        image["depth_file"] = f"depth/{split}/{i:06d}.png"
        image["depth_unit_mm"] = cfg.outputs.depth_unit_mm
    if frame.normals is not None:  # 8-bit (n + 1) / 2, black where nothing is
        maps["normals"] = np.nan_to_num(np.rint((frame.normals + 1) * 127.5), nan=0).astype(np.uint8)
    return out, cfg, frame.rgb, maps, depth, split, name, image, anns, scene.notes, i


def expose(cfg: Config, scene, renderer, i: int):
    """Render frame i with the maps the config asks for, then pass the RGB through the lens
    (depth of field, motion blur) and the sensor, drawing from their own stream so the scene's
    draws stay as they were."""
    dof = cfg.camera.depth_of_field is not None
    frame = renderer.render(scene, depth=cfg.outputs.depth or dof, amodal=cfg.annotations.amodal, normals=cfg.outputs.normals)
    optics = dof or cfg.camera.motion_blur is not None
    if optics or cfg.sensor.active():
        rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, i, 1]))
        if optics:
            frame.rgb = apply_optics(frame.rgb, frame.depth, scene.camera, cfg.camera, rng)
        if cfg.sensor.active():
            frame.rgb = apply_sensor(frame.rgb, cfg.sensor, rng)
    return frame


def annotate_scene(cfg: Config, scene, frame, image: dict, cat_ids: dict[str, int]):
    """Part and defect records of a frame (as `annotations.categories` asks), the image's defect
    counts, and the per-pixel label maps to write: `masks` (defect classes, `defects.masks`) and
    `semantic` (part and defect classes, `outputs.semantic`), each agreeing with the records."""
    anns = []
    if cfg.annotations.categories == "parts_and_defects":
        a = cfg.annotations
        anns = annotate_frame(
            frame.instance_ids, scene, cat_ids, a.mask_format, a.min_visible_pixels, frame.amodal, a.min_visibility, a.boxes_3d
        )
    maps, defect_map = {}, None
    if cfg.defects.enabled():
        ids = frame.defect_ids if frame.defect_ids is not None else np.zeros_like(frame.instance_ids)
        defect_anns, counts = annotate_defects(ids, scene, cat_ids, cfg.annotations.mask_format, cfg.defects.min_visible_pixels)
        anns += defect_anns
        image["defects"] = counts
        image["anomaly"] = counts["visible"] > 0
        if cfg.defects.masks or cfg.outputs.semantic:
            defect_map = defect_class_map(ids, scene, cat_ids, cfg.defects.min_visible_pixels)
        if cfg.defects.masks:
            maps["masks"] = defect_map
    if cfg.outputs.semantic:  # annotated parts by category, the annotated defects on top
        lut = np.zeros(len(scene.objects) + 1, np.int32)
        for rec in anns:
            if "instance_id" in rec:
                lut[rec["instance_id"]] = rec["category_id"]
        semantic = lut[frame.instance_ids]
        maps["semantic"] = semantic if defect_map is None else np.where(defect_map > 0, defect_map, semantic)
    return anns, maps


def write_frame(
    out: Path, cfg: Config, rgb, maps: dict, depth, split: str, name: str, image: dict, anns: list[dict], notes: list[str], i: int
) -> None:
    data = encode_image(rgb, cfg.image.format, cfg.image.png_compress_level, cfg.image.jpeg_quality)
    write_atomic(out / "images" / split / name, data)
    for folder, label_map in maps.items():  # masks/, semantic/: category id per pixel
        write_atomic(out / folder / split / f"{i:06d}.png", encode_mask(label_map))
    if depth is not None:  # 16-bit steps of depth_unit_mm; 0 where nothing is (or beyond 16 bits)
        steps = np.where(np.isfinite(depth), np.rint(depth * 1e3 / cfg.outputs.depth_unit_mm), 0)
        write_atomic(out / "depth" / split / f"{i:06d}.png", encode_depth(np.where(steps < 2**16, steps, 0).astype(np.uint16)))
    coco.save_frame(out, i, split, image, anns, notes)  # the record last: it marks the frame done


def dataset_card(cfg: Config, stats: dict) -> str:
    """OUT/README.md: what is in the dataset and how it was made."""
    lines = [
        f"# {cfg.name}",
        "",
        f"Synthetic dataset made by synth {__version__} from `config.yaml` (seed {cfg.seed}).",
        "",
        "| split | images |",
        "|---|---|",
        *[f"| {s} | {n} |" for s, n in stats["images"].items()],
        "",
        "| category | annotations |",
        "|---|---|",
        *[f"| {c} | {n} |" for c, n in stats["annotations_per_category"].items()],
        "",
        f"Images: {cfg.image.width}x{cfg.image.height} {cfg.image.format}. Masks: {cfg.annotations.mask_format}; parts with"
        f" fewer than {cfg.annotations.min_visible_pixels} visible pixels are not annotated.",
        "",
        "Layout: `images/<split>/NNNNNN.png`, `annotations/instances_<split>.json` (COCO). Each annotation carries",
        "`object_pose` (4x4, mesh file coordinates scaled to metres -> OpenCV camera frame) and each image",
        "`camera.K` and `camera.world_to_camera`.",
        "",
    ]
    return "\n".join(lines)
