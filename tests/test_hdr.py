"""The numpy Radiance HDR reader agrees with VTK's vtkHDRReader on run-length and flat files."""

from __future__ import annotations

import numpy as np
import pytest

from synth.hdr import read_hdr


def _rle_channel(values: np.ndarray) -> bytes:
    """Radiance's new run-length coding of one channel of a scanline: runs of equal bytes, literals."""
    out, i, n = bytearray(), 0, len(values)
    while i < n:
        j = i
        while j < n and j - i < 127 and values[j] == values[i]:
            j += 1
        if j - i >= 3:
            out += bytes([128 + j - i, values[i]])
            i = j
            continue
        j = i
        while j < n and j - i < 128 and not (j + 2 < n and values[j] == values[j + 1] == values[j + 2]):
            j += 1
        out += bytes([j - i]) + bytes(values[i:j])
        i = j
    return bytes(out)


def _write(path, rgbe: np.ndarray, rle: bool) -> None:
    h, w, _ = rgbe.shape
    body = bytearray(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n" + f"-Y {h} +X {w}\n".encode())
    for row in rgbe:
        if rle:
            body += bytes([2, 2, w >> 8, w & 255]) + b"".join(_rle_channel(row[:, c]) for c in range(4))
        else:
            body += row.tobytes()
    path.write_bytes(bytes(body))


def _vtk_read(path) -> np.ndarray:
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOImage import vtkHDRReader

    r = vtkHDRReader()
    r.SetFileName(str(path))
    r.Update()
    img = r.GetOutput()
    w, h, _ = img.GetDimensions()
    return vtk_to_numpy(img.GetPointData().GetScalars()).reshape(h, w, -1)[::-1, :, :3]


@pytest.mark.parametrize("rle", [True, False])
def test_reader_matches_vtk(tmp_path, rle):
    rng = np.random.default_rng(0)
    h, w = 24, 64
    rgbe = rng.integers(0, 256, (h, w, 4)).astype(np.uint8)
    rgbe[..., 3] = rng.integers(120, 140, (h, w))
    rgbe[5:9, 10:40] = [200, 100, 50, 130]  # runs to compress
    rgbe[0, :8, 3] = 0  # exponent 0: black
    _write(tmp_path / "m.hdr", rgbe, rle)
    ours, vtk = read_hdr(tmp_path / "m.hdr"), _vtk_read(tmp_path / "m.hdr")
    assert ours.shape == (h, w, 3) and ours.dtype == np.float32
    assert (ours[0, :8] == 0).all()
    np.testing.assert_array_equal(ours, vtk)


def test_bad_files_raise_value_error(tmp_path):
    (tmp_path / "junk.hdr").write_bytes(b"\x89PNG garbage")
    with pytest.raises(ValueError, match="not a Radiance"):
        read_hdr(tmp_path / "junk.hdr")
    rgbe = np.full((8, 16, 4), 128, np.uint8)
    _write(tmp_path / "t.hdr", rgbe, True)
    (tmp_path / "cut.hdr").write_bytes((tmp_path / "t.hdr").read_bytes()[:-20])
    with pytest.raises(ValueError, match="truncated"):
        read_hdr(tmp_path / "cut.hdr")
