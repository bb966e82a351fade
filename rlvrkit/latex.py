"""Where a problem's LaTeX is: the spans of math, environments and figure code, found in one pass over the text.

Both prompt-making commands need the same map: `rlvr steps` never splits inside one of these spans, and `rlvr compose`
writes a replaced number as the text around it is written (plain inside math, ``$Y$`` in LaTeX prose) and never
touches figure code. The scanner knows ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``, ``\\begin{name}…\\end{name}``
(nested, matched by name) and ``[asy]…[/asy]``; an escaped dollar (``\\$``) is text, and a delimiter that is never
closed protects the rest of the text (splitting or editing half a formula is worse than doing nothing).

GSM8K writes money with bare dollar signs (``earns $12 an hour``); `dollar_math` tells such a text from LaTeX, so its
dollars are read as currency rather than as math.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

MATH_ENVIRONMENTS = frozenset(
    "equation equation* align align* aligned alignat alignat* eqnarray eqnarray* gather gather* gathered multline "
    "multline* displaymath math array matrix pmatrix bmatrix vmatrix Vmatrix cases split".split()
)
FIGURE_ENVIRONMENTS = frozenset("tikzpicture asy asydef picture pspicture".split())
_BEGIN = re.compile(r"\\begin\s*\{([^{}]+)\}")
_ENV_EDGE = re.compile(r"\\(begin|end)\s*\{([^{}]+)\}")
_TEXT_ARGUMENT = re.compile(r"\\(?:text\w*|mbox|mathrm|operatorname|textbf|textit|mathbf|hbox)\s*\{[^{}]*\}")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_PROSE_WORDS = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")
_WORD_LETTER = re.compile(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])")


@dataclass(frozen=True)
class Span:
    """[start, end) of the text, and what it is: "math" (inline or display) or "env:NAME" or "asy"."""

    start: int
    end: int
    kind: str

    @property
    def math(self) -> bool:
        return self.kind == "math" or self.kind[4:] in MATH_ENVIRONMENTS

    @property
    def figure(self) -> bool:
        return self.kind == "asy" or self.kind[4:] in FIGURE_ENVIRONMENTS


def _escaped(text: str, i: int) -> bool:
    """True when the character at i follows an odd run of backslashes (``\\$`` is a dollar sign, ``\\\\$`` is not)."""
    run = 0
    while i - run - 1 >= 0 and text[i - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _closing_dollar(text: str, start: int, double: bool) -> int:
    """Index just past the unescaped ``$`` (or ``$$``) that closes math opened before `start`; len(text) if none."""
    mark = "$$" if double else "$"
    i = start
    while (i := text.find(mark, i)) >= 0:
        if not _escaped(text, i):
            return i + len(mark)
        i += 1
    return len(text)


def _closing_env(text: str, start: int, name: str) -> int:
    """Index just past the ``\\end{name}`` that closes the environment opened before `start` (nesting counted)."""
    depth = 1
    for m in _ENV_EDGE.finditer(text, start):
        if m.group(2).strip() != name:
            continue
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.end()
    return len(text)


def _until(text: str, start: int, mark: str) -> int:
    i = text.find(mark, start)
    return len(text) if i < 0 else i + len(mark)


def _span_at(text: str, i: int, dollars: bool) -> Span | None:
    """The span that opens at i, or None when nothing opens there."""
    if text.startswith("\\(", i) or text.startswith("\\[", i):
        return Span(i, _until(text, i + 2, "\\)" if text[i + 1] == "(" else "\\]"), "math")
    if text.startswith("\\begin", i) and (m := _BEGIN.match(text, i)):
        name = m.group(1).strip()
        return Span(i, _closing_env(text, m.end(), name), f"env:{name}")
    if text.startswith("[asy]", i):
        return Span(i, _until(text, i + 5, "[/asy]"), "asy")
    if dollars and text[i] == "$":
        double = text.startswith("$$", i)
        return Span(i, _closing_dollar(text, i + (2 if double else 1), double), "math")
    return None


@functools.lru_cache(maxsize=4096)
def spans(text: str, dollars: bool | None = None) -> tuple[Span, ...]:
    """`scan`, remembered for the texts seen last (a problem's text is scanned for several reasons)."""
    return scan(text, dollars)


def scan(text: str, dollars: bool | None = None) -> tuple[Span, ...]:
    """The math, environment and figure spans of `text`, in order, none inside another.

    `dollars`: whether ``$`` delimits math; by default `dollar_math(text)` decides."""
    if dollars is None:
        dollars = dollar_math(text)
    found: list[Span] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] not in "([b":
            i += 2  # an escaped character or a command name's first letter: never a delimiter
            continue
        if c in "\\[$" and (span := _span_at(text, i, dollars)) is not None:
            found.append(span)
            i = span.end
            continue
        i += 1
    return tuple(found)


