"""Exact values of small pieces of LaTeX, and values written back as LaTeX or plain text (sympy underneath).

`parse` reads what answers and link sentences hold: integers, decimals (exactly: ``0.1`` is 1/10), ``\\frac``
(``\\dfrac``, ``\\tfrac``, ``\\frac34``), ``a/b``, ``\\sqrt{…}`` and ``\\sqrt[n]{…}``, ``\\pi``, powers, ``+ -
\\cdot \\times``, implicit products (``3\\sqrt{2}``, ``2\\pi``), mixed numbers (``1\\frac{1}{2}`` is 3/2, as in MATH's
answers), thousands separators (``1{,}000``, ``98,\\!770``) and, when asked, one-letter symbols (``7x + 10``).
Anything else is refused with `ValueError` rather than guessed: the composer skips what it cannot read exactly.

Every value is bounded before it is computed, so no input can make the arithmetic run away (``10^{10^{10}}``, a
5000-digit number, 3000 nested braces, ``(1+\\sqrt2)^{1000}`` expanded): a text over MAX_TEXT characters or
MAX_TOKENS tokens, nesting over MAX_DEPTH, a number over MAX_DIGITS digits (a literal, a result, or a power's estimate
before it is raised), an exponent or root index over MAX_EXPONENT, or an expression whose expansion would have over
MAX_TERMS terms raises `TooLarge` (not a ValueError: the caller counts it as an answer too large to read).
"""

from __future__ import annotations

import functools
import math
import re

import sympy

MAX_TEXT = 1000  # characters of a text to evaluate (MATH's longest answer has 159)
MAX_TOKENS = 256
MAX_DEPTH = 64  # nested groups, signs, commands (each group counts twice: ``{{1}}`` is 4 deep)
MAX_DIGITS = 100  # digits of any integer met: a literal, a numerator or denominator, a power's result
MAX_EXPONENT = 1000  # the numerator and denominator of an exponent, a root's index
MAX_TERMS = 1024  # terms of an expression once expanded (what the exact comparison does)
_LOG2_10 = math.log2(10)

_DROPPED = re.compile(r"\\left|\\right|\\displaystyle|\\[!,;: ]|~|\\mathrm\{\s*\}")
_THOUSANDS = re.compile(r"(?<=\d)(?:\{,\}|,\\!)(?=\d{3}(?!\d))", re.ASCII)
_TOKEN = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+|\\[A-Za-z]+|[A-Za-z]|[-+*/^(){}\[\]!])", re.ASCII)
_RENAMED = {"\\dfrac": "\\frac", "\\tfrac": "\\frac", "\\cdot": "*", "\\times": "*", "\\div": "/"}
_STARTS_ATOM = re.compile(r"\d|\.|\\(?:frac|sqrt|pi)$|[A-Za-z]$|[({]")
_LITERAL = re.compile(r"(\d*)\.?(\d*)(?:[eE]([-+]?\d+))?", re.ASCII)


class TooLarge(Exception):
    """A value too large (or an expression too big or too deep) to handle exactly in bounded time and memory."""


def literal(text: str):
    """The exact value of an unsigned decimal literal (``12``, ``0.5``, ``.5``, ``4e-05``), refusing one whose
    digits or exponent exceed MAX_DIGITS before it is computed (TooLarge); ValueError when it is not a literal."""
    m = _LITERAL.fullmatch(text)
    if m is None or not (m.group(1) or m.group(2)):
        raise ValueError(f"not a number: {text[:20]!r}")
    whole, places, exponent = m.group(1), len(m.group(2)), m.group(3) or "0"
    shift = int(exponent) if len(exponent) <= 6 else MAX_DIGITS + 1
    if len((whole + m.group(2)).lstrip("0")) + max(shift, 0) > MAX_DIGITS or places + max(-shift, 0) > MAX_DIGITS:
        raise TooLarge(f"{text[:20]}… has too many digits")
    return sympy.Rational(text)


def tokens(text: str) -> list[str]:
    """`text` as tokens after the spacing commands and thousands separators are dropped; ValueError on a character
    the parser does not know."""
    if len(text) > MAX_TEXT:
        raise TooLarge(f"over {MAX_TEXT} characters")
    text = _DROPPED.sub(" ", _THOUSANDS.sub("", text))
    out, i = [], 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            if text[i:].strip():
                raise ValueError(f"cannot read {text[i : i + 12]!r}")
            break
        out.append(_RENAMED.get(m.group(1), m.group(1)))
        if len(out) > MAX_TOKENS:
            raise TooLarge(f"over {MAX_TOKENS} tokens")
        i = m.end()
    return out


