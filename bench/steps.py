"""How `rlvr steps` cuts real solutions, and how fast and big it runs on a 1 MB input: ours against main's, same run.

    python bench/steps.py quality [--math 2000] [--gsm8k 2000] [--split auto] [--reference /work/main]
    python bench/steps.py speed [--size 1000000] [--reference /work/main] [--cap-gb 3] [--cap-s 300]

quality: the step records made from the first --math MATH train and --gsm8k GSM8K train solutions (../shared/data),
by this checkout and by the reference checkout, and for each: the share of targets (a record's answer, the step the
policy must write) that end on a lead-in ("…we get", "Hence,", "…to color them:"), that end with no sentence closed
(a word or number with no full stop after it), that start with a bare display equation cut from the sentence that
introduces it, or with a lowercase continuation ("so …", "where …"); and what a policy that reads nothing could
score under SRL's reward (difflib similarity, as `rlvr verify` computes it): writing the previous step again, writing
one fixed string (the best of a sample of training targets, scored on the other half), writing another solution's
step. A target that is often very short, or the same, or most like the step before it, is what RL learns first.

speed: `run_steps` as the command runs it (read, cut, write JSON to a file), in a fresh process per checkout, on
three inputs of about --size bytes: MATH train records (the ordinary case), and one record whose solution is --size
bytes of MATH solutions joined by blank lines, or by spaces (one giant line): the hostile cases, whose output is
quadratic by nature. Each run's wall
seconds, peak memory (the child's maxrss) and bytes written; a run past --cap-s seconds or --cap-gb of memory is
stopped and reported as such, with what it had written.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from rlvrkit.latex import Span, dollar_math, spans  # noqa: E402
from rlvrkit.verify.srl import similarity  # noqa: E402

_scan = spans.__wrapped__  # the scanner without its cache: the texts here are many and seen once
DISPLAY = ("\\[", "$$", "\\begin")
# Words a sentence does not end on: verbs and words that announce what follows, prepositions, articles, conjunctions.
LEAD_WORDS = frozenset(
    """so hence thus therefore then get gets got obtain obtains have has had is are was were be gives give yields
    yield becomes become equals equal find finds write see know note compute calculate solve simplify substitute
    expand factor rewrite that which where when whence since because if and or but of to by as from with for in on
    into at the a an its their our this these following follows implies means say says let like than us""".split()
)
_LAST_WORD = re.compile(r"([A-Za-z]+)\W*$")
_FIRST_WORD = re.compile(r"\s*([a-z]+)\b")
_CLOSED = re.compile(r"[.?!][)\"'*\]]*$")
NUMBERED_LINE = re.compile(r"^[ \t]*(\*\*)?(?:Step[ \t]+)?\d+[.):]", re.MULTILINE | re.IGNORECASE)


def ending(target: str, dollars: bool) -> str:
    """How a target ends: "math" (a formula), "closed" (a full stop, ?, !), "lead-in" (a colon, comma, =, or a word
    that announces what follows), or "open" (a word or number with nothing closing the sentence)."""
    found = _scan(target, dollars)
    tail = target[found[-1].end :] if found else target
    tail = tail.rstrip()
    if not tail:
        return "math"
    if _CLOSED.search(tail):
        return "closed"
    if tail[-1] in ":,;=+-(" or tail.endswith(("\\\\", "&")):
        return "lead-in"
    word = _LAST_WORD.search(tail)
    return "lead-in" if word and word.group(1).lower() in LEAD_WORDS else "open"


def opening(target: str, dollars: bool) -> str:
    """How a target starts: "display" (a displayed equation), "figure" (figure code), "continuation" (a lowercase
    word: "so …", "where …") or "sentence"."""
    text = target.lstrip()
    found = _scan(text, dollars)
    first: Span | None = found[0] if found and found[0].start == 0 else None
    if first is not None and first.figure:
        return "figure"
    if first is not None and text.startswith(DISPLAY) and (first.math or first.kind == "math"):
        return "display"
    return "continuation" if _FIRST_WORD.match(text) else "sentence"


def audit(solutions: dict, records: list[dict], baseline: bool = True) -> dict:
    """The boundary shares and (with `baseline`) the content-blind baselines of `records` (step records of
    `solutions`, by id)."""
    ends, starts, lengths, by_source = Counter(), Counter(), [], {}
    for rec in records:
        source = rec["meta"]["source"]
        dollars = dollar_math(solutions[source])
        ends[ending(rec["answer"], dollars)] += 1
        starts[opening(rec["answer"], dollars)] += 1
        lengths.append(len(rec["answer"]))
        by_source.setdefault(source, []).append(rec)
    n = max(1, len(records))
    lengths.sort()
    return {
        "solutions": len(solutions),
        "records": len(records),
        "end on a lead-in": ends["lead-in"] / n,
        "end open (no full stop)": ends["open"] / n,
        "start with a bare display": starts["display"] / n,
        "start with figure code": starts["figure"] / n,
        "start lowercase (continuation)": starts["continuation"] / n,
        "targets under 40 chars": sum(x < 40 for x in lengths) / n,
        "median target chars": lengths[len(lengths) // 2] if lengths else 0,
        "target holds the boxed answer": sum("\\boxed" in r["answer"] for r in records) / n,
        **(baselines(list(by_source.values())) if baseline else {}),
    }


def previous_steps(group: list[dict]) -> list[str]:
    """For each record of one solution, the step before its target: the solution so far for the first record, the
    previous record's answer after that."""
    first = group[0]["prompt"].split("The solution so far:\n\n", 1)[-1].rsplit("\n\nWrite only", 1)[0]
    return [first] + [r["answer"] for r in group[:-1]]


