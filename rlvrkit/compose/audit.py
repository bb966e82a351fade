"""Content-blind guesses of Y from the composed prompt's last problem alone: if they find Y, q1 is not needed to
solve the composition, and RL learns the shortcut instead of the chain. docs/compose_sample.py, bench/compose.py and
the tests run them over what compose writes.

Each guesser sees only the modified last problem (``…$Y$ customers…``, after the link sentence), never q1, the
definition or the link, and names one value (or none); a guess counts when it equals the replaced value v2:

    constant   the commonest replaced value of the whole output (the best single guess a policy can learn)
    small      0, 1 or 2, whichever the commonest of them is (the share the issue reported at 59%)
    nearest    the value of the number written nearest to Y
    elsewhere  a value written elsewhere in the problem, in figure code or in words (an upper bound: a guesser
               would still have to pick which)
    sequence   the member missing from a list or sum around Y, completed as an arithmetic or geometric progression
    wording    a count the words around Y fix (a deck's 52 cards, a week's 7 days; the table compose itself uses)

`audit(records)` gives each guesser's hit rate and the share any of them finds.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import sympy

from rlvrkit.compose.determined import FIXED, number_words, runs
from rlvrkit.compose.numbers import constants
from rlvrkit.compose.spc import SEP
from rlvrkit.compose.values import TooLarge, number

GUESSERS = ("constant", "small", "nearest", "elsewhere", "sequence", "wording")


@dataclass(frozen=True)
class _Slot:
    """Where Y stands in the modified problem, as a member of a list (the shape `runs` reads)."""

    start: int
    end: int
    value: object = None


def last_problem(rec: dict) -> tuple[str, _Slot, object] | None:
    """(the modified last problem, where Y stands, v2's value) of a depth-2 composed record, or None."""
    m = rec["meta"]
    if "inner" in m:
        return None
    after = rec["prompt"].split(m["definition"] + " ", 1)[-1].split(SEP, 1)
    if len(after) < 2:
        return None
    text, y = after[1], m["variables"][1]
    found = re.search(rf"(?<![A-Za-z\\]){y}(?![a-z]{{2}})", text)
    try:
        value = number(re.sub(r"\{,\}|,(?=\d{3})", "", m["v2"]))
    except (ValueError, TooLarge):
        return None
    return (text, _Slot(found.start(), found.end()), value) if found else None


def guesses(text: str, slot: _Slot) -> dict[str, set]:
    """The values the problem-only guessers propose for Y, by guesser (see the module's docstring)."""
    found = [c for c in constants(text) if c.value is not None]
    out = {"elsewhere": {c.value for c in found} | set(number_words(text))}
    if found:
        out["nearest"] = {min(found, key=lambda c: min(abs(c.start - slot.end), abs(slot.start - c.end))).value}
    out["sequence"] = _sequence_guesses(text, found, slot)
    for value, unit, key in FIXED:
        if unit.match(text, slot.end) and key.search(text, max(0, slot.start - 150), slot.end + 150):
            out["wording"] = {sympy.Integer(value)}
            break
    return out


def _sequence_guesses(text: str, found: list, slot: _Slot) -> set:
    """The members that would complete the list around Y as an arithmetic or a geometric progression."""
    members = sorted([*found, slot], key=lambda c: c.start)
    for run in runs(text, members):
        items = [members[i] for i in run]
        if slot in items and len(items) >= 3:
            k = items.index(slot)
            values = [c.value for c in items]
            return _completions(values, k)
    return set()


def _completions(values: list, k: int) -> set:
    """The values at k that make it and two neighbours an arithmetic or a geometric progression."""
    if 0 < k < len(values) - 1:
        a, b = values[k - 1], values[k + 1]
        return {(a + b) / 2} | ({sympy.sqrt(a * b)} if a * b > 0 else set())
    a, b = (values[k - 2], values[k - 1]) if k >= 2 else (values[k + 2], values[k + 1])
    return {2 * b - a} | ({b * b / a} if a != 0 else set())


def audit(records: list[dict]) -> dict[str, float]:
    """{guesser: share of records where it finds v2, "any": share where one does, "records": how many}."""
    cases = [c for c in map(last_problem, records) if c is not None]
    constant = Counter(v for _, _, v in cases).most_common(1)
    small = Counter(v for _, _, v in cases if v in (0, 1, 2)).most_common(1)
    hits, anyhit = Counter(), 0
    for text, slot, v2 in cases:
        guessed = guesses(text, slot)
        guessed["constant"] = {constant[0][0]} if constant else set()
        guessed["small"] = {small[0][0]} if small else set()
        right = {name for name, values in guessed.items() if v2 in values}
        hits.update(right)
        anyhit += bool(right)
    n = len(cases) or 1
    return {**{g: hits[g] / n for g in GUESSERS}, "any": anyhit / n, "records": len(cases)}
