"""Sequential Prompt Composition (Composition-RL): problems q1..qK chained into one prompt whose answer is qK's.

Compose(q1, q2) = q1 ⊕ definition ⊕ link ⊕ q2(Y), and SPC(q1..qK) = Compose(q1, SPC(q2..qK)):

    <q1, verbatim>

    Let $X$ be the answer to the problem above. $Y$ is $-6$ less than... (the link: the exact difference v2 − v1)

    <q2, with one number v2 replaced by $Y$; nothing else changes>

A `Chain` is the plan: for each `Junction` the value read from the earlier problem's answer (rlvrkit.compose.
answers), the constant replaced in the next problem's own text (rlvrkit.compose.numbers), two fresh variable names and
the difference, exact. `text`, `meta` and `record` write it out; the definitions are passed in, so a model may phrase
them (rlvrkit.compose.phrase) while everything else stays the rule's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from rlvrkit.compose.answers import Reading, read
from rlvrkit.compose.numbers import Constant, to_replace, token
from rlvrkit.compose.values import write
from rlvrkit.latex import latex_text, symbols, unbox
from rlvrkit.records import GROUP_TAGS, SUMMARY_FIELDS, reference_text

SEP = "\n\n"
NAMES = "XYZWUVTSRPQMNKHGF"  # variable names, in the order they are tried
MAX_TEXT = 100_000  # characters of a last problem (MATH's longest has 4,309); its numbers are found in linear time
TASKS = ("math", "mcq")  # the verifiers a composed prompt can keep: its answer is the last problem's
# Fields of the last problem that would be wrong on the composed prompt: its text, and score's statistics about it.
NOT_PASSED = frozenset(("id", "prompt", "messages", "answer", "meta", "solution", "task", *SUMMARY_FIELDS, *GROUP_TAGS))
# Fields that describe the last problem itself (its difficulty, its subject, where it comes from): the composed record
# says "composed" there, and keeps the last problem's values in meta["last"].
DESCRIBING = ("level", "subject", "source", "type", "difficulty", "category", "topic")
COMPOSED = "composed"
# An irrational v1 (a radical, a multiple of pi, radians) is never linked: the difference v2 − v1 would be written
# ``$13 + \sqrt{3}$``, ``$7000 - \frac{16 \pi}{3}$``, and its rational part is v2: Y read off the link, q1 unsolved.
IRRATIONAL = "q1: answer is irrational (the link would give Y away)"


class Problem:
    """A prompt record ready to compose, with what composing asks of it worked out once."""

    def __init__(self, rec: dict):
        self.rec = rec
        self.id = str(rec["id"])
        self.text = rec["prompt"]
        self.answer = reference_text(rec["answer"])

    @cached_property
    def latex(self) -> bool:
        return latex_text(self.text)

    @cached_property
    def letters(self) -> frozenset[str]:
        return symbols(self.text)

    @cached_property
    def reading(self) -> Reading | str:
        """v1 when this problem comes first in a junction (or why it cannot)."""
        return read(self.answer, self.rec)

    @cached_property
    def constant(self) -> Constant | str:
        """v2 when this problem comes second (or why it cannot)."""
        task = self.rec.get("task")
        if task is not None and task not in TASKS:
            return f"q2: task {task!r} cannot be composed"
        if len(self.text) > MAX_TEXT:
            return f"q2: text over {MAX_TEXT:,} characters"
        found = to_replace(self.text)
        return found if isinstance(found, Constant) else f"q2: {found}"


@dataclass(frozen=True)
class Junction:
    """One junction: X (v1 read from the earlier answer) defines Y = X + difference, which replaces v2."""

    reading: Reading
    constant: Constant
    names: tuple[str, str]
    difference: object  # v2 - v1, exact
    latex: bool  # the definition and link are written in LaTeX ($X$), not plain (X)

    @property
    def decimal(self) -> bool:
        """Whether the difference reads best as a decimal (one of the two values was one)."""
        return self.reading.rule == "decimal" or self.constant.kind == "decimal"

    def name(self, i: int) -> str:
        """Variable i (0: X, 1: Y) as the definition and link write it."""
        return f"${self.names[i]}$" if self.latex else self.names[i]

    def definition(self) -> str:
        """The rule's own definition of X."""
        return self.reading.definition(self.name(0))

    @cached_property
    def amount(self) -> str:
        """|v2 − v1| as the link writes it (a decimal when one of the values was one)."""
        d = self.difference
        return write(-d if d.is_negative else d, self.latex, self.decimal)


@dataclass(frozen=True)
class Chain:
    problems: tuple[Problem, ...]
    links: tuple[Junction, ...]  # links[j] joins problems[j] to problems[j + 1]


