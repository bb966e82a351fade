"""Where an expert solution is cut into steps, for `rlvr steps`.

`numbered` steps ("1. **Title** action", "Step 2: …") where the solution has them; otherwise `paragraph`s (line
breaks) or `sentence`s; `split` with "auto" takes numbered steps when there are any, paragraphs when they give at least
three steps, else sentences. Fragments shorter than min_chars join a neighbour. A cut never falls inside math
(``$…$``, ``\\[…\\]``), an environment or figure code (rlvrkit.latex).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlvrkit.latex import SpanMap

_NUMBERED = re.compile(r"^[ \t]*(\*\*)?(?:Step[ \t]+)?(\d+)[.):][ \t]*(?(1)\*\*)", re.MULTILINE | re.IGNORECASE)
_TITLE = re.compile(r"\s*\*\*(.+?)\*\*[ \t]*[:.]?[ \t]*(?=\S)")
_SENTENCE_END = re.compile(r"[.?!](?=\s+[A-Z0-9$\\(\[])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Mr|Mrs|Dr|St|Fig|No)|\b[A-Za-z])\.$")


@dataclass(frozen=True)
class Step:
    start: int  # where the step begins in the solution
    end: int
    action: str  # what the model must write: the step without its number and title
    title: str | None = None


def _free(spans: SpanMap, i: int) -> bool:
    span = spans.at(i)
    return span is None or span.start == i


def numbered(solution: str, spans: SpanMap) -> list[Step]:
    """The numbered steps (1, 2, 3, … from the start of a line, outside math), or [] when there are fewer than two.
    Text before step 1 is a step of its own."""
    marks, want = [], 1
    for m in _NUMBERED.finditer(solution):
        if int(m.group(2)) == want and _free(spans, m.start()):
            marks.append(m)
            want += 1
    if len(marks) < 2:
        return []
    steps = (
        [Step(0, marks[0].start(), solution[: marks[0].start()].strip())]
        if solution[: marks[0].start()].strip()
        else []
    )
    for m, nxt in zip(marks, [*marks[1:], None]):
        end = nxt.start() if nxt else len(solution)
        body = solution[m.end() : end]
        title = _TITLE.match(body)
        action = (body[title.end() :] if title else body).strip() or body.strip()
        steps.append(Step(m.start(), end, action, title.group(1).strip() if title else None))
    return steps


def _cuts(solution: str, spans: SpanMap, sentences: bool) -> list[int]:
    """Where the text may be cut: after each line break outside math (and after each sentence, with `sentences`)."""
    cuts = [m.end() for m in re.finditer(r"\n\s*", solution) if _free(spans, m.start())]
    if sentences:
        cuts += [
            m.end()
            for m in _SENTENCE_END.finditer(solution)
            if _free(spans, m.start()) and not _ABBREVIATION.search(solution, 0, m.end())
        ]
        cuts += [s.end for s in spans.spans if s.math and _ends_sentence(solution, s.start, s.end)]
    return sorted(set(c for c in cuts if 0 < c < len(solution)))


def _ends_sentence(solution: str, start: int, end: int) -> bool:
    """Whether the math at [start, end) ends a sentence: it ends with a period, or it is displayed and a capitalised
    word follows (``\\end{align*}We use…``)."""
    if solution[start:end].rstrip("$]\\ \n").endswith("."):
        return True
    displayed = solution.startswith(("\\[", "$$", "\\begin"), start)
    return displayed and re.match(r"\s*[A-Z][a-z]", solution[end : end + 4]) is not None


def pieces(solution: str, spans: SpanMap, sentences: bool, min_chars: int) -> list[Step]:
    """The solution cut at its line breaks (and sentence ends), fragments shorter than `min_chars` joined to the
    next piece (the last one to the one before)."""
    bounds = [0, *_cuts(solution, spans, sentences), len(solution)]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:]) if solution[a:b].strip()]
    merged: list[tuple[int, int]] = []
    for a, b in ranges:
        if merged and len(solution[merged[-1][0] : merged[-1][1]].strip()) < min_chars:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if len(merged) > 1 and len(solution[merged[-1][0] : merged[-1][1]].strip()) < min_chars:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return [Step(a, b, solution[a:b].strip()) for a, b in merged]


def split(solution: str, how: str, min_chars: int) -> tuple[list[Step], str]:
    """The steps of `solution` and the split used (what `auto` chose)."""
    spans = SpanMap(solution)
    if how in ("auto", "numbered"):
        steps = numbered(solution, spans)
        if steps or how == "numbered":
            return steps, "numbered"
    if how in ("auto", "paragraph"):
        steps = pieces(solution, spans, False, min_chars)
        if how == "paragraph" or len(steps) >= 3:
            return steps, "paragraph"
    return pieces(solution, spans, True, min_chars), "sentence"