class _ExactParser:
    """Recursive descent over `tokens`, every step bounded (the module's limits):

    expr = ±term (± term)*, term = factor ((*|/)? factor)*, factor = atom (^ arg | !)*"""

    def __init__(self, toks: list[str], symbols: bool):
        self.toks, self.i, self.symbols, self.depth = toks, 0, symbols, 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise ValueError(f"expected {want or 'more'}, got {tok!r}")
        self.i += 1
        return tok

    def nested(self, step):
        """`step()` one level deeper: TooLarge past MAX_DEPTH (3000 nested braces or minus signs end here)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooLarge(f"nested over {MAX_DEPTH} deep")
        try:
            return step()
        finally:
            self.depth -= 1

    def expr(self):
        value = None
        while True:
            sign = self.take() if self.peek() in ("+", "-") else ("+" if value is None else None)
            if sign is None:
                return value
            term = self.term()
            term = -term if sign == "-" else term
            value = term if value is None else bounded(value + term)

    def term(self):
        value, plain_integer = self.factor()
        while (tok := self.peek()) is not None:
            if tok in ("*", "/"):
                self.take()
                right, _ = self.factor()
                value = bounded(value * right if tok == "*" else value / _nonzero(right))
            elif _STARTS_ATOM.match(tok):
                start = self.i
                right, _ = self.factor()
                mixed = plain_integer and self.toks[start] == "\\frac" and right.is_Rational
                value = bounded(value + right if mixed else value * right)
            else:
                break
            plain_integer = False
        return value

    def factor(self):
        """(value, whether it was a bare integer literal: the whole part of a mixed number)."""
        return self.nested(self._factor)

    def _factor(self):
        if self.peek() in ("-", "+"):
            sign = self.take()
            value, _ = self.factor()
            return (-value if sign == "-" else value), False
        start = self.i
        value = self.atom()
        plain_integer = self.i == start + 1 and self.toks[start].isdigit()
        while self.peek() in ("^", "!"):
            value = _factorial(value) if self.take() == "!" else power(value, self.arg())
            plain_integer = False
        return value, plain_integer

    def atom(self):
        return self.nested(self._atom)

    def _atom(self):
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            return literal(tok)
        if tok in ("(", "{"):
            value = self.expr()
            self.take(")" if tok == "(" else "}")
            return value
        if tok == "\\frac":
            return bounded(self.arg() / _nonzero(self.arg()))
        if tok == "\\sqrt":
            return self.root()
        if tok == "\\pi":
            return sympy.pi
        if self.symbols and len(tok) == 1 and tok.isalpha():
            return sympy.Symbol(tok)
        raise ValueError(f"cannot read {tok!r}")

    def root(self):
        index = sympy.Integer(2)
        if self.peek() == "[":
            self.take()
            index = self.expr()
            self.take("]")
        if not (index.is_Integer and 2 <= index <= MAX_EXPONENT):
            raise ValueError("a root's index must be a whole number from 2")
        return power(self.arg(), 1 / index)

    def arg(self):
        """A command's argument: a braced group, or a single token (only the first digit of ``34`` in ``\\frac34``)."""
        tok = self.peek()
        if tok == "{":
            return self.atom()
        if tok is not None and tok.isdigit() and len(tok) > 1:
            self.toks[self.i] = tok[1:]
            return sympy.Integer(int(tok[0]))
        return self.atom()


def _nonzero(value):
    if value == 0:
        raise ValueError("division by zero")
    return value


def _factorial(value):
    """n! for a natural n whose factorial has at most MAX_DIGITS digits (69! has 99)."""
    if not (value.is_Integer and 0 <= value):
        raise ValueError("factorial of something other than a natural number")
    if value > 69:
        raise TooLarge(f"{value}! has over {MAX_DIGITS} digits")
    return sympy.factorial(value)


def power(base, exponent):
    """base ** exponent, exactly, refused (TooLarge) before it is computed when the result would be too large: an
    exponent over MAX_EXPONENT, a rational result over MAX_DIGITS digits, an expansion over MAX_TERMS terms."""
    if exponent.free_symbols:
        raise ValueError("a symbol in an exponent")
    if exponent.is_Rational:
        if max(abs(exponent.p), exponent.q) > MAX_EXPONENT:
            raise TooLarge(f"exponent {exponent} is over {MAX_EXPONENT}")
        if base.is_Rational and abs(exponent) * _digits(base) > MAX_DIGITS:
            raise TooLarge(f"a power with over {MAX_DIGITS} digits")
    elif not base.is_Rational or _digits(base) > 6 or abs(exponent.evalf(15)) > MAX_EXPONENT:
        raise ValueError("an irrational power of an irrational or large base")
    return bounded(base**exponent)


