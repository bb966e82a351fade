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

import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from rlvrkit.latex import spans as latex_spans
from rlvrkit.mask.arithmetic import evaluate, links, math_regions, prose
from rlvrkit.mask.numeric import Edits, apply, carried, kind
from rlvrkit.mask.words import WordSlot, _bare, word_slots

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
    keys: tuple = ()  # each member's key in rlvrkit.mask.priors (none: the site is always used)

    def only(self, keep: list[int]) -> Site:
        """The site with only the members at `keep` (the truth's, 0, first)."""
        keys = tuple(self.keys[i] for i in keep) if self.keys else ()
        members, names = tuple(self.members[i] for i in keep), tuple(self.names[i] for i in keep)
        return Site(self.kind, members, names, self.step, self.group, keys)

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


def symbols(span: str) -> Iterator[tuple[int, int, list[str], str]]:
    """Every exchangeable symbol of a text's math: (start, end, its set's members written as this text would, kind);
    none in GSM8K's calculator notes."""
    if "<<" in span:
        return
    multiply = r"\times" if r"\times" in span and _MUL not in span else _MUL
    for region in math_regions(span):
        inner = _TEXT_COMMAND.sub(lambda m: " " * len(m.group()), span[region.inner_start : region.inner_end])
        for pattern, names, how in SYMBOL_SETS:
            for m in re.finditer(pattern, inner):
                if how == "operator" and not _OPERAND_END.search(inner[: m.start()]):
                    continue  # a sign, not an operation
                a, b = region.inner_start + m.start(), region.inner_start + m.end()
                yield a, b, [multiply if n == "MUL" else n for n in names], how


def symbol_key(name: str) -> tuple:
    return ("symbol", "×" if name in (_MUL, r"\times") else name)


def symbol_sites(span: str, steps: list[tuple[int, int]]) -> list[Site]:
    """One site per exchangeable symbol of the span's math, carried forward."""
    out = []
    for a, b, names, how in symbols(span):
        site = _symbol_site(span, (a, b), names, how)
        if site is not None:
            keys = tuple(symbol_key(n) for n in site.names)
            out.append(Site(site.kind, site.members, site.names, step_of(steps, a), keys=keys))
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


# -- operands in order ------------------------------------------------------------------------------------------------

_OPERANDS = re.compile(
    r"(?<![\w.^_{}!])(?<![\^_]\{)(?P<a>\d+(?:\.\d+)?)\s*(?P<op>-|/|\\div(?![a-zA-Z]))\s*(?P<b>\d+(?:\.\d+)?)(?![\w.^_!])"
    r"|\\[dt]?frac\{\s*(?P<p>\d+)\s*\}\{\s*(?P<q>\d+)\s*\}"
    r"|(?<![\w.^_{}!])(?P<x>\d+)\^(?:\{(?P<y>\d+)\}|(?P<d>\d)(?![\d.]))"
)
_TIGHT = re.compile(r"(?:\\cdot|\\times|\*|/|\^|\\div)\s*$")  # an operand bound to the operation before it


def order_sites(span: str, steps: list[tuple[int, int]]) -> list[Site]:
    """One site per subtraction, division, fraction or power of two numbers in the span's math whose operands can
    change places (10 − 3 and 3 − 10, \\frac{3}{4} and \\frac{4}{3}, 2^{5} and 5^{2}), carried forward: the same
    symbols in another order, a classic slip that a bag of words cannot see."""
    if "<<" in span:
        return []
    out = []
    for region in math_regions(span):
        for m in _OPERANDS.finditer(span, region.inner_start, region.inner_end):
            first, second = (
                ("a", "b") if m.group("a") else ("p", "q") if m.group("p") else ("x", "y" if m.group("y") else "d")
            )
            if m.group(first) == m.group(second) or (first == "a" and _TIGHT.search(span[: m.start()])):
                continue
            swap = {m.span(first): m.group(second), m.span(second): m.group(first)}
            edits = carried(span, swap, {}, m.end())
            if edits is not None and _values_differ(span, [{}, edits], m.start(), m.end()):
                names = (m.group(), apply(span, edits, m.start(), m.end()))
                out.append(Site("order", ({}, edits), names, step_of(steps, m.start())))
    return out


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
            keys = tuple(("word", _bare(v)) for v in slot.values)
            out.append(Site("word", members, slot.values, step_of(steps, slot.start), GROUPS[slot.words.cls], keys))
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
    out: set = set()
    for n in range(1, most + 1):
        out.update(zip(*(tokens[i:] for i in range(n))))
    return out


@functools.lru_cache(maxsize=65536)  # the text around a site is read once per member: read it once
def tokens(text: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(text.lower()))


