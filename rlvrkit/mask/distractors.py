"""Wrong-but-plausible options for a masked span, made by rule, and the tests every option must pass.

Three kinds, each a `Distractor` that says how it was made:

- **numeric**: a value the span derives (``20\\cdot20 = 400``) is miscomputed (401, 399, 800, 200, 40, 4000, 004→400's
  digits swapped, −400; for fractions the reciprocal or a numerator or denominator off by one; for decimals one unit
  in the last place) and the change is carried forward (`propagate`): every later equation whose left side now
  evaluates differently states the new result, and later mentions of a changed value follow it, so the span stays
  self-consistent and is wrong only against the problem and the text around it. Only values the context does not
  restate are changed (a value restated there would give the distractor away by matching);
- **operator** and **relation** swaps in math (+ and −, \\cdot to +, \\div to \\times, < and >, \\le and \\ge,
  \\sin and \\cos, \\max and \\min, …), carried forward the same way; a swap that leaves the value of the expression
  unchanged (``2\\cdot2`` to ``2+2``) is an equivalent rewriting and is never made; and **word** swaps in the prose
  (increases/decreases, greater/less, numerator/denominator, absorbs/emits, …);
- **borrowed**: a span of the same number of steps, similar length (0.6–1.6 times) and the same style (math or not,
  a final \\boxed{} or not) from another document of the same subject.

`admissible` is the gate for every option, made here or by a model (mask --llm): it must differ from the truth and
from every option already chosen after normalisation (`spans.squeeze`), and must not be an equivalent rewriting of
either: the same words, numbers (0.5 and \\frac12 are one value) and math symbols in another order or form count
as the same option.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from rlvrkit.mask.arithmetic import (
    Derivation,
    evaluate,
    formatted,
    links,
    math_regions,
    number_style,
    numbers,
    prose,
    results,
)
from rlvrkit.mask.opposites import NEGATION, WORD, negated, swapped
from rlvrkit.mask.spans import squeeze

Edits = dict  # (start, end) -> replacement text


@dataclass(frozen=True)
class Distractor:
    text: str
    how: str  # numeric | operator | relation | word | borrowed | llm
    what: str  # "400 -> 401", "+ -> -", "increases -> decreases", the document borrowed from, …
    group: str = ""  # distractors of one group change the same thing (kept apart when choosing)

    def record(self) -> dict:
        return {"how": self.how, "what": self.what}


# -- carrying a change forward ---------------------------------------------------------------------------------------


def _apply(text: str, edits: Edits, lo: int = 0, hi: int | None = None) -> str:
    """text[lo:hi] with the edits inside it applied."""
    hi = len(text) if hi is None else hi
    out, pos = [], lo
    for (a, b), new in sorted(edits.items()):
        if a >= lo and b <= hi:
            out.append(text[pos:a] + new)
            pos = b
    return "".join(out) + text[pos:hi]


def _same(a: str, b: str) -> bool:
    return squeeze(a) == squeeze(b)


def _free(edits: Edits, a: int, b: int) -> bool:
    return all(b <= x or a >= y for x, y in edits)


def propagate(text: str, edits: Edits, changed: dict, after: int) -> str | None:
    """Carry `edits` (already made, changing the values in `changed`: old → new) forward through everything after
    offset `after`: derived values are recomputed from their edited left side, and later mentions of a changed value
    follow it. None when a new value cannot be written in its place's style."""
    derived = [(link.result.start, link) for link in links(text) if link.result.start >= after]
    inside = [(link.result.start, link.result.end) for _, link in derived]
    mentions = [(a, (a, b, v)) for a, b, v in numbers(text) if a >= after and all(b <= x or a >= y for x, y in inside)]
    for _, item in sorted(derived + mentions, key=lambda pair: pair[0]):
        if isinstance(item, Derivation):
            a, b, old = item.result.start, item.result.end, item.result.value
            new = evaluate(_apply(text, edits, *item.source))
            new = changed.get(old) if new is None else new
            style = item.result.style
        else:
            a, b, old = item
            new, style = changed.get(old), number_style(text[a:b])
        if new is None or new == old or not _free(edits, a, b):
            continue
        written = formatted(new, style)
        if written is None or (isinstance(item, Derivation) and _same(written, _apply(text, edits, *item.source))):
            return None  # not writable, or "= x" after an x that no longer simplifies: no plausible line
        edits[(a, b)] = written
        changed.setdefault(old, new)
    return _apply(text, edits)


# -- numeric perturbations -------------------------------------------------------------------------------------------


