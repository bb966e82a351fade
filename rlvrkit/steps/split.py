"""Where an expert solution is cut into steps, for `rlvr steps`: where a teacher would pause, in one pass.

`numbered` steps ("1. **Title** action", "Step 2: …"); `paragraph`s or `sentence`s; `split` with "auto" takes
numbered steps when the solution is a numbered list from its first line (a short list inside a solution, "two
conditions: 1. … and 2. …", is no split of the solution), paragraphs when they give at least three steps, else
sentences. Fragments shorter than min_chars join the next one (the last one the one before).

A cut falls only between two sentences, read from the prose and the math together (`gaps`):

- what comes before it closes a sentence: a full stop, ? or ! outside math (not "e.g." or a list's "2."), a formula
  ending in one (``$x = 5.$``), or a displayed block (``\\[…\\]``, ``$$…$$``, an environment, figure code); at a line
  break, also a word, a number or inline math (GSM8K's lines often have no full stop);
- it never follows a lead-in that announces what comes next (``we get:``, ``Hence,``, ``=``), and what comes after
  it starts a sentence: a capital, a digit, inline math, a bracket or a command. A displayed block, figure code or a
  lowercase continuation ("so …", "where …") stays with the sentence before it, which introduces it;
- never inside math, an environment or figure code (rlvrkit.latex).

`paragraph` keeps the cuts at line breaks, `sentence` all of them. Every part is linear in the solution's length:
one scan for the math, one for the gaps, each looking at a bounded window of text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from rlvrkit.latex import Span, inner, scan

_NUMBERED = re.compile(r"^[ \t]*(\*\*)?(?:Step[ \t]+)?(\d+)[.):][ \t]*(?(1)\*\*)", re.MULTILINE | re.IGNORECASE)
_TITLE = re.compile(r"[ \t]*\*\*([^*\n]{1,200}?)\*\*[ \t]*[:.]?[ \t]*(?=\S)")
# The gaps that may cut: whitespace after a full stop or a closing bracket or quote, a line break and the whitespace
# after it (the spaces before it are found by walking back), the place after a CJK full stop (no space follows it).
# No pattern that could try a long run of spaces from each of its positions (that would be quadratic).
_GAP = re.compile(r"(?<=[.?!。！？)\"'*\]’”」』])\s+|\n\s*|(?<=[。！？」』])(?=\S)")
_SPACES = re.compile(r"\s+")
_STOPS = ".?!。！？"  # what ends a sentence (the last three: CJK's)
_CLOSERS = ")\"'*]’”」』"
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|resp|Mr|Mrs|Ms|Dr|St|Fig|No|Eq|Thm)|(?<![A-Za-z0-9])[A-Za-z])\.$"
)
_LIST_MARK = re.compile(r"(?:^|\n)[ \t]*(?:\d{1,3}|[ivxIVX]{1,4}|[a-zA-Z])[.)]$")
_LEAD = frozenset(":,;=+-(&<>")  # a line or sentence part ending on one of these announces what follows
# Words a line does not end on unless something follows: conjunctions, prepositions, articles, and the verbs and
# adverbs that announce a result ("…we get", "Then", "…which gives us").
_LEAD_WORDS = frozenset(
    """and or but nor so then thus hence therefore since because if as of to by for from with in on at into onto
    the a an that which where whence when is are was were be get gets obtain obtains have has find finds gives give
    yields yield becomes become equals means implies follows us""".split()
)
_LAST_WORD = re.compile(r"([A-Za-z]+)$")
_STARTS = frozenset("(\"'*#-\\[`‘“")  # besides capitals and digits, what a sentence may start with
_WINDOW = 16  # characters looked at before a full stop, for an abbreviation or a list mark


@dataclass(frozen=True)
class Step:
    start: int  # where the step begins in the solution
    end: int
    action: str  # what the model must write: the step without its number and title
    title: str | None = None


def math_of(solution: str) -> tuple[Span, ...]:
    """The math, environment and figure spans of one solution, scanned afresh (`latex.scan`): `latex.spans` remembers
    the texts it saw last, and a stream of long solutions must not stay in memory."""
    return scan(solution)


def numbered(solution: str, found: tuple[Span, ...], head: bool = True) -> list[Step]:
    """The numbered steps (1, 2, 3, … from the start of a line, outside math), or [] when there are fewer than two.
    Text before step 1 is a step of its own, or with `head` False makes it no numbered solution ([])."""
    marks, want, k = [], 1, 0
    for m in _NUMBERED.finditer(solution):
        while k < len(found) and found[k].end <= m.start():
            k += 1
        inside = k < len(found) and found[k].start < m.start()
        if len(m.group(2)) <= 6 and int(m.group(2)) == want and not inside:  # "１." too; 5000 digits are no step
            marks.append(m)
            want += 1
    if len(marks) < 2:
        return []
    before = solution[: marks[0].start()].strip()
    if before and not head:
        return []
    steps = [Step(0, marks[0].start(), before)] if before else []
    for m, nxt in zip(marks, [*marks[1:], None]):
        end = nxt.start() if nxt else len(solution)
        body = solution[m.end() : end]
        title = _TITLE.match(body)
        action = (body[title.end() :] if title else body).strip() or body.strip()
        steps.append(Step(m.start(), end, action, title.group(1).strip() if title else None))
    return steps


def _block(text: str, span: Span) -> bool:
    """A span set apart from the prose: displayed math, an environment, figure code, or inline math on a line of its
    own (``\\n$999S = 283$\\n`` is displayed in all but name)."""
    if span.kind != "math" or text.startswith(("$$", "\\["), span.start):
        return True
    a, b = span.start, span.end
    while a > 0 and text[a - 1] in " \t":
        a -= 1
    while b < len(text) and text[b] in " \t.,;:":
        b += 1
    return (a == 0 or text[a - 1] == "\n") and (b == len(text) or text[b] == "\n")


def _closes_sentence(text: str, end: int) -> bool:
    """Whether the prose ending at `end` ends a sentence: ., ? or ! (after it at most a few closing brackets or
    quotes), not an abbreviation ("e.g.", "Fig.", a lone letter) nor a list mark at the start of a line ("2.")."""
    p = end
    while p > 0 and end - p < 3 and text[p - 1] in _CLOSERS:
        p -= 1
    if p == 0 or text[p - 1] not in _STOPS:
        return False
    if text[p - 1] != ".":
        return True
    window = text[max(0, p - _WINDOW) : p]
    return not (_ABBREVIATION.search(window) or _LIST_MARK.search(window) or (p - 1 == 0))


def _ending(text: str, g0: int, before: Span | None) -> str:
    """What the text before a gap at `g0` is: "closed" (a sentence ends), "block" (a displayed block ends), "open"
    (a word, a number or inline math: a sentence only at a line break) or "lead" (it announces what follows)."""
    if before is not None and before.end == g0:
        if _block(text, before):
            return "block"
        content_end = inner(text, before)[1]
        return "closed" if text[before.start : content_end].rstrip().endswith(tuple(_STOPS)) else "open"
    if _closes_sentence(text, g0):
        return "closed"
    last = text[g0 - 1]
    word = _LAST_WORD.search(text, max(0, g0 - _WINDOW), g0)
    if last in _LEAD or text.endswith("\\\\", 0, g0) or (word and word.group(1).lower() in _LEAD_WORDS):
        return "lead"
    return "open"


def _starts_sentence(text: str, g1: int, after: Span | None) -> bool:
    """Whether what begins at `g1` may begin a step: a capital (or a letter of a script without case), a digit,
    inline math, a bracket, a quote or a command; never a displayed block, figure code, a lowercase word or
    punctuation."""
    if after is not None and after.start == g1:
        return not _block(text, after)
    c = text[g1]
    if c.isalpha():
        return not c.islower()  # a capital, or a letter of a script without case (CJK, Arabic)
    return c.isdigit() or c in _STARTS or unicodedata.category(c) == "So"  # "So": a symbol such as an emoji


def gaps(text: str, found: tuple[Span, ...]) -> Iterator[tuple[int, bool]]:
    """Where a step may begin, in order, and whether there at a line break: after the whitespace between two
    sentences, and right after a displayed block that a sentence follows."""
    prev: Span | None = None
    n = len(text)
    for span in [*found, None]:
        lo = prev.end if prev else 0
        hi = span.start if span else n
        at = _SPACES.match(text, lo, hi) if lo < hi else None  # the gap right after a span
        if prev is not None and lo < hi and (at or _block(text, prev)):
            yield from _cut(text, lo, at.end() if at else lo, prev, span)
        for m in _GAP.finditer(text, at.end() if at else lo, hi):
            g0 = m.start()
            while g0 > lo and text[g0 - 1] in " \t\r\f\v":
                g0 -= 1
            yield from _cut(text, g0, m.end(), prev, span)
        prev = span


def _cut(text: str, g0: int, g1: int, before: Span | None, after: Span | None) -> Iterator[tuple[int, bool]]:
    """(g1, at a line break) when the gap [g0, g1) is between two sentences; nothing otherwise."""
    if g0 == 0 or g1 >= len(text):
        return
    line = text.find("\n", g0, g1) >= 0
    kind = _ending(text, g0, before)
    if kind != "lead" and (line or kind != "open") and _starts_sentence(text, g1, after):
        yield g1, line


def _stripped(text: str, a: int, b: int) -> tuple[int, int]:
    """[a, b) without the whitespace at either end."""
    piece = text[a:b]
    return a + len(piece) - len(piece.lstrip()), b - len(piece) + len(piece.rstrip())


def pieces(text: str, cuts: list[int], min_chars: int) -> list[Step]:
    """The solution cut at `cuts`, a fragment shorter than `min_chars` joined to the next (the last one to the one
    before). Linear: each fragment's length is known from its ends, never re-read."""
    bounds = [0, *cuts, len(text)]
    merged: list[list[int]] = []  # [start, end, first non-space, end of the last non-space]
    for a, b in zip(bounds, bounds[1:]):
        sa, sb = _stripped(text, a, b)
        if sa >= sb:
            continue
        if merged and merged[-1][3] - merged[-1][2] < min_chars:
            merged[-1][1], merged[-1][3] = b, sb
        else:
            merged.append([a, b, sa, sb])
    if len(merged) > 1 and merged[-1][3] - merged[-1][2] < min_chars:
        last = merged.pop()
        merged[-1][1], merged[-1][3] = last[1], last[3]
    return [Step(a, b, text[sa:sb]) for a, b, sa, sb in merged]


def split(solution: str, how: str, min_chars: int) -> tuple[list[Step], str]:
    """The steps of `solution` and the split used (what `auto` chose)."""
    found = math_of(solution)
    if how in ("auto", "numbered"):
        steps = numbered(solution, found, head=how == "numbered")  # auto: only a list from the first line
        if steps or how == "numbered":
            return steps, "numbered"
    cuts = list(gaps(solution, found))
    if how in ("auto", "paragraph"):
        steps = pieces(solution, [g for g, line in cuts if line], min_chars)
        if how == "paragraph" or len(steps) >= 3:
            return steps, "paragraph"
    return pieces(solution, [g for g, _ in cuts], min_chars), "sentence"
