"""What a distractor is, and the gate every option passes, made by rule or by a model (mask --llm).

A `Distractor` is an option's text and how it was made: the kinds of the sites where it differs from the truth
(numeric, operator, relation, function, word, exchange: rlvrkit.mask.sites) or llm, and what it writes there
("400 -> 401; increases -> decreases").

`admissible` is the gate: an option must differ from the truth and from every option already chosen after
normalisation (`spans.squeeze`), and must not be an equivalent rewriting of either: the same prose words in the
same order with the same numbers (0.5 and \\frac12 are one value) and the same math symbols in another order or form
(a reordered sum) count as the same option. Words exchanged ("from the anode to the cathode" and back) are different
options: prose is compared in order, math as a bag.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from rlvrkit.mask.arithmetic import math_regions, numbers, prose
from rlvrkit.mask.spans import squeeze


@dataclass(frozen=True)
class Distractor:
    text: str
    how: str  # the kinds of the sites it changes (numeric, word, operator+numeric, …) or llm
    what: str  # "400 -> 401", "+ -> -", "increases -> decreases", …
    group: str = ""  # a model's distractors: which one of its list

    def record(self) -> dict:
        return {"how": self.how, "what": self.what}


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
    words = tuple(re.findall(r"[a-z]+", prose(text).lower()))
    symbols = Counter()
    for r in math_regions(text):
        found = _MATH_SYMBOL.findall(text[r.inner_start : r.inner_end])
        symbols.update(_SAME_SYMBOL.get(s, s) for s in found if s not in _LAYOUT)
    return words, _values(text), symbols


def equivalent(a: str, b: str) -> bool:
    """True when two options say the same: equal after normalisation, or the same words in the same order with the
    same values and math symbols in another order or form (a reordered sum, 0.5 for \\frac12)."""
    return squeeze(a) == squeeze(b) or _content(a) == _content(b)


def admissible(option: str, truth: str, chosen: list[str]) -> bool:
    """An option may join the item: not empty, and not the truth or an option already chosen, in any form."""
    return bool(squeeze(option)) and not any(equivalent(option, other) for other in [truth, *chosen])
