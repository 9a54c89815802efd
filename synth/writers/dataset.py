"""The dataset folder: checking and preparing OUT, writing one frame's files, the dataset card.

A frame's files are written image first, label maps next, its record (`.synth/frames/N.json`)
last, each to a temporary name and renamed, so a frame whose record exists is complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .. import __version__
from ..config import Config, dump_config
from ..errors import SynthError
from ..frame import FrameResult
from . import coco
from .files import encode_depth, encode_image, encode_mask, write_atomic

MARKER = ".synth"  # the work folder of a run in progress (per-frame records, the run's config)


def resolved_config_text(cfg: Config) -> str:
    return f"# resolved by synth {__version__}\n" + dump_config(cfg)


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


def frame_folders(cfg: Config) -> list[str]:
    """The per-split folders a run of this config writes frames into."""
    folders = ["images"]
    if cfg.defects.masks and cfg.defects.enabled():
        folders.append("masks")
    folders += [
        f for f, on in (("depth", cfg.outputs.depth), ("semantic", cfg.outputs.semantic), ("normals", cfg.outputs.normals)) if on
    ]
    return folders


def make_folders(out: Path, cfg: Config) -> None:
    for split in cfg.splits:
        for folder in frame_folders(cfg):
            (out / folder / split).mkdir(parents=True, exist_ok=True)


def encode_frame(cfg: Config, result: FrameResult) -> dict[str, bytes]:
    """The frame's files (path under OUT -> bytes): the image, its label maps and depth."""
    i, split = result.index, result.split
    files = {
        f"images/{split}/{result.file_name}": encode_image(
            result.rgb, cfg.image.format, cfg.image.png_compress_level, cfg.image.jpeg_quality
        )
    }
    for folder, label_map in result.maps.items():  # masks/, semantic/: category id per pixel; normals/
        files[f"{folder}/{split}/{i:06d}.png"] = encode_mask(label_map)
    if result.depth is not None:  # 16-bit steps of depth_unit_mm; 0 where nothing is (or beyond 16 bits)
        depth = result.depth
        steps = np.where(np.isfinite(depth), np.rint(depth * 1e3 / cfg.outputs.depth_unit_mm), 0)
        files[f"depth/{split}/{i:06d}.png"] = encode_depth(np.where(steps < 2**16, steps, 0).astype(np.uint16))
    return files


def save_frame(out: Path, result: FrameResult, files: dict[str, bytes]) -> None:
    """Write the encoded files, then the record, which marks the frame done."""
    for rel, data in files.items():
        write_atomic(out / rel, data)
    coco.save_frame(out, result.index, result.split, result.image, result.annotations, result.notes)


def write_frame(out: Path, cfg: Config, result: FrameResult) -> None:
    save_frame(out, result, encode_frame(cfg, result))


def dataset_card(cfg: Config, stats: dict) -> str:
    """OUT/README.md: what is in the dataset, where, and how it was made."""
    ext = "png" if cfg.image.format == "png" else "jpg"
    layout = [
        f"- `images/<split>/NNNNNN.{ext}`: {cfg.image.width}x{cfg.image.height} "
        + ("8-bit grey" if cfg.sensor.monochrome else "8-bit sRGB")
        + f" {cfg.image.format.upper().replace('JPG', 'JPEG')}",
        "- `annotations/instances_<split>.json`: COCO; each annotation carries `object_pose` (4x4, mesh file"
        " coordinates scaled to metres -> OpenCV camera frame), each image `camera.K` and `camera.world_to_camera`",
    ]
    if "masks" in frame_folders(cfg):
        layout.append("- `masks/<split>/NNNNNN.png`: defect category id per pixel (0: no defect)")
    if cfg.outputs.semantic:
        layout.append("- `semantic/<split>/NNNNNN.png`: category id per pixel, annotated defects on top")
    if cfg.outputs.depth:
        layout.append(f"- `depth/<split>/NNNNNN.png`: 16-bit camera z in steps of {cfg.outputs.depth_unit_mm:g} mm (0: nothing)")
    if cfg.outputs.normals:
        layout.append("- `normals/<split>/NNNNNN.png`: surface normals, OpenCV camera frame, as (n + 1) / 2 * 255")
    if cfg.outputs.bop:
        layout.append("- `bop/`: a BOP-format copy for 6D pose (models, scene_gt, scene_camera, masks)")
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
        f"Masks: {cfg.annotations.mask_format}; parts with fewer than {cfg.annotations.min_visible_pixels} visible pixels"
        " are not annotated.",
        "",
        "Layout:",
        "",
        *layout,
        "",
    ]
    return "\n".join(lines)