def _digits(value) -> float:
    """Decimal digits of the larger of a rational's numerator and denominator (about: from their bit lengths)."""
    return max(abs(int(value.p)), int(value.q), 1).bit_length() / _LOG2_10


def bounded(value):
    """`value`, after checking that every integer in it has at most MAX_DIGITS digits and that expanding it would
    give at most MAX_TERMS terms; TooLarge otherwise."""
    _terms(value)
    return value


def _terms(e) -> int:
    """How many terms `e` has once expanded (an upper bound), refusing past MAX_TERMS; its integers are checked."""
    if e.is_Rational:
        if _digits(e) > MAX_DIGITS:
            raise TooLarge(f"a number with over {MAX_DIGITS} digits")
        return 1
    if not e.args:
        return 1
    counts = [_terms(a) for a in e.args]
    if e.is_Add:
        n = sum(counts)
    elif e.is_Mul:
        n = math.prod(counts)
    elif e.is_Pow and e.exp.is_Integer and counts[0] > 1:
        if abs(int(e.exp)) * math.log2(counts[0]) > math.log2(MAX_TERMS):
            raise TooLarge(f"an expansion with over {MAX_TERMS} terms")
        n = counts[0] ** abs(int(e.exp))
    else:
        n = max(counts)
    if n > MAX_TERMS:
        raise TooLarge(f"an expansion with over {MAX_TERMS} terms")
    return n


@functools.lru_cache(maxsize=65536)
def parse(text: str, symbols: bool = False):
    """The exact value of `text` (a sympy expression); with `symbols`, one-letter names become sympy Symbols.
    Raises ValueError when the text is not (wholly) such an expression."""
    toks = tokens(text)
    if not toks:
        raise ValueError("empty")
    parser = _ExactParser(toks, symbols)
    value = parser.expr()
    if parser.peek() is not None or value is None:
        raise ValueError(f"cannot read {parser.peek()!r}")
    return value


def number(text: str):
    """The exact value of `text` when it is one finite real number (no symbols); else ValueError."""
    value = parse(text)
    if not (value.is_number and value.is_real and value.is_finite):
        raise ValueError("not a finite real number")
    return value


def kind(value, text: str) -> str:
    """What sort of number `value` (read from `text`) is: integer, fraction, decimal, radical or pi."""
    if value.has(sympy.pi):
        return "pi"
    if not value.is_Rational:
        return "radical"
    if value.is_Integer:
        return "integer"
    return "decimal" if re.search(r"\d\.\d|(?<!\d)\.\d", text) and "frac" not in text else "fraction"


def terminating(value) -> bool:
    """Whether a rational number has a finite decimal expansion (its denominator is 2^a 5^b)."""
    q = int(value.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def decimal_text(value) -> str:
    """A rational with a terminating expansion, in full: 21/4 → ``5.25``, -1/8 → ``-0.125``."""
    p, q = int(value.p), int(value.q)
    places = 0
    while (10**places) % q:
        places += 1
    digits = str(abs(p) * (10**places // q)).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places :]
    return ("-" if p < 0 else "") + whole + ("." + frac if places else "")


def write(value, latex: bool = True, decimal: bool = False) -> str:
    """`value` as text: an integer plainly; a rational as ``\\frac{p}{q}`` (``p/q`` in plain text) or, with `decimal`
    and a terminating expansion, as a decimal; anything else as sympy's LaTeX (plain text cannot hold it)."""
    if value.is_Integer:
        return str(int(value))
    if value.is_Rational:
        if decimal and terminating(value):
            return decimal_text(value)
        sign = "-" if value < 0 else ""
        p, q = abs(int(value.p)), int(value.q)
        return f"{sign}\\frac{{{p}}}{{{q}}}" if latex else f"{sign}{p}/{q}"
    if not latex:
        raise ValueError("plain text cannot hold an irrational value")
    return sympy.latex(value, order="rev-lex")  # 6 - 3 \sqrt{2}, not - 3 \sqrt{2} + 6


def equal(a, b) -> bool:
    """Exact equality of two numbers (radicals and multiples of pi included)."""
    return a == b or sympy.expand(a - b) == 0