def inner(text: str, span: Span) -> tuple[int, int]:
    """Where a span's content is, inside its delimiters (``$…$``, ``\\[…\\]``, ``\\begin{…}…\\end{…}``); an unclosed
    span runs to the end of the text."""
    start, end = span.start, span.end
    if span.kind.startswith("env:"):
        content = _BEGIN.match(text, start).end()
        close = text.rfind("\\end", content, end)
        return content, close if close >= 0 else end
    if span.kind == "asy":
        return start + len("[asy]"), end - len("[/asy]") if text.endswith("[/asy]", start, end) else end
    opening = 2 if text.startswith(("$$", "\\(", "\\["), start) else 1
    closed = end - start >= 2 * opening and text[end - opening : end] in ("$$", "$", "\\)", "\\]")
    return start + opening, end - opening if closed else end


def dollar_math(text: str) -> bool:
    """Whether the unescaped ``$`` signs of `text` delimit math (LaTeX) rather than mark money (GSM8K's ``$12``).

    Money when the single dollars do not pair up, or when what a pair would enclose reads as prose (two words in a
    row once commands and their text arguments are removed)."""
    marks = [i for i in range(len(text)) if text[i] == "$" and not _escaped(text, i)]
    paired = set(marks)
    singles = [i for i in marks if i + 1 not in paired and i - 1 not in paired]
    if len(singles) % 2:
        return False
    for a, b in zip(singles[::2], singles[1::2]):
        inside = _COMMAND.sub(" ", _TEXT_ARGUMENT.sub(" ", text[a + 1 : b]))
        if _PROSE_WORDS.search(inside):
            return False
    return True


def latex_text(text: str) -> bool:
    """Whether `text` is written in LaTeX (it has math or commands) rather than as plain prose."""
    return bool(spans(text)) or _COMMAND.search(text) is not None


class SpanMap:
    """The spans of one text, for asking which span (if any) holds a position."""

    def __init__(self, text: str, dollars: bool | None = None):
        self.spans = spans(text, dollars)
        self._starts = [s.start for s in self.spans]

    def at(self, i: int) -> Span | None:
        k = bisect.bisect_right(self._starts, i) - 1
        return self.spans[k] if k >= 0 and i < self.spans[k].end else None


def symbols(text: str) -> frozenset[str]:
    """The letters `text` uses as names, upper-cased: every letter inside math (after commands and their text
    arguments are removed; in figure code, inside its labels' math) and every one-letter word of the prose ("a",
    "I", "point P")."""
    found: set[str] = set()
    last = 0
    for span in [*spans(text), Span(len(text), len(text), "end")]:
        found.update(_WORD_LETTER.findall(text[last : span.start]))
        inside = _ENV_EDGE.sub(" ", text[span.start : span.end])
        if span.figure:  # figure code: only the math of its labels names anything
            inside = " ".join(re.findall(r"\$([^$]*)\$", inside))
        found.update(re.findall(r"[A-Za-z]", _COMMAND.sub(" ", _TEXT_ARGUMENT.sub(" ", inside))))
        last = span.end
    return frozenset(c.upper() for c in found)


_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")


def unbox(text: str) -> str:
    """`text` with every ``\\boxed{…}`` (and ``\\fbox{…}``) replaced by what it holds."""
    out, last = [], 0
    for m in _BOX.finditer(text):
        if m.start() < last:
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0) if not _escaped(text, j) else 0
            j += 1
        if depth:
            break
        out.append(text[last : m.start()] + text[m.end() : j - 1])
        last = j
    return "".join(out) + text[last:]
