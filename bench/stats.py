"""Percentiles of a list of latencies, as the benchmark reports them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values: list[float]) -> "Summary":
        return cls(len(values), percentile(values, 50), percentile(values, 95),
                   percentile(values, 99), statistics.mean(values))
