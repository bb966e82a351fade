"""Summary statistics of plain lists of floats, the one set every command uses: mean, standard deviation, standard
error. Sums are exact (math.fsum), so the order of the values never changes a result."""

from __future__ import annotations

import math
from collections.abc import Sequence

STD_KINDS = ("population", "sample")


def mean(xs: Sequence[float]) -> float:
    """The arithmetic mean; ValueError for no values (a mean of nothing is a bug upstream, not a number)."""
    if not xs:
        raise ValueError("mean of no values")
    return math.fsum(xs) / len(xs)


def std(xs: Sequence[float], kind: str = "population") -> float:
    """Standard deviation, population (÷n) or sample (÷(n−1), Bessel); exactly 0.0 when every value is equal, and
    0.0 for the sample kind of a single value."""
    if kind not in STD_KINDS:
        raise ValueError(f"std kind must be one of {STD_KINDS}, not {kind!r}")
    n = len(xs)
    if n == 0:
        raise ValueError("std of no values")
    if min(xs) == max(xs) or (kind == "sample" and n == 1):
        return 0.0
    m = mean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (n - 1 if kind == "sample" else n))


def standard_error(xs: Sequence[float]) -> float:
    """The standard error of the mean: sample std / √n (0 for fewer than two values)."""
    if len(xs) < 2:
        return 0.0
    return std(xs, "sample") / math.sqrt(len(xs))
