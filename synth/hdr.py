"""Radiance RGBE (.hdr) images, read with numpy: environment maps are needed by the scene
sampler (exposure metering) as well as the renderer, so reading them must not need VTK."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _scanline(data: bytes, pos: int, width: int) -> tuple[np.ndarray, int]:
    """One scanline at `pos` as (width, 4) uint8 RGBE: the new run-length form (four channel runs)
    or flat pixels. Returns the pixels and the position after them."""
    if 8 <= width < 32768 and data[pos : pos + 2] == b"\x02\x02" and (data[pos + 2] << 8 | data[pos + 3]) == width:
        pos += 4
        line = np.empty((4, width), np.uint8)
        for c in range(4):
            row = bytearray()
            while len(row) < width:
                n = data[pos]
                if n > 128:  # a run of n - 128 copies of the next byte
                    row += bytes([data[pos + 1]]) * (n - 128)
                    pos += 2
                elif n > 0:  # n bytes as they are
                    row += data[pos + 1 : pos + 1 + n]
                    pos += 1 + n
                else:
                    raise ValueError("zero-length run")
            if len(row) != width:
                raise ValueError("a run crosses the end of a scanline")
            line[c] = np.frombuffer(bytes(row), np.uint8)
        return line.T, pos
    end = pos + 4 * width
    if end > len(data):
        raise ValueError("truncated pixel data")
    return np.frombuffer(data[pos:end], np.uint8).reshape(width, 4), end


def read_hdr(path: Path) -> np.ndarray:
    """(h, w, 3) float32 linear radiance, row 0 at the top; ValueError when the file is not a
    Radiance RGBE image this reader understands (orientation `-Y h +X w`, as nearly all are)."""
    data = Path(path).read_bytes()
    if not data.startswith((b"#?RADIANCE", b"#?RGBE")):
        raise ValueError("not a Radiance HDR file (no #?RADIANCE header)")
    head_end = data.find(b"\n\n")
    if head_end < 0:
        raise ValueError("no end of header")
    for line in data[:head_end].split(b"\n"):
        if line.startswith(b"FORMAT=") and line.strip() != b"FORMAT=32-bit_rle_rgbe":
            raise ValueError(f"unsupported pixel format {line[7:].decode(errors='replace')}")
    size_end = data.find(b"\n", head_end + 2)
    fields = data[head_end + 2 : size_end].split()
    if len(fields) != 4 or fields[0] != b"-Y" or fields[2] != b"+X" or not (fields[1].isdigit() and fields[3].isdigit()):
        raise ValueError(f"unsupported resolution line {data[head_end + 2 : size_end][:40]!r}")
    height, width = int(fields[1]), int(fields[3])
    if not (0 < width <= 32768 and 0 < height <= 32768):
        raise ValueError(f"implausible size {width}x{height}")
    pos = size_end + 1
    rgbe = np.empty((height, width, 4), np.uint8)
    try:
        for y in range(height):
            rgbe[y], pos = _scanline(data, pos, width)
    except IndexError:
        raise ValueError("truncated pixel data") from None
    e = rgbe[..., 3].astype(np.int32)
    scale = np.where(e > 0, np.ldexp(1.0, e - (128 + 8)), 0.0).astype(np.float32)  # mantissa x 2^(e - 136), as VTK reads it
    return rgbe[..., :3].astype(np.float32) * scale[..., None]
