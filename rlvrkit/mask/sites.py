"""Where a hidden span can say something else, and what else: the sites an option family is built from.

A `Site` is a place in the span and its members: the text written there (the truth's) and the other texts the same
place can hold, each well-formed there and wrong in context. Each member is a set of edits of the span, so the members
of sites whose edits never touch (their footprints) combine into one option. The kinds:

- **numeric** (rlvrkit.mask.numeric): a number the span states, a window of values around it, carried forward;
- **operator** (+ − ×), **relation** (< >, ≤ ≥) and **function** (sin cos tan, max min, ∪ ∩) in the span's math:
  every member of the symbol's set written in its place and carried forward (a derived value recomputed); a site
  whose members give the same value to the expression they are in (``2+2`` and ``2\\cdot2``) says nothing wrong
  and is not used;
- **word** (rlvrkit.mask.words): a word of a set written in the prose, every member of its set in its place;
- **exchange**: two members of one set written in one sentence ("from the anode to the cathode"), exchanged.

What the options must not give away, each site keeps for all of its members alike: whether its text is found in the
text shown around the span (`visible`: all members, or none), and in the rest of the span (none): otherwise the
option that shares the most words with the visible text, or holds the fewest distinct words, would be the truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlvrkit.latex import spans as latex_spans
from rlvrkit.mask.arithmetic import evaluate, links, math_regions, prose
from rlvrkit.mask.numeric import Edits, apply, carried
from rlvrkit.mask.words import WordSlot, word_slots

GROUPS = {"scale": "change", "place": "change", "sign": "kind", "kind": "kind", "math": "kind"}
_MUL = r"\cdot"
SYMBOL_SETS = (  # (pattern, members, kind): a symbol that matches is exchanged for every member of its set
    (r"\+|-(?!>)|\\cdot(?![a-zA-Z])|\\times(?![a-zA-Z])", ("+", "-", "MUL"), "operator"),
    (r"(?<![<\\])<(?![<=])|(?<![>\\-])>(?![>=])", ("<", ">"), "relation"),
    (r"\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])", ("\\le", "\\ge"), "relation"),
    (r"\\leq(?![a-zA-Z])|\\geq(?![a-zA-Z])", ("\\leq", "\\geq"), "relation"),
    (r"\\sin(?![a-zA-Z])|\\cos(?![a-zA-Z])|\\tan(?![a-zA-Z])", ("\\sin", "\\cos", "\\tan"), "function"),
    (r"\\max(?![a-zA-Z])|\\min(?![a-zA-Z])", ("\\max", "\\min"), "function"),
    (r"\\cup(?![a-zA-Z])|\\cap(?![a-zA-Z])", ("\\cup", "\\cap"), "function"),
)
_OPERAND_END = re.compile(r"[\w)}\]!|]\s*$")
_TEXT_COMMAND = re.compile(r"\\(?:text\w*|mbox|mathrm|textbf|operatorname)\{[^{}]*\}")


@dataclass(frozen=True)
class Site:
    """A place in the span and its members: each member's edits of the span (the truth's, {}, first) and the text it
    writes there; `step`: the step of the span it is in; `group`: what a word site may not share a step with."""

    kind: str
    members: tuple[Edits, ...]
    names: tuple[str, ...]
    step: int = -1
    group: str = ""

    @property
    def footprint(self) -> list[tuple[int, int]]:
        return sorted({key for edits in self.members for key in edits})

    def touches(self, other: Site) -> bool:
        """Whether the two sites edit overlapping text (then their members cannot combine)."""
        theirs = other.footprint
        return any(a < y and x < b for a, b in self.footprint for x, y in theirs)


def figures(text: str) -> list[tuple[int, int]]:
    """Where a text's figure code is ([asy], tikz): never edited, never read for words."""
    return [(s.start, s.end) for s in latex_spans(text) if s.figure]


def step_of(steps: list[tuple[int, int]], at: int) -> int:
    return next((i for i, (a, b) in enumerate(steps) if a <= at < b), -1)


# -- symbols in math ---------------------------------------------------------------------------------------------------


def symbol_sites(span: str, steps: list[tuple[int, int]]) -> list[Site]:
    """One site per exchangeable symbol of the span's math, carried forward; none in GSM8K's calculator notes."""
    if "<<" in span:
        return []
    multiply = r"\times" if r"\times" in span and _MUL not in span else _MUL
    out = []
    for region in math_regions(span):
        inner = _TEXT_COMMAND.sub(lambda m: " " * len(m.group()), span[region.inner_start : region.inner_end])
        for pattern, names, kind in SYMBOL_SETS:
            for m in re.finditer(pattern, inner):
                if kind == "operator" and not _OPERAND_END.search(inner[: m.start()]):
                    continue  # a sign, not an operation
                a, b = region.inner_start + m.start(), region.inner_start + m.end()
                site = _symbol_site(span, (a, b), [multiply if n == "MUL" else n for n in names], kind)
                if site is not None:
                    out.append(Site(site.kind, site.members, site.names, step_of(steps, a)))
    return out


