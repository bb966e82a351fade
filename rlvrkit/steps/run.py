"""`rlvr steps`: expert solutions cut into step-wise training records for SRL (Supervised Reinforcement Learning,
arXiv 2510.25992).

An N-step solution gives N−1 records, one per step k = 2..N: the prompt is the problem and the solution so far
(steps 1..k−1, exactly as the expert wrote them; with --with-title also the next step's title), the answer is step
k's action, the task is srl and the system prompt asks for thinking in <think>…</think> followed by the next step
only (the paper's format). `rlvr verify` scores a completion by the similarity of what follows </think> to that
action, so the expert's own step scores 1.0. Where the cuts fall: rlvrkit.steps.split.

A record's id is its source's id, ``/step-`` and a hash of what the record holds (system prompt, prompt, answer): the
same record gets the same id in every run, and two runs with different options never give one id to two records.

Record k repeats steps 1..k−1, so a solution's records grow with the square of its length: records are written as
they are made, and a record longer than --max-chars (prompt and answer) is left out with the rest of its solution,
whose records are longer still, and counted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator

from rlvrkit.jsonl import Source, check_streams, streams
from rlvrkit.records import Skipped, check_id, check_text
from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.split import Step, split

SRL_SYSTEM = (
    "You solve a problem one step at a time. You are given the problem and the steps of its solution so far. First "
    "think it through inside <think> </think>, as long as you need, the way you would work on scratch paper. Then, "
    "after </think>, write only the next step of the solution: one step, not the rest of the solution."
)
REPLACED = frozenset("id prompt messages answer solution task system meta".split())  # what a step record writes anew
SO_FAR, ASK = "\n\nThe solution so far:\n\n", "\n\nWrite only the next step."


def step_id(source, system: str | None, prompt: str, answer: str) -> str:
    """``<source>/step-<hash>``: the hash of what the record holds, so the id names the record, not its position."""
    digest = hashlib.blake2b(digest_size=8)
    for part in (system or "", prompt, answer):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return f"{source}/step-{digest.hexdigest()}"


def ask(step: Step, opts: StepsOptions) -> str:
    return ASK + (f" Its title: {step.title}" if opts.with_title and step.title else "")


def srl_records(rec: dict, steps: list[Step], how: str, opts: StepsOptions, left_out: Skipped) -> Iterator[dict]:
    """The SRL records of one solved problem cut into `steps` (by split `how`), one at a time, until one would be
    longer than `opts.max_chars`: that one and the rest are counted in `left_out` instead."""
    solution, problem = rec["solution"], rec["prompt"]
    rest = {k: v for k, v in rec.items() if k not in REPLACED}
    system = SRL_SYSTEM if opts.system is None else opts.system
    for k in range(1, len(steps)):
        step = steps[k]
        prompt = f"{problem}{SO_FAR}{solution[: step.start].strip()}{ask(step, opts)}"
        if opts.max_chars and len(prompt) + len(step.action) > opts.max_chars:  # and so are the records after it
            left_out[f"longer than --max-chars {opts.max_chars}"] += len(steps) - k
            return
        meta = {"source": rec["id"], "step": k + 1, "steps": len(steps), "split": how}
        if step.title:
            meta["title"] = step.title
        if rec.get("meta") is not None:
            meta["origin"] = rec["meta"]
        new = {"id": step_id(rec["id"], system, prompt, step.action), "prompt": prompt, "answer": step.action}
        yield {**new, "task": "srl", **({"system": system} if system else {}), **rest, "meta": meta}


def check_solved(rec: dict) -> None:
    """A record steps can use: an id, the problem in `prompt` and an expert `solution`."""
    check_id(rec)
    check_text(rec, "prompt", "the problem the steps belong to")
    check_text(rec, "solution", "the expert solution to cut into steps")


def run_steps(source: Source, output: str, opts: StepsOptions, log) -> None:
    """`rlvr steps`: SRL step records from the solved problems of `source` to `output`, counts to `log`."""
    check_streams(source, output)
    splits: Counter = Counter()
    no_records, left_out = Skipped(), Skipped()
    with streams(source, output, check=check_solved, log=log) as (records, out), log.progress("problems") as progress:
        for rec in records:
            steps, how = split(rec["solution"], opts.split, opts.min_chars)
            splits[how] += 1
            if len(steps) < 2:
                no_records["no numbered steps" if not steps else "a single step"] += 1
            for new in srl_records(rec, steps, how, opts, left_out):
                out.write(new)
            progress.advance()
    how = ", ".join(f"{n} {name}" for name, n in splits.most_common())
    notes = [no_records.describe("solution", verb="no records from"), left_out.describe("record", verb="left out")]
    log.info(
        "; ".join([f"{progress.done} solutions ({how or 'none'}) → {out.count} step records", *filter(None, notes)])
    )
