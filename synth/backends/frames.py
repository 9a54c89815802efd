"""Making and writing one frame, the same in every back end; and the tests' fault hook."""

from __future__ import annotations

import os
from pathlib import Path

from ..pipeline import FrameMaker
from ..writers.dataset import MARKER, write_frame


def inject_fault(i: int, out: Path) -> None:
    """For the tests: SYNTH_FAULT="crash:I" kills the process making frame I every time,
    "crash_once:I" only the first time (a marker file in OUT remembers it)."""
    spec = os.environ.get("SYNTH_FAULT", "")
    kind, _, frame = spec.partition(":")
    if not frame or int(frame) != i:
        return
    marker = out / MARKER / f"fault_{i}"
    if kind == "crash" or (kind == "crash_once" and not marker.exists()):
        marker.touch()
        os._exit(3)


def make_and_write(maker: FrameMaker, out: Path, i: int) -> list[str]:
    """Make frame i and write it into OUT (the record last); returns its notes."""
    inject_fault(i, out)
    result = maker.make(i)
    write_frame(out, maker.cfg, result)
    return result.notes
