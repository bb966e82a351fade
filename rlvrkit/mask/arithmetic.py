"""The numbers in solution text, and exact arithmetic of its simple expressions: what mask's distractors change.

Where the math is comes from rlvrkit.latex (the one scanner of LaTeX spans); in GSM8K text, whose dollar signs
are money, the calculator notes ``<<48/2=24>>`` are the math. `evaluate` computes an expression made of numbers,
+ - \\cdot \\times * / \\div, ``\\frac{a}{b}``, brackets, small integer powers and square roots of perfect squares,
exactly (`Fraction`), or gives None for anything else (a variable, a function, a relation) and for anything whose
size could explode: a number of more than 40 digits, brackets or roots nested more than 40 deep, a value past 140
bits, an exponent past 64 (all refused before they are computed, so hostile text costs time linear in its length).
`literal` reads a part of
an equation chain that is just a number (``400``, ``-1.5``, ``\\dfrac{7}{20}``, ``\\boxed{17}``, ``12\\text{ cm}``) and
`formatted` writes a new value in the same style. `links` finds the numbers an equation derives (``20\\cdot20 = 400``).
Nothing here needs sympy: the numbers a distractor changes are rationals, and a chain that is not plain arithmetic is
not recomputed.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from rlvrkit.latex import inner, spans

_CALC = re.compile(r"<<(?P<calc>[^<>]*)>>")
NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:(?:,|\{,\})\d{3})+|\d+)(?:\.\d+)?(?![\w])")
_STRUCTURAL = re.compile(r"(?:[\^_]\{?\s*-?|\\frac\d?|\\sqrt\[)$")  # an exponent, a subscript, a root's index
_MAX_DIGITS = 40  # a longer run of digits is not a number mask reads or changes (an id, a hash, hostile input)
_MAX_BITS = 140  # a value (numerator or denominator) past this is not computed further
_MAX_DEPTH = 40  # brackets, roots, fractions and signs nested deeper are not evaluated
_MAX_TOKENS = 400  # a longer expression is not evaluated (no solution computes one)


@dataclass(frozen=True)
class Region:
    """Math in a text: text[start:end] is the whole of it, text[inner_start:inner_end] the expression."""

    start: int
    end: int
    inner_start: int
    inner_end: int


@functools.lru_cache(maxsize=2048)  # the same span is read by several rules
def math_regions(text: str) -> tuple[Region, ...]:
    """The math regions of `text`, in order, without overlaps: latex.spans' math (``$…$``, ``$$…$$``, ``\\(…\\)``,
    ``\\[…\\]``, math environments). In text with calculator notes (GSM8K) a $ is a dollar, so only the notes are math
    there."""
    if "<<" in text:
        return tuple(Region(m.start(), m.end(), m.start("calc"), m.end("calc")) for m in _CALC.finditer(text))
    return tuple(Region(s.start, s.end, *inner(text, s)) for s in spans(text) if s.math)


def prose(text: str) -> str:
    """`text` with its math regions blanked out (same length, so offsets still hold)."""
    chars = list(text)
    for r in math_regions(text):
        chars[r.start : r.end] = " " * (r.end - r.start)
    return "".join(chars)


@functools.lru_cache(maxsize=1024)
def number_list(text: str) -> tuple[tuple[int, int, Fraction], ...]:
    """`numbers(text)`, remembered for the texts read last (a span is read once per member of each site)."""
    return tuple(numbers(text))


def number_value(token: str) -> Fraction:
    """ "1,000" → 1000, "2.50" → 5/2."""
    return Fraction(token.replace("{,}", "").replace(",", ""))


def numbers(text: str) -> Iterator[tuple[int, int, Fraction]]:
    """Every number written in `text` (math or words) that is not an exponent, subscript or root index:
    (start, end, value)."""
    for m in NUMBER.finditer(text):
        if len(m.group()) > _MAX_DIGITS + 20:
            continue
        if not _STRUCTURAL.search(text[max(0, m.start() - 8) : m.start()]):
            yield m.start(), m.end(), number_value(m.group())


# -- exact arithmetic ------------------------------------------------------------------------------------------------

_IGNORED = re.compile(r"\\left|\\right|\\displaystyle|\\[,!;: ]|\\\\|&|\s+|\\quad|\\qquad")
_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)|(?P<op>\\cdot|\\times|\\div|[-+*/^()\[\]{}])|(?P<frac>\\[dt]?frac)|(?P<sqrt>\\sqrt)"
)
_OPS = {"\\cdot": "*", "\\times": "*", "\\div": "/", "[": "(", "]": ")"}


def _tokens(expr: str) -> list[str] | None:
    """The expression as tokens (numbers, + - * / ^ ( ) { } frac sqrt), or None when it holds anything else, or more
    than _MAX_TOKENS tokens, or a number longer than _MAX_DIGITS digits."""
    if len(expr) > 20 * _MAX_TOKENS:
        return None
    expr = _IGNORED.sub(" ", expr).strip().rstrip(".,;")
    out, pos = [], 0
    while pos < len(expr):
        if len(out) > _MAX_TOKENS:
            return None
        if expr[pos] == " ":
            pos += 1
            continue
        m = _TOKEN.match(expr, pos)
        if not m:
            return None
        kind = m.lastgroup
        text = m.group()
        if kind == "num" and len(text) > _MAX_DIGITS:
            return None
        out.append(kind if kind in ("frac", "sqrt") else text if kind == "num" else _OPS.get(text, text))
        pos = m.end()
    return out or None


class _ArithmeticParser:
    """Recursive descent over `_tokens`: expr := term (± term)*; term := unary ((* | / | implicit ×) unary)*;
    unary := -unary | power; power := atom (^ atom)?; atom := number | (expr) | {expr} | frac a b | sqrt a."""

    def __init__(self, tokens: list[str]):
        self.t, self.i, self.depth = tokens, 0, 0

    def nested(self, parse):
        """parse() one level deeper: refused past _MAX_DEPTH (no recursion a text can drive)."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ValueError("nested too deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self) -> str:
        self.i += 1
        return self.t[self.i - 1]

    def expr(self) -> Fraction:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = _bounded(value + self.term() if self.take() == "+" else value - self.term())
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while self.peek() in ("*", "/", "(", "frac", "sqrt", "{"):
            op = self.take() if self.peek() in ("*", "/") else "*"
            right = self.unary()
            if op == "/" and right == 0:
                raise ValueError("division by zero")
            value = _bounded(value * right if op == "*" else value / right)
        return value

    def unary(self) -> Fraction:
        if self.peek() in ("-", "+"):
            return -self.nested(self.unary) if self.take() == "-" else self.nested(self.unary)
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self.peek() != "^":
            return base
        self.take()
        exponent = self.atom()
        if exponent.denominator != 1 or abs(exponent) > 64 or (base == 0 and exponent < 0):
            raise ValueError("power")
        return _bounded(base**exponent.numerator)

    def atom(self) -> Fraction:
        tok = self.take() if self.peek() is not None else None
        if tok is None:
            raise ValueError("end")
        if tok in ("(", "{"):
            value = self.nested(self.expr)
            if self.take() != (")" if tok == "(" else "}"):
                raise ValueError("bracket")
            return value
        if tok == "frac":
            return self.nested(self._frac)
        if tok == "sqrt":
            return _sqrt(self.nested(self.atom))
        if tok[0].isdigit():
            return Fraction(tok)
        raise ValueError(tok)

    def _frac(self) -> Fraction:
        if self.peek() is not None and self.peek()[0].isdigit() and self.peek() != "{":  # \frac12
            digits = self.take()
            if len(digits) != 2:
                raise ValueError("frac")
            return Fraction(int(digits[0]), int(digits[1]))
        top, bottom = self.atom(), self.atom()
        if bottom == 0:
            raise ValueError("division by zero")
        return top / bottom


