"""The numbers of a problem that its own text determines: replaced by a variable, they would be found from q2 alone,
so q1 would not be needed to solve the composition (a shortcut RL learns first). `determined` names them, by reason:

- ``0 or 1``: the neutral elements, and what a solver guesses first wherever they stand: the right side
  of an equation (``= 0``), a normalisation (``|a| = 1``), a unit (``1 cubic foot``), the start of a range, a
  constant term (``x^2 + x + 1``);
- ``member of a listed sequence``: a member of a list or sum written with an ellipsis (``1, 3, 5, \\ldots``,
  ``1 - 2 + 3 - \\dots``) or of three consecutive members in an arithmetic or geometric progression (``odd numbers
  1, 3, 5, 7``, ``1, 2, and 3``) or of one whose members write 1, 2, 3, … on (``1+12+123+1234``);
- ``digits 1, 2, 3, … run together``: a number of four or more digits that writes the integers from 1 in order
  (``1234``, ``123456789101112``: ``a_n`` is the number obtained by writing 1 to n, so the text gives ``a_{12}``);
- ``angle of a trigonometric identity``: the angles of a text with two or more trigonometric functions of numbers
  (``\\sin 20^\\circ \\sin 40^\\circ \\sin 80^\\circ``, ``\\cos \\frac{2\\pi}{15} \\cos \\frac{4\\pi}{15}``);
- ``count fixed by the wording``: ``a deck of 52 cards``, ``a 6-sided die``, ``7 days`` in a week, ``90^\\circ`` in a
  right triangle, a hexagon's ``6 sides``.

`number_words` counts the values a text writes in words (``two``, ``twice``, ``a dozen``), which make a literal of
the same value a repeated one. Every pass is linear in the text.
"""

from __future__ import annotations

import re
from collections import Counter

import sympy

_FILLER = re.compile(r"\s+|\$|\\[,;:! ]|~|\\q?quad\b|\\left\b|\\right\b")
_SEPARATOR = re.compile(r"(?:,|;|and|or|\+|-|\\cdot|\\times|\\pm|\\text\{(?:,|and|or|,and|,or)\})+")
NEUTRAL = {0: "0 or 1", 1: "0 or 1"}
_DOTS = r"(?:\\(?:[lcv]?dots[bcmio]?|ldots)(?![A-Za-z])|\.\.\.|…)"
_ELLIPSIS = re.compile(_DOTS)
_ELLIPSIS_AFTER = re.compile(r"(?:,|;|\+|-|\\cdot|\\times)?" + _DOTS)
_ELLIPSIS_BEFORE = re.compile(_DOTS + r"(?:,|;|\+|-|\\cdot|\\times)?$")
_BRACKET = re.compile(r"\s*(?:\\left\s*)?([({])")
_TRIG = re.compile(r"\\(?:sin|cos|tan|cot|sec|csc)(?![A-Za-z])")
_TRIG_POWER = re.compile(r"\s*\^\s*(?:\{[^{}]*\}|\d)")
_TRIG_PLAIN = re.compile(
    r"\s*(?:\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}|\d*\.?\d+\s*(?:\^\s*\{?\s*\\circ\s*\}?|°)?|\d*\s*\\pi|\d*\s*[A-Za-z])"
)
_DEGREES = r"(?:\^\s*\{?\s*\\circ|°|\\text\{\s*degrees?|degrees?)"
_SIDES = r"(?:sides|vertices|angles|edges|corners)"
FIXED = [  # (value, what follows the number, a word near it that fixes the count)
    (6, r"-?\s*sided|faces?", r"\bdice?\b"),
    (52, r"-?\s*cards?", r"\bdecks?\b"),
    (13, r"cards?|ranks?|hearts|spades|clubs|diamonds", r"\b(?:suits?|decks?)\b"),
    (4, r"suits?", r"\bdecks?\b"),
    (7, r"days?", r"\bweeks?\b"),
    (12, r"months?", r"\byears?\b"),
    (12, r"inch(?:es)?", r"\b(?:foot|feet)\b"),
    (24, r"hours?", r"\bdays?\b"),
    (60, r"minutes?|seconds?", r"\b(?:hours?|minutes?)\b"),
    (365, r"days?", r"\byears?\b"),
    (26, r"letters?", r"\balphabet\b|\bEnglish\b"),
    (10, r"digits?", r"\bdigits\b|\bbase[- ]10\b"),
    (100, r"cents?|centimeters?|years", r"\bdollars?\b|\bmeters?\b|\bcentur(?:y|ies)\b"),
    (3, _SIDES, r"\btriangles?\b"),
    (4, _SIDES, r"\b(?:squares?|rectangles?|quadrilaterals?|rhombus)\b"),
    (5, _SIDES, r"\bpentagons?\b"),
    (6, _SIDES + r"|faces", r"\bhexagons?\b|\bcubes?\b"),
    (8, _SIDES, r"\boctagons?\b|\bcubes?\b"),
    (12, r"edges", r"\bcubes?\b"),
    (90, _DEGREES, r"\bright\b|\bperpendicular\b"),
    (180, _DEGREES, r"\btriangles?\b|\bstraight\b|\bsupplementary\b|\bline\b"),
    (360, _DEGREES, r"\bcircles?\b|\bfull\b|\baround\b|\brevolution\b|\bcomplete\b"),
]
_BEFORE_UNIT = r"(?:\s|\$|\}|\\text\{|\\mbox\{|-)*(?:"
FIXED = [(v, re.compile(_BEFORE_UNIT + u + ")", re.I), re.compile(k, re.I)) for v, u, k in FIXED]
_FIXED_BY_VALUE: dict[int, list] = {}
for _value, _unit, _key in FIXED:
    _FIXED_BY_VALUE.setdefault(_value, []).append((_unit, _key))
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_OTHER = {"hundred": 100, "thousand": 1000, "million": 10**6, "twice": 2, "double": 2, "pair": 2, "triple": 3,
          "thrice": 3, "dozen": 12, "half": sympy.Rational(1, 2), "quarter": sympy.Rational(1, 4)}  # fmt: skip
