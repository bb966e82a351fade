"""The numeric constants of a problem's text, which of them may be replaced by a variable, and writing a value back in
the notation of the literal it replaces.

A constant is an unsigned literal: an integer (``12``, ``1,000``, ``1{,}000``), a fraction (``\\frac{3}{4}``,
``\\dfrac34``, ``3/4``) or a decimal (``0.5``, ``.5``, ``12.50``). `to_replace` picks, among those that may be replaced,
integers before fractions before decimals as Composition-RL does, but the largest first (the paper takes the
smallest: then a policy that guesses Y = 3 without reading q1 is right on 23% of MATH-500's compositions; largest
first, the best constant guess is right on 7%). One may not be replaced when it is

- in figure code (``[asy]``, TikZ), a layout command (``\\hspace{2cm}``) or a label (``Problem 3``, ``Figure 2``,
  ``Step 1``, ``May 5``);
- in an instruction about how to write the answer, from its first words to the end of its sentence (``Express your
  answer as a common fraction``, ``to the nearest tenth``, ``in the form (r, θ)``);
- an exponent (``m^2``, ``x^{3}``, anything inside ``^{…}``) or a subscript or base (``a_1``, ``z_{n-1}``,
  ``1001_2``), the 10 of a power of ten, the argument of a command written without braces (``\\sqrt2``);
- part of a larger number (``1.2.3``, ``4e-05``, ``0.4\\overline5``, a time ``3:30``; ``(3,100)`` in math, which
  could be a thousand), glued to a name (``x2``, ``5th``), or written with leading zeros;
- a value the text holds more than once: which occurrence is the same quantity would take understanding, so the
  rule-based composer never replaces a repeated number; figure code counts (a figure drawn to scale shows the
  value) and so do number words (``two``, ``twice``, ``a dozen``);
- a year in prose (``In 1992, …``): it rarely changes the answer;
- a value q2's own text determines (rlvrkit.compose.determined): 0 and 1, a member of a listed sequence or the
  digits 1, 2, 3, … run together (``a_{12} = 123456789101112``), an angle of a trigonometric identity, a count fixed
  by the wording (``a deck of 52 cards``);
- 2: after 0 and 1 the value a policy guesses first (``base 2``, ``domain [0, 2]``); replaced only when nothing
  else may be, it made 3% of MATH-500's compositions solvable by that guess, so it never is;
- more than MAX_DIGITS digits long (its value is never computed).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import sympy

from rlvrkit.compose.determined import determined, number_words
from rlvrkit.compose.values import MAX_DIGITS
from rlvrkit.latex import SpanMap

KINDS = ("integer", "fraction", "decimal")  # the order of preference
GUESSED = {2: "2 (guessed first)"}  # never replaced either: q2 alone gives it away too often (0 and 1 are in NEUTRAL)
_LITERAL = re.compile(
    r"(?P<fraction>\\[dt]?frac\s*(?:\{\s*\d+\s*\}|\d)\s*(?:\{\s*\d+\s*\}|\d)"
    r"|(?<![\d/.^_])\d+/\d+(?![\d/]))"
    r"|(?P<grouped>(?<![\d.])\d{1,3}(?:(?:,|\{,\}|,\\!)\d{3})+(?:\.\d+)?(?![\d,]))"
    r"|(?P<decimal>\d+\.\d+|(?<!\d)\.\d+)"
    r"|(?P<integer>\d+)",
    re.ASCII,
)
_LABEL = re.compile(
    r"(?i:\b(?:problems?|figures?|figs?\.|exercises?|examples?|tables?|chapters?|sections?|equations?|eqs?\.|"
    r"questions?|parts?|lemmas?|theorems?|appendix|pages?|steps?|cases?|diagrams?)\s*~?\s*\(?#?\s*)"
    r"\d+(?:\s*[.\-–]\s*\d+)*"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}\b"
)
_LAYOUT = re.compile(
    r"\\(?:hspace|vspace|hskip|vskip|kern|rule|includegraphics|setlength|put|multicolumn|multirow|label|ref|eqref|"
    r"cite|raisebox|makebox|framebox|parbox|scalebox|resizebox|fontsize)\*?(?:\s*\[[^\]]*\])?(?:\s*\{[^{}]*\}){0,3}"
    r"|\\\\\s*\[[^\]]*\]"
)
_FORMAT = re.compile(
    r"(?i)your answer|answer (?:is|can be|should be) (?:written|expressed)|nearest|decimal places?|significant "
    r"(?:figures|digits)|in the form|simplest (?:radical )?form|lowest terms|as an? (?:common |mixed |improper )?"
    r"(?:fraction|decimal|percent|mixed number|integer|whole number)|round(?:ed)? (?:to|off|your)|"
    r"separated by commas|interval notation"
)
_FRACTION = re.compile(r"\\[dt]?frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))|(\d+)/(\d+)", re.ASCII)
_YEAR_BEFORE = re.compile(r"(?i)\b(?:in|year|since|from|until|by|of|during|before|after|early|late)\s+$")
_ERA = re.compile(r"\s*(?:AD|BC|CE|BCE|A\.D\.|B\.C\.)\b")
_SENTENCE_END = re.compile(r"[.?!](?:\$|\\\])?(?=\s|$)|\n")
_SCRIPT = re.compile(r"([\^_])\s*$")
_BRACE = re.compile(r"(?<!\\)[{}]")


@dataclass(frozen=True)
class Constant:
    """One numeric literal of a text: where it is, as written, its exact value, its kind, whether it sits in math,
    and why it may not be replaced (None when it may)."""

    start: int
    end: int
    text: str
    value: object  # a sympy Rational
    kind: str  # integer | fraction | decimal
    math: bool
    reason: str | None = None


def _value(kind: str, text: str):
    """The exact value of a literal; None for a zero denominator or more than MAX_DIGITS digits (never computed)."""
    if sum(c.isdigit() for c in text) > MAX_DIGITS:
        return None
    if kind == "fraction":
        p, q = _fraction_parts(_FRACTION.fullmatch(text))
        return sympy.Rational(int(p.text), int(q.text)) if int(q.text) else None
    if kind == "grouped":
        return sympy.Rational(re.sub(r"[^\d.]", "", text))
    return sympy.Rational(text)


class _Blocked:
    """The stretches of a text whose numbers are never replaced, by reason, asked about in increasing positions
    (one pointer per reason: linear in the text however many numbers and stretches it has)."""

    def __init__(self, text: str, spans: SpanMap):
        figure = [(s.start, s.end) for s in spans.spans if s.figure]
        scripts = _script_groups(text)
        self.kinds = [
            ("figure code", figure, [0]),
            ("label", [m.span() for m in _LABEL.finditer(text)], [0]),
            ("layout", [m.span() for m in _LAYOUT.finditer(text)], [0]),
            ("answer format", _format_stretches(text), [0]),
            ("exponent", scripts["^"], [0]),
            ("subscript or base", scripts["_"], [0]),
        ]

    def reason(self, at: int) -> str | None:
        """Why a number at `at` may not be replaced, by the stretch it is in (the first reason listed), or None."""
        for why, stretches, k in self.kinds:
            while k[0] < len(stretches) and stretches[k[0]][1] <= at:
                k[0] += 1
            if k[0] < len(stretches) and stretches[k[0]][0] <= at:
                return why
        return None


def _format_stretches(text: str) -> list[tuple[int, int]]:
    """From each instruction about the answer's form to the end of its sentence."""
    out, start = [], 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        if m := _FORMAT.search(text, start, end):
            out.append((m.start(), end))
        start = end
    return out


