"""Write docs/steps-sample.md: how `rlvr steps` cuts the shared MATH and GSM8K training solutions (where targets end
and start, what a policy that reads nothing would score) and 20 step records with what a reader judged of each.

    .venv/bin/python docs/steps_sample.py

It runs the library's split and records in one process over ../shared/data (a few seconds), measures them with
bench/steps.py's audit, and rewrites the Markdown file. The judgments are in JUDGED, keyed by record id: an id is a
hash of what the record holds, so a judgment stays with the record it was written for, and a record the splitter now
makes differently shows as not yet read.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "docs" / "steps-sample.md"
sys.path.insert(0, str(ROOT / "bench"))

import steps as bench  # noqa: E402  (bench/steps.py)

from rlvrkit.records import Skipped  # noqa: E402
from rlvrkit.steps.options import StepsOptions  # noqa: E402
from rlvrkit.steps.run import srl_records  # noqa: E402
from rlvrkit.steps.split import split  # noqa: E402

# What main's splitter (before issue 16) gave on the same data, measured by `python bench/steps.py quality --math
# 12000 --gsm8k 7473` beside this one: the shares of targets that end on a lead-in and that start with a bare
# display, and the three rewards of a policy that reads nothing (previous step, one fixed string, another solution's).
BEFORE = {
    "MATH train": {"lead-in": 0.126, "display": 0.187, "previous": 0.300, "fixed": 0.248, "other": 0.186},
    "GSM8K train": {"lead-in": 0.002, "display": 0.0, "previous": 0.495, "fixed": 0.332, "other": 0.287},
}

JUDGED: dict[str, str] = {
    "train/geometry/362.json/step-00eaad445f784b2b": (
        "good. The figure stayed at the end of the step whose sentence draws it, so the target starts with a "
        "sentence, not with figure code; the target is one reasoning move (the angle, hence a 30-60-90 "
        "triangle)."
    ),
    "train/geometry/950.json/step-b58783344078df5d": (
        "good. A paragraph step: the last move (fraction of the volume = fraction of the height) and the "
        "boxed answer; the step before it closes its sentence."
    ),
    "test/algebra/289.json/step-035c3c1620db3d2b": (
        'acceptable. Two short sentences joined by --min-chars 40 ("$k>t$, so … $t=1$." alone is 25 '
        "characters); both belong to the same move. Starting with inline math is fine: it is the subject of a"
        " sentence."
    ),
    "train/algebra/1573.json/step-49f81829b925bf97": (
        "good, but fine-grained: the solution has one paragraph, so auto cut it into 13 sentences. The target"
        " states the goal (maximise $lw$), which is a real next step, and guessable only from the problem."
    ),
    "train/number_theory/241.json/step-d50502d2f568a5a6": (
        "good. The finishing step, with the boxed answer; the reduction modulo 5 is in the prompt."
    ),
    "train/intermediate_algebra/746.json/step-d655778758eba20a": (
        'good. The displays stayed with their lead-ins ("By QM-AM,", "Hence,", "By AM-GM,"), which the old '
        "splitter cut apart; the target (the values that attain equality) is the next logical move."
    ),
    "train/geometry/6185.json/step-ab00aefe17618dfe": (
        "good. Final step; everything it needs (the small spheres have radius r) is in the prompt."
    ),
    "train/algebra/2820.json/step-1ee164b94737c12b": (
        "good. A two-step solution: Vieta after the rewrite; one record."
    ),
    "train/intermediate_algebra/501.json/step-ecd74341c6fd8b7a": (
        'good. The prompt ends after the display "giving \\\\[…\\\\]" and the sentence that reads it; the target '
        "is the plan (sum of squares of the roots), a one-sentence step."
    ),
    "train/counting_and_probability/633.json/step-bb95f5636f807abf": (
        "good. Final counting step with the boxed answer."
    ),
    "train/prealgebra/43.json/step-d81f6d0f9530b18a": (
        "good. The prompt ends with the figure the first paragraph introduces; the target ends with a display"
        ' introduced by "and" inside its own sentence, so the display is where it belongs.'
    ),
    "test/precalculus/1104.json/step-f9198fb16536c85e": (
        'good. "We can factor this as \\\\[…\\\\]" stays one step (before, the factored display could open a '
        "target); the target concludes with the boxed value."
    ),
    "gsm8k-train-3505/step-4fe287465f4813e5": (
        "good. One line, one calculation, the same shape as the line before it: that likeness is why copying "
        "the previous step scores 0.5 on GSM8K (see the table)."
    ),
    "gsm8k-train-4578/step-a37983ba3a79544b": ("good. The last line; the two earlier lines are the prompt."),
    "gsm8k-train-5239/step-369b98add0038cd7": (
        "good. The final division, with the calculator annotation as the expert wrote it."
    ),
    "gsm8k-train-1761/step-ecb49da97b25d45e": (
        "good. No full stop at the end (GSM8K's style): the cut is the line break after a finished "
        "calculation, not a lead-in."
    ),
    "gsm8k-train-3683/step-d1177874b4084870": ("good. Two-line solution, one record."),
    "gsm8k-train-4287/step-bdac15cdfe0d9828": ("good. The final subtraction after three lines of set-up."),
    "gsm8k-train-3399/step-bcbe098a55acd4aa": (
        'good. Both the prompt\'s last line and the target lack a full stop; "left" closes a statement, so the'
        " cut is right."
    ),
    "gsm8k-train-5627/step-35e79a79ea2cd114": (
        "good. The second of two sentences; the first line gives the count the target multiplies."
    ),
}


def made(name: str) -> tuple[dict, list[dict]]:
    """The solutions of a data file by id, and their step records with the default options."""
    with open(DATA / f"{name}.jsonl") as f:
        rows = [json.loads(line) for line in f]
    opts, out = StepsOptions(), []
    for row in rows:
        steps, how = split(row["solution"], opts.split, opts.min_chars)
        out.extend(srl_records(row, steps, how, opts, Skipped()))
    return {r["id"]: r["solution"] for r in rows}, out


def figures(results: dict) -> list[str]:
    keys = [k for k in next(iter(results.values())) if k != "the fixed string"]
    rows = ["| measure | " + " | ".join(results) + " |", "|---|" + "---:|" * len(results)]
    for key in keys:
        cells = []
        for res in results.values():
            value = res[key]
            if key.startswith("reward"):
                cells.append(f"{value:.3f}")
            elif isinstance(value, float):
                cells.append(f"{100 * value:.2f}% ({round(value * res['records']):,})")
            else:
                cells.append(f"{value:,}")
        rows.append(f"| {key} | " + " | ".join(cells) + " |")
    return rows


def so_far(rec: dict) -> str:
    return rec["prompt"].split("The solution so far:\n\n", 1)[1].rsplit("\n\nWrite only", 1)[0]


def sample(records: list[dict], n: int, rng: random.Random) -> list[dict]:
    """n records of n different solutions."""
    by_source: dict = {}
    for rec in records:
        by_source.setdefault(rec["meta"]["source"], []).append(rec)
    return [rng.choice(by_source[s]) for s in rng.sample(sorted(by_source), n)]


def shown(rec: dict) -> list[str]:
    meta, before = rec["meta"], so_far(rec)
    cut = before if len(before) <= 400 else "…" + before[-400:]
    judged = JUDGED.get(rec["id"], "(not read yet: the splitter makes this record anew)")
    return [
        f"### `{rec['id']}`: step {meta['step']} of {meta['steps']} ({meta['split']})",
        "",
        "The solution so far (its end):",
        "",
        "```text",
        cut,
        "```",
        "",
        "The target (the record's answer):",
        "",
        "```text",
        rec["answer"],
        "```",
        "",
        f"Read: {judged}",
        "",
    ]


def main() -> None:
    results, picked, rng = {}, [], random.Random(0)
    for name, label, n in (("math_train", "MATH train", 12), ("gsm8k_train", "GSM8K train", 8)):
        solutions, records = made(name)
        results[label] = bench.audit(solutions, records)
        picked += sample(records, n, rng)
    lines = [
        "# `rlvr steps` on the shared data: where the steps are cut, and a sample",
        "",
        "Generated by `docs/steps_sample.py` (default options: `--split auto --min-chars 40 --max-chars 32000`). "
        "A target is a record's answer, the step the policy must write. The measures are bench/steps.py's: a target "
        'ends on a lead-in when its last words announce what follows (a colon, a comma, `=`, "we get", "Hence,"); '
        "it ends open when no full stop closes its last sentence (GSM8K's lines mostly have none: the cut there is a "
        "line break after a finished calculation); it starts with a bare display when a displayed equation opens it, "
        "cut from the sentence that introduced it. The rewards are SRL's (difflib similarity, as `rlvr verify` "
        "computes it) for a policy that reads nothing: it writes the previous step again, or one fixed string (the "
        "best of 150 training targets, scored on the other half), or a step of another solution.",
        "",
        *figures(results),
        "",
        "Before (main's splitter, same data): "
        + "; ".join(
            f"{k}: {100 * b['lead-in']:.1f}% of targets ended on a lead-in, {100 * b['display']:.1f}% started with a "
            f"bare display; the three rewards were {b['previous']:.3f}, {b['fixed']:.3f}, {b['other']:.3f}"
            for k, b in BEFORE.items()
        )
        + ".",
        "",
        f"The fixed strings: MATH `{results['MATH train']['the fixed string']}`; GSM8K "
        f"`{results['GSM8K train']['the fixed string']}`.",
        "",
        "## What a policy could learn without reading",
        "",
        "The expert's step scores 1. The floors above come from the reward, character similarity between steps "
        "written in one style (GSM8K's lines share the template `… = <<a*b=c>>c units`), not from where the cuts "
        "fall: main's splitter gave about the same. No target is shorter than --min-chars, so none can be matched "
        "by writing almost nothing; a third of MATH targets are a solution's last step with its boxed answer, which "
        "is what a last step is, not a shortcut. GRPO's group normalisation removes a floor the whole group "
        "shares, but a policy still gains by imitating the template (the calculator annotations included) whatever "
        "its arithmetic: read SRL rewards against these floors, not against 0.",
        "",
        "## 20 records, read",
        "",
    ]
    for rec in picked:
        lines += shown(rec)
    OUT.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
