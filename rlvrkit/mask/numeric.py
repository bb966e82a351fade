"""Numeric sites: a number of the span, the values of its block, and each value carried through what follows from it.

A target is a number the span states that is neither an exponent, a subscript, a label ("Case 2"), a command's
unbraced argument nor figure code, and, for a fraction, is written in lowest terms. Its candidate members are the
values of its block of ten (`block`), which does not depend on which of them the truth is:

- an integer: the ten integers that share its digits but the last (400 → 400 … 409; 7 → 0 … 9);
- a decimal of p places: the same, in units of its last place (2.35 → 2.30 … 2.39);
- a fraction p/q: the numerators of p's block of ten that are coprime to q, over q, so that every member is written
  in lowest terms as the truth is (7/20 → 1/20, 3/20, 7/20, 9/20).

Each is carried forward (`carried`): every later derivation in the span whose left side now evaluates differently
states the new result, and later mentions of the changed value follow it, so a member is self-consistent and wrong
only against the problem. A value that cannot be written so is not a member (rlvrkit.mask.sites then keeps those
that stand towards the text around as the truth does, and the family draws from them).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from rlvrkit.mask.arithmetic import Derivation, evaluate, formatted, links, number_list, number_style, numbers, results

Edits = dict  # (start, end) -> replacement text
MAX_EDITS = (
    16  # places one member may rewrite: a slip carried further is no slip a solution makes, and work stays bounded
)
SMALL = 9  # whole numbers up to this are one kind ("small"): their block is 0 … 9
_LABEL = re.compile(
    r"(?:case|step|part|problem|figure|fig\.|equation|eq\.|lemma|theorem|example|exercise|section|chapter|page|"
    r"line|column|row|stage|round|day|year|week|month|hour|grade|level|version|method|option|claim|note)\s*\(?$",
    re.IGNORECASE,
)
_UNBRACED_ARGUMENT = re.compile(r"(?:\}|\\[dt]?frac\s*|\\d?binom\s*|\\sqrt\s*)$")  # \frac{\sqrt5}4, \frac 12


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
    a new value cannot be written in its place's style, when a derivation would restate its left side, or when more
    than MAX_EDITS places would change."""
    edits = dict(edits)
    new_of = {(v.numerator, v.denominator): n for v, n in changed.items()}  # ints hash in C, a Fraction does not
    for item in _following(text, after):
        if isinstance(item, Derivation):
            a, b, old = item.result.start, item.result.end, item.result.value
            new = evaluate(apply(text, edits, *item.source))
            new = new_of.get((old.numerator, old.denominator)) if new is None else new
            style = item.result.style
        else:
            a, b, old, key, style = item
            new = new_of.get(key)
        if new is None or new == old or not _free(edits, a, b):
            continue
        written = formatted(new, style)
        if written is None:
            return None
        if isinstance(item, Derivation) and _squeezed(written) == _squeezed(apply(text, edits, *item.source)):
            return None  # not writable, or "= x" after an x that no longer simplifies: no line a solution writes
        edits[(a, b)] = written
        if old not in changed:
            changed[old] = new
            new_of[(old.numerator, old.denominator)] = new
        if len(edits) > MAX_EDITS:
            return None
    return edits


@functools.lru_cache(maxsize=1024)  # every member of every site of a span is carried through the same text
def _following(text: str, after: int) -> tuple:
    """What follows offset `after` in the text, in order: its derivations and the numbers it mentions outside them
    (each as start, end, value, (numerator, denominator) and style)."""
    derived = [(link.result.start, link) for link in links(text) if link.result.start >= after]
    inside = dict.fromkeys((link.result.start, link.result.end) for _, link in derived)
    mentions = [
        (a, (a, b, v, (v.numerator, v.denominator), number_style(text[a:b])))
        for a, b, v in number_list(text)
        if a >= after and _free(inside, a, b)
    ]
    return tuple(item for _, item in sorted(derived + mentions, key=lambda pair: pair[0]))


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


def block(value: Fraction, style: str) -> list[Fraction]:
    """The values of `value`'s block (see the module docstring; `_integers`), on its side of zero. A decimal's block
    is its integer block in units of its last place; a fraction's is the numerators of its numerator's block of ten
    coprime to its denominator. A block is the same whichever of its values is the truth."""
    if style.startswith("dec:"):
        unit = Fraction(1, 10 ** int(style[4:]))
        return [v * unit for v in _integers(int(value / unit))]
    if value.denominator == 1:
        return [Fraction(v) for v in _integers(value.numerator)]
    q, p = value.denominator, value.numerator
    base = p - p % 10 if p >= 0 else p + (-p) % 10
    return [
        Fraction(n, q) for n in range(base, base + (10 if p >= 0 else -10), 1 if p >= 0 else -1) if math.gcd(n, q) == 1
    ]


def kind(n: int) -> str:
    """The kind of a whole number a block keeps together: small (0 to 9), round (ends in zeros: the count of them),
    square, a multiple of five, or other. A true value is far more often round or square than the values next to it,
    so a block mixing kinds would let the roundest member be picked unread."""
    n = abs(n)
    if n <= SMALL:
        return "small"
    zeros = len(str(n)) - len(str(n).rstrip("0"))
    if zeros:
        return f"round{zeros}"
    if math.isqrt(n) ** 2 == n:
        return "square"
    return "five" if n % 5 == 0 else "other"


def _integers(n: int) -> list[int]:
    """The integers of n's kind near it, on its side of zero: 0 … 9 for a small one; for one ending in z zeros, the
    multiples of 10^z with its digits but the last z+1 (230 → 210 … 290, 400 → 100 … 900); for a square, the squares
    of the ten roots around its root (81 → 16 … 81); for a multiple of five, those of its hundred (35 → 15, 35 … 95);
    otherwise its block of ten (83 → 82, 83, 84, 86 … 89)."""
    sign, n = (-1 if n < 0 else 1), abs(n)
    k = kind(n)
    if k == "small":
        found = range(SMALL + 1)
    elif k.startswith("round"):
        step = 10 ** int(k[5:])
        found = range(n - n % (10 * step), n - n % (10 * step) + 10 * step, step)
    elif k == "square":
        root = math.isqrt(n)
        found = [r * r for r in range(root - root % 10, root - root % 10 + 10)]
    elif k == "five":
        found = range(n - n % 100, n - n % 100 + 100, 5)
    else:
        found = range(n - n % 10, n - n % 10 + 10)
    return [sign * v for v in found if kind(v) == k and (v or sign > 0)]


def members(span: str, target: Target) -> tuple[list[Fraction], list[Edits]]:
    """The values of the target's block that can be written in its place and carried forward (the truth first), and
    each one's edits of the span (the truth's: none). A value that cannot be is left out, whichever is the truth."""
    values, edits = [target.value], [{}]
    for v in block(target.value, target.style):
        written = formatted(v, target.style) if v != target.value else None
        found = written and carried(span, {(target.start, target.end): written}, {target.value: v}, target.end)
        if found:
            values.append(v)
            edits.append(found)
    return values, edits
