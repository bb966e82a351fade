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
from collections.abc import Iterator
from dataclasses import dataclass, field

from rlvrkit.mask.numeric import Target, apply, block, members
from rlvrkit.mask.priors import Priors
from rlvrkit.mask.sites import Site, matched, step_of


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
    the numbers a numeric site may change, the n-grams of the text shown around it, and the priors of the input."""

    span: str
    steps: list[tuple[int, int]]
    sites: list[Site]
    targets: list[Target]
    visible: set
    priors: Priors
    matched: dict = field(default_factory=dict, compare=False)  # each candidate's matched site, once computed

    def site(self, i: int) -> Site | None:
        """Candidate i (of sites then targets) with the members that stand as its truth does (`matched`), computed
        once however many plans read it."""
        if i not in self.matched:
            candidate = ([*self.sites, *self.targets])[i]
            site = candidate if isinstance(candidate, Site) else _numeric(self, candidate)
            self.matched[i] = site and matched(site, self.span, self.visible)
        return self.matched[i]

    def bound(self) -> int:
        """The most members any family of the span could have: the product of every candidate's member count before
        any is matched (a numeric one's block), cheap to know."""
        sizes = [len(s.members) for s in self.sites] + [len(block(t.value, t.style)) + 1 for t in self.targets]
        return math.prod(sizes)


def plan(ground: Ground, need: int, rng: random.Random) -> Family | None:
    """Sites taken in random order while they fit (no overlap, at most one word site of a group per step), each with
    the members that stand as the truth does (`matched`), thinned by the priors (`Priors.thinned`), until the
    product reaches `need`; then each cut to a random subset of its members that holds the truth, as evenly as the
    product allows (3 × 3 rather than 9 × 1). None when the span's sites cannot reach `need`."""
    if ground.bound() < need:
        return None
    pool = list(range(len(ground.sites) + len(ground.targets)))
    rng.shuffle(pool)
    chosen: list[Site] = []
    size = 1
    for i in pool:
        if size >= need:
            break
        site = ground.site(i)
        site = site and _fits(site, chosen) and _thinned(site, ground.priors, rng)
        if site:
            chosen.append(site)
            size *= len(site.members)
    if size < need:
        return None
    sizes = _sizes([len(s.members) for s in chosen], need)
    return Family(tuple(_subset(s, k, rng) for s, k in zip(chosen, sizes)))


def candidate_sites(ground: Ground) -> Iterator[Site]:
    """Every site of the span with the members that stand as its truth does (no priors, no bands): what the priors
    are counted on."""
    for candidate in [*ground.sites, *ground.targets]:
        site = candidate if isinstance(candidate, Site) else _numeric(ground, candidate)
        site = site and site.keys and matched(site, ground.span, ground.visible)
        if site:
            yield site


def _thinned(site: Site, priors: Priors, rng: random.Random) -> Site | None:
    """The site with its members thinned by the priors (`Priors.thinned`); None when fewer than two remain."""
    if not site.keys:
        return site
    keep = priors.thinned(site.keys, rng)
    return site.only(keep) if len(keep) >= 2 else None


def _sizes(capacity: list[int], need: int) -> list[int]:
    """How many members each site gives: as even as the capacities allow, the product at least `need`."""
    even = math.ceil(need ** (1 / len(capacity)) - 1e-9)
    sizes = [min(c, max(2, even)) for c in capacity]
    while math.prod(sizes) < need:
        i = min((i for i, c in enumerate(capacity) if sizes[i] < c), key=lambda i: sizes[i])
        sizes[i] += 1
    return sizes


def _subset(site: Site, m: int, rng: random.Random) -> Site:
    """The truth and m−1 of the site's other members, drawn uniformly."""
    if m >= len(site.members):
        return site
    return site.only([0, *sorted(rng.sample(range(1, len(site.members)), m - 1))])


def _numeric(ground: Ground, target: Target) -> Site | None:
    values, edits = members(ground.span, target)
    if len(values) < 2:
        return None
    names = tuple(apply(ground.span, e, target.start, target.end) for e in edits)
    keys = tuple(("number", v) for v in values)
    return Site("numeric", tuple(edits), names, step_of(ground.steps, target.start), keys=keys)


def _fits(site: Site, chosen: list[Site]) -> bool:
    if any(site.touches(other) for other in chosen):
        return False
    return not site.group or all(o.group != site.group or o.step != site.step for o in chosen)


def draw(family: Family, n: int, rng: random.Random) -> list[tuple[int, ...]]:
    """The truth's choice and n−1 other members of the family, drawn uniformly (the truth first)."""
    truth = (0,) * len(family.sites)
    others = [c for c in itertools.product(*(range(len(s.members)) for s in family.sites)) if c != truth]
    return [truth, *rng.sample(others, n - 1)]
