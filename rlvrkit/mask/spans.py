"""Which part of a text mask hides: the text cut into steps, and the rules a span of steps must keep.

A step is a sentence, or a line that starts a new thought: `split_steps` cuts after a sentence's end (outside math),
at a blank line, at a line that starts with a capital or a digit, and after display math that ends a sentence; an
abbreviation (e.g., i.e., Fig.) or a period inside math never cuts. GSM8K's one-step-per-line solutions and MATH's
prose with LaTeX both come out as their natural steps.

A span is `span_steps` contiguous steps (`candidates`), and it must

- never be the whole text, nor the final answer's step alone (the step with the last \\boxed{}, or the last step);
- carry reasoning (`reasoning`): a relation in math (=, <, \\le, \\approx, …), a derived value (a number an equation
  computes, see `arithmetic.links`), or an inferential connective (therefore, so, because, gives, implies, …);
- not be trivially recoverable from the text left around it (`recoverable`): not repeated there (whole, or one of
  its steps), and not a span whose derived values are all restated there (``… = 400`` when a later line says
  "out of 400" holds nothing the student must work out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlvrkit.mask.arithmetic import links, math_regions, numbers, prose, results

_ABBREVIATIONS = frozenset("e.g i.e etc vs cf fig eq approx mr mrs dr st no ca".split())
_STARTS = re.compile(r"\s+(?=[A-Z0-9$\\(\"'\u201c]|$)")
_NEW_LINE = re.compile(  # starting only where a run of blanks starts: linear on a run of a megabyte (math blanked)
    r"(?<![ \t])[ \t]*\n\s*(?=[A-Z0-9])|(?<![ \t])[ \t]*\n[ \t]*\n\s*"
)
_RELATION = re.compile(r"=|<|>|\\le|\\ge|\\neq?\b|\\approx|\\equiv|\\implies|\\Rightarrow|\\iff|\\sim|\\cong|\\mid")
_CONNECTIVE = re.compile(
    r"\b(?:therefore|thus|hence|so|since|because|gives?|giving|implies|imply|means|follows|get|gets|find|obtain|"
    r"yields?|must|conclude|consequently|substitut\w*|solving|plugging|which|then|due to|causes?|caused|leads?|"
    r"results?|allows?|thereby|when|if|unless|whereas|while|but|however|only)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r";|,(?=\s+(?:so|thus|hence|which|giving|meaning|therefore|and so|and thus|then)\b)")
_SPACE = re.compile(r"\s*")
_WORD_AFTER = re.compile(r"\s*[A-Z][a-z]")
_FINAL = re.compile(r"\\boxed|\\fbox|####")


@dataclass(frozen=True)
class StepSpan:
    """Steps first..last (inclusive) of a text: text[start:end] is what mask hides."""

    first: int
    last: int
    start: int
    end: int


def split_steps(text: str) -> list[tuple[int, int]]:
    """The steps of `text` as (start, end) offsets, each stripped of surrounding whitespace. A text of one sentence is
    cut into its clauses instead (after a ';', or a ',' before so, thus, which, giving, …)."""
    steps = _pieces(text, _sentence_cuts(text))
    if len(steps) == 1:
        steps = _pieces(text, {0, len(text)} | {m.end() for m in _CLAUSE.finditer(prose(text))})
    return steps


def _sentence_cuts(text: str) -> set[int]:
    """Where steps begin or end. Each test looks a bounded distance around its mark, so the cost is linear in the
    text however it is written (one sentence of a megabyte, or a megabyte of blank lines)."""
    blanked = prose(text)
    cuts = {0, len(text)}
    for m in re.finditer(r"[.!?](?=\s)", blanked):
        word = re.search(r"([\w.]*)$", blanked[max(0, m.start() - 24) : m.start()]).group(1).lower().strip(".")
        if word not in _ABBREVIATIONS and _STARTS.match(text, m.end()):
            cuts.add(m.end())
    for m in _NEW_LINE.finditer(blanked):
        ends_sentence = text[max(0, m.start() - 200) : m.start()].rstrip()[-1:] in (".", "!", "?")
        after = _SPACE.match(text, m.start()).end()  # within the match: math is blanked to spaces there
        if ends_sentence or text[after : after + 1] not in ("$", "\\"):  # "We have that" + display math: one
            cuts.add(m.start())
    for r in math_regions(text):
        ends = text[max(r.inner_start, r.inner_end - 200) : r.inner_end].rstrip()[-1:] in (".", "!", "?")
        display = text.startswith(("\\[", "$$", "\\begin"), r.start)
        if (ends and _STARTS.match(text, r.end)) or (display and _WORD_AFTER.match(text, r.end)):
            cuts.add(r.end)  # "… = 2.\]Squaring both sides": a display that a sentence follows ends a step
    return cuts


def _pieces(text: str, cuts: set[int]) -> list[tuple[int, int]]:
    steps = []
    for a, b in zip(sorted(cuts), sorted(cuts)[1:]):
        piece = text[a:b]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            steps.append((a + lead, a + len(piece.rstrip())))
    return steps


def final_step(text: str, steps: list[tuple[int, int]]) -> int:
    """The index of the step that states the final answer: the last one with \\boxed{} (or ####), else the last."""
    marked = [i for i, (a, b) in enumerate(steps) if _FINAL.search(text[a:b])]
    return marked[-1] if marked else len(steps) - 1


def reasoning(text: str) -> int:
    """How much reasoning a piece of text carries: relations in its math, derived values, connectives in its words."""
    relations = sum(len(_RELATION.findall(text[r.inner_start : r.inner_end])) for r in math_regions(text))
    return relations + len(links(text)) + len(_CONNECTIVE.findall(prose(text)))


def candidates(text: str, steps: list[tuple[int, int]], lo: int, hi: int) -> list[StepSpan]:
    """Every span of lo..hi steps that keeps the rules on its own: not the whole text, not the final answer's step
    alone, carrying reasoning. (Recoverability depends on the context: see `recoverable`.)"""
    final, n = final_step(text, steps), len(steps)
    out = []
    for k in range(lo, min(hi, n - 1) + 1):
        for first in range(0, n - k + 1):
            last = first + k - 1
            if k == 1 and first == final:
                continue
            span = StepSpan(first, last, steps[first][0], steps[last][1])
            if reasoning(text[span.start : span.end]) > 0:
                out.append(span)
    return out


def squeeze(text: str) -> str:
    """Text compared loosely: lowercase, no whitespace, no $ or \\left/\\right, \\dfrac and \\tfrac as \\frac."""
    text = re.sub(r"\\left|\\right|\\displaystyle|\\[,!; ]|\$", "", text.lower())
    text = re.sub(r"\\[dt]frac", r"\\frac", text)
    return "".join(text.split()).strip(".,;:")


def recoverable(span_text: str, context: str, steps: list[str]) -> bool:
    """True when the span can be read off the text around it: it (or one of its steps of some length) is repeated
    there verbatim, or every value it derives is restated there."""
    around = squeeze(context)
    if any(len(squeeze(s)) >= 12 and squeeze(s) in around for s in [span_text, *steps]):
        return True
    derived = {found.value for found in results(span_text)}
    stated = {value for _, _, value in numbers(context)}
    return bool(derived) and derived <= stated
