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

import re
from collections import Counter
from dataclasses import dataclass

from rlvrkit.data.latex import SpanMap
from rlvrkit.data.options import StepsOptions
from rlvrkit.data.records import check_id, check_text
from rlvrkit.jsonl import Source, check_streams, streams

SRL_SYSTEM = (
    "You solve a problem one step at a time. You are given the problem and the steps of its solution so far. First "
    "think it through inside <think> </think>, as long as you need, the way you would work on scratch paper. Then, "
    "after </think>, write only the next step of the solution: one step, not the rest of the solution."
)
REPLACED = frozenset("id prompt messages answer solution task system meta".split())  # what a step record writes anew
_NUMBERED = re.compile(r"^[ \t]*(\*\*)?(?:Step[ \t]+)?(\d+)[.):][ \t]*(?(1)\*\*)", re.MULTILINE | re.IGNORECASE)
_TITLE = re.compile(r"\s*\*\*(.+?)\*\*[ \t]*[:.]?[ \t]*(?=\S)")
_SENTENCE_END = re.compile(r"[.?!](?=\s+[A-Z0-9$\\(\[])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Mr|Mrs|Dr|St|Fig|No)|\b[A-Za-z])\.$")


@dataclass(frozen=True)
class Step:
    start: int  # where the step begins in the solution
    end: int
    action: str  # what the model must write: the step without its number and title
    title: str | None = None


def _free(spans: SpanMap, i: int) -> bool:
    span = spans.at(i)
    return span is None or span.start == i


def numbered(solution: str, spans: SpanMap) -> list[Step]:
    """The numbered steps (1, 2, 3, … from the start of a line, outside math), or [] when there are fewer than two.
    Text before step 1 is a step of its own."""
    marks, want = [], 1
    for m in _NUMBERED.finditer(solution):
        if int(m.group(2)) == want and _free(spans, m.start()):
            marks.append(m)
            want += 1
    if len(marks) < 2:
        return []
    steps = (
        [Step(0, marks[0].start(), solution[: marks[0].start()].strip())]
        if solution[: marks[0].start()].strip()
        else []
    )
    for m, nxt in zip(marks, [*marks[1:], None]):
        end = nxt.start() if nxt else len(solution)
        body = solution[m.end() : end]
        title = _TITLE.match(body)
        action = (body[title.end() :] if title else body).strip() or body.strip()
        steps.append(Step(m.start(), end, action, title.group(1).strip() if title else None))
    return steps


def _cuts(solution: str, spans: SpanMap, sentences: bool) -> list[int]:
    """Where the text may be cut: after each line break outside math (and after each sentence, with `sentences`)."""
    cuts = [m.end() for m in re.finditer(r"\n\s*", solution) if _free(spans, m.start())]
    if sentences:
        cuts += [
            m.end()
            for m in _SENTENCE_END.finditer(solution)
            if _free(spans, m.start()) and not _ABBREVIATION.search(solution, 0, m.end())
        ]
        cuts += [s.end for s in spans.spans if s.math and _ends_sentence(solution, s.start, s.end)]
    return sorted(set(c for c in cuts if 0 < c < len(solution)))


def _ends_sentence(solution: str, start: int, end: int) -> bool:
    """Whether the math at [start, end) ends a sentence: it ends with a period, or it is displayed and a capitalised
    word follows (``\\end{align*}We use…``)."""
    if solution[start:end].rstrip("$]\\ \n").endswith("."):
        return True
    displayed = solution.startswith(("\\[", "$$", "\\begin"), start)
    return displayed and re.match(r"\s*[A-Z][a-z]", solution[end : end + 4]) is not None


def pieces(solution: str, spans: SpanMap, sentences: bool, min_chars: int) -> list[Step]:
    """The solution cut at its line breaks (and sentence ends), fragments shorter than `min_chars` joined to the
    next piece (the last one to the one before)."""
    bounds = [0, *_cuts(solution, spans, sentences), len(solution)]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:]) if solution[a:b].strip()]
    merged: list[tuple[int, int]] = []
    for a, b in ranges:
        if merged and len(solution[merged[-1][0] : merged[-1][1]].strip()) < min_chars:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if len(merged) > 1 and len(solution[merged[-1][0] : merged[-1][1]].strip()) < min_chars:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return [Step(a, b, solution[a:b].strip()) for a, b in merged]


def split(solution: str, how: str, min_chars: int) -> tuple[list[Step], str]:
    """The steps of `solution` and the split used (what `auto` chose)."""
    spans = SpanMap(solution)
    if how in ("auto", "numbered"):
        steps = numbered(solution, spans)
        if steps or how == "numbered":
            return steps, "numbered"
    if how in ("auto", "paragraph"):
        steps = pieces(solution, spans, False, min_chars)
        if how == "paragraph" or len(steps) >= 3:
            return steps, "paragraph"
    return pieces(solution, spans, True, min_chars), "sentence"


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
    written = short = 0
    with streams(source, output, check=check_solved, log=log) as (records, out), log.progress("problems") as progress:
        for rec in records:
            made, how = srl_records(rec, opts)
            splits[how] += 1
            short += not made
            for new in made:
                out.write(new)
            written += len(made)
            progress.advance()
    how = ", ".join(f"{n} {name}" for name, n in splits.most_common())
    line = f"{progress.done} solutions ({how or 'none'}) → {written} step records"
    log.info(line + (f"; {short} with a single step gave none" if short else ""))
