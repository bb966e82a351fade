"""Math answers checked with math-verify: the reference and the answer are parsed to sympy and compared.

The reference (`answer`, as written in MATH, GSM8K, AIME: ``\\frac{1}{2}``, ``90^\\circ``, ``\\text{Evelyn}``,
``(-\\infty,3]``, ``\\begin{pmatrix}…``) is wrapped in ``\\boxed{}`` so math-verify's LaTeX extractor takes the whole
of it, after two clean-ups MATH needs (``20,\\!000`` thousands separators, a trailing full stop). A reference that does
not parse is ``bad_reference``: counted and reported, never a silent "wrong".

The answer arrives already cut out by the parent (rlvrkit.verify.text): the content of the final ``\\boxed{}``, parsed
as exactly that, or — when the completion has no box — the answer region, where math-verify looks for "final answer
is", "answer:", then the last LaTeX or number. Either way only the first candidate is tried (math-verify's
``extraction_mode="first_match"``): the final answer is the one that counts, and when it does not parse an earlier
formula of the working is not taken in its place.

This module runs inside worker processes (rlvrkit.verify.pool), which bound its time: math-verify's own SIGALRM
timeouts are turned off here (``parsing_timeout=None``, ``timeout_seconds=None``) because they swallow the timeout
into an empty parse or a False, which would read as no_answer or wrong. No parsed object is ever str()-ed: the
extracted answer reported is the matched text, not a printed sympy expression.
"""

from __future__ import annotations

import logging
import re

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

# math-verify warns once that its timeouts are off (the pool enforces ours) and logs whole completions on trouble.
logging.getLogger("math_verify").setLevel(logging.CRITICAL)

# Boxed answers first (priority 0), then math-verify's anchors and plain LaTeX; plain numbers and expressions too.
CONFIG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
_THOUSANDS = re.compile(r"(?<=\d),\\!\s*(?=\d{3})")
_REFERENCES: dict[str, list] = {}  # reference text -> parsed reference, per worker process
_KEEP = 1024


def reference_latex(reference: str) -> str:
    """A reference answer as the LaTeX math-verify should read: cleaned and boxed."""
    text = _THOUSANDS.sub("", reference.strip()).rstrip(" .,;")
    if "\\boxed" in text or "\\fbox" in text:
        return text
    return "\\boxed{" + text + "}"


def parse_reference(reference: str) -> list:
    """The parsed reference (sympy objects only), [] when it does not parse; remembered per process."""
    gold = _REFERENCES.get(reference)
    if gold is None:
        found = parse(
            reference_latex(reference),
            CONFIG,
            fallback_mode="no_fallback",
            extraction_mode="first_match",
            parsing_timeout=None,
        )
        gold = [x for x in found if not isinstance(x, str)]
        if len(_REFERENCES) >= _KEEP:
            del _REFERENCES[next(iter(_REFERENCES))]
        _REFERENCES[reference] = gold
    return gold


def check(reference: str, answer: str, boxed: bool, precision: int = 6, strict: bool = True) -> dict:
    """Compare one answer with one reference → {status, extracted, value}.

    `boxed`: `answer` is the content of the final box (parsed as a whole); otherwise it is free text to search.
    `precision`: decimal places floats are rounded to before comparing; `strict`: math-verify's strict mode
    (variables must match; a set is not a tuple).
    """
    gold = parse_reference(reference)
    if not gold:
        return {"status": "bad_reference", "extracted": None, "value": 0.0}
    if boxed:
        found = parse(
            "\\boxed{" + answer + "}",
            CONFIG,
            fallback_mode="first_match",
            extraction_mode="first_match",
            parsing_timeout=None,
        )
    else:
        found = parse(answer, CONFIG, fallback_mode="first_match", extraction_mode="first_match", parsing_timeout=None)
    parsed = [x for x in found if not isinstance(x, str)]
    extracted = answer if boxed else next((x for x in found if isinstance(x, str)), None)
    if extracted is None and not parsed:  # nothing answer-like in free text (a box is an answer even if it won't parse)
        return {"status": "no_answer", "extracted": None, "value": 0.0}
    if parsed and verify(gold, parsed, float_rounding=precision, strict=strict, timeout_seconds=None):
        return {"status": "ok", "extracted": extracted, "value": 1.0}
    return {"status": "wrong", "extracted": extracted, "value": 0.0}


def warm() -> None:
    """Parse and compare once, so math-verify's regular expressions and LaTeX parser are built in this process before
    workers are forked from it (then each worker starts ready)."""
    check("\\frac{1}{2}", "0.5", True)
    check("3", "so the answer is $3$.", False)
    _REFERENCES.clear()