_WORD = re.compile(
    r"(?i)\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[- ](?P<unit>" + "|".join(list(_UNITS)[1:10]) + r"))?"
    r"|(?P<word>" + "|".join([*_UNITS, *_OTHER]) + r"))\b"
)


def number_words(text: str) -> Counter:
    """The values `text` writes in words, counted: ``twenty-five`` is 25, ``twice`` 2, ``half`` 1/2."""
    out = Counter()
    for m in _WORD.finditer(text):
        if m.group("tens"):
            out[sympy.Integer(_TENS[m.group("tens").lower()] + _UNITS.get((m.group("unit") or "zero").lower(), 0))] += 1
        else:
            word = m.group("word").lower()
            out[sympy.sympify(_UNITS.get(word, _OTHER.get(word)))] += 1
    return out


def determined(text: str, found: list) -> dict[int, str]:
    """{index in `found`: why} for the constants (rlvrkit.compose.numbers.Constant, in text order) that the text
    determines; the others are not in it."""
    out: dict[int, str] = {i: NEUTRAL[c.value] for i, c in enumerate(found) if c.value in NEUTRAL}
    for i in _in_sequences(text, found):
        out.setdefault(i, "member of a listed sequence")
    for i, c in enumerate(found):
        if counting(c.text):
            out.setdefault(i, "digits 1, 2, 3, … run together")
    for i in _identity_angles(text, found):
        out.setdefault(i, "angle of a trigonometric identity")
    for i, c in enumerate(found):
        if c.value is not None and _fixed(text, c):
            out.setdefault(i, "count fixed by the wording")
    return out


_COUNTING = "".join(str(n) for n in range(1, 60))  # 1234567891011…5859: 109 digits, past MAX_DIGITS


def counting(literal: str) -> bool:
    """Whether `literal` is 4 or more digits that write 1, 2, 3, … in order (``1234``, ``123456789101112``)."""
    return len(literal) >= 4 and literal.isdigit() and _COUNTING.startswith(literal)