def wrong_values(value: Fraction, style: str) -> list[tuple[Fraction, str, str]]:
    """Plausible miscomputations of `value` written in `style`: (wrong value, its name, the style to write it in)."""
    if style.startswith("dec:"):
        places = int(style[4:])
        unit = Fraction(1, 10**places)
        out = [(value + unit, "last digit off by one", style), (value - unit, "last digit off by one", style)]
        out += [(value * 10, "decimal point moved", f"dec:{max(places - 1, 0)}")]
        out += [(value / 10, "decimal point moved", f"dec:{places + 1}"), (value * 2, "doubled", style)]
    elif value.denominator == 1:
        n = value.numerator
        out = [(value + 1, "off by one"), (value - 1, "off by one"), (value * 2, "doubled"), (value * 10, "times ten")]
        out += [(value / 2, "halved")] if n % 2 == 0 else []
        digits = str(abs(n))
        if len(set(digits)) > 1 and not digits.endswith("0"):
            out.append((Fraction(int(digits[::-1]) * (1 if n > 0 else -1)), "digits reversed"))
        out = [(v, why, style) for v, why in out + ([(-value, "sign flipped")] if n < 0 else [])]
    else:
        p, q = value.numerator, value.denominator
        out = [(Fraction(q, p), "reciprocal"), (Fraction(p + 1, q), "numerator off by one")]
        out += [(Fraction(p, q + 1), "denominator off by one"), (value * 2, "doubled")]
        out = [(v, why, style) for v, why in out]
    return [(v, why, how) for v, why, how in out if v != value and formatted(v, how) is not None]


def numeric(span: str, stated: set) -> list[Distractor]:
    """Every miscomputation of every number of the span the context does not state (the values it derives or states
    after an '=' first, in their own style; then the other numbers it writes), carried forward."""
    found = results(span)
    taken = [(r.start, r.end) for r in found]
    targets = [(r.start, r.end, r.value, r.style) for r in found]
    for a, b, value in numbers(span):
        if all(b <= x or a >= y for x, y in taken):
            targets.append((a, b, value, number_style(span[a:b])))
    out = []
    for a, b, value, style in targets:
        if value in stated:
            continue
        for new, why, how in wrong_values(value, style):
            written = formatted(new, how)
            text = propagate(span, {(a, b): written}, {value: new}, b)
            if text is not None:
                out.append(Distractor(text, "numeric", f"{span[a:b]} -> {written} ({why})", f"numeric@{a}"))
    return out


# -- swaps -----------------------------------------------------------------------------------------------------------

MATH_SWAPS = [  # (pattern, replacement, how); a + - * counts only between two operands
    (r"\+", "-", "operator"),
    (r"-(?!>)", "+", "operator"),
    (r"\*", "+", "operator"),
    (r"\\cdot(?![a-zA-Z])", "+", "operator"),
    (r"\\times(?![a-zA-Z])", "+", "operator"),
    (r"\\div(?![a-zA-Z])", "\\times", "operator"),
    (r"(?<![<\\])<(?![<=])", ">", "relation"),
    (r"(?<![>\\-])>(?![>=])", "<", "relation"),
    (r"\\leq?(?![a-zA-Z])", "\\ge", "relation"),
    (r"\\geq?(?![a-zA-Z])", "\\le", "relation"),
    (r"\\neq?(?![a-zA-Z])", "=", "relation"),
    (r"\\sin(?![a-zA-Z])", "\\cos", "operator"),
    (r"\\cos(?![a-zA-Z])", "\\sin", "operator"),
    (r"\\tan(?![a-zA-Z])", "\\cot", "operator"),
    (r"\\max(?![a-zA-Z])", "\\min", "operator"),
    (r"\\min(?![a-zA-Z])", "\\max", "operator"),
    (r"\\cup(?![a-zA-Z])", "\\cap", "operator"),
    (r"\\cap(?![a-zA-Z])", "\\cup", "operator"),
]
_OPERAND_END = re.compile(r"[\w)}\]!|]\s*$")
_TEXT_COMMAND = re.compile(r"\\(?:text|mbox|mathrm|textbf|operatorname)\{[^{}]*\}")


def _math_sites(span: str) -> list[tuple[int, int, str, str]]:
    """(start, end, replacement, how) for every swappable operator or relation inside the span's math."""
    sites = []
    for region in math_regions(span):
        inner = span[region.inner_start : region.inner_end]
        inner = _TEXT_COMMAND.sub(lambda m: " " * len(m.group()), inner)
        for pattern, new, how in MATH_SWAPS:
            for m in re.finditer(pattern, inner):
                if m.group() in "+-*" and not _OPERAND_END.search(inner[: m.start()]):
                    continue  # a sign, not an operation
                sites.append((region.inner_start + m.start(), region.inner_start + m.end(), new, how))
    return sites


def _changes_value(span: str, a: int, b: int, new: str) -> bool:
    """False when the swap sits in the left side of an equation and leaves its value as it was."""
    for link in links(span):
        lo, hi = link.source
        if lo <= a and b <= hi:
            return evaluate(_apply(span, {(a, b): new}, lo, hi)) not in (None, link.result.value)
    return True