def _bounded(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > _MAX_BITS or value.denominator.bit_length() > _MAX_BITS:
        raise ValueError("too large")
    return value


def _sqrt(value: Fraction) -> Fraction:
    """The square root of a perfect-square rational; anything else is not exact, so not evaluated."""
    if value < 0:
        raise ValueError("sqrt")
    top, bottom = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if top * top != value.numerator or bottom * bottom != value.denominator:
        raise ValueError("sqrt")
    return Fraction(top, bottom)


@functools.lru_cache(maxsize=16384)  # a left side no member edits is evaluated once for all of them
def evaluate(expr: str) -> Fraction | None:
    """The exact value of a plain arithmetic expression in LaTeX (see the module docstring), or None."""
    tokens = _tokens(expr)
    if tokens is None:
        return None
    parser = _ArithmeticParser(tokens)
    try:
        value = parser.expr()
    except (ValueError, ZeroDivisionError, IndexError, OverflowError, RecursionError):
        return None
    return value if parser.i == len(tokens) else None


# -- literals: a number standing alone as a part of an equation ------------------------------------------------------

_LITERAL = re.compile(
    r"^(?P<lead>\s*(?:\\boxed\{\s*)?)"
    r"(?P<lit>-?\s*(?:\\[dt]?frac\{\s*\d+\s*\}\{\s*\d+\s*\}|\\[dt]?frac\d\d|"
    r"(?:\d{1,3}(?:(?:,|\{,\})\d{3})+|\d+)(?:\.\d+)?))"
    r"(?P<unit>\s*(?:\\%|%|\^\\circ|\^\{\\circ\}|\\?\s*\\(?:text|mbox|mathrm)\{[^{}]*\})?)"
    r"(?P<trail>\s*\}?\s*[.,;]?\s*)$"
)


@dataclass(frozen=True)
class Literal:
    """A number standing as a whole part of an equation: where it is (absolute offsets), its value and its style."""

    start: int
    end: int
    value: Fraction
    style: str  # "int", "int," or "int{,}" (thousands grouped so), "dec:K" (K decimal places), "frac:\\dfrac" …


def literal(text: str, offset: int = 0) -> Literal | None:
    """`text` (a part of an equation chain) read as a single number, or None; offsets are shifted by `offset`."""
    m = _LITERAL.match(text)
    if not m or (m.group("lead").strip() and "}" not in m.group("trail")):
        return None
    lit = m.group("lit")
    value = evaluate(re.sub(r",|\{,\}", "", lit))
    if value is None:
        return None
    return Literal(offset + m.start("lit"), offset + m.end("lit"), value, number_style(lit))


def number_style(lit: str) -> str:
    frac = re.search(r"\\[dt]?frac", lit)
    if frac:
        return f"frac:{frac.group()}"
    digits = lit.lstrip("-").strip()
    if "." in digits:
        return f"dec:{len(digits.split('.')[1])}"
    return "int{,}" if "{,}" in digits else "int," if "," in digits else "int"


def formatted(value: Fraction, style: str) -> str | None:
    """`value` written in `style` (see `Literal`); a non-integer in an integer style is written as a fraction."""
    if value.numerator.bit_length() > 60 or value.denominator.bit_length() > 60:
        return None
    sign = "-" if value < 0 else ""
    value = abs(value)
    if style.startswith("dec:"):
        places = int(style[4:])
        scaled = value * 10**places
        if scaled.denominator != 1:
            return None
        whole, frac = divmod(scaled.numerator, 10**places)
        return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"
    if value.denominator == 1:
        grouped = f"{value.numerator:,}".replace(",", style[3:]) if style != "int" else str(value.numerator)
        return sign + grouped
    command = style.split(":", 1)[1] if style.startswith("frac:") else "\\frac"
    return f"{sign}{command}{{{value.numerator}}}{{{value.denominator}}}"


# -- equation chains -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """`a = b` inside math, where a evaluates to the number b states: b is derived from a. `source` is where a is."""

    source: tuple[int, int]
    result: Literal


def chain_parts(text: str, region: Region) -> list[tuple[int, int]]:
    """The parts of the region's expression between top-level '=' signs, as absolute (start, end)."""
    parts, depth, start = [], 0, region.inner_start
    for i in range(region.inner_start, region.inner_end):
        c = text[i]
        depth += c in "({[" and text[i - 1] != "\\"
        depth -= c in ")}]" and text[i - 1] != "\\"
        if c == "=" and depth <= 0:
            parts.append((start, i))
            start = i + 1
    parts.append((start, region.inner_end))
    return parts


@functools.lru_cache(maxsize=1024)  # each member of a site is carried through the same span
def results(text: str) -> tuple[Literal, ...]:
    """Every number `text` states as the value of something: a literal chain part right of an '=' (``b = 3``,
    ``20\\cdot20 = 400``), unless it only restates the part before it."""
    out = []
    for region in math_regions(text):
        parts = chain_parts(text, region)
        for (a0, a1), (b0, b1) in zip(parts, parts[1:]):
            found = literal(text[b0:b1], b0)
            if found is not None and _squeezed(text[a0:a1]) != _squeezed(text[b0:b1]):
                out.append(found)
    return tuple(out)


@functools.lru_cache(maxsize=1024)
def links(text: str) -> tuple[Derivation, ...]:
    """Every derived number of `text`: a literal chain part equal to the value of the part before it."""
    out = []
    for region in math_regions(text):
        parts = chain_parts(text, region)
        for (a0, a1), (b0, b1) in zip(parts, parts[1:]):
            result = literal(text[b0:b1], b0)
            restated = _squeezed(text[a0:a1]) == _squeezed(text[b0:b1])
            if result is not None and not restated and evaluate(text[a0:a1]) == result.value:
                out.append(Derivation((a0, a1), result))
    return tuple(out)


def _squeezed(text: str) -> str:
    return "".join(text.split()).rstrip(".,;")