def baselines(groups: list[list[dict]], sample: int = 150) -> dict:
    """Mean SRL reward of policies that read nothing: the previous step again; one fixed string; a random step of
    another solution."""
    rng = random.Random(0)
    prev = [similarity(p, r["answer"]) for g in groups for p, r in zip(previous_steps(g), g)]
    half = len(groups) // 2
    train = [r["answer"] for g in groups[:half] for r in g]
    test = [r["answer"] for g in groups[half:] for r in g]
    if not train or not test:
        return {}
    candidates, judges = rng.sample(train, min(sample, len(train))), rng.sample(train, min(sample, len(train)))
    best = max(candidates, key=lambda c: sum(similarity(c, t) for t in judges))
    scored = rng.sample(test, min(4 * sample, len(test)))
    others = [similarity(rng.choice(train), t) for t in scored]
    return {
        "reward: previous step again": sum(prev) / len(prev),
        "reward: one fixed string": sum(similarity(best, t) for t in scored) / len(scored),
        "reward: another solution's step": sum(others) / len(others),
        "the fixed string": best,
    }


DRIVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from rlvrkit.jsonl import Source
from rlvrkit.log import Log
from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.run import run_steps
run_steps(Source(sys.argv[2]), sys.argv[3], StepsOptions(**json.loads(sys.argv[4])), Log("steps"))
"""


def run_checkout(root: Path, src: Path, out: Path | None, opts: dict, caps: tuple[float, float] | None = None) -> dict:
    """`run_steps` of the checkout at `root` on `src`, in a fresh process, writing to `out` (None: to a pipe this
    process reads, counting the bytes and the time to the first one, as `| head -1` would see it): seconds, peak
    memory, bytes written, and how it ended. `caps`: (seconds, GB) past which the run is stopped."""
    limit = None if caps is None else int(caps[1] * 2**30)
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(root), str(src), str(out or "-"), json.dumps(opts)],
        stdout=subprocess.PIPE if out is None else subprocess.DEVNULL,
        stderr=err,
        cwd=tempfile.gettempdir(),
        preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))) if limit else None,
    )
    start = time.perf_counter()
    timer = threading.Timer(caps[0], proc.kill) if caps else None
    if timer:
        timer.start()
    first, written = None, 0
    while out is None and (chunk := proc.stdout.read1(1 << 20)):
        first = first or time.perf_counter() - start
        written += len(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if timer:
        timer.cancel()
    err.seek(0)
    said = err.read().decode(errors="replace").strip().splitlines()
    return {
        "seconds": seconds,
        "first_s": first,
        "peak_mb": usage.ru_maxrss / 1024,
        "written_mb": (written if out is None else out.stat().st_size if out.exists() else 0) / 1e6,
        "exit": os.waitstatus_to_exitcode(status),
        "said": said[-1] if said else "",
    }


def first_lines(name: str, n: int) -> list[dict]:
    with open(DATA / f"{name}.jsonl") as f:
        return [json.loads(line) for _, line in zip(range(n), f)]


def quality(args) -> None:
    rows = first_lines("math_train", args.math) + first_lines("gsm8k_train", args.gsm8k)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in rows))
        results = {}
        for name, root in (("reference", Path(args.reference)), ("this checkout", ROOT)):
            out = Path(tmp) / f"{name}.jsonl"
            ran = run_checkout(root, src, out, {"split": args.split})
            records = [json.loads(line) for line in out.open()]
            for part, ids in (("MATH", False), ("GSM8K", True)):
                sols = {r["id"]: r["solution"] for r in rows if str(r["id"]).startswith("gsm8k") == ids}
                results[(name, part)] = audit(sols, [r for r in records if r["meta"]["source"] in sols])
            print(f"{name} ({root}): {ran['said']}")
    table(results)


def table(results: dict) -> None:
    keys = list(next(iter(results.values())))
    heads = [f"{name}, {part}" for name, part in results]
    print("| measure | " + " | ".join(heads) + " |")
    print("|---|" + "---:|" * len(heads))
    for key in keys:
        cells = []
        for res in results.values():
            value = res.get(key, "")
            if isinstance(value, float):
                cells.append(f"{100 * value:.1f}%" if not key.startswith("reward") else f"{value:.3f}")
            else:
                cells.append(str(value)[:60].replace("\n", "\\n").replace("|", "\\|"))
        print(f"| {key} | " + " | ".join(cells) + " |")


def hostile_input(size: int, joint: str = "\n\n") -> dict:
    """One record whose solution is `size` bytes of MATH solutions joined by `joint` (with " ": one line). Solutions
    with a numbered line are left out: main's auto split takes any two numbered lines for the solution's steps, which
    would hide its sentence search."""
    parts, total = [], 0
    with open(DATA / "math_train.jsonl") as f:
        for line in f:
            sol = json.loads(line)["solution"]
            if NUMBERED_LINE.search(sol):
                continue
            parts.append(sol if joint != " " else " ".join(sol.split()))
            total += len(parts[-1]) + len(joint)
            if total >= size:
                break
    return {"id": "giant", "prompt": "Solve all of these.", "solution": joint.join(parts)[:size]}


def speed(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ordinary = Path(tmp) / "ordinary.jsonl"
        with open(DATA / "math_train.jsonl") as f, ordinary.open("w") as out:
            for line in f:
                if out.tell() >= args.size:
                    break
                out.write(line)
        giant, line = Path(tmp) / "giant.jsonl", Path(tmp) / "line.jsonl"
        giant.write_text(json.dumps(hostile_input(args.size)) + "\n")
        line.write_text(json.dumps(hostile_input(args.size, " ")) + "\n")
        print("| input | checkout | seconds | first record (s) | peak MB | written MB | exit | stderr's last line |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
        inputs = ((ordinary, "MATH records"), (giant, "one solution, paragraphs"), (line, "one solution, one line"))
        runs = (("main", Path(args.reference), {}), ("this", ROOT, {}), ("this, --max-chars 0", ROOT, {"max_chars": 0}))
        for src, what in inputs:
            label = f"{src.stat().st_size / 1e6:.2f} MB, {what}"
            for name, root, opts in runs if src != ordinary else runs[:2]:
                r = run_checkout(root, src, None, opts, (args.cap_s, args.cap_gb))
                said = (
                    r["said"][:100] if r["exit"] in (0, 2) else f"stopped (cap {args.cap_s:.0f} s / {args.cap_gb} GB)"
                )
                first = "-" if r["first_s"] is None else f"{r['first_s']:.2f}"
                print(
                    f"| {label} | {name} | {r['seconds']:.2f} | {first} | {r['peak_mb']:.0f} | {r['written_mb']:.1f} "
                    f"| {r['exit']} | {said} |",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--math", type=int, default=2000)
    q.add_argument("--gsm8k", type=int, default=2000)
    q.add_argument("--split", default="auto")
    s = sub.add_parser("speed")
    s.add_argument("--size", type=int, default=1_000_000)
    s.add_argument("--cap-s", type=float, default=300)
    s.add_argument("--cap-gb", type=float, default=3)
    for p in (q, s):
        p.add_argument("--reference", default=str(ROOT.parent / "main"))
    args = parser.parse_args()
    quality(args) if args.what == "quality" else speed(args)


if __name__ == "__main__":
    main()