def _script_groups(text: str) -> dict[str, list[tuple[int, int]]]:
    """The outermost braced groups that follow ``^`` and ``_`` (``^{…}``, ``_{…}``), in order, by mark: one pass over
    the braces."""
    out: dict[str, list[tuple[int, int]]] = {"^": [], "_": []}
    stack = []  # the open groups: (start, the mark it follows or "", inside a script group)
    for m in _BRACE.finditer(text):
        i = m.start()
        if text[i] == "{":
            inside = bool(stack) and (bool(stack[-1][1]) or stack[-1][2])
            mark = _SCRIPT.search(text, max(0, i - 8), i)
            stack.append((i, mark.group(1) if mark and not inside else "", inside))
        elif stack:
            start, mark, _ = stack.pop()
            if mark:
                out[mark].append((start, i + 1))
    return {mark: sorted(groups) for mark, groups in out.items()}


def _context(text: str, s: int, e: int, math: bool) -> str | None:
    """Why the literal text[s:e] may not be replaced, judging by what is written around it; None when it may."""
    before, after = text[max(0, s - 12) : s], text[e : e + 12]
    if re.search(r"\^\s*\{?\s*-?$", before):
        return "exponent"
    if re.search(r"_\s*\{?\s*$", before) or re.match(r"\s*_", after):
        return "subscript or base"
    if re.search(r"\\[A-Za-z]+$", before):
        return "command argument"
    if re.search(r"[A-Za-z]$", before) or (not math and re.match(r"[A-Za-z]", after)):
        return "glued to a name"
    if re.search(r"\d\.$|#\s*$", before) or re.match(r"\.\d|[eE][-+]?\d|\\overline", after):
        return "part of a larger number"
    if (before and before[-1].isdigit()) or (after and after[0].isdigit()):  # a digit of another script: ``3٣4``
        return "part of a larger number"
    if re.match(r",\d{3}(?!\d)", after) or (re.fullmatch(r"\d{3}", text[s:e]) and re.search(r"\d,$", before)):
        return "ambiguous comma"
    if re.search(r"\d\s*:\s*$", before) or re.match(r"\s*:\s*\d", after):
        return "time or ratio"
    if text[s:e] == "10" and re.match(r"\s*\^", after):
        return "power of ten"
    if re.fullmatch(r"0\d+", text[s:e]):
        return "leading zero"
    if not math and re.fullmatch(r"1\d{3}|20\d\d", text[s:e]) and (_YEAR_BEFORE.search(before) or _ERA.match(after)):
        return "a year"
    return None


