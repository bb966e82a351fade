"""Exact values of small pieces of LaTeX, and values written back as LaTeX or plain text (sympy underneath).

`parse` reads what answers and link sentences hold: integers, decimals (exactly: ``0.1`` is 1/10), ``\\frac``
(``\\dfrac``, ``\\tfrac``, ``\\frac34``), ``a/b``, ``\\sqrt{…}`` and ``\\sqrt[n]{…}``, ``\\pi``, powers, ``+ -
\\cdot \\times``, implicit products (``3\\sqrt{2}``, ``2\\pi``), mixed numbers (``1\\frac{1}{2}`` is 3/2, as in MATH's
answers), thousands separators (``1{,}000``, ``98,\\!770``) and, when asked, one-letter symbols (``7x + 10``).
Anything else is refused with `ValueError` rather than guessed: the composer skips what it cannot read exactly.
"""

from __future__ import annotations

import functools
import re

import sympy

_DROPPED = re.compile(r"\\left|\\right|\\displaystyle|\\[!,;: ]|~|\\mathrm\{\s*\}")
_THOUSANDS = re.compile(r"(?<=\d)(?:\{,\}|,\\!)(?=\d{3}(?!\d))")
_TOKEN = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+|\\[A-Za-z]+|[A-Za-z]|[-+*/^(){}\[\]!])")
_RENAMED = {"\\dfrac": "\\frac", "\\tfrac": "\\frac", "\\cdot": "*", "\\times": "*", "\\div": "/"}
_STARTS_ATOM = re.compile(r"\d|\.|\\(?:frac|sqrt|pi)$|[A-Za-z]$|[({]")


def tokens(text: str) -> list[str]:
    """`text` as tokens after the spacing commands and thousands separators are dropped; ValueError on a character
    the parser does not know."""
    text = _DROPPED.sub(" ", _THOUSANDS.sub("", text))
    out, i = [], 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            if text[i:].strip():
                raise ValueError(f"cannot read {text[i : i + 12]!r}")
            break
        out.append(_RENAMED.get(m.group(1), m.group(1)))
        i = m.end()
    return out


class _ExactParser:
    """Recursive descent over `tokens`:

    expr = ±term (± term)*, term = factor ((*|/)? factor)*, factor = atom (^ arg)?"""

    def __init__(self, toks: list[str], symbols: bool):
        self.toks, self.i, self.symbols = toks, 0, symbols

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise ValueError(f"expected {want or 'more'}, got {tok!r}")
        self.i += 1
        return tok

    def expr(self):
        value = None
        while True:
            sign = self.take() if self.peek() in ("+", "-") else ("+" if value is None else None)
            if sign is None:
                return value
            term = self.term()
            term = -term if sign == "-" else term
            value = term if value is None else value + term

    def term(self):
        value, plain_integer = self.factor()
        while (tok := self.peek()) is not None:
            if tok in ("*", "/"):
                self.take()
                right, _ = self.factor()
                value = value * right if tok == "*" else value / _nonzero(right)
            elif _STARTS_ATOM.match(tok):
                start = self.i
                right, _ = self.factor()
                mixed = plain_integer and self.toks[start] == "\\frac" and right.is_Rational
                value = value + right if mixed else value * right
            else:
                break
            plain_integer = False
        return value

    def factor(self):
        """(value, whether it was a bare integer literal: the whole part of a mixed number)."""
        if self.peek() in ("-", "+"):
            sign = self.take()
            value, _ = self.factor()
            return (-value if sign == "-" else value), False
        start = self.i
        value = self.atom()
        plain_integer = self.i == start + 1 and self.toks[start].isdigit()
        while self.peek() in ("^", "!"):
            if self.take() == "!":
                value = _factorial(value)
            else:
                value = value ** self.arg()
            plain_integer = False
        return value, plain_integer

    def atom(self):
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            return sympy.Rational(tok)
        if tok in ("(", "{"):
            value = self.expr()
            self.take(")" if tok == "(" else "}")
            return value
        if tok == "\\frac":
            return self.arg() / _nonzero(self.arg())
        if tok == "\\sqrt":
            return self.root()
        if tok == "\\pi":
            return sympy.pi
        if self.symbols and len(tok) == 1 and tok.isalpha():
            return sympy.Symbol(tok)
        raise ValueError(f"cannot read {tok!r}")

    def root(self):
        index = 2
        if self.peek() == "[":
            self.take()
            index = self.expr()
            self.take("]")
        return sympy.root(self.arg(), index)

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
    if not (value.is_Integer and 0 <= value <= 1000):
        raise ValueError("factorial of something other than a small natural number")
    return sympy.factorial(value)


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