def _windows(span: str, footprint: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The text read around each place of the footprint: a few characters on each side, never cutting through an
    edit. It depends on the footprint only, so every member of a site reads the same windows."""
    out = []
    for a, b in footprint:
        lo, hi = max(0, a - _REACH), min(len(span), b + _REACH)
        for x, y in footprint:
            lo, hi = (min(lo, x) if x < lo < y else lo), (max(hi, y) if x < hi < y else hi)
        out.append((lo, hi))
    return out


def _piece(span: str, footprint: list[tuple[int, int]], edits: Edits, window: tuple[int, int], visible: set) -> tuple:
    """What one window of a member shows (see `stance`): the n-grams holding a token of the member's own that are in
    the visible text."""
    lo, hi = window
    words, mine, pos = [], [], lo
    for x, y in footprint:
        if lo <= x and y <= hi:
            words += tokens(span[pos:x])
            own = tokens(edits.get((x, y), span[x:y]))
            mine += range(len(words), len(words) + len(own))
            words += own
            pos = y
    words += tokens(span[pos:hi])
    crossing = set()
    for n in (1, 2, 3):  # the n-grams that hold a token of the member's own: their starts, each taken once
        starts = {s for i in mine for s in range(max(0, i - n + 1), min(i, len(words) - n) + 1)}
        crossing.update(tuple(words[s : s + n]) for s in starts)
    return frozenset(g for g in crossing if g in visible)


def stance(span: str, footprint: list[tuple[int, int]], edits: Edits, seen_by: tuple, rest: set) -> tuple:
    """How a member stands towards the text around it: how many of the 1-, 2- and 3-grams of words and symbols it
    makes across the footprint are in the visible text, then what `standing` says of its own words. `seen_by`: the
    visible text, the footprint's windows, and what each window showed for the edits inside it (filled here: the
    members of a site often agree on some of their windows)."""
    return (*_counts(span, footprint, edits, seen_by), *standing(span, footprint, edits, rest))


def _counts(span: str, footprint: list[tuple[int, int]], edits: Edits, seen_by: tuple) -> tuple[int, int, int]:
    visible, windows, memo = seen_by
    seen = set()
    for window in windows:
        key = (window, *(edits.get(p) for p in footprint if window[0] <= p[0] and p[1] <= window[1]))
        if key not in memo:
            memo[key] = _piece(span, footprint, edits, window, visible)
        seen.update(memo[key])
    return tuple(sum(len(g) == n for g in seen) for n in (1, 2, 3))


def standing(span: str, footprint: list[tuple[int, int]], edits: Edits, rest: set) -> tuple:
    """How many of a member's own words and symbols are in the rest of the span, and the kinds of the numbers it
    writes (rlvrkit.mask.numeric.kind: a true value carried forward stays round or small where a wrong one does
    not): the part of its `stance` read without the text around, cheap enough to be read first."""
    own = {t for x, y in footprint for t in tokens(edits.get((x, y), span[x:y]))}
    kinds = tuple(sorted(kind(int(t)) if len(t) < 30 else "long" for t in own if t.isdigit()))
    return len({(t,) for t in own} & rest), kinds


def matched(site: Site, span: str, visible: set) -> Site | None:
    """The site with only the members that stand towards the visible text and the rest of the span as the truth
    does (`stance`: a member whose `standing` differs is left out unread); None when fewer than two remain. Which
    members remain does not depend on which is the truth."""
    footprint = site.footprint
    rest = grams(tokens(_outside(span, footprint)), 1)
    seen_by = (visible, _windows(span, footprint), {})
    truth = stance(span, footprint, site.members[0], seen_by, rest)
    keep = [0] + [
        i
        for i, edits in enumerate(site.members[1:], 1)
        if standing(span, footprint, edits, rest) == truth[3:] and _counts(span, footprint, edits, seen_by) == truth[:3]
    ]
    return site.only(keep) if len(keep) >= 2 else None


def _outside(span: str, footprint: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in footprint:
        out.append(span[pos:a])
        pos = max(pos, b)
    return " ".join(out) + " " + span[pos:]


class Shown:
    """The n-grams (n <= 3) of the text a student sees around one span, answering `gram in shown`: the whole
    document's n-grams counted once (`counts`), then for each span (`around`) those of a window around it taken away
    and those of the same window with the span replaced by [MASK] put back, so that a span costs its own length, not
    the document's."""

    def __init__(self, total: Counter, hidden: frozenset = frozenset(), extra: frozenset = frozenset()):
        self.total, self.hidden, self.extra = total, hidden, extra

    @staticmethod
    def counts(text: str) -> Counter:
        words = TOKEN.findall(text.lower())
        found = Counter(zip(words))
        found.update(zip(words, words[1:]))
        found.update(zip(words, words[1:], words[2:]))
        return found

    def around(self, text: str, start: int, end: int) -> Shown:
        """The n-grams shown when text[start:end] is masked (`self.total` being those of text, and more)."""
        lo, hi = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
        removed = self.counts(text[lo:hi])
        added = self.counts(text[lo:start] + " [MASK] " + text[end:hi])
        hidden = frozenset(g for g, n in removed.items() if self.total.get(g, 0) - n + added.get(g, 0) <= 0)
        return Shown(self.total, hidden, frozenset(g for g in added if g not in self.total))

    def __contains__(self, gram) -> bool:
        return (gram in self.total and gram not in self.hidden) or gram in self.extra


_WINDOW = 64  # characters of text around a span whose n-grams change when it is masked
