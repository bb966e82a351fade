"""What a mask item is made of: the source (`Doc`: its record, its text cut into steps), the item (`Item`: the hidden
span and its distractors), and the prompt record the item becomes (`item_record`: the paper's student prompt, the
options shuffled, the correct letter, the provenance in `meta`). Shared by the rule-based items (rlvrkit.mask.run)
and the model's (rlvrkit.mask.llm)."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from rlvrkit.errors import InvalidRecord
from rlvrkit.latex import unbox
from rlvrkit.mask.distractors import Distractor, admissible
from rlvrkit.mask.options import LETTERS
from rlvrkit.mask.spans import split_steps
from rlvrkit.records import check_id

HEADERS = {  # the paper's student prompt ("a science problem" there; these sources are math problems or passages)
    "math": "You are given a math problem and its solution, with some steps of the solution replaced by [MASK]. "
    "Select the option that best fills in the [MASK].",
    "passage": "You are given a passage, with some of its sentences replaced by [MASK]. "
    "Select the option that best fills in the [MASK].",
}
SYSTEM = "Reason about which option fits, then give the letter of your choice in \\boxed{}."
CONSUMED = ("id", "prompt", "messages", "solution", "text", "answer", "task", "system", "meta")


@dataclass
class Doc:
    """One source: its record, and the text mask works on cut into steps."""

    rec: dict
    id: str
    subject: str
    problem: str | None
    text: str
    steps: list[tuple[int, int]] = field(default_factory=list)


def check_source(mode: str):
    """The record check for a mode: an id, and a problem and a solution (math) or a text (passage)."""

    def check(rec: dict) -> None:
        check_id(rec)
        fields = ("prompt", "solution") if mode == "math" else ("text",)
        for name in fields:
            if problem := _wrong_text(rec.get(name)):
                hint = " (use --mode passage for a text)" if mode == "math" and "text" in rec else ""
                raise InvalidRecord(f"'{name}' is {problem}: --mode {mode} needs {' and '.join(fields)}{hint}")

    return check


def _wrong_text(value) -> str | None:
    """What keeps `value` from being a text to mask: "missing", "not a string", "empty"; None when it is one."""
    if value is None:
        return "missing"
    if not isinstance(value, str):
        return "not a string"
    return None if value.strip() else "empty"


def doc_of(rec: dict, mode: str) -> Doc:
    text = rec["solution"] if mode == "math" else rec["text"]
    subject = rec.get("subject") if isinstance(rec.get("subject"), str) else ""
    problem = rec["prompt"] if mode == "math" else None
    return Doc(rec, str(rec["id"]), subject, problem, text, split_steps(text))


def shown(text: str) -> str:
    """A piece of text as an item shows it: on one line, its \\boxed{} unwrapped, so that the only \\boxed{} in a
    student's answer is the letter it chooses (rlvr verify reads the last one)."""
    return " ".join(unbox(text).split())


def context_of(doc: Doc, start: int, end: int) -> str:
    """What the student sees of the source around the span: the problem and the rest of the text."""
    return f"{doc.problem or ''}\n{doc.text[:start]}\n{doc.text[end:]}"


@dataclass(frozen=True)
class Item:
    """What an item is made of: the hidden span doc.text[start:end] and its distractors."""

    start: int
    end: int
    distractors: list[Distractor]


def fill(picked: list[Distractor], found: Iterable[Distractor], truth: str, limit: int) -> list[Distractor]:
    """`picked` extended with the admissible distractors of `found`, in order, up to `limit` in all."""
    for d in found:
        if len(picked) >= limit:
            break
        if admissible(shown(d.text), shown(truth), [shown(p.text) for p in picked]):
            picked.append(d)
    return picked


def student_prompt(mode: str, problem: str | None, masked: str, options: list[str]) -> str:
    """The paper's student prompt: the instruction, the problem and the masked solution (or the passage), then the
    options, each on its own line as (A) …, last."""
    body = ["Question:", problem.strip(), "", "Solution:", masked.strip()] if mode == "math" else ["Passage:", masked]
    lettered = [f"({LETTERS[i]}) {text}" for i, text in enumerate(options)]
    return "\n".join([HEADERS[mode], "", *body, "", "Options:", *lettered])


def item_id(doc: Doc, item: Item, options: list[str], letter: str, seed: int) -> str:
    """``<source id>/mask-<hash>``: the hash of the source, the span, the options in order, the letter and the seed,
    so the same item made twice has the same id and two different items never share one (two --seeds, two spans of
    one source, the same span with other options)."""
    key = json.dumps([doc.rec["id"], item.start, item.end, doc.text[item.start : item.end], options, letter, seed])
    return f"{doc.id}/mask-" + hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


def item_record(doc: Doc, item: Item, mode: str, rng: random.Random, seed: int = 0) -> dict:
    """The prompt record of an item, its options shuffled by `rng`."""
    entries: list[tuple[str, Distractor | None]] = [(shown(doc.text[item.start : item.end]), None)]
    entries += [(shown(d.text), d) for d in item.distractors]
    rng.shuffle(entries)
    options = [text for text, _ in entries]
    letter = LETTERS[[d for _, d in entries].index(None)]
    masked = unbox(doc.text[: item.start]) + "[MASK]" + unbox(doc.text[item.end :])
    meta = doc.rec.get("meta") if isinstance(doc.rec.get("meta"), dict) else {}
    meta = {**meta, "source": doc.rec["id"], "span": doc.text[item.start : item.end], "options": options}
    meta["distractors"] = {LETTERS[i]: d.record() for i, (_, d) in enumerate(entries) if d is not None}
    kept = {k: v for k, v in doc.rec.items() if k not in CONSUMED}
    prompt = student_prompt(mode, doc.problem, masked, options)
    return {
        "id": item_id(doc, item, options, letter, seed),
        "prompt": prompt,
        "system": SYSTEM,
        "answer": letter,
        "task": "mcq",
        **kept,
        "meta": {**meta, "mode": mode},
    }
