"""Math answers checked with math-verify: the reference and the answer are parsed to sympy and compared.

The reference (`answer`, as written in MATH, GSM8K, AIME: ``\\frac{1}{2}``, ``90^\\circ``, ``\\text{Evelyn}``,
``(-\\infty,3]``, ``\\begin{pmatrix}…``) is tidied (`clean`: ``20,\\!000`` thousands separators, a trailing full stop,
one enclosing ``$…$``, and the spellings math-verify misreads, see `tidy`) and wrapped in ``\\boxed{}`` so math-verify's
LaTeX extractor takes the whole of it. A reference written as text with LaTeX in it (a worked solution) that does not
parse whole is read the way an answer is. A reference that does not parse is ``bad_reference``, counted and reported,
never a silent "wrong" — unless math-verify's normalised text of it is the whole reference (nothing dropped, as it drops
the ``t`` of ``\\sin^2 t``): then an answer with the same text is right, and any other is still ``bad_reference``.

Numbers in e-notation (``2.5e-05``, as JSON numbers arrive, and ``4.7e-34`` as physics sets write them) are written out
as plain decimals on both sides, since LaTeX reads the ``e`` as Euler's number. A reference in scientific notation
(e-notation or ``4.7 \\times 10^{-34}``) states significant figures, so a numeric answer is compared with it at the
reference's own scale: to `precision` decimal places of its mantissa, not of the value (at six decimal places every
number below 5·10⁻⁷ would equal every other).

The answer arrives already cut out by the parent (rlvrkit.verify.text): the content of the final ``\\boxed{}`` (tidied
like a reference, then parsed as exactly that), or — when the completion has no box — the answer region, where
math-verify looks for "final answer is", "answer:", then the last LaTeX or number. Either way only the first candidate
is tried (math-verify's ``extraction_mode="first_match"``): the final answer is the one that counts, and when it does
not parse an earlier formula of the working is not taken in its place. The parent may send one alternative: the last
boxes joined, for a reference in several parts answered in several boxes; it is tried when the answer is wrong.

A reference that is a set (``x \\in [-2, 7]``, ``[-2, 7]``, ``(3, \\infty)``) equals an answer that states the same
set as inequalities of one variable (``-2 \\le x \\le 7``, ``x > 3``), as it does the other way round in math-verify;
an open interval of two numbers, ``(1, 2)``, which may be a point, and an inequality still to solve (``x^2 \\le 9``)
are not compared that way.

Two answers whose normalised text is the same are equal (math-verify's own string comparison). A reference that parses
to something degenerate — complex infinity or NaN, as ``12:00`` does (12/0) — is compared only that way, as text:
math-verify's comparison would call every answer wrong, or every degenerate answer right.

This module runs inside worker processes (rlvrkit.verify.pool), which bound its time: math-verify's own SIGALRM
timeouts are turned off here (``parsing_timeout=None``, ``timeout_seconds=None``) because they swallow the timeout
into an empty parse or a False, which would read as no_answer or wrong. No parsed object is ever str()-ed: the
extracted answer reported is the matched text, not a printed sympy expression.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
from sympy import And, Basic, Eq, Expr, Interval, Or, S, Set, Symbol, Union
from sympy.core.relational import Relational

from rlvrkit.verify.text import plain_numbers, scientific

# math-verify warns once that its timeouts are off (the pool enforces ours) and logs whole completions on trouble.
logging.getLogger("math_verify").setLevel(logging.CRITICAL)

# Boxed answers first (priority 0), then math-verify's anchors and plain LaTeX; plain numbers and expressions too.
CONFIG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
_THOUSANDS = re.compile(r"(?<=\d),\\!\s*(?=\d{3})")
_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_ENVIRONMENT = re.compile(r"\$|\\\(|\\\[")
_ARGUMENT = r"(\\[A-Za-z]+|[A-Za-z0-9])"
_SPELLINGS = (
    (re.compile(r"\\mathrm\s*\{\s*e\s*\}"), "e"),  # upright e is Euler's number (math-verify drops it as a unit)
    (re.compile(rf"\\([dt]?frac)\s*{_ARGUMENT}\s*{_ARGUMENT}"), r"\\\1{\2}{\3}"),  # \frac\pi 2 (read as \frac{\}{p})
    (re.compile(r"\\phantom\s*(?:\{[^{}]*\}|[^\s{])"), ""),  # invisible: \phantom -1 is 1
    (re.compile(r"^\s*\\approx\s*"), ""),  # "≈ 8.24" states the value 8.24
)
_SPACE = re.compile(r"\s+")
_REFERENCES: dict[str, Reference] = {}  # reference text -> parsed reference, per worker process
_KEEP = 1024
_BAD = {"status": "bad_reference", "extracted": None, "value": 0.0}


@dataclass(frozen=True)
class Reference:
    """A parsed reference: `objects` (sympy; empty when it does not parse), `text` (math-verify's normalised text of
    it), `whole` (that text is the whole reference, nothing dropped) and, for a reference in scientific notation, its
    `value` and the power of ten of its leading digit, `exponent`."""

    objects: tuple
    text: str | None
    whole: bool = False
    value: Decimal | None = None
    exponent: int = 0


def tidy(text: str) -> str:
    """`text` with the spellings math-verify misreads rewritten (upright e, ``\\frac\\pi 2``, ``\\phantom``, a leading
    ``\\approx``) and numbers in e-notation written out (rlvrkit.verify.text.plain_numbers)."""
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return plain_numbers(text)


def _unwrap(text: str) -> str:
    """The inside of one math environment enclosing the whole text: ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``."""
    for left, right in _DELIMITERS:
        inner = text[len(left) : -len(right)]
        enclosed = text.startswith(left) and text.endswith(right) and left not in inner and right not in inner
        if enclosed and inner.strip():
            return inner.strip()
    return text


def clean(text: str) -> str:
    """A reference or a boxed answer as math-verify should read it: thousands separators, a trailing full stop or
    comma, one enclosing math environment removed, then `tidy`."""
    text = _THOUSANDS.sub("", text.strip()).rstrip(" .,;")
    return tidy(_unwrap(text).rstrip(" .,;"))


def reference_latex(reference: str) -> str:
    """A reference answer as the LaTeX math-verify should read: cleaned and boxed."""
    text = clean(reference)
    if "\\boxed" in text or "\\fbox" in text:
        return text
    return "\\boxed{" + text + "}"


def _parse(text: str) -> tuple[list, str | None]:
    """math-verify's first candidate in `text` → (its sympy objects, its normalised text), either possibly empty."""
    found = parse(text, CONFIG, fallback_mode="first_match", extraction_mode="first_match", parsing_timeout=None)
    return [x for x in found if not isinstance(x, str)], next((x for x in found if isinstance(x, str)), None)