def plan(problems: tuple[Problem, ...]) -> Chain | str:
    """The chain that composes `problems` (the last one's answer is the answer), or why it cannot be made."""
    taken = set().union(*(p.letters for p in problems))
    links: list[Junction] = []
    for first, nxt in reversed(list(zip(problems, problems[1:]))):
        if isinstance(first.reading, str):
            return first.reading
        if not first.reading.value.is_Rational:
            return IRRATIONAL
        if isinstance(nxt.constant, str):
            return nxt.constant
        free = [n for n in NAMES if n not in taken][:2]
        if len(free) < 2:
            return "no free variable names"
        taken.update(free)
        difference = nxt.constant.value - first.reading.value
        latex = first.reading.latex or first.latex or nxt.latex or not difference.is_Rational
        links.insert(0, Junction(first.reading, nxt.constant, (free[0], free[1]), difference, latex))
    return Chain(problems, tuple(links))


def link_sentence(link: Junction) -> str:
    """``$Y$ is $6$ more than $X$.`` (``less than`` for a negative difference; ``equal to`` for none)."""
    d = link.difference
    x, y = link.name(0), link.name(1)
    if d == 0:
        return f"{y} is equal to {x}."
    amount = f"${link.amount}$" if link.latex else link.amount
    return f"{y} is {amount} {'less' if d.is_negative else 'more'} than {x}."


def text(chain: Chain, definitions: list[str]) -> str:
    """The composed prompt, built from the last problem outwards, with `definitions[j]` defining link j's X."""
    out = chain.problems[-1].text
    for j in reversed(range(len(chain.links))):
        link, nxt = chain.links[j], chain.problems[j + 1]
        c = link.constant  # its position is in nxt's own text, which `out` starts with
        modified = out[: c.start] + token(link.names[1], c, nxt.latex) + out[c.end :]
        out = chain.problems[j].text + SEP + definitions[j] + " " + link_sentence(link) + SEP + modified
    return out


def meta(chain: Chain, definitions: list[str], phrased_by: list[str | None]) -> dict:
    """``{parents, depth, rule, v1, v2, difference, variables, definition[, phrased_by][, inner]}``: the first junction
    at the top, the composition of the rest (SPC(q2..qK)) under `inner`, recursively."""
    level: dict | None = None
    for j in reversed(range(len(chain.links))):
        link = chain.links[j]
        level = {
            "depth": len(chain.problems) - j,
            "rule": link.reading.rule,
            "v1": write(link.reading.value),
            "v2": link.constant.text,
            "difference": write(link.difference, decimal=link.decimal),
            "variables": list(link.names),
            "definition": definitions[j],
            **({"phrased_by": phrased_by[j]} if phrased_by[j] else {}),
            **({"inner": level} if level else {}),
        }
    origin = chain.problems[-1].rec.get("meta")
    return {"parents": [p.id for p in chain.problems], **level, **({"origin": origin} if origin is not None else {})}


def new_id(chain: Chain, prompt: str) -> str:
    """``spc-`` and a hash of the parents' ids, in order, the composed prompt and its answer: the same item gets the
    same id whatever the run, and two items that differ in anything (another constant replaced, another definition)
    never share one."""
    key = "\x1f".join([*(p.id for p in chain.problems), prompt, chain.problems[-1].answer]).encode()
    return "spc-" + hashlib.blake2b(key, digest_size=8).hexdigest()


def bridge(link: Junction) -> str:
    """The step a composed solution adds between two solutions: ``So $X = 7$, and $Y = X + 5 = 12$.``"""
    x, y = link.names
    d = link.difference
    v1 = write(link.reading.value, link.latex)
    step = (
        ""
        if d == 0
        else f" {'-' if d.is_negative else '+'} {write(-d if d.is_negative else d, link.latex, link.decimal)}"
    )
    if link.latex:
        return f"So ${x} = {v1}$, and ${y} = {x}{step} = {link.constant.text}$."
    return f"So {x} = {v1}, and {y} = {x}{step} = {link.constant.text}."


def solution(chain: Chain) -> str | None:
    """The composed solution when every problem has one (the earlier ones unboxed, a bridge after each), else None."""
    solutions = [p.rec.get("solution") for p in chain.problems]
    if not all(isinstance(s, str) for s in solutions):
        return None
    out = solutions[-1]
    for j in reversed(range(len(chain.links))):
        out = unbox(solutions[j]) + SEP + bridge(chain.links[j]) + SEP + out
    return out


def record(chain: Chain, definitions: list[str], phrased_by: list[str | None]) -> dict:
    """The composed prompt record: a new id, the text, the last problem's answer and task, its other fields passed
    through (not its statistics or its solution; "composed" where a field describes the last problem itself, its
    value kept in meta["last"]), `solution` when every problem has one, and `meta`."""
    last = chain.problems[-1].rec
    prompt = text(chain, definitions)
    rec = {"id": new_id(chain, prompt), "prompt": prompt, "answer": last["answer"]}
    rec["task"] = last.get("task") or "math"
    rec.update((k, COMPOSED if k in DESCRIBING else v) for k, v in last.items() if k not in NOT_PASSED)
    if (composed := solution(chain)) is not None:
        rec["solution"] = composed
    rec["meta"] = meta(chain, definitions, phrased_by)
    if described := {k: last[k] for k in DESCRIBING if k in last}:
        rec["meta"]["last"] = described
    return rec