def constants(text: str) -> list[Constant]:
    """Every numeric literal of `text`, in order, each with the reason it may not be replaced (or None)."""
    spans = SpanMap(text)
    blocked = _Blocked(text, spans)
    found = []
    for m in _LITERAL.finditer(text):
        kind, literal = m.lastgroup, m.group()
        too_long = sum(c.isdigit() for c in literal) > MAX_DIGITS
        value = None if too_long else _value(kind, literal)
        if value is None and not too_long:
            continue
        span = spans.at(m.start())
        math = span is not None and span.math
        reason = "too many digits" if too_long else blocked.reason(m.start())
        if reason is None and kind == "grouped" and math and re.search(r",\d", literal):
            reason = "ambiguous comma"
        reason = reason or _context(text, m.start(), m.end(), math)
        kind = "decimal" if kind == "grouped" and "." in literal else "integer" if kind == "grouped" else kind
        found.append(Constant(m.start(), m.end(), literal, value, kind, math, reason))
    return _judged(text, found)


def _judged(text: str, found: list[Constant]) -> list[Constant]:
    """`found` with the reasons that take the whole text: a value held more than once (literals anywhere, figure
    code included, and number words), a value the text determines."""
    counts = Counter(c.text if c.value is None else c.value for c in found) + number_words(text)
    fixed = determined(text, found)
    out = []
    for i, c in enumerate(found):
        reason = c.reason or ("repeated" if counts[c.value] > 1 else fixed.get(i) or GUESSED.get(c.value))
        out.append(c if reason == c.reason else _with_reason(c, reason))
    return out


def _with_reason(c: Constant, reason: str) -> Constant:
    return Constant(c.start, c.end, c.text, c.value, c.kind, c.math, reason)


def to_replace(text: str) -> Constant | str:
    """The constant to replace (integers, then fractions, then decimals; the largest first), or why there is
    none: "no number" or "no replaceable number (…)" with the commonest reason."""
    found = constants(text)
    free = [c for c in found if c.reason is None]
    if free:
        return min(free, key=lambda c: (KINDS.index(c.kind), -c.value))
    if not found:
        return "no number"
    return f"no replaceable number ({Counter(c.reason for c in found).most_common(1)[0][0]})"


def token(name: str, constant: Constant, latex: bool) -> str:
    """How the variable `name` is written where `constant` was: as is inside math or in plain text, ``$Y$`` in LaTeX
    prose."""
    return name if constant.math or not latex else f"${name}$"


def write_like(value, literal: str) -> str | None:
    """`value` written in the notation of `literal` (``\\dfrac{6}{8}`` keeps its command and denominator, ``12.50``
    its two places, ``1{,}000`` its separator), or None when the literal's notation cannot hold it exactly."""
    value = sympy.sympify(value)
    if not value.is_Rational or value < 0:
        return None
    m = _LITERAL.fullmatch(literal)
    if m is None:
        return None
    if m.lastgroup == "fraction":
        return _like_fraction(value, literal)
    places = len(literal.split(".")[1]) if "." in literal else 0
    scaled = value * 10**places
    if not scaled.is_Integer:
        return None
    digits = str(int(scaled)).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places :]
    if literal.startswith(".") and whole == "0":
        whole = ""
    if m.lastgroup == "grouped":
        sep = re.search(r"\{,\}|,\\!|,", literal).group()
        whole = sep.join(_groups(whole))
    return whole + ("." + frac if places else "")


def _groups(digits: str) -> list[str]:
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]


def _fraction_parts(m: re.Match) -> tuple[_Part, _Part]:
    """The numerator's and the denominator's (text, span) in a match of _FRACTION."""
    groups = [g for g in range(1, 7) if m.group(g) is not None]
    return _Part(m.group(groups[0]), m.span(groups[0]), groups[0] == 2), _Part(m.group(groups[1]), m.span(groups[1]))


@dataclass(frozen=True)
class _Part:
    text: str
    span: tuple[int, int]
    bare: bool = False  # a single digit without braces (``\frac34``): it cannot hold more digits


def _like_fraction(value, literal: str) -> str | None:
    """A fraction literal with its numerator changed so that it equals `value` over the literal's own denominator."""
    numerator, denominator = _fraction_parts(_FRACTION.fullmatch(literal))
    p = value * int(denominator.text)
    if not p.is_Integer or (numerator.bare and p > 9):
        return None
    start, end = numerator.span
    return literal[:start] + str(int(p)) + literal[end:]
