"""Step 1 of Composition-RL: an exact value v1 from a problem's answer, and a sentence that names it without stating
it ("Let $X$ be the answer to the problem above.").

The rules, tried in this order, each where it applies unambiguously:

    letter       an option letter or a word: its (first) letter's place in the alphabet        (D) → 4
    digits       a number in another base: how many digits it has                               10001_2 → 5
    radians      an angle in degrees: the angle in radians                                       30^\\circ → π/6
    integer, fraction, decimal, radical, pi
                 a number (money, percent, a unit or the record's `unit` field allowed)          \\frac{7}{20}
    ratio        a ratio (when the problem asks for one; a time of day is not): its first term  3:4 → 3
    solution     ``x = 3``: the value the answer gives                                           r=6.2 → 31/5
    bound        an interval (or a union): its largest finite endpoint                          [46, \\infty) → 46
    largest      several numbers (a list, a point, a matrix): the largest                       (5, -10) → 5
    coefficient  a polynomial as written (expanded): the coefficient of its leading term        7x + 10 → 7

An irrational value (radical, pi, radians) is read but never linked (rlvrkit.compose.spc.IRRATIONAL: the difference
would give Y away). Anything else is skipped with a reason ("q1: answer is a matrix with symbols", …); an answer too
long, too deep or with a value too large to compute exactly (``10^{10^{10}}``) is refused in bounded time
(rlvrkit.compose.values) as "too large to read exactly". `derive(rule, answer, rec)` re-derives a value by a named
rule only, for the self-check.

A rounded reference says so: a decimal answer is read as rounded to its places, e-notation to its figures, and the
answer of a record marked ``"approximate": true`` (SciBench's and TheoremQA's physics rows, graded with a tolerance)
as rounded to its significant figures, so that the link is exact for a solver who computes the true value; such an
answer is read only by the rules whose definition can state the rounding (a number, ``x = …``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy

from rlvrkit.compose.values import TooLarge, kind, literal, number, parse

SLOT = "\x00X"  # where a definition's variable goes
MAX_ANSWER = 1000  # characters: a longer answer is not read (MATH's longest has 159)
NUMBER_RULES = ("integer", "fraction", "decimal", "radical", "pi")
_WRAPPERS = re.compile(r"^\s*(?:\$+|\\\(|\\\[)\s*|\s*(?:\$+|\\\)|\\\])\s*$|^\s*\\boxed\s*\{(.*)\}\s*$")
_UNIT_TEXT = re.compile(r"\s*(?:\\(?:text|mbox|textnormal|mathrm)\s*\{\s*[A-Za-z][^{}]*\}\s*(?:\^\s*\{?\d\}?)?)+\s*$")
_E_NOTATION = re.compile(r"(-?(?:\d+(?:\.\d*)?|\.\d+))[eE]([-+]?\d+)", re.ASCII)
_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_RATIO_ASKED = re.compile(r"(?i)\bratios?\b|\bodds\b")
_MATRIX = re.compile(r"\\begin\{[pbvB]?matrix\}(.*)\\end\{[pbvB]?matrix\}", re.S)


@dataclass(frozen=True)
class Reading:
    """What a rule reads from an answer: the exact value, the rule's name, the defining sentence (with SLOT where the
    variable goes) and whether that sentence needs LaTeX."""

    value: object  # a sympy number
    rule: str
    sentence: str
    latex: bool = False

    def definition(self, name: str) -> str:
        """The sentence with the variable written in: ``Let $X$ be …`` (or ``Let X be …`` in plain text)."""
        return self.sentence.replace(SLOT, name)


def _above(what: str = "the answer to the problem above") -> str:
    return f"Let {SLOT} be {what}"


def clean(answer: str) -> str:
    """The answer without the wrappers that do not change it: surrounding ``$``, ``\\(…\\)``, ``\\boxed{…}``, a final
    period, outer spaces."""
    text = str(answer).strip().rstrip(".").strip()
    while True:
        m = _WRAPPERS.search(text)
        if m is None:
            return text
        text = (m.group(1) if m.group(1) is not None else text[: m.start()] + text[m.end() :]).strip()


def _letter(a: str, rec: dict) -> Reading | None:
    m = re.fullmatch(r"(\()?\s*(?:\\text(?:bf|rm|normal)?\s*\{\s*)?(\()?\s*([A-Za-z]+)\s*\)?\s*\}?\s*\)?", a)
    if m is None:
        return None
    word, parenthesised, texted = m.group(3), bool(m.group(1) or m.group(2)), "\\text" in a
    position = ord(word[0].upper()) - ord("A") + 1
    if len(word) == 1 and (word.isupper() or parenthesised):
        what = (
            "the position in the alphabet of the letter in the answer to the problem above (A is 1, B is 2, and so on)"
        )
    elif len(word) > 1 and texted:
        what = "the position in the alphabet of the first letter of the answer to the problem above (A is 1, B is 2)"
    else:
        return None
    return Reading(sympy.Integer(position), "letter", _above(what) + ".")


def _digits(a: str, rec: dict) -> Reading | None:
    m = re.fullmatch(r"([0-9A-Za-z]+)_\{?\s*([0-9]+)\s*\}?", a)
    if m is None or not 2 <= int(m.group(2)) <= 36 or int(m.group(2)) == 10:
        return None
    digits, base = m.group(1), int(m.group(2))
    if any(int(d, 36) >= base for d in digits):
        return None
    what = f"the number of digits of the answer to the problem above, written in base {base}"
    return Reading(sympy.Integer(len(digits)), "digits", _above(what) + ".")


def _radians(a: str, rec: dict) -> Reading | None:
    m = re.fullmatch(r"(.+?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\text\{\s*degrees?\s*\})", a)
    if m is None or approximate(rec):
        return None
    try:
        degrees = number(m.group(1))
    except ValueError:
        return None
    return Reading(degrees * sympy.pi / 180, "radians", _above() + ", converted to radians.")


def _number(a: str, rec: dict) -> Reading | None:
    """A number, possibly with a dollar sign, a percent sign, a unit in text, or a `unit` field on the record."""
    text, what, latex = a, "the answer to the problem above", False
    if text.startswith("\\$") or text.startswith("$"):
        text, what = text.lstrip("\\$").strip(), "the number of dollars in the answer to the problem above"
    elif re.search(r"\\?%$", text):
        text, what = re.sub(r"\s*\\?%$", "", text), "the number of percent in the answer to the problem above"
    elif _UNIT_TEXT.search(text) and not _UNIT_TEXT.fullmatch(text):
        text, what = _UNIT_TEXT.sub("", text), "the number in the answer to the problem above, without its unit"
    if isinstance(rec.get("unit"), str) and rec["unit"].strip():
        unit = rec["unit"].strip()
        what, latex = f"{what}, expressed in units of {unit}", "$" in unit or "\\" in unit
    value, rounding = _exact(text, approximate(rec))
    if value is None:
        return None
    rule = "decimal" if rounding else kind(value, text)  # a rounded value is a decimal, whatever its digits
    return Reading(value, rule, _above(what) + rounding + ".", latex)


def approximate(rec: dict) -> bool:
    """Whether the record says its reference is rounded (``"approximate": true``)."""
    return rec.get("approximate") is True


def _exact(text: str, rounded: bool = False) -> tuple[object | None, str]:
    """(value, rounding clause): a decimal answer is read as rounded to its places, e-notation and an answer the
    record marks as approximate (`rounded`) to its significant figures."""
    if m := _E_NOTATION.fullmatch(text):
        mantissa = m.group(1).lstrip("-")
        value = literal(text.lstrip("-"))
        return (-value if text.startswith("-") else value), _figures(len(mantissa.replace(".", "").lstrip("0")))
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    try:
        value = number(text)
    except ValueError:
        return None, ""
    plain = re.fullmatch(r"-?([0-9]*)\.?([0-9]*)", text)
    if rounded and plain and value != 0:
        return value, _figures(len((plain.group(1) + plain.group(2)).strip("0")))
    places = len(plain.group(2)) if plain else 0
    if rounded and plain and not places:
        return value, ", rounded to the nearest integer"
    return value, f", rounded to {places} decimal place{'s' * (places > 1)}" if places else ""


def _figures(figures: int) -> str:
    figures = max(figures, 1)
    return f", rounded to {figures} significant figure{'s' * (figures > 1)}"


def _ratio(a: str, rec: dict) -> Reading | None:
    """The first term of a ratio, when the problem asks for a ratio (or odds): ``9:24`` after a race around a track
    is a time of day."""
    parts = a.replace("\\!", "").split(":")
    if len(parts) < 2 or not _RATIO_ASKED.search(str(rec.get("prompt", ""))):
        return None
    try:
        values = [number(p) for p in parts]
    except ValueError:
        return None
    return Reading(values[0], "ratio", _above("the first term of the ratio in the answer to the problem above") + ".")


def _solution(a: str, rec: dict) -> Reading | None:
    m = re.fullmatch(r"([A-Za-z](?:_\{?\w+\}?)?|[A-Z]{2,3})\s*=\s*(.+)", a)
    if m is None:
        return None
    value, rounding = _exact(m.group(2).strip(), approximate(rec))
    if value is None:
        return None
    what = f"the value of ${m.group(1)}$ in the answer to the problem above"
    return Reading(value, "solution", _above(what) + rounding + ".", True)


def _bound(a: str, rec: dict) -> Reading | None:
    a = re.sub(r"\\left|\\right", "", a)
    if "\\infty" not in a and "\\cup" not in a and not re.search(r"^\s*\[|\]\s*$", a):
        return None
    ends = []
    for piece in a.split("\\cup"):
        m = re.fullmatch(r"\s*[\[(]\s*(.+?)\s*,\s*(.+?)\s*[\])]\s*", piece)
        if m is None:
            return None
        ends += [e for e in m.groups() if "infty" not in e]
    try:
        finite = [number(e) for e in ends]
    except ValueError:
        return None
    if not finite:
        return None
    pieces = a.count("\\cup") + 1
    what = (
        "the largest finite endpoint of the intervals"
        if pieces > 1
        else "the upper endpoint of the interval"
        if len(finite) == 2
        else "the finite endpoint of the interval"
    )
    return Reading(max(finite), "bound", _above(f"{what} in the answer to the problem above") + ".")


def _items(a: str) -> tuple[list[str], str]:
    """The items of a list, a tuple, a set or a matrix, and what to call them."""
    if m := _MATRIX.search(a):
        return re.split(r"&|\\\\", m.group(1)), "the largest entry of the answer to the problem above"
    inner = re.sub(r"^\s*(?:\\\{|\(|\\left\()\s*|\s*(?:\\\}|\)|\\right\))\s*$", "", a)
    parts = re.split(r",|;|\\quad|\\text\{\s*(?:and|or|,)\s*\}|\band\b|\bor\b", re.sub(r"\\[,;!: ]", " ", inner))
    return [p for p in parts if p.strip()], "the largest of the numbers in the answer to the problem above"


def _largest(a: str, rec: dict) -> Reading | None:
    parts, what = _items(a)
    parts = [re.sub(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=", "", p).strip() for p in parts]
    if len(parts) < 2:
        return None
    try:
        values = [number(p) for p in parts]
    except ValueError:
        return None
    return Reading(max(values), "largest", _above(what) + ".")


def _coefficient(a: str, rec: dict) -> Reading | None:
    """The coefficient of the leading term of a polynomial written as a sum of distinct monomials (``7x + 10``, ``y =
    2x + 1``): any other form (factored, like terms repeated, a symbol in a denominator) is ambiguous."""
    rhs = re.fullmatch(r"\s*[A-Za-z]\s*=\s*(.+)", a)
    text = rhs.group(1) if rhs else a
    if (
        not re.search(r"\d", text)
        or re.search(r"\([^()]*[A-Za-z]", text)
        or re.search(r"\\(?!frac|sqrt|pi|cdot)", text)
    ):
        return None
    try:
        expr = sympy.expand(parse(text, symbols=True))
    except (ValueError, TypeError):
        return None
    names = sorted(expr.free_symbols, key=lambda s: s.name)
    if not names or any(s.name == "e" for s in names) or _written_terms(text) != len(sympy.Add.make_args(expr)):
        return None
    try:
        poly = sympy.Poly(expr, *names)
    except sympy.PolynomialError:
        return None
    monomial = max(poly.monoms(), key=sum)
    if sum(monomial) == 0 or not all(c.is_number for c in poly.coeffs()):
        return None
    what = f"the coefficient of ${_monomial(names, monomial)}$ in the answer to the problem above"
    return Reading(poly.coeff_monomial(monomial), "coefficient", _above(what) + ".", True)


def _written_terms(text: str) -> int:
    """How many terms a sum is written with: the + and - signs outside any group, not leading and not after an
    operator."""
    depth, count, prev = 0, 1, None
    for c in re.sub(r"\s+", "", text):
        depth += {"(": 1, "{": 1, "[": 1, ")": -1, "}": -1, "]": -1}.get(c, 0)
        if c in "+-" and depth == 0 and prev not in (None, "^", "*", "/", "(", "{", "=", "+", "-"):
            count += 1
        prev = c
    return count


def _monomial(names, powers) -> str:
    """``x^2y``, ``x^{10}``: the exponents as LaTeX reads them (braced when over one digit)."""
    return "".join(s.name + (f"^{{{p}}}" if p > 9 else f"^{p}" if p > 1 else "") for s, p in zip(names, powers) if p)


RULES: tuple[Callable[[str, dict], Reading | None], ...] = (
    _letter,
    _digits,
    _radians,
    _number,
    _ratio,
    _solution,
    _bound,
    _largest,
    _coefficient,
)
RULES_ROUNDED = (_number, _solution)  # the rules whose definition states a rounding
_BY_NAME = {
    "letter": _letter,
    "digits": _digits,
    "radians": _radians,
    **{name: _number for name in NUMBER_RULES},
    "ratio": _ratio,
    "solution": _solution,
    "bound": _bound,
    "largest": _largest,
    "coefficient": _coefficient,
}
NAMES = tuple(_BY_NAME)


TOO_LARGE = "too large to read exactly"


def read(answer, rec: dict | None = None) -> Reading | str:
    """The first rule's reading of `answer` (a record's, so its `unit` and `approximate` count), or why none
    applies; in bounded time whatever the answer."""
    rec = rec or {}
    if len(str(answer)) > MAX_ANSWER:
        return f"q1: answer is {TOO_LARGE}"
    a = clean(answer)
    try:
        for rule in RULES_ROUNDED if approximate(rec) else RULES:
            reading = rule(a, rec)
            if reading is not None and reading.value.is_real:
                return reading
    except TooLarge:
        return f"q1: answer is {TOO_LARGE}"
    return f"q1: answer is {_kind_of(a)}"


def derive(rule: str, answer, rec: dict | None = None) -> Reading | None:
    """The reading of `answer` by the rule named `rule` alone (the self-check's re-derivation), or None."""
    fn = _BY_NAME.get(rule)
    if fn is None or len(str(answer)) > MAX_ANSWER:
        return None
    try:
        reading = fn(clean(answer), rec or {})
    except TooLarge:
        return None
    return reading if reading is not None and reading.rule == rule else None


def _kind_of(a: str) -> str:
    """What an answer no rule reads is, for the skip counts."""
    if not a:
        return "empty"
    if "matrix" in a:
        return "a matrix with symbols"
    if "\\infty" in a:
        return "an interval without a finite endpoint"
    if "\\text" in a:
        return "words"
    if re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", a)):
        return "an expression"
    return "unreadable"