def _symbol_site(span: str, where: tuple[int, int], names: list[str], kind: str) -> Site | None:
    a, b = where
    written = span[a:b]
    names.insert(0, names.pop(names.index(written))) if written in names else names.insert(0, written)
    if written not in names[1:] and kind == "operator" and written not in ("+", "-", _MUL, r"\times"):
        return None
    names = [n for i, n in enumerate(names) if i == 0 or n not in (written, _MUL if written == r"\times" else "")]
    members: list[Edits] = [{}]
    for name in names[1:]:
        text = name + " " if name[-1].isalpha() and span[b : b + 1].isalpha() else name
        edits = carried(span, {(a, b): text}, {}, b)
        if edits is None:
            return None
        members.append(edits)
    if not _values_differ(span, members, a, b):
        return None
    return Site(kind, tuple(members), tuple(names))


def _values_differ(span: str, members: list[Edits], a: int, b: int) -> bool:
    """False when two members give the same value to the expression the site is in (the left side of a
    derivation): one of them would be an equivalent rewriting of the other."""
    for link in links(span):
        lo, hi = link.source
        if lo <= a and b <= hi:
            values = [evaluate(apply(span, edits, lo, hi)) for edits in members]
            return None not in values and len(set(values)) == len(values)
    return True


# -- words in prose ----------------------------------------------------------------------------------------------------


def blanked(span: str) -> str:
    """The span's prose: its math and figure code blanked to spaces (offsets kept)."""
    text = list(prose(span))
    for a, b in figures(span):
        text[a:b] = " " * (b - a)
    return "".join(text)


def word_sites(span: str, steps: list[tuple[int, int]], kind: str) -> list[Site]:
    """One site per word of a set in the span's prose, and one exchange per sentence holding two members of a set.
    A word whose set has another member elsewhere in the span is no site (it would be the one word the options
    share or lack)."""
    slots = word_slots(blanked(span), kind, frozenset(a for a, _ in steps))
    by_set: dict[int, list[WordSlot]] = {}
    for slot in slots:
        by_set.setdefault(id(slot.words), []).append(slot)
    out = []
    for same in by_set.values():
        sentences = {step_of(steps, s.start) for s in same}
        if len(same) == 1:
            slot = same[0]
            members = tuple({(slot.start, slot.end): v} if i else {} for i, v in enumerate(slot.values))
            out.append(Site("word", members, slot.values, step_of(steps, slot.start), GROUPS[slot.words.cls]))
        elif len(sentences) == 1 and len({s.written for s in same}) == 2:
            out.append(_exchange(same, step_of(steps, same[0].start)))
    return out


def _exchange(slots: list[WordSlot], step: int) -> Site:
    """The two members of a set written in one sentence, exchanged wherever they are written there."""
    first, second = slots[0].written, next(s.written for s in slots if s.written != slots[0].written)
    swap: Edits = {}
    for s in slots:
        other = second if s.written == first else first
        swap[(s.start, s.end)] = s.values[[v.lower().split()[-1] for v in s.values].index(other.split()[-1].lower())]
    names = (f"{first} … {second}", f"{second} … {first}")
    return Site("exchange", ({}, swap), names, step, GROUPS[slots[0].words.cls])


# -- what a site's members share --------------------------------------------------------------------------------------

TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z]+|\d+|[^\sA-Za-z\d]")  # what a reader comparing options sees: words, numbers,
# commands, single symbols
_REACH = 16  # characters read on each side of an edit for the n-grams it makes


def grams(tokens: list[str], most: int = 3) -> set:
    """The n-grams of a token list, 1 <= n <= most."""
    return {tuple(tokens[i : i + n]) for n in range(1, most + 1) for i in range(len(tokens) - n + 1)}


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def _around(site: Site, span: str, edits: Edits) -> set:
    """The n-grams a member makes around each place the site edits (a few characters of the text on each side
    included, with the member's other edits there applied, so an edit that recreates or breaks a phrase shows)."""
    out = set()
    footprint = site.footprint
    for a, b in footprint:
        lo, hi = max(0, a - _REACH), min(len(span), b + _REACH)
        for x, y in footprint:  # never cut through another edit
            lo, hi = (min(lo, x), hi) if x < lo < y else (lo, hi)
            lo, hi = (lo, max(hi, y)) if x < hi < y else (lo, hi)
        out |= grams(tokens(apply(span, edits, lo, hi)))
    return out


def even_handed(site: Site, span: str, visible: set) -> bool:
    """Whether the site's members stand alike towards the text around them: as many of the n-grams a member makes
    (and the others do not) are found in the text shown around the span (`visible`: its `grams`) for every member, n
    by n; and as many of the words and symbols it writes (and the others do not) are found in the rest of the span."""
    made = [_around(site, span, edits) for edits in site.members]
    shared = set.intersection(*made)
    rest = grams(tokens(_outside(span, site.footprint)), 1)
    footprint = site.footprint
    written = [grams(tokens(" ".join(e.get((a, b), span[a:b]) for a, b in footprint)), 1) for e in site.members]
    common = set.intersection(*written)
    in_view = {tuple(sum(len(g) == n for g in (m - shared) & visible) for n in (1, 2, 3)) for m in made}
    in_rest = {len((w - common) & rest) for w in written}
    return len(in_view) == 1 and len(in_rest) == 1


def _outside(span: str, footprint: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in footprint:
        out.append(span[pos:a])
        pos = max(pos, b)
    return " ".join(out) + " " + span[pos:]


def visible_grams(shown: str) -> set:
    """The n-grams of the text shown around the span, as `even_handed` compares them."""
    return grams(tokens(shown))
