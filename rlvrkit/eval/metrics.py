"""Benchmark metrics as pure functions of who got what right: avg@n, pass@k, maj@k, and a paired bootstrap.

For one prompt with n samples of which c are correct:

    avg@n   c / n, averaged over prompts; its standard error is the sample std of the per-prompt values / √P
    pass@k  1 − C(n−c, k) / C(n, k)   (the unbiased estimator of Chen et al. 2021; undefined for k > n)
    maj@k   the n samples cut into ⌊n/k⌋ blocks of k in sample order; in each block the answer with the most votes
            wins (ties: the answer whose first vote came first), and maj@k is the share of blocks whose winner is
            correct, averaged over prompts. Votes are by answer cluster (see rlvrkit.eval.votes), not raw text.

The paired bootstrap resamples prompts (the same draw for both runs) and reports the delta b − a of a per-prompt
metric with a percentile confidence interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from math import comb

from rlvrkit.stats import mean


def pass_at_k(n: int, c: int, k: int) -> float | None:
    """1 − C(n−c, k)/C(n, k): the chance that k of the n samples, drawn without replacement, hold a correct one.
    None when k > n (not estimable from n samples)."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"pass@k needs 0 <= c <= n and k >= 1 (n={n}, c={c}, k={k})")
    if k > n:
        return None
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def majority(votes: Sequence[int]) -> int:
    """The cluster with the most votes; a tie goes to the cluster voted for first."""
    counts: dict[int, int] = {}
    for v in votes:
        counts[v] = counts.get(v, 0) + 1
    best = max(counts.values())
    return next(v for v in votes if counts[v] == best)


def maj_at_k(clusters: Sequence[int | None], correct: Sequence[bool], k: int) -> float | None:
    """maj@k for one prompt: `clusters[i]` is sample i's answer cluster (None: no answer, which casts no vote) and
    `correct[i]` whether it was right. None when k > n. A block where nothing was answered counts as wrong."""
    n = len(clusters)
    if k > n:
        return None
    right = {c for c, ok in zip(clusters, correct) if ok and c is not None}
    wins = []
    for start in range(0, n - k + 1, k):
        votes = [c for c in clusters[start : start + k] if c is not None]
        wins.append(bool(votes) and majority(votes) in right)
    return mean([float(w) for w in wins])


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, samples: int = 10_000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(mean(b) − mean(a), low, high): the delta of paired per-prompt values and its percentile interval, prompts
    resampled with replacement (the same prompts for both)."""
    if len(a) != len(b) or not a:
        raise ValueError("a paired bootstrap needs the same prompts, at least one, in both runs")
    diffs = [y - x for x, y in zip(a, b)]
    rng = random.Random(seed)
    n = len(diffs)
    means = sorted(math.fsum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    tail = (1 - level) / 2
    low = means[min(int(tail * samples), samples - 1)]
    high = means[min(int((1 - tail) * samples), samples - 1)]
    return mean(diffs), low, high
