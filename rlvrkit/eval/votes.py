"""Answer clusters for maj@k: the samples of a prompt vote by what they answered, and answers the verifier calls equal
("1/2", "0.5", "\\frac{1}{2}") are one vote.

Each sample's answer is the verifier's extracted text (verdict.extracted), with spaces and dollar signs dropped; a
sample without one casts no vote. For math, every pair of distinct answers of a prompt is compared by `rlvr verify`'s
own math verifier (the first as the reference, the second boxed as the completion), in its killable worker pool, and
answers found equal are merged (transitively). For mcq the answer is the option letter, compared as text.
"""

from __future__ import annotations

from itertools import combinations

import orjson

from rlvrkit.verify.options import VerifyOptions
from rlvrkit.verify.run import Verifier


def answer_key(verdict: dict | None) -> str | None:
    """What a sample answered, as compared: the extracted text without spaces and dollar signs; None for no answer."""
    extracted = verdict.get("extracted") if isinstance(verdict, dict) else None
    if not isinstance(extracted, str):
        return None
    key = "".join(extracted.split()).replace("$", "")
    return key or None


def clusters(answers: dict[str, list[str | None]], task: str, opts: VerifyOptions) -> dict[str, list[int | None]]:
    """For each prompt id, the cluster number of each sample's answer (None where it gave none), numbered in order of
    first appearance. `answers` maps a prompt id to its samples' answer keys."""
    equal = _equal_pairs(answers, opts) if task == "math" else set()
    out = {}
    for key, keys in answers.items():
        distinct = list(dict.fromkeys(k for k in keys if k is not None))
        root = {a: a for a in distinct}
        for a, b in combinations(distinct, 2):
            if (key, a, b) in equal:
                root[_find(root, b)] = _find(root, a)
        numbers: dict[str, int] = {}
        out[key] = [None if k is None else numbers.setdefault(_find(root, k), len(numbers)) for k in keys]
    return out


def _find(root: dict[str, str], a: str) -> str:
    while root[a] != a:
        a = root[a]
    return a


def _equal_pairs(answers: dict[str, list[str | None]], opts: VerifyOptions) -> set[tuple[str, str, str]]:
    """(prompt id, a, b) for every pair of distinct answers of a prompt that the math verifier calls equal."""
    pairs = [
        (key, a, b)
        for key, keys in answers.items()
        for a, b in combinations(list(dict.fromkeys(k for k in keys if k is not None)), 2)
    ]
    if not pairs:
        return set()
    found = set()
    with Verifier(VerifyOptions(terms=(("math", 1.0),), jobs=opts.jobs, timeout=opts.timeout, precision=opts.precision,
                        strict=opts.strict)) as engine:  # fmt: skip
        lines = []
        for i, (_, a, b) in enumerate(pairs):
            lines += engine.feed({"id": str(i), "answer": a, "completion": "\\boxed{" + b + "}"}, f"pair {i}")
        lines += engine.drain()
    for line in lines:
        rec = orjson.loads(line)
        if rec["verdict"]["status"] == "ok":
            found.add(pairs[int(rec["id"])])
    return found