def swaps(span: str) -> list[Distractor]:
    """One distractor per swappable operator, relation (carried forward) or word of the span."""
    out = []
    for a, b, new, how in _math_sites(span) if "<<" not in span else []:  # GSM8K's notes repeat the prose
        if _changes_value(span, a, b, new):
            text = propagate(span, {(a, b): new}, {}, b)
            if text is not None:
                out.append(Distractor(text, how, f"{span[a:b]} -> {new}", f"{how}@{a}"))
    blanked = prose(span)
    for pattern, rewrite, tag in ((WORD, lambda m: swapped(m.group()), "word"), (NEGATION, negated, "not")):
        for m in pattern.finditer(blanked):
            new = rewrite(m)
            text = span[: m.start()] + new + span[m.end() :]
            out.append(Distractor(text, "word", f"{m.group()} -> {new}", f"{tag}@{m.start()}"))
    return out


# -- borrowed spans --------------------------------------------------------------------------------------------------


def style_of(text: str) -> tuple[bool, bool]:
    """(has math, states a final answer): what a borrowed span must share with the truth."""
    return bool(math_regions(text)), bool(re.search(r"\\boxed|\\fbox|####", text))


def borrowed(truth: str, k: int, pool: list, rng: random.Random, exclude: str, tries: int = 40) -> list[Distractor]:
    """Spans of k steps like the truth (length, style) from other documents of `pool` (items with .id, .text,
    .steps), in random order."""
    out, style = [], style_of(truth)
    for _ in range(min(tries, 4 * len(pool))):
        doc = pool[rng.randrange(len(pool))]
        if doc.id == exclude or len(doc.steps) < k:
            continue
        first = rng.randrange(len(doc.steps) - k + 1)
        text = doc.text[doc.steps[first][0] : doc.steps[first + k - 1][1]]
        if 0.6 <= len(text) / max(len(truth), 1) <= 1.6 and style_of(text) == style:
            out.append(Distractor(text, "borrowed", str(doc.id), f"borrowed:{doc.id}"))
    return out


# -- the gate --------------------------------------------------------------------------------------------------------

_LAYOUT = frozenset(r"\frac \dfrac \tfrac \left \right \displaystyle \boxed \text \mathrm \quad".split())
_SAME_SYMBOL = {
    "\\cdot": "*",
    "\\times": "*",
    "\\leq": "\\le",
    "\\geq": "\\ge",
    "\\neq": "\\ne",
    "\\lt": "<",
    "\\gt": ">",
}
_MATH_SYMBOL = re.compile(r"\\[a-zA-Z]+|[-+*/=<>^]|[a-zA-Z]")
_FRACTION = re.compile(r"\\[dt]?frac\{\s*(\d+)\s*\}\{\s*(\d+)\s*\}")


def _values(text: str) -> Counter:
    """The numbers of a text, a fraction \\frac{a}{b} counted as one value."""
    found = Counter()
    for m in _FRACTION.finditer(text):
        if int(m.group(2)):
            found[Fraction(int(m.group(1)), int(m.group(2)))] += 1
    rest = _FRACTION.sub(" ", text)
    found.update(value for _, _, value in numbers(rest))
    return found


@functools.lru_cache(maxsize=4096)  # an option is compared with every other one: read each once
def _content(text: str) -> tuple:
    words = Counter(re.findall(r"[a-z]+", prose(text).lower()))
    symbols = Counter()
    for r in math_regions(text):
        found = _MATH_SYMBOL.findall(text[r.inner_start : r.inner_end])
        symbols.update(_SAME_SYMBOL.get(s, s) for s in found if s not in _LAYOUT)
    return words, _values(text), symbols


def equivalent(a: str, b: str) -> bool:
    """True when two options say the same: equal after normalisation, or the same words, values and math symbols
    in another order or form (a reordered sum, 0.5 for \\frac12)."""
    return squeeze(a) == squeeze(b) or _content(a) == _content(b)


def admissible(option: str, truth: str, chosen: list[str]) -> bool:
    """An option may join the item: not empty, and not the truth or an option already chosen, in any form."""
    return bool(squeeze(option)) and not any(equivalent(option, other) for other in [truth, *chosen])


def diversified(found: list[Distractor], rng: random.Random) -> list[Distractor]:
    """The distractors in an order that spreads the choice: a random order inside each group (one changed value,
    one swapped symbol), the groups taken in turn, in random order."""
    groups: dict[str, list[Distractor]] = {}
    for d in found:
        groups.setdefault(d.group, []).append(d)
    lists = list(groups.values())
    rng.shuffle(lists)
    for items in lists:
        rng.shuffle(items)
    out = []
    for i in range(max((len(x) for x in lists), default=0)):
        out.extend(items[i] for items in lists if i < len(items))
    return out
