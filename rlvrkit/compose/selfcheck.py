"""The exact self-check every composed prompt passes before it is written.

It reads the record as written, not the plan that made it: walking from q1 inwards, it finds q1's text, the
definition and the link sentence; re-derives v1 from q1's answer by the rule `meta` names (rlvrkit.compose.answers
.derive) and compares it with meta's v1; reads the difference back from the link sentence itself; computes
Y = v1 + difference; writes Y in the notation of the replaced literal and puts it back where the variable stands.
That must give back the next problem's text exactly, and, at the end, the last problem's text and nothing else:
so every value is right, the link says what it should, and nothing of q2 but the one number changed.
"""

from __future__ import annotations

import os
import re

import sympy

from rlvrkit.compose.answers import derive
from rlvrkit.compose.numbers import write_like
from rlvrkit.compose.phrase import unsound
from rlvrkit.compose.spc import SEP, Problem
from rlvrkit.compose.values import equal, number

_LINK = re.compile(
    r"(?P<q>\$?)(?P<y>[A-Za-z])(?P=q) is (?:equal to|(?P<dq>\$?)(?P<d>.+?)(?P=dq) (?P<dir>more|less) than) "
    r"(?P<xq>\$?)(?P<x>[A-Za-z])(?P=xq)\."
)


def read_link(sentence: str, names: list[str]) -> tuple[object, str] | None:
    """(the difference Y − X a link sentence states, exactly; X as it writes it), or None when it is not a link
    between `names`."""
    m = _LINK.fullmatch(sentence)
    if m is None or [m.group("x"), m.group("y")] != names:
        return None
    x = m.group("xq") + m.group("x") + m.group("xq")
    if m.group("d") is None:
        return number("0"), x
    try:
        value = number(m.group("d"))
    except ValueError:
        return None
    return (-value if m.group("dir") == "less" else value), x


def check(rec: dict, problems: list[Problem]) -> str | None:
    """None when the composed record `rec` re-derives exactly from `problems` (q1..qK), else what failed."""
    rest, level = rec["prompt"], rec["meta"]
    for first, nxt in zip(problems, problems[1:]):
        if level is None:
            return "meta is missing a junction"
        junction = _junction(rest, first, level)
        if isinstance(junction, str):
            return junction
        rest = _put_back(*junction, nxt.text, level)
        if rest is None:
            return f"{level['variables'][1]} does not give back q2's number {level['v2']!r} where it stands"
        level = level.get("inner")
    return None if rest == problems[-1].text else "the last problem's text does not come back"


def _junction(rest: str, first: Problem, level: dict):
    """(Y's exact value, the text after the link) for the junction at the start of `rest`, or what failed."""
    head = first.text + SEP + level["definition"] + " "
    if not rest.startswith(head):
        return "the text does not start with q1 and its definition"
    link, sep, after = rest[len(head) :].partition(SEP)
    stated = read_link(link, level["variables"]) if sep else None
    if stated is None:
        return f"the link sentence {link[:60]!r} cannot be read"
    difference, x = stated
    reading = derive(level["rule"], first.answer, first.rec)
    if reading is None or not equal(reading.value, number(level["v1"])):
        return f"rule {level['rule']} does not re-derive v1 = {level['v1']} from {first.answer!r}"
    if level.get("phrased_by") is None and level["definition"] != reading.definition(x):
        return "the definition is not the rule's"
    if level.get("phrased_by") is not None and (why := unsound(level["definition"], reading, x)):
        return f"the phrased definition {why}"
    return sympy.expand(reading.value + difference), after  # expanded: 9(√3+3)/π² − (9√3+27)/π² is 0


def _put_back(y, after: str, original: str, level: dict) -> str | None:
    """`after` (the modified next problem and what follows it) with Y written back where the variable stands, or
    None when Y, written like the replaced literal, is not what the original text has there."""
    literal = write_like(y, level["v2"])
    if literal is None or literal != level["v2"]:
        return None
    at = len(os.path.commonprefix([after, original]))
    name = level["variables"][1]
    if original[at : at + len(literal)] != literal:
        return None
    for token in (f"${name}$", name):
        if after.startswith(token, at):
            return original[:at] + literal + after[at + len(token) :]
    return None
