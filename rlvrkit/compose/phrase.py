"""`rlvr compose --llm MODEL`: a local model phrases each definition of X more naturally; the rule still decides
the value.

The model sees q1, its answer and the rule's definition, and replies with a sentence and the value that sentence
defines (``DEFINITION: …`` / ``VALUE: …``). The sentence is kept only when the stated value re-derives exactly to v1
(our parser, sympy equality), it names X, it does not give the value away, and it keeps the rule's key word (a
coefficient stays a "coefficient", radians stay "radians"); otherwise the rule's own definition stays and the reason
is counted. The model is reached through the rollout engine (greedy, one completion per definition, one batch per
window of compositions), imported only here and only when --llm is given, so compose without it needs no torch.
"""

from __future__ import annotations

import re
from collections import Counter

from rlvrkit.compose.answers import NUMBER_RULES, Reading
from rlvrkit.compose.numbers import constants
from rlvrkit.compose.values import TooLarge, equal, number, write

MAX_TOKENS = 128  # a definition and its value, with room for a short preamble
KEYWORDS = {
    **{rule: ("answer", "result", "value", "solution") for rule in NUMBER_RULES},
    "letter": ("alphabet", "letter"),
    "digits": ("digit",),
    "radians": ("radian",),
    "ratio": ("ratio",),
    "solution": ("value", "solution"),
    "bound": ("endpoint", "bound", "end point"),
    "largest": ("largest", "greatest", "biggest", "maximum"),
    "coefficient": ("coefficient",),
}
_KEPT = re.compile(r"rounded to [^,.]+|expressed in units of [^,]+(?=,|\.$)")
_LINE = re.compile(r"^\s*(DEFINITION|VALUE)\s*:\s*(.+?)\s*$", re.MULTILINE)


def request_text(problem: str, answer: str, definition: str, x: str) -> str:
    """What the model is asked."""
    return (
        f"Rewrite the definition below so that it reads naturally after the problem. It must define {x} as exactly "
        f"the same value, and it must not state that value.\n\nProblem: {problem}\n\nAnswer: {answer}\n\n"
        f"Definition: {definition}\n\nReply with two lines and nothing else:\nDEFINITION: <one sentence that defines "
        f"{x}>\nVALUE: <the value of {x}>"
    )


def unsound(sentence: str, reading: Reading, x: str) -> str | None:
    """Why a phrased definition cannot stand for the rule's (None when it can), value aside: it must be one sentence
    that names `x`, keeps the rule's key word, its rounding and its unit, and does not state the value."""
    if "\n" in sentence or len(sentence) > 400 or not sentence.endswith("."):
        return "is not one sentence"
    if x not in sentence:
        return f"does not name {x}"
    if not any(word in sentence.lower() for word in KEYWORDS[reading.rule]):
        return f"drops the rule's word ({KEYWORDS[reading.rule][0]})"
    for clause in _KEPT.findall(reading.sentence):  # a rounding or a unit the value depends on
        if clause not in sentence:
            return f"drops {clause!r}"
    value = reading.value
    stated = (
        any(c.value == abs(value) for c in constants(sentence) if c.reason not in ("exponent", "subscript or base"))
        if value.is_Rational
        else write(value) in sentence
    )
    return "states the value" if stated else None


def judge(reply: str, reading: Reading, x: str) -> tuple[str | None, str]:
    """(the phrased sentence, "phrased") when the model's reply passes, else (None, why not)."""
    reply = reply.rsplit("</think>", 1)[-1]
    lines = {m.group(1): m.group(2) for m in _LINE.finditer(reply)}
    if "DEFINITION" not in lines or "VALUE" not in lines:
        return None, "no DEFINITION and VALUE lines"
    try:
        value = number(lines["VALUE"].strip("$ "))
    except (ValueError, TooLarge):
        return None, "a value that cannot be read"
    if not equal(value, reading.value):
        return None, "a value other than v1"
    why = unsound(lines["DEFINITION"], reading, x)
    return (None, f"a definition that {why}") if why else (lines["DEFINITION"], "phrased")


class Phraser:
    """A model that phrases definitions, and the count of what became of them."""

    def __init__(self, model: str, log, engine=None):
        """`engine`: one already started (tests); by default the rollout engine opens `model`, greedy."""
        from rlvrkit.llm import LocalModel

        self.model = model
        self.llm = LocalModel(model, MAX_TOKENS, log, engine=engine)
        self.outcomes: Counter = Counter()

    def phrase(self, asks: list[tuple[str, str, Reading, str]]) -> list[str | None]:
        """For each (problem, answer, reading, X) the model's sentence when it passes `judge`, else None."""
        prompts = [request_text(problem, answer, reading.definition(x), x) for problem, answer, reading, x in asks]
        keys = [f"definition-{i}" for i in range(len(asks))]
        out = []
        for (_, _, reading, x), reply in zip(asks, self.llm.ask(prompts, keys)):
            sentence, outcome = judge(reply, reading, x)
            self.outcomes[outcome] += 1
            out.append(sentence)
        return out

    def summary(self) -> str:
        """``the model phrased 3 of 20 definitions; the rule's kept for 17: 12 a value other than v1, …``"""
        total = sum(self.outcomes.values())
        kept = {why: n for why, n in self.outcomes.most_common() if why != "phrased"}
        reasons = ", ".join(f"{n} {why}" for why, n in kept.items())
        line = f"{self.model} phrased {self.outcomes['phrased']} of {total} definitions"
        return line + (f"; the rule's definition kept for {sum(kept.values())}: {reasons}" if kept else "")
