"""Atomic file writes: a file appears under its final name only when complete."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import SynthError


@contextlib.contextmanager
def staged_folder(out: Path, replace: bool = False) -> Iterator[Path]:
    """A hidden folder beside `out` to build a whole folder in; when the block ends without an
    error it becomes `out` (an empty `out` is replaced, any `out` with `replace`), otherwise it is
    removed: nothing half-written is left. A failed write is a SynthError naming `out`."""
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        yield tmp
        if out.exists():
            shutil.rmtree(out) if replace else out.rmdir()
        tmp.rename(out)
    except OSError as e:
        raise SynthError(f"{out}: cannot write ({e.strerror or e})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name, flush it to the disk, then rename: after a crash or a power cut
    the file is either the old one, or complete; a failed write leaves no temporary file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    write_atomic(path, json.dumps(obj, separators=(",", ":")).encode())


def encode_image(rgb: np.ndarray, fmt: str, png_level: int = 1, jpeg_quality: int = 95) -> bytes:
    """PNG or JPEG bytes; identical input gives identical bytes (no timestamps or metadata)."""
    buf = io.BytesIO()
    im = Image.fromarray(rgb)
    if fmt == "png":
        im.save(buf, format="PNG", compress_level=png_level)
    else:
        im.save(buf, format="JPEG", quality=jpeg_quality, subsampling=0 if jpeg_quality >= 90 else 2)
    return buf.getvalue()


def encode_depth(steps: np.ndarray) -> bytes:
    """A uint16 depth map as a 16-bit grayscale PNG (always 16 bits, so readers know the scale)."""
    buf = io.BytesIO()
    Image.fromarray(steps.astype(np.uint16)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def encode_depth_float(metres: np.ndarray) -> bytes:
    """A float depth map as a 32-bit float TIFF (deflate), metres; any image library reads it."""
    buf = io.BytesIO()
    Image.fromarray(metres.astype(np.float32), mode="F").save(buf, format="TIFF", compression="tiff_adobe_deflate")
    return buf.getvalue()


def encode_mask(mask: np.ndarray) -> bytes:
    """A label map as PNG: 8-bit when the values fit, else 16-bit."""
    buf = io.BytesIO()
    if mask.max(initial=0) < 256:
        Image.fromarray(mask.astype(np.uint8)).save(buf, format="PNG", compress_level=6)
    else:
        Image.fromarray(mask.astype(np.uint16)).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
