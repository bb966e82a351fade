"""Summary statistics of plain lists of floats, the one set every command uses: mean, standard deviation, standard
error. Sums are exact (math.fsum), so the order of the values never changes a result. Nothing overflows on the way:
a sum that would (1e308 + 1e308) is taken over the values divided by their count, and the spread of values near the
float limit is measured at a scale (a power of two, so exactly) where its squares fit; a result is infinite only when
its true value is beyond the float range."""

from __future__ import annotations

import math
from collections.abc import Sequence

STD_KINDS = ("population", "sample")
_LARGE = 2.0**500  # past this, squared differences may overflow: the values are scaled down first


def mean(xs: Sequence[float]) -> float:
    """The arithmetic mean; ValueError for no values (a mean of nothing is a bug upstream, not a number)."""
    if not xs:
        raise ValueError("mean of no values")
    try:
        return math.fsum(xs) / len(xs)
    except OverflowError:  # the sum passes the float limit; the mean of finite values never does
        shift = _shift(xs)
        return _scaled_back(math.fsum(math.ldexp(x, -shift) for x in xs) / len(xs), shift)


def std(xs: Sequence[float], kind: str = "population") -> float:
    """Standard deviation, population (÷n) or sample (÷(n−1), Bessel); exactly 0.0 when every value is equal, and
    0.0 for the sample kind of a single value."""
    if kind not in STD_KINDS:
        raise ValueError(f"std kind must be one of {STD_KINDS}, not {kind!r}")
    n = len(xs)
    if n == 0:
        raise ValueError("std of no values")
    low, high = min(xs), max(xs)
    if low == high or (kind == "sample" and n == 1):
        return 0.0
    shift = _shift(xs) if max(-low, high) > _LARGE else 0
    ys = [math.ldexp(x, -shift) for x in xs] if shift else xs
    m = mean(ys)
    return _scaled_back(math.sqrt(math.fsum((y - m) * (y - m) for y in ys) / (n - 1 if kind == "sample" else n)), shift)


def _shift(xs: Sequence[float]) -> int:
    """The power of two that brings every value below 1 in magnitude (x × 2^-shift, exact)."""
    return math.frexp(max(abs(x) for x in xs))[1]


def _scaled_back(value: float, shift: int) -> float:
    """value × 2^shift; infinite when that is beyond the float range (a sample std of two values near ±1.8e308)."""
    try:
        return math.ldexp(value, shift)
    except OverflowError:
        return math.inf


def standard_error(xs: Sequence[float]) -> float:
    """The standard error of the mean: sample std / √n (0 for fewer than two values)."""
    if len(xs) < 2:
        return 0.0
    return std(xs, "sample") / math.sqrt(len(xs))
