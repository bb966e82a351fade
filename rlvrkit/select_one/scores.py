"""select-one's scores: pure functions of a training history, each prompt's accuracy at each epoch.

A history is a table `accuracy[id][epoch]`: the share of a prompt's rollouts solved in that pass (what
`rlvr score --per-prompt` writes as pass_rate, one line per prompt and epoch). `trajectories` makes it rectangular:
every prompt with a value at every epoch, by LIMR's back-fill or by dropping, each case counted. Then:

- `variance`: 1-shot RLVR's π1, the population variance of a prompt's accuracies over the epochs,
  v_i = 1/E Σ_k (s_i^k − s̄_i)², ranked descending (the authors' data_selection.py ranks by np.std, which orders the
  prompts the same way);
- `lim_scores`: LIMR's learning impact, s_i = 1 − Σ_k (r_i^k − r̄^k)² / Σ_k (1 − r̄^k)², with r̄^k the mean accuracy
  of all (kept) prompts at epoch k: 1 for a prompt that follows the average learning curve, lower the further it
  strays. When every prompt is solved at every epoch the denominator is 0 and so is every numerator; the score is
  then 1 (each prompt matches the average exactly);
- `mean_accuracy`: for `--by pass-rate`, a prompt's accuracy over the whole history, ranked by its distance to a
  target.

`ranked` orders ids by score with ties in order of first appearance, so a selection is reproducible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable


def trajectories(table: dict, epochs: list, missing: str, left: Counter) -> tuple[dict[str, list[float]], int]:
    """({id: [accuracy at each of `epochs`]}, how many values were back-filled) from {id: {epoch: accuracy}}.

    missing="backfill" is LIMR's rule (lim_selection.py): a missing epoch takes the value of the next epoch when that
    one was observed; a prompt still missing an epoch after that is left out. missing="drop" leaves out every prompt
    that misses an epoch. The prompts left out are counted in `left` under "missing a pass".
    """
    out, filled = {}, 0
    for key, row in table.items():
        seq = [row.get(k) for k in epochs]
        if missing == "backfill":
            for i in range(len(seq) - 1):
                if seq[i] is None and epochs[i + 1] in row:
                    seq[i] = row[epochs[i + 1]]
                    filled += 1
        if any(v is None for v in seq):
            left["missing a pass"] += 1
            continue
        out[key] = seq
    return out, filled


def variance(seq: list[float]) -> float:
    """Population variance, 1/E Σ (x − mean)²."""
    m = sum(seq) / len(seq)
    return sum((x - m) ** 2 for x in seq) / len(seq)


def epoch_means(trajs: dict[str, list[float]]) -> list[float]:
    """r̄^k: the mean accuracy of all prompts at each epoch."""
    rows = list(trajs.values())
    return [sum(col) / len(rows) for col in zip(*rows)]


def lim_scores(trajs: dict[str, list[float]]) -> dict[str, float]:
    """LIMR's s_i for every prompt (see the module docstring)."""
    if not trajs:
        return {}
    avg = epoch_means(trajs)
    bound = sum((1 - r) ** 2 for r in avg)
    scores = {}
    for key, seq in trajs.items():
        off = sum((x - r) ** 2 for x, r in zip(seq, avg))
        scores[key] = 1.0 if bound == 0 else 1 - off / bound
    return scores


def mean_accuracy(trajs: dict[str, list[float]]) -> dict[str, float]:
    return {key: sum(seq) / len(seq) for key, seq in trajs.items()}


def ranked(scores: dict[str, float], key: Callable[[float], float] = lambda s: -s) -> list[str]:
    """The ids best first: by `key` of the score (default: higher is better), ties in their order in `scores`."""
    order = {k: i for i, k in enumerate(scores)}
    return sorted(scores, key=lambda k: (key(scores[k]), order[k]))