def _read_reference(reference: str) -> Reference:
    objects, text = _parse(reference_latex(reference))
    if not objects and _ENVIRONMENT.search(reference):  # a text with LaTeX in it: read it as an answer is read
        objects, text = _parse(tidy(reference))
    value, exponent = scientific(_unwrap(reference.strip())) or (None, 0)
    return Reference(tuple(objects), text, _same_text(text, clean(reference)), value, exponent)


def parse_reference(reference: str) -> Reference:
    """The parsed reference (see `Reference`); remembered per process."""
    gold = _REFERENCES.get(reference)
    if gold is None:
        gold = _read_reference(reference)
        if len(_REFERENCES) >= _KEEP:
            del _REFERENCES[next(iter(_REFERENCES))]
        _REFERENCES[reference] = gold
    return gold


def _degenerate(objects) -> bool:
    """Parsed to something no answer can be compared with: complex infinity or NaN anywhere in it."""
    return any(isinstance(x, Basic) and x.has(S.ComplexInfinity, S.NaN) for x in objects)


def _number(x) -> Decimal | None:
    """The value of a parsed answer that is one real number (or an equation whose right side is), else None."""
    if isinstance(x, Eq):
        x = x.rhs
    if not isinstance(x, Expr) or not x.is_number:
        return None
    try:
        z = complex(x)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    return Decimal(z.real) if z.imag == 0 and math.isfinite(z.real) else None


