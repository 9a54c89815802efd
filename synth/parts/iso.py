"""ISO dimensions of metric fasteners (mm), coarse threads.

Pitch: ISO 261 (coarse); hex across flats and head height: ISO 4014/4017 (bolts); nut height:
ISO 4032 (regular), ISO 4035 (thin); washers: ISO 7089 (d1 inner, d2 outer, h thickness);
socket head cap screws: ISO 4762 (dk head diameter, k head height, s hexagon socket across flats).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    d: float  # nominal diameter
    pitch: float
    af: float  # hex across flats (bolt heads and nuts)
    k: float  # hex head height
    m: float  # regular nut height
    m_thin: float  # thin nut height
    washer: tuple[float, float, float]  # d1, d2, h
    socket: tuple[float, float, float]  # dk, k, s


METRIC: dict[str, Metric] = {
    "M3": Metric(3, 0.5, 5.5, 2.0, 2.4, 1.8, (3.2, 7, 0.5), (5.5, 3, 2.5)),
    "M4": Metric(4, 0.7, 7, 2.8, 3.2, 2.2, (4.3, 9, 0.8), (7, 4, 3)),
    "M5": Metric(5, 0.8, 8, 3.5, 4.7, 2.7, (5.3, 10, 1.0), (8.5, 5, 4)),
    "M6": Metric(6, 1.0, 10, 4.0, 5.2, 3.2, (6.4, 12, 1.6), (10, 6, 5)),
    "M8": Metric(8, 1.25, 13, 5.3, 6.8, 4.0, (8.4, 16, 1.6), (13, 8, 6)),
    "M10": Metric(10, 1.5, 16, 6.4, 8.4, 5.0, (10.5, 20, 2.0), (16, 10, 8)),
    "M12": Metric(12, 1.75, 18, 7.5, 10.8, 6.0, (13, 24, 2.5), (18, 12, 10)),
    "M14": Metric(14, 2.0, 21, 8.8, 12.8, 7.0, (15, 28, 2.5), (21, 14, 12)),
    "M16": Metric(16, 2.0, 24, 10.0, 14.8, 8.0, (17, 30, 3.0), (24, 16, 14)),
    "M20": Metric(20, 2.5, 30, 12.5, 18.0, 10.0, (21, 37, 3.0), (30, 20, 17)),
    "M24": Metric(24, 3.0, 36, 15.0, 21.5, 12.0, (25, 44, 4.0), (36, 24, 19)),
}


def thread_length(d: float, length: float) -> float:
    """ISO 4014 reference thread length b of a partly threaded bolt."""
    return 2 * d + 6 if length <= 125 else 2 * d + 12 if length <= 200 else 2 * d + 25
