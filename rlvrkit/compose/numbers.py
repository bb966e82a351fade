"""The numeric constants of a problem's text, which of them may be replaced by a variable, and writing a value back in
the notation of the literal it replaces.

A constant is an unsigned literal: an integer (``12``, ``1,000``, ``1{,}000``), a fraction (``\\frac{3}{4}``,
``\\dfrac34``, ``3/4``) or a decimal (``0.5``, ``.5``, ``12.50``). `to_replace` picks the one Composition-RL would:
integers before fractions before decimals, the smallest first, among those that may be replaced. One may not be replaced
when it is

- in figure code (``[asy]``, TikZ), a layout command (``\\hspace{2cm}``) or a label (``Problem 3``, ``Figure 2``,
  ``Step 1``, ``May 5``);
- in an instruction about how to write the answer, from its first words to the end of its sentence (``Express your
  answer as a common fraction``, ``to the nearest tenth``, ``in the form (r, θ)``);
- an exponent (``m^2``, ``x^{3}``) or a subscript or base (``a_1``, ``1001_2``), the 10 of a power of ten, the
  argument of a command written without braces (``\\sqrt2``);
- part of a larger number (``1.2.3``, ``4e-05``, ``0.4\\overline5``, a time ``3:30``; ``(3,100)`` in math, which
  could be a thousand), glued to a name (``x2``, ``5th``), or written with leading zeros;
- a value the text holds more than once: which occurrence is the same quantity would take understanding, so the
  rule-based composer never replaces a repeated number (figure code counts only through its label strings).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import sympy

from rlvrkit.latex import SpanMap

KINDS = ("integer", "fraction", "decimal")  # the order of preference
_LITERAL = re.compile(
    r"(?P<fraction>\\[dt]?frac\s*(?:\{\s*\d+\s*\}|\d)\s*(?:\{\s*\d+\s*\}|\d)"
    r"|(?<![\d/.^_])\d+/\d+(?![\d/]))"
    r"|(?P<grouped>(?<![\d.])\d{1,3}(?:(?:,|\{,\}|,\\!)\d{3})+(?:\.\d+)?(?![\d,]))"
    r"|(?P<decimal>\d+\.\d+|(?<!\d)\.\d+)"
    r"|(?P<integer>\d+)"
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
_FRACTION = re.compile(r"\\[dt]?frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))|(\d+)/(\d+)")
_SENTENCE_END = re.compile(r"[.?!](?:\$|\\\])?(?=\s|$)|\n")
_STRING = re.compile(r'"[^"\n]*"')


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
    if kind == "fraction":
        p, q = _fraction_parts(_FRACTION.fullmatch(text))
        return sympy.Rational(int(p.text), int(q.text)) if int(q.text) else None
    if kind == "grouped":
        return sympy.Rational(re.sub(r"[^\d.]", "", text))
    return sympy.Rational(text)


def _blocked(text: str, spans: SpanMap) -> list[tuple[int, int, str]]:
    """The stretches of `text` whose numbers are never replaced, each with the reason."""
    out = [(s.start, s.end, "figure code") for s in spans.spans if s.figure]
    out += [(m.start(), m.end(), "label") for m in _LABEL.finditer(text)]
    out += [(m.start(), m.end(), "layout") for m in _LAYOUT.finditer(text)]
    start = 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        if m := _FORMAT.search(text, start, end):  # from the instruction to the end of its sentence
            out.append((m.start(), end, "answer format"))
        start = end
    return out


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
    if re.match(r",\d{3}(?!\d)", after) or (re.fullmatch(r"\d{3}", text[s:e]) and re.search(r"\d,$", before)):
        return "ambiguous comma"
    if re.search(r"\d\s*:\s*$", before) or re.match(r"\s*:\s*\d", after):
        return "time or ratio"
    if text[s:e] == "10" and re.match(r"\s*\^", after):
        return "power of ten"
    if re.fullmatch(r"0\d+", text[s:e]):
        return "leading zero"
    return None


def _counted(text: str, spans: SpanMap, c: Constant) -> bool:
    """Whether a literal counts as an occurrence of its value: everywhere but in figure code, where only the
    literals inside label strings do (coordinates draw the figure; labels state quantities)."""
    span = spans.at(c.start)
    if span is None or not span.figure:
        return True
    return any(m.start() < c.start < m.end() for m in _STRING.finditer(text, span.start, span.end))


def constants(text: str) -> list[Constant]:
    """Every numeric literal of `text`, in order, each with the reason it may not be replaced (or None)."""
    spans = SpanMap(text)
    blocked = _blocked(text, spans)
    found = []
    for m in _LITERAL.finditer(text):
        kind = m.lastgroup
        value = _value(kind, m.group())
        if value is None:
            continue
        span = spans.at(m.start())
        math = span is not None and span.math
        reason = next((why for a, b, why in blocked if a <= m.start() < b), None)
        if reason is None and kind == "grouped" and math and re.search(r",\d", m.group()):
            reason = "ambiguous comma"
        reason = reason or _context(text, m.start(), m.end(), math)
        kind = "decimal" if kind == "grouped" and "." in m.group() else "integer" if kind == "grouped" else kind
        found.append(Constant(m.start(), m.end(), m.group(), value, kind, math, reason))
    counts = Counter(c.value for c in found if _counted(text, spans, c))
    return [c if c.reason or counts[c.value] < 2 else _with_reason(c, "repeated") for c in found]


def _with_reason(c: Constant, reason: str) -> Constant:
    return Constant(c.start, c.end, c.text, c.value, c.kind, c.math, reason)


def to_replace(text: str) -> Constant | str:
    """The constant to replace (integers, then fractions, then decimals; the smallest first), or why there is none:
    "no number" or "no replaceable number (…)" with the commonest reason."""
    found = constants(text)
    free = [c for c in found if c.reason is None]
    if free:
        return min(free, key=lambda c: (KINDS.index(c.kind), c.value))
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
