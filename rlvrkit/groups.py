"""Groups of rollouts, the dynamic-sampling filters that decide which carry a learning signal, and their advantages.

A group is the rollout records sharing an `id`: one prompt's G completions. rollout writes each group contiguously, so
groups stream: a group ends when the id changes, or as soon as it holds `sampling.n` records when rollout recorded n.
An id may come back later only after a complete group (the next epoch of a `rollout --watch` run); anything else
means the lines are out of order, which would silently turn one group into several, so it is refused.

`scored_batches` is the one place groups are selected and given advantages: `rlvr score` writes what it yields,
`rlvr train` learns from it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rlvrkit.advantages import advantages
from rlvrkit.errors import BadInput
from rlvrkit.stats import mean, std

DROP_REASONS = ("solve-all", "solve-none")
KINDS = ("solve-all", "solve-none", "mixed")  # what a group is: every rollout solved, none, or some
TOLERANCE = 1e-9  # how close to a threshold counts as on it, so float residue never decides a filter


def _size(rec: dict) -> int | None:
    sampling = rec.get("sampling")
    n = sampling.get("n") if isinstance(sampling, dict) else None
    return n if isinstance(n, int) and n > 0 else None


def _refuse(problem: str) -> None:
    raise BadInput(problem)


def contiguous_groups(records: Iterable[dict], reject: Callable[[str], None] = _refuse) -> Iterator[list[dict]]:
    """Yield each run of consecutive records with one id as a list.

    An out-of-order record goes to `reject(problem)` (e.g. `Records.reject`, which ends the input or skips the line)
    and is left out.
    """
    complete: dict = {}  # id of each finished group -> whether it held all of its sampling.n records
    group: list[dict] = []
    key = size = None
    for rec in records:
        k = rec["id"]
        if group and (k != key or len(group) == size):
            complete[key] = len(group) == size
            yield group
            group = []
        if not group:
            if complete.get(k) is False:
                reject(f"id {k!r} comes back after its group ended: lines out of order? (--unsorted groups them)")
                continue
            key, size = k, _size(rec)
        group.append(rec)
    if group:
        yield group


def all_groups(records: Iterable[dict]) -> Iterator[list[dict]]:
    """Read everything, then yield one group per id (and per `epoch`, the pass of rollout that drew it, when the
    records carry one) in order of first appearance (for unsorted input)."""
    by_id: dict = {}
    for rec in records:
        by_id.setdefault((rec["id"], rec.get("epoch")), []).append(rec)
    yield from by_id.values()


@dataclass(frozen=True)
class GroupStats:
    n: int
    mean: float
    std: float
    pass_rate: float
    solve_all: bool
    solve_none: bool


def group_stats(rewards: list[float], *, solved_at: float = 1.0, std_kind: str = "population") -> GroupStats:
    """Summary of one group; a rollout counts as solved when its reward is at least `solved_at`."""
    solved = sum(r >= solved_at - TOLERANCE for r in rewards)
    return GroupStats(
        n=len(rewards),
        mean=mean(rewards),
        std=std(rewards, std_kind),
        pass_rate=solved / len(rewards),
        solve_all=solved == len(rewards),
        solve_none=solved == 0,
    )


@dataclass(frozen=True)
class GroupRule:
    """Which groups carry signal and how their advantages are computed: the options score and train share."""

    adv: str = "group"  # group | batch | none | rloo (see rlvrkit.advantages)
    std: str = "population"  # population | sample
    adv_eps: float = 1e-6
    drop: tuple[str, ...] = ()  # solve-all, solve-none
    min_std: float | None = None
    solved_at: float = 1.0
    only: str | None = None  # solve-all | solve-none | mixed: keep only groups of this kind

    def __post_init__(self):
        if self.only is not None and self.only in self.drop:
            raise ValueError(
                f"--only {self.only} keeps only the groups --drop {self.only} drops: nothing would be left"
            )
        if self.only not in (None, *KINDS) or not set(self.drop) <= set(DROP_REASONS):
            raise ValueError(f"groups are {', '.join(KINDS)}; only {', '.join(DROP_REASONS)} can be dropped")
        if not (math.isfinite(self.adv_eps) and self.adv_eps >= 0):
            raise ValueError(f"--adv-eps must be a finite number >= 0, not {self.adv_eps}")
        if not math.isfinite(self.solved_at) or (self.min_std is not None and not math.isfinite(self.min_std)):
            raise ValueError("--solved-at and --min-std must be finite numbers")


def kind(stats: GroupStats) -> str:
    """solve-all, solve-none or mixed."""
    return "solve-all" if stats.solve_all else "solve-none" if stats.solve_none else "mixed"


def drop_reason(stats: GroupStats, rule: GroupRule) -> str | None:
    """Why the rule drops this group, or None to keep it.

    ``solve-all`` / ``solve-none`` in rule.drop: DAPO's and Composition-RL's rule, keep 0 < #solved < G.
    rule.min_std: SRL's rule, keep a group only if the std of its rewards exceeds min_std (a constant group never does).
    rule.only: keep only the groups of one kind (score's selection: ``--only solve-all`` gives the prompts the policy
    already solves every time, what compose makes harder ones from); the others are dropped as the kind they are.
    """
    what = kind(stats)
    if what in rule.drop:
        return what
    if rule.min_std is not None and stats.std <= rule.min_std + TOLERANCE:
        return f"std<={rule.min_std:g}"
    if rule.only is not None and what != rule.only:
        return what
    return None


@dataclass(frozen=True)
class Scored:
    """A kept group: its records, its statistics, and one advantage per record."""

    records: list[dict]
    stats: GroupStats
    advantages: list[float]


def scored_batches(
    groups: Iterable[list[dict]], rule: GroupRule, size: int | None, dropped: Counter, *, recorded: bool = False
) -> Iterator[list[Scored]]:
    """The kept groups, `size` at a time (None: all of them in one batch), each with its advantages.

    A group the rule's filters drop is counted in `dropped` by reason and left out. With adv=batch the std is that of
    every reward in the batch's kept groups. `recorded`: a group whose records all carry an `advantage` (rlvr score
    wrote them) keeps those values instead.
    """
    batch: list[tuple[list[dict], list[float], GroupStats]] = []
    for group in groups:
        rewards = [float(rec["reward"]) for rec in group]
        stats = group_stats(rewards, solved_at=rule.solved_at, std_kind=rule.std)
        reason = drop_reason(stats, rule)
        if reason:
            dropped[reason] += 1
            continue
        batch.append((group, rewards, stats))
        if len(batch) == size:
            yield _advantaged(batch, rule, recorded)
            batch = []
    if batch:
        yield _advantaged(batch, rule, recorded)


def _advantaged(batch: list, rule: GroupRule, recorded: bool) -> list[Scored]:
    batch_std = std([r for _, rewards, _ in batch for r in rewards], rule.std) if rule.adv == "batch" else None
    out = []
    for group, rewards, stats in batch:
        given = _recorded_advantages(group) if recorded else None
        if given is None:
            given = advantages(rewards, rule.adv, std_kind=rule.std, eps=rule.adv_eps, batch_std=batch_std)
        out.append(Scored(group, stats, given))
    return out


def _recorded_advantages(group: list[dict]) -> list[float] | None:
    """The advantages the records carry, or None when none does; a group with only some is refused."""
    given = [rec.get("advantage") for rec in group]
    if all(a is None for a in given):
        return None
    if any(a is None for a in given):
        raise BadInput(f"group {group[0]['id']!r}: some records have an advantage and some do not")
    return [float(a) for a in given]