def _same_text(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _SPACE.sub("", a) == _SPACE.sub("", b)


def same(gold: Reference, objects: list, text: str | None, precision: int, strict: bool) -> bool:
    """Whether a parsed answer (`objects`, normalised `text`) equals the reference (see the module docstring)."""
    if _same_text(gold.text, text):
        return True
    if not objects or not gold.objects or _degenerate(gold.objects):
        return False
    if gold.value is not None and (value := _number(objects[0])) is not None:
        return abs(value - gold.value) <= Decimal(5).scaleb(gold.exponent - precision - 1)
    as_set = _a_set(gold.objects[0]) and _solved_form(objects[0])
    return verify(
        list(gold.objects), objects, float_rounding=precision, strict=strict, allow_set_relation_comp=as_set,
        timeout_seconds=None,
    )  # fmt: skip


def _a_set(x) -> bool:
    """A reference that is a set beyond doubt: ``x \\in [-2, 7]``, a union, an interval with a closed or an infinite
    end. ``(1, 2)`` alone is not: it may be a point."""
    if isinstance(x, Eq):
        return isinstance(x.lhs, Symbol) and isinstance(x.rhs, Set)
    if isinstance(x, Interval):
        return not (x.left_open and x.right_open and x.start.is_finite and x.end.is_finite)
    return isinstance(x, Union)


def _solved_form(x) -> bool:
    """A relation that states a set outright: inequalities between one variable and a number, joined by and/or
    (``-2 \\le x \\le 7``, ``x > 3``), so the set it describes is the answer given; ``x^2 \\le 9`` is a problem
    still to solve, and is not compared as the set it describes."""
    if isinstance(x, (And, Or)):
        return all(_solved_form(arg) for arg in x.args)
    if not isinstance(x, Relational) or x.rel_op not in ("<", "<=", ">", ">="):
        return False
    sides = (x.lhs, x.rhs)
    return any(isinstance(side, Symbol) for side in sides) and any(side.is_number for side in sides)


def judge(gold: Reference, answer: str, boxed: bool, precision: int, strict: bool) -> dict:
    """One answer against a parsed reference → {status, extracted, value}."""
    objects, text = _parse("\\boxed{" + clean(answer) + "}" if boxed else tidy(answer))
    extracted = answer if boxed else text
    if extracted is None and not objects:  # nothing answer-like in free text (a box is an answer, parsed or not)
        return {"status": "no_answer", "extracted": None, "value": 0.0}
    if same(gold, objects, text, precision, strict):
        return {"status": "ok", "extracted": extracted, "value": 1.0}
    return {"status": "wrong", "extracted": extracted, "value": 0.0}


def check(
    reference: str, answer: str, boxed: bool, precision: int = 6, strict: bool = True, alternative: str | None = None
) -> dict:
    """Compare one answer with one reference → {status, extracted, value}.

    `boxed`: `answer` is the content of the final box (parsed as a whole); otherwise it is free text to search.
    `precision`: decimal places floats are rounded to before comparing; `strict`: math-verify's strict mode
    (variables must match; a set is not a tuple). `alternative`: boxed content tried when the answer is wrong.
    """
    gold = parse_reference(reference)
    if not gold.objects and not gold.whole:
        return dict(_BAD)
    verdict = judge(gold, answer, boxed, precision, strict)
    if alternative and verdict["status"] == "wrong":
        second = judge(gold, alternative, True, precision, strict)
        if second["status"] == "ok":
            return second
    return verdict if gold.objects or verdict["status"] == "ok" else dict(_BAD)  # text tells "same", not "different"


def warm() -> None:
    """Parse and compare once, so math-verify's regular expressions and LaTeX parser are built in this process before
    workers are forked from it (then each worker starts ready)."""
    check("\\frac{1}{2}", "0.5", True)
    check("3", "so the answer is $3$.", False)
    _REFERENCES.clear()
