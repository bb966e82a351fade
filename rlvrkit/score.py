"""Score groups of verified rollouts: advantages per record, or one summary per prompt, after the filters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rlvrkit.groups import GroupRule, GroupStats, all_groups, contiguous_groups, scored_batches
from rlvrkit.jsonl import Source, streams
from rlvrkit.records import GROUP_TAGS, Skipped, check_reward, prompt_fields
from rlvrkit.stats import mean


@dataclass(frozen=True)
class ScoreOptions(GroupRule):
    """`rlvr score`'s options: the group rule (shared with train), then what score writes and how it reads."""

    per_prompt: bool = False  # one summary line per prompt instead of the scored records
    batch_groups: int | None = None  # with adv=batch: kept groups per batch; None means the whole input
    unsorted: bool = False  # group by id wherever the records are (reads the whole input first)


def score_groups(groups: Iterable[list[dict]], opts: ScoreOptions, dropped: Skipped) -> Iterator[dict]:
    """Yield each kept group's records with `advantage` added (or, with per_prompt, one summary line per group).

    Dropped groups are counted in `dropped` by reason. Groups stream one at a time, except with adv=batch: then
    `batch_groups` kept groups (all of them by default) are read before the first advantage is written, so the
    batch's reward std is known.
    """
    size = opts.batch_groups if opts.adv == "batch" else 1
    for batch in scored_batches(groups, opts, size, dropped):
        for scored in batch:
            if opts.per_prompt:
                yield summary(scored.records, scored.stats)
                continue
            for rec, a in zip(scored.records, scored.advantages):
                rec["advantage"] = a
                yield rec


def summary(group: list[dict], stats: GroupStats) -> dict:
    """One line for a prompt: its prompt fields, then n, mean, std, pass_rate, solve_all, solve_none, lengths, and
    the group's `epoch` (the pass of rollout that drew it) and `policy` where its rollouts share them, so a history
    of several passes (what select-one reads) comes from the tools as they are."""
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
        **shared_tags(group),
    }


def shared_tags(group: list[dict]) -> dict:
    """The GROUP_TAGS every record of the group has, with one value: {"epoch": 2, "policy": {…}}, or fewer."""
    tags = {}
    for name in GROUP_TAGS:
        first = group[0].get(name)
        if first is not None and all(rec.get(name) == first for rec in group):
            tags[name] = first
    return tags


def run_score(source: Source, output: str, opts: ScoreOptions, log) -> None:
    """The `rlvr score` stream: records from `source`, scored records (or summaries) to `output`, counts to `log`."""
    with streams(source, output, check=check_reward, log=log) as (records, out):
        groups = all_groups(records) if opts.unsorted else contiguous_groups(records, records.reject)
        seen = Counter()
        dropped = Skipped()
        with log.progress("records") as progress:
            for rec in score_groups(_counting(groups, seen, progress), opts, dropped):
                out.write(rec)
        if message := dropped.describe("group", seen["groups"], verb="dropped"):
            log.info(message)


def _counting(groups: Iterable[list[dict]], seen: Counter, progress) -> Iterator[list[dict]]:
    for group in groups:
        seen["groups"] += 1
        progress.advance(len(group))
        yield group
