"""Advantages from the rewards of one group: plain functions of lists of floats.

For a group of G rewards R_1..R_G with mean m and standard deviation s:

- group  (GRPO):        A_i = (R_i − m) / (s + ε)
- batch:                A_i = (R_i − m) / (S + ε), S the standard deviation of every reward in the batch
- none   (Dr. GRPO):    A_i = R_i − m
- rloo   (leave-one-out): A_i = R_i − (Σ_{j≠i} R_j) / (G − 1), and 0 for a group of one

s is the population (÷G) or sample (÷(G−1), Bessel) standard deviation; frameworks differ (TRL and verl: sample,
open-instruct: population), so both the estimator and ε are explicit. A constant group has s = 0 exactly (no
rounding residue), so every method gives it advantage 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rlvrkit.stats import mean, std

METHODS = ("group", "batch", "none", "rloo")


def advantages(
    rewards: Sequence[float],
    method: str = "group",
    *,
    std_kind: str = "population",
    eps: float = 1e-6,
    batch_std: float | None = None,
) -> list[float]:
    """The advantage of each reward in one group (see the module docstring for the formulas)."""
    if method not in METHODS:
        raise ValueError(f"advantage method must be one of {METHODS}, not {method!r}")
    if not rewards:
        return []
    n = len(rewards)
    if min(rewards) == max(rewards):
        return [0.0] * n
    if method == "rloo":
        total = math.fsum(rewards)
        return [r - (total - r) / (n - 1) for r in rewards]
    m = mean(rewards)
    if method == "none":
        return [r - m for r in rewards]
    if method == "batch":
        if batch_std is None:
            raise ValueError("batch advantages need the batch's standard deviation")
        scale = batch_std + eps
    else:
        scale = std(rewards, std_kind) + eps
    return [(r - m) / scale for r in rewards]
