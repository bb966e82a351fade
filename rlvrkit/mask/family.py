"""The options of an item: a family of versions of the span in which the truth is one member like any other.

Every distractor made as an edit of the truth makes the truth the centre of the options: the one most like all the
others, found without reading. Here the options are drawn from a family that is symmetric in its members:

- sites (rlvrkit.mask.sites) whose edits never touch are chosen, in random order, until the product of their member
  counts reaches the number of options; a numeric site takes the window size the product still needs (nine values
  at one number, or 3 × 3 with another site);
- the family is the product: every combination of one member per site (with two sites of three members, a 3 × 3
  grid: every option has four options one site away and four two sites away, the truth included);
- the options are the truth and options−1 other members drawn uniformly: a uniformly random subset of the family
  that holds the truth.

Whether a site is used never depends on which of its members the truth holds (the rules read the set, not the
written member), so given the options every member is as likely to be the truth: no statistic of the options alone
(similarity, length, votes, overlap with the text around) can point at it more often than chance. A family some
pair of whose options say the same thing (the `admissible` gate) is refused whole, for the same reason.

Words of one step: at most one word site of each group per step (two comparatives in one sentence can undo each
other: "as T increases, P increases" stays true with both flipped).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from rlvrkit.mask.numeric import Target, apply, members, window
from rlvrkit.mask.sites import Site, even_handed, step_of

MAX_WINDOW = 9  # the most values one numeric site shows (nine values at one number)


@dataclass(frozen=True)
class Family:
    """The chosen sites: their product is the family of versions of the span."""

    sites: tuple[Site, ...]

    @property
    def size(self) -> int:
        return math.prod(len(s.members) for s in self.sites)

    def edits(self, choice: tuple[int, ...]) -> dict:
        """The edits of the member that takes member choice[i] of site i."""
        out: dict = {}
        for site, k in zip(self.sites, choice):
            out.update(site.members[k])
        return out

    def describe(self, choice: tuple[int, ...]) -> tuple[str, str]:
        """(how, what) of a member: the kinds of the sites where it is not the truth, and what each writes there."""
        changed = [(s, k) for s, k in zip(self.sites, choice) if k]
        how = "+".join(sorted({s.kind for s, _ in changed}))
        return how, "; ".join(f"{s.names[0]} -> {s.names[k]}" for s, k in changed)


@dataclass(frozen=True)
class Ground:
    """What a family of one span is planned from: the span, its steps (offsets in the span), the sites found in it,
    the numbers a numeric site may change, and the words and numbers of the text shown around it."""

    span: str
    steps: list[tuple[int, int]]
    sites: list[Site]
    targets: list[Target]
    visible: set


def plan(ground: Ground, need: int, rng: random.Random) -> Family | None:
    """Sites taken in random order while they fit (no overlap, at most one word site of a group per step) until the
    product reaches `need`; None when the span's sites cannot reach it."""
    pool: list[Site | Target] = [s for s in ground.sites if even_handed(s, ground.span, ground.visible)]
    pool += ground.targets
    rng.shuffle(pool)
    chosen: list[Site] = []
    size = 1
    for candidate in pool:
        if size >= need:
            break
        site = candidate if isinstance(candidate, Site) else _numeric(ground, candidate, _window_size(size, need, rng), rng)
        if site is not None and _fits(site, chosen):
            chosen.append(site)
            size *= len(site.members)
    return Family(tuple(chosen)) if size >= need else None


def _window_size(size: int, need: int, rng: random.Random) -> int:
    """How many values a numeric site takes: all the family still needs, or three (a grid with another site)."""
    rest = -(-need // size)
    return rest if rest <= 3 or rng.random() < 0.5 else 3 if rest <= 3 * MAX_WINDOW else min(rest, MAX_WINDOW)


def _numeric(ground: Ground, target: Target, m: int, rng: random.Random) -> Site | None:
    values = window(target.value, target.style, max(2, min(m, MAX_WINDOW * 3)), rng)
    if values is None:
        return None
    edits = members(ground.span, target, values)
    if edits is None:
        return None
    truth = values.index(target.value)
    order = [truth] + [i for i in range(len(values)) if i != truth]
    names = tuple(apply(ground.span, edits[i], target.start, target.end) or str(values[i]) for i in order)
    site = Site("numeric", tuple(edits[i] for i in order), names, step_of(ground.steps, target.start))
    return site if even_handed(site, ground.span, ground.visible) else None


def _fits(site: Site, chosen: list[Site]) -> bool:
    if any(site.touches(other) for other in chosen):
        return False
    return not site.group or all(o.group != site.group or o.step != site.step for o in chosen)


def draw(family: Family, n: int, rng: random.Random) -> list[tuple[int, ...]]:
    """The truth's choice and n−1 other members of the family, drawn uniformly (the truth first)."""
    truth = (0,) * len(family.sites)
    others = [c for c in itertools.product(*(range(len(s.members)) for s in family.sites)) if c != truth]
    return [truth, *rng.sample(others, n - 1)]
