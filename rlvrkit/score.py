"""Score groups of verified rollouts: advantages per record, or one summary per prompt, after the filters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from rlvrkit.advantages import advantages, mean, std
from rlvrkit.groups import (
    GroupStats,
    all_groups,
    check_reward,
    contiguous_groups,
    drop_reason,
    group_stats,
    prompt_fields,
)
from rlvrkit.jsonl import streams


@dataclass(frozen=True)
class ScoreOptions:
    adv: str = "group"  # group | batch | none | rloo (see rlvrkit.advantages)
    std: str = "population"  # population | sample
    eps: float = 1e-6
    drop: tuple[str, ...] = ()  # solve-all, solve-none
    min_std: float | None = None
    solved_at: float = 1.0
    per_prompt: bool = False
    batch_groups: int | None = None  # with adv=batch: groups per batch; None means the whole input


def score_groups(groups: Iterable[list[dict]], opts: ScoreOptions, dropped: Counter) -> Iterator[dict]:
    """Yield each kept group's records with `advantage` added (or, with per_prompt, one summary line per group).

    Dropped groups are counted in `dropped` by reason. With adv=batch, groups are read `batch_groups` at a time (all
    of them by default) so the batch's reward std is known before the first advantage is written.
    """
    size = (opts.batch_groups or None) if opts.adv == "batch" else 1
    groups = iter(groups)
    while chunk := list(islice(groups, size)):
        kept = []
        for group in chunk:
            rewards = [float(rec["reward"]) for rec in group]
            stats = group_stats(rewards, solved_at=opts.solved_at, std_kind=opts.std)
            reason = drop_reason(stats, opts.drop, opts.min_std)
            if reason:
                dropped[reason] += 1
            else:
                kept.append((group, rewards, stats))
        batch_std = None
        if opts.adv == "batch" and kept:
            batch_std = std([r for _, rewards, _ in kept for r in rewards], opts.std)
        for group, rewards, stats in kept:
            if opts.per_prompt:
                yield summary(group, stats)
                continue
            advs = advantages(rewards, opts.adv, std_kind=opts.std, eps=opts.eps, batch_std=batch_std)
            for rec, a in zip(group, advs):
                rec["advantage"] = a
                yield rec


def summary(group: list[dict], stats: GroupStats) -> dict:
    """One line for a prompt: its prompt fields, then n, mean, std, pass_rate, solve_all, solve_none, lengths."""
    unit = "tokens" if all(isinstance(rec.get("completion_ids"), list) for rec in group) else "chars"
    key = "completion_ids" if unit == "tokens" else "completion"
    lengths = [len(rec.get(key) or "") for rec in group]
    return {
        **prompt_fields(group[0]),
        "n": stats.n,
        "mean": stats.mean,
        "std": stats.std,
        "pass_rate": stats.pass_rate,
        "solve_all": stats.solve_all,
        "solve_none": stats.solve_none,
        "len_mean": mean(lengths),
        "len_unit": unit,
    }


def describe_drops(dropped: Counter, total_groups: int) -> str | None:
    """``dropped 3 of 10 groups: 2 solve-all, 1 solve-none`` for stderr, or None when nothing was dropped."""
    if not dropped:
        return None
    n = sum(dropped.values())
    reasons = ", ".join(f"{count} {reason}" for reason, count in dropped.most_common())
    return f"dropped {n} of {total_groups} group{'s' * (total_groups != 1)}: {reasons}"


def run_score(input: str, output: str, opts: ScoreOptions, *, unsorted=False, on_error="fail", rejects=None, log):
    """The `rlvr score` stream: records from `input`, scored records (or summaries) to `output`, counts to `log`."""
    with streams(input, output, check=check_reward, on_error=on_error, rejects=rejects, log=log) as (records, out):
        groups = all_groups(records) if unsorted else contiguous_groups(records, records.reject)
        seen = Counter()
        dropped: Counter = Counter()
        with log.progress("records") as progress:
            for rec in score_groups(_counting(groups, seen, progress), opts, dropped):
                out.write(rec)
        if message := describe_drops(dropped, seen["groups"]):
            log.info(message)


def _counting(groups: Iterable[list[dict]], seen: Counter, progress) -> Iterator[list[dict]]:
    for group in groups:
        seen["groups"] += 1
        progress.advance(len(group))
        yield group
