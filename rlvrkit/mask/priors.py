"""How much more often a member is written than its place's other members are: the priors a family must not carry.

A site's members are alike in form, but not in how often text writes them: a step writes 2 more often than 7, 180
more often than 170, "+" more often than "×", "increases" more often than "decreases". A model that has seen many
items learns those odds from the options alone (mask's audit trains one: a bag of words over the options) and picks
the commonest member. So, before any item is made, one pass over every source counts, for each member of every place
a site could be (`key`: the value of a number, the symbol, the word), how often it is the one written (`written`)
and how often it is a member there at all, in proportion (`offered`: each place shares one among its members).

`thinned` then keeps each of a site's other members with probability ratio(member) / the largest ratio among the
site's members, ratio = written / offered (smoothed), the truth always. Given the members kept, each is then the
truth with probability proportional to the product of the ratios of the others kept and its own (the same
product for all), times 1/ratio(its own) for being kept… that is: P(truth = t, kept S) ∝ ratio(t) × Π over S∖t of
ratio(v) = Π over S of ratio(v), the same whichever member of S is the truth. The options then carry no member's
commonness, and no site is refused for it: members are thinned instead. Counting is done on the sites of a sample of
the input (rlvrkit.mask.run.priors_of).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable

SMOOTHING = 5.0  # pseudo-counts: a member seen a few times is taken as neither common nor rare


class Priors:
    """Counts of members written and offered at the places of all the sources, by key."""

    def __init__(self):
        self.written: Counter = Counter()
        self.offered: Counter = Counter()

    def add(self, written, members: Iterable) -> None:
        """One place: the member written there and all its members (the written one among them)."""
        members = list(members)
        self.written[written] += 1
        for m in members:
            self.offered[m] += 1 / len(members)

    def ratio(self, key) -> float:
        return (self.written[key] + SMOOTHING) / (self.offered[key] + SMOOTHING)

    def thinned(self, keys: tuple, rng: random.Random) -> list[int]:
        """Which members of a site to keep (indices, the truth's 0 first): each other member with probability
        ratio(its key) / max(ratio over the site's keys)."""
        if not keys:
            return []
        ratios = [self.ratio(k) for k in keys]
        top = max(ratios)
        return [0, *(i for i in range(1, len(keys)) if rng.random() < ratios[i] / top)]
