"""Numeric sites: a number of the span, the values around it, and each value carried through what follows from it.

A target is a number the span states (not one the problem or the rest of the solution states: that would let the
option matching the text be picked unread) that is neither an exponent, a subscript, a label ("Case 2") nor figure
code. Its members are a window of m consecutive values of its kind, the truth at a uniformly random rank in it:

- an integer: consecutive integers (399, 400, 401);
- a decimal of p places: steps of one unit in the last place (2.35, 2.36, 2.37);
- a fraction p/q (a value with a denominator): the numerators coprime to q around p, so that every member is written
  in lowest terms as the truth is (3/20, 7/20, 9/20).

A window that leaves the truth's side of zero is refused (rather than moved: a window moved off the boundary would
make the smallest value near zero the truth more often than the others). Each member is carried forward
(`carried`): every later derivation in the span whose left side now evaluates differently states the new result,
and later mentions of the changed value follow it, so a member is self-consistent and wrong only against the
problem. A window in which some member cannot be written so is refused whole.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction

from rlvrkit.mask.arithmetic import Derivation, evaluate, formatted, links, number_style, numbers, results

Edits = dict  # (start, end) -> replacement text
_LABEL = re.compile(
    r"(?:case|step|part|problem|figure|fig\.|equation|eq\.|lemma|theorem|example|exercise|section|chapter|page|"
    r"line|column|row|stage|round|day|year|week|month|hour|grade|level|version|method|option|claim|note)\s*\(?$",
    re.IGNORECASE,
)
_UNBRACED_ARGUMENT = re.compile(r"(?:\}|\\[dt]?frac\s*|\\d?binom\s*|\\sqrt\s*)$")  # \frac{\sqrt5}4, \frac 12
_MAX_WINDOW = 26


@dataclass(frozen=True)
class Target:
    """A number of the span a numeric site may change: span[start:end], its value and how it is written."""

    start: int
    end: int
    value: Fraction
    style: str


def apply(text: str, edits: Edits, lo: int = 0, hi: int | None = None) -> str:
    """text[lo:hi] with the edits inside it applied."""
    hi = len(text) if hi is None else hi
    out, pos = [], lo
    for (a, b), new in sorted(edits.items()):
        if a >= lo and b <= hi:
            out.append(text[pos:a] + new)
            pos = b
    return "".join(out) + text[pos:hi]


def _free(edits: Edits, a: int, b: int) -> bool:
    return all(b <= x or a >= y for x, y in edits)


def carried(text: str, edits: Edits, changed: dict, after: int) -> Edits | None:
    """`edits` (changing the values in `changed`: old → new) carried forward through everything after offset `after`:
    derived values recomputed from their edited left side, later mentions of a changed value following it. None when
    a new value cannot be written in its place's style, or when a derivation would restate its left side."""
    edits = dict(edits)
    derived = [(link.result.start, link) for link in links(text) if link.result.start >= after]
    inside = [(link.result.start, link.result.end) for _, link in derived]
    mentions = [(a, (a, b, v)) for a, b, v in numbers(text) if a >= after and _free(dict.fromkeys(inside), a, b)]
    for _, item in sorted(derived + mentions, key=lambda pair: pair[0]):
        if isinstance(item, Derivation):
            a, b, old = item.result.start, item.result.end, item.result.value
            new = evaluate(apply(text, edits, *item.source))
            new = changed.get(old) if new is None else new
            style = item.result.style
        else:
            a, b, old = item
            new, style = changed.get(old), number_style(text[a:b])
        if new is None or new == old or not _free(edits, a, b):
            continue
        written = formatted(new, style)
        if written is None:
            return None
        if isinstance(item, Derivation) and _squeezed(written) == _squeezed(apply(text, edits, *item.source)):
            return None  # not writable, or "= x" after an x that no longer simplifies: no line a solution writes
        edits[(a, b)] = written
        changed.setdefault(old, new)
    return edits


def _squeezed(text: str) -> str:
    return "".join(text.split())


def targets(span: str, figures: list[tuple[int, int]]) -> list[Target]:
    """The numbers of the span a numeric site may change: the values it derives or states after an '=' (in their own
    style), then the other numbers it writes, none inside figure code, a label or an unbraced command argument."""
    found = results(span)
    taken = [(r.start, r.end) for r in found]
    out = [Target(r.start, r.end, r.value, r.style) for r in found]
    for a, b, value in numbers(span):
        if all(b <= x or a >= y for x, y in taken):
            out.append(Target(a, b, value, number_style(span[a:b])))
    return [t for t in out if _plain(span, t, figures)]


def _plain(span: str, t: Target, figures: list[tuple[int, int]]) -> bool:
    """Not figure code, a label or a command's unbraced argument; a fraction written in lowest terms (the window's
    members are: an unreduced truth would stand out)."""
    before = span[max(0, t.start - 16) : t.start]
    written = [int(d) for d in re.findall(r"\d+", span[t.start : t.end])]
    if t.style.startswith("frac") and (len(written) != 2 or math.gcd(*written) != 1):
        return False
    inside_figure = any(a <= t.start < b for a, b in figures)
    return not (inside_figure or _LABEL.search(before) or _UNBRACED_ARGUMENT.search(before))


def window(value: Fraction, style: str, m: int, rng: random.Random) -> list[Fraction] | None:
    """m consecutive values of `value`'s kind with `value` at a uniformly random rank; None when the window leaves
    the truth's side of zero (the site is then not used: moving the window would favour the values near zero)."""
    r = rng.randrange(m)
    if style.startswith("dec:"):
        unit = Fraction(1, 10 ** int(style[4:]))
        values = [value + (k - r) * unit for k in range(m)]
    elif value.denominator == 1:
        values = [value + (k - r) for k in range(m)]
    else:
        values = _coprime_window(value, r, m)
    if values is None or not _one_side(value, values):
        return None
    return values


def _one_side(value: Fraction, values: list[Fraction]) -> bool:
    return all(v < 0 for v in values) if value < 0 else all(v >= 0 for v in values)


def _coprime_window(value: Fraction, r: int, m: int) -> list[Fraction] | None:
    """The numerators coprime to value's denominator around its numerator: r below it, m-1-r above it."""
    p, q = value.numerator, value.denominator
    below, above, n = [], [], p
    while len(below) < r:
        n -= 1
        if n * (1 if p > 0 else -1) <= 0:
            return None
        if math.gcd(n, q) == 1:
            below.append(Fraction(n, q))
    n = p
    while len(above) < m - 1 - r:
        n += 1
        if n * (1 if p > 0 else -1) <= 0:
            return None
        if math.gcd(n, q) == 1:
            above.append(Fraction(n, q))
    return below[::-1] + [value] + above


def members(span: str, target: Target, values: list[Fraction]) -> list[Edits] | None:
    """Each value's edits of the span (the truth's: none), carried forward; None when one cannot be written."""
    out = []
    for v in values:
        if v == target.value:
            out.append({})
            continue
        written = formatted(v, target.style)
        if written is None:
            return None
        edits = carried(span, {(target.start, target.end): written}, {target.value: v}, target.end)
        if edits is None:
            return None
        out.append(edits)
    return out


def capacity(target: Target) -> int:
    """The most members a target's site may have."""
    return _MAX_WINDOW