def _stripped(gap: str) -> str:
    return _FILLER.sub("", gap)


def runs(text: str, found: list) -> list[list[int]]:
    """The runs of constants written as one list or sum: indices into `found`, consecutive, separated only by
    commas, ``and``/``or``, signs, products and ellipses."""
    runs: list[list[int]] = []
    for i in range(len(found)):
        gap = text[found[i - 1].end : found[i].start] if i else "?"
        bare = _ELLIPSIS.sub("", _stripped(gap)) if len(gap) <= 40 else "?"
        if runs and (_SEPARATOR.fullmatch(bare) or (not bare and _ELLIPSIS.search(gap))):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _in_sequences(text: str, found: list) -> list[int]:
    """The constants that are members of a listed sequence (see the module's docstring)."""
    out = []
    for run in runs(text, found):
        first, last = found[run[0]], found[run[-1]]
        gaps = [text[found[a].end : found[b].start] for a, b in zip(run, run[1:])]
        before = _stripped(text[max(0, first.start - 16) : first.start])
        after = _stripped(text[last.end : last.end + 16])
        if any(_ELLIPSIS.search(g) for g in gaps) or _ELLIPSIS_BEFORE.search(before) or _ELLIPSIS_AFTER.match(after):
            out += run
            continue
        if len(run) >= 3 and all(_COUNTING.startswith(found[i].text) for i in run):  # 1 + 12 + 123 + 1234
            out += run
            continue
        values = [_signed(text, found[i]) for i in run]
        if None not in values:
            out += [i for k, i in enumerate(run) if _progression_around(values, k)]
    return out


def _signed(text: str, c):
    """The value of the constant `c` with the sign written before it (``-2`` in ``1, -2`` or ``1 - 2``)."""
    if c.value is None:
        return None
    return -c.value if _stripped(text[max(0, c.start - 6) : c.start]).endswith("-") else c.value


def _progression_around(values: list, k: int) -> bool:
    """Whether values[k] is one of three consecutive values in arithmetic or geometric progression."""
    for j in range(max(0, k - 2), min(k, len(values) - 3) + 1):
        a, b, c = values[j : j + 3]
        if b - a == c - b or (a != 0 and b != 0 and b / a == c / b):
            return True
    return False


def _identity_angles(text: str, found: list) -> list[int]:
    """The constants inside the arguments of trigonometric functions, when there are two or more of them."""
    regions = []
    for m in _TRIG.finditer(text):
        at = m.end()
        if power := _TRIG_POWER.match(text, at):
            at = power.end()
        regions.append(_argument(text, at))
    inside, k = [], 0
    for i, c in enumerate(found):
        while k < len(regions) and regions[k][1] <= c.start:
            k += 1
        if k < len(regions) and regions[k][0] <= c.start:
            inside.append(i)
    return inside if len(inside) >= 2 else []


def _argument(text: str, at: int) -> tuple[int, int]:
    """[start, end) of a trigonometric function's argument that starts at `at`: a bracketed group (at most 200
    characters), else a fraction, a number (in degrees), a multiple of pi or of a letter."""
    m = _BRACKET.match(text, at)
    if m is None:
        plain = _TRIG_PLAIN.match(text, at)
        return (at, plain.end()) if plain else (at, at)
    depth, close = 0, {"(": ")", "{": "}"}[m.group(1)]
    for j in range(m.start(1), min(len(text), m.start(1) + 200)):
        depth += (text[j] == m.group(1)) - (text[j] == close)
        if depth == 0:
            return m.start(1), j + 1
    return m.start(1), min(len(text), m.start(1) + 200)


def _fixed(text: str, c) -> bool:
    """Whether the wording fixes the count `c` states (its value, the word after it, a word near it)."""
    for unit, key in _FIXED_BY_VALUE.get(c.value, ()):
        if unit.match(text, c.end) and key.search(text, max(0, c.start - 150), c.end + 150):
            return True
    return False
