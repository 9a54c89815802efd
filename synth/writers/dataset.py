"""The dataset folder: checking and preparing OUT, writing one frame's files, the dataset card.

A frame's files are written image first, label maps next, its record (`.synth/frames/N.json`)
last, each to a temporary name and renamed, so a frame whose record exists is complete.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .. import __version__
from ..config import Config, dump_config
from ..errors import SynthError
from ..frame import FrameResult
from . import coco
from .files import encode_depth, encode_depth_float, encode_image, encode_mask, write_atomic

MARKER = ".synth"  # the work folder of a run in progress (per-frame records, the run's config, the lock)
DATASET_MARK = ".synth-dataset"  # in every folder synth makes: --overwrite deletes no folder without it
OWN = {"images", "annotations", "masks", "depth", "semantic", "normals", "bop", "meshes", "config.yaml", "README.md"}
OWN |= {MARKER, DATASET_MARK}  # every name synth writes at the top of a dataset


def resolved_config_text(cfg: Config) -> str:
    return f"# resolved by synth {__version__}\n" + dump_config(cfg)


class WriterLock:
    """An exclusive lock on OUT for the whole run (flock on `.synth/lock`): a second run writing the
    same OUT is refused. The kernel drops it when the process dies, even by kill -9."""

    def __init__(self, out: Path):
        self.fd = os.open(out / MARKER / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise SynthError(f"{out}: another synth run is writing here; wait for it to finish or stop it first") from None

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def check_replaceable(out: Path, reads: list[Path]) -> None:
    """Raise unless OUT may be deleted for --overwrite: a folder synth made (its marker), holding
    nothing synth did not write, not the working folder or above it, and holding nothing the run reads."""
    real = out.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise SynthError(f"{out}: refusing to --overwrite the working folder or a folder above it")
    for p in reads:
        rp = p.resolve()
        if rp == real or real in rp.parents:
            raise SynthError(f"{out}: refusing to --overwrite a folder that holds {p}, which this run reads")
    if not (out / DATASET_MARK).is_file():
        raise SynthError(f"{out}: refusing to --overwrite a folder synth did not make (no {DATASET_MARK} in it)")
    others = sorted(p.name for p in out.iterdir() if p.name not in OWN)
    if others:
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        raise SynthError(f"{out}: refusing to --overwrite: it holds files synth did not write ({', '.join(others[:3])}{more})")
    if (out / MARKER).is_dir():
        WriterLock(out).release()  # refuses while another run writes there


def prepare_output(out: Path, overwrite: bool, resume: bool, config_text: str, reads: list[Path]) -> tuple[bool, WriterLock]:
    """Check OUT before writing anything and lock it for this run; returns (resuming a previous
    run?, the lock to release at the end). `reads`: the files the run reads, never deleted."""
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out}: output path exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if resume:
            old = out / MARKER / "config.yaml"
            if not old.is_file():
                if (out / "annotations").is_dir() and (out / "config.yaml").is_file():
                    raise SynthError(f"{out}: this dataset is already complete; nothing to resume")
                raise SynthError(f"{out}: no interrupted run to resume here")
            if old.read_text() != config_text:
                raise SynthError(f"{out}: the interrupted run used another config or seed; --resume needs the same ones")
            lock = WriterLock(out)
            for tmp in out.rglob(".*.tmp*"):  # files a killed run was writing
                tmp.unlink()
            return True, lock
        if not overwrite:
            raise SynthError(f"{out}: output folder is not empty (use --overwrite to replace it, or --resume)")
        check_replaceable(out, reads)
        shutil.rmtree(out)
    first_new = None if out.exists() else out  # the outermost folder this run creates, removed again on failure
    while first_new is not None and not first_new.parent.exists():
        first_new = first_new.parent
    try:
        (out / MARKER / "frames").mkdir(parents=True, exist_ok=True)
        lock = WriterLock(out)
        write_atomic(out / DATASET_MARK, b"made by synth: synth generate --overwrite may replace this folder\n")
        write_atomic(out / MARKER / "config.yaml", config_text.encode())
    except OSError as e:
        if first_new is not None:
            shutil.rmtree(first_new, ignore_errors=True)
        raise SynthError(f"{out}: output folder is not writable ({e.strerror or e})") from None
    return False, lock


def frame_done(out: Path, cfg: Config, i: int) -> bool:
    """Frame i of an interrupted run is complete: its record parses and every file it implies is there."""
    try:
        rec = json.loads(coco.frame_record_path(out, i).read_bytes())
        split, name = rec["split"], rec["image"]["file_name"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    files = [out / "images" / split / name] + [out / f / split / f"{i:06d}.png" for f in frame_folders(cfg)[1:]]
    return all(f.is_file() and f.stat().st_size > 0 for f in files)


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
            result.rgb, cfg.image.format, cfg.image.png_compress_level, result.jpeg_quality
        )
    }
    for folder, label_map in result.maps.items():  # masks/, semantic/: category id per pixel; normals/
        files[f"{folder}/{split}/{i:06d}.png"] = encode_mask(label_map)
    if result.depth is not None and cfg.outputs.depth_format == "tiff32":  # metres, 0 where nothing is
        files[f"depth/{split}/{i:06d}.tiff"] = encode_depth_float(np.where(np.isfinite(result.depth), result.depth, 0.0))
    elif result.depth is not None:  # 16-bit steps of depth_unit_mm; 0 where nothing is (or beyond 16 bits)
        depth = result.depth
        steps = np.where(np.isfinite(depth), np.rint(depth * 1e3 / cfg.outputs.depth_unit_mm), 0)
        files[f"depth/{split}/{i:06d}.png"] = encode_depth(np.where(steps < 2**16, steps, 0).astype(np.uint16))
    return files


def save_frame(out: Path, result: FrameResult, files: dict[str, bytes]) -> None:
    """Write the frame's family meshes (once per dataset), the encoded files, then the record,
    which marks the frame done."""
    for rel, src in result.meshes.items():
        if not (out / rel).is_file():
            (out / rel).parent.mkdir(exist_ok=True)
            write_atomic(out / rel, Path(src).read_bytes())
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
        "- `annotations/instances_<split>.json`: COCO; each annotation carries `synth_object_pose` (4x4, mesh file"
        " coordinates scaled to metres -> OpenCV camera frame), each image `synth_camera.K` and"
        " `synth_camera.world_to_camera`; every key synth adds starts with `synth_`",
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
    if any(p.family for p in cfg.parts):
        layout.append("- `meshes/`: the mesh (mm) of every part-family instance, named by its `synth_mesh` field")
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
