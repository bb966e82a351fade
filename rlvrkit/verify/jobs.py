"""From a record to one verdict per reward term: what the parent settles alone, and what it asks a worker.

The parent does the cheap, linear part of every verifier (caps, the think block, the final box), format and length
entirely, and a boxed integer against an integer reference (math-verify's verdict, without sympy). What is left for a
worker is a small JSON task holding exactly what the verifier will read — never the record's logprobs or token ids —
and the cache key is made of that same task, so a cached verdict is always the one the worker would have given.
`work` is the worker's side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from rlvrkit.errors import InvalidRecord
from rlvrkit.records import check_task, reference_text
from rlvrkit.verify import mcq, srl
from rlvrkit.verify.options import CORRECTNESS, VerifyOptions
from rlvrkit.verify.shaping import default_cache, format_reward, length_penalty
from rlvrkit.verify.text import (
    answer_region,
    last_boxed,
    last_boxes,
    marked_answer,
    reference_parts,
    restated,
    split_think,
    tail,
)

_INTEGER = re.compile(r"-?[0-9]{1,100}")
CACHE_CHARS = 4096  # tasks larger than this are verified every time rather than kept in the cache


@dataclass(frozen=True)
class Verdict:
    """One term's outcome for one record."""

    value: float
    status: str
    extracted: str | None = None
    ms: float = 0.0


@dataclass(frozen=True)
class Job:
    """Work for a worker: `task` is what it gets; `key` (None: too large to cache) names the verdict in the cache."""

    key: tuple | None
    task: dict


def record_check(opts: VerifyOptions) -> Callable[[dict], None]:
    """A check for rlvrkit.jsonl.streams: refuse records the reward spec cannot be computed on, naming the field."""
    names = opts.names
    needs_completion = any(n != "length" for n in names)
    needs_answer = any(n in CORRECTNESS for n in names)
    task_term = "task" in names and opts.task is None

    def check(rec: dict) -> None:
        if needs_completion:
            _field(rec, "completion", (str,), "a string")
        if needs_answer:
            _field(rec, "answer", (str, int, float), "a string or a number")
        if task_term:
            check_task(rec, "verify")
        if "length" in names:
            ids = rec.get("completion_ids")
            if not isinstance(ids, list):
                raise InvalidRecord(
                    "the length term counts tokens: 'completion_ids' must be a list"
                    + (" (missing)" if "completion_ids" not in rec else f", got {type(ids).__name__}")
                )
            if _max_len(rec, opts) is None:
                raise InvalidRecord("the length term needs --max-len or a positive integer sampling.max_tokens")

    return check


def _field(rec: dict, name: str, types: tuple, kind: str) -> None:
    value = rec.get(name)
    if value is None:
        raise InvalidRecord(f"missing '{name}'" if name not in rec else f"'{name}' is null")
    if not isinstance(value, types) or isinstance(value, bool):
        raise InvalidRecord(f"'{name}' must be {kind}, got {type(value).__name__}")


def _max_len(rec: dict, opts: VerifyOptions) -> int | None:
    if opts.max_len is not None:
        return opts.max_len
    sampling = rec.get("sampling")
    value = sampling.get("max_tokens") if isinstance(sampling, dict) else None
    return value if type(value) is int and value > 0 else None


def parts_answer(reference: str, region: str, answer: str) -> str | None:
    """For a reference in k > 1 parts, ``(3, 3), (1, 1)``: the last k boxes of the region joined, when they differ from
    the final answer — a completion that boxes each part where it works it out, with text between. None otherwise."""
    k = reference_parts(reference)
    parts = last_boxes(region, k) if k > 1 else None
    joined = ",".join(parts) if parts else None
    return joined if joined != answer else None


def _key(*parts) -> tuple | None:
    size = sum(len(p) for p in parts if isinstance(p, (str, bytes)))
    return parts if size <= CACHE_CHARS else None


def prepare(term: str, rec: dict, opts: VerifyOptions) -> Verdict | Job:
    """The verdict of `term` on `rec` when the parent can give it, else the Job a worker must do."""
    completion = rec.get("completion") or ""
    if term == "format":
        value = format_reward(completion)
        return Verdict(value, "ok" if value else "format")
    if term == "length":
        max_len = _max_len(rec, opts)
        cache = opts.len_cache if opts.len_cache is not None else default_cache(max_len)
        return Verdict(length_penalty(len(rec["completion_ids"]), max_len, cache), "ok")
    verifier = (opts.task or rec.get("task") or "math") if term == "task" else term
    reference = reference_text(rec["answer"])
    if len(reference) > opts.max_chars:
        return Verdict(0.0, "bad_reference")
    if verifier == "srl":
        split = split_think(completion)
        if split is None:
            return Verdict(srl.FORMAT_PENALTY, "format")
        action = split[1][: opts.max_chars]
        return Job(_key("srl", reference, action), {"v": "srl", "ref": reference, "ans": action})
    region = answer_region(tail(completion, opts.max_chars))
    if not region.strip():
        return Verdict(0.0, "no_answer")
    if verifier == "mcq":
        meta = rec.get("meta")
        options = meta.get("options") if isinstance(meta, dict) else None
        try:
            shown = orjson.dumps(options, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            options, shown = None, b"null"
        task = {"v": "mcq", "ref": reference, "ans": region, "opts": options}
        return Job(_key("mcq", reference, shown, region), task)
    return _math(reference, region, opts)


def _math(reference: str, region: str, opts: VerifyOptions) -> Verdict | Job:
    """The math verdict or job: the final box (or ``####`` line) as the answer, else the region as free text (also when
    a statement of the final answer follows the last box, see text.restated)."""
    boxed = last_boxed(region)
    if boxed is None and not opts.boxed_only:
        boxed = marked_answer(region)
    elif boxed and not opts.boxed_only and (statement := restated(region)) is not None:
        region, boxed = statement, None
    if boxed == "" or (boxed is None and opts.boxed_only):
        return Verdict(0.0, "no_answer")
    answer, is_boxed = (region, False) if boxed is None else (boxed, True)
    if is_boxed and _INTEGER.fullmatch(answer) and _INTEGER.fullmatch(reference.strip()):
        same = int(answer) == int(reference)  # two plain integers: math-verify's verdict, without a worker
        return Verdict(float(same), "ok" if same else "wrong", answer)
    task = {"v": "math", "ref": reference, "ans": answer, "boxed": is_boxed}
    alternative = parts_answer(reference, region, answer) if is_boxed else None
    if alternative is not None:
        task["alt"] = alternative
    return Job(_key("math", reference, answer, "boxed" if is_boxed else "text", alternative), task)


def work(opts: VerifyOptions) -> Callable[[dict], dict]:
    """The function a worker runs on each task → {status, extracted, value}."""

    def run(task: dict) -> dict:
        verifier = task["v"]
        if verifier == "math":
            from rlvrkit.verify import maths  # imported (and warmed) by the parent before the workers fork

            return maths.check(task["ref"], task["ans"], task["boxed"], opts.precision, opts.strict, task.get("alt"))
        if verifier == "mcq":
            return mcq.check(task["ref"], task["ans"], task.get("opts"))
        return srl.check(task["ref"], task["ans"])

    return run
