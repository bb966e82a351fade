"""`rlvr steps`: expert solutions cut into step-wise training records for SRL (Supervised Reinforcement Learning,
arXiv 2510.25992).

An N-step solution gives N−1 records, one per step k = 2..N: the prompt is the problem and the solution so far
(steps 1..k−1, exactly as the expert wrote them; with --with-title also the next step's title), the answer is step
k's action, the task is srl and the system prompt asks for thinking in <think>…</think> followed by the next step
only (the paper's format). `rlvr verify` scores a completion by the similarity of what follows </think> to that
action, so the expert's own step scores 1.0.

Splitting (--split): `numbered` steps ("1. **Title** action", "Step 2: …") where the solution has them; otherwise
`paragraph`s (line breaks) or `sentence`s; `auto` takes numbered steps when there are any, paragraphs when they
give at least three steps, else sentences. Fragments shorter than --min-chars join a neighbour. A cut never falls
inside math (``$…$``, ``\\[…\\]``), an environment or figure code.
"""

from __future__ import annotations

from collections import Counter

from rlvrkit.jsonl import Source, check_streams, streams
from rlvrkit.records import Skipped, check_id, check_text
from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.split import split

SRL_SYSTEM = (
    "You solve a problem one step at a time. You are given the problem and the steps of its solution so far. First "
    "think it through inside <think> </think>, as long as you need, the way you would work on scratch paper. Then, "
    "after </think>, write only the next step of the solution: one step, not the rest of the solution."
)
REPLACED = frozenset("id prompt messages answer solution task system meta".split())  # what a step record writes anew


def srl_records(rec: dict, opts: StepsOptions) -> tuple[list[dict], str]:
    """The N−1 SRL records of one solved problem, and the split used."""
    solution = rec["solution"]
    steps, how = split(solution, opts.split, opts.min_chars)
    rest = {k: v for k, v in rec.items() if k not in REPLACED}
    system = SRL_SYSTEM if opts.system is None else opts.system
    out = []
    for k in range(1, len(steps)):
        step = steps[k]
        ask = "Write only the next step."
        if opts.with_title and step.title:
            ask += f" Its title: {step.title}"
        prompt = f"{rec['prompt']}\n\nThe solution so far:\n\n{solution[: step.start].strip()}\n\n{ask}"
        meta = {"source": rec["id"], "step": k + 1, "steps": len(steps), "split": how}
        if step.title:
            meta["title"] = step.title
        if rec.get("meta") is not None:
            meta["origin"] = rec["meta"]
        new = {"id": f"{rec['id']}/step-{k + 1}", "prompt": prompt, "answer": step.action, "task": "srl"}
        out.append({**new, **({"system": system} if system else {}), **rest, "meta": meta})
    return out, how


def check_solved(rec: dict) -> None:
    """A record steps can use: an id, the problem in `prompt` and an expert `solution`."""
    check_id(rec)
    check_text(rec, "prompt", "the problem the steps belong to")
    check_text(rec, "solution", "the expert solution to cut into steps")


def run_steps(source: Source, output: str, opts: StepsOptions, log) -> None:
    """`rlvr steps`: SRL step records from the solved problems of `source` to `output`, counts to `log`."""
    check_streams(source, output)
    splits: Counter = Counter()
    skipped = Skipped()
    written = 0
    with streams(source, output, check=check_solved, log=log) as (records, out), log.progress("problems") as progress:
        for rec in records:
            made, how = srl_records(rec, opts)
            splits[how] += 1
            if not made:
                skipped["a single step"] += 1
            for new in made:
                out.write(new)
            written += len(made)
            progress.advance()
    how = ", ".join(f"{n} {name}" for name, n in splits.most_common())
    line = f"{progress.done} solutions ({how or 'none'}) → {written} step records"
    log.info(line + (f"; {note}" if (note := skipped.describe("solution", verb="no records from")) else ""))
