"""Write docs/mask-sample.md: what `rlvr mask` yields on the shared data, what the content-blind audit finds in it
(bench/shortcuts.py), and 20 items of each kind (MATH solutions, OpenStax passages) with a reader's judgment.

    .venv/bin/python docs/mask_sample.py [--math 2000] [--seed 1]

It runs the library's mask in one process (a few minutes on a laptop core) over the first --math MATH training
solutions and all 400 passages, audits both, picks every k-th item of each run, and rewrites the Markdown file. The
judgments (JUDGED) were written by a person who read each item in full: re-running with other data or another seed
picks other items, which are then marked as not read.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
from pathlib import Path

from rlvrkit.mask.items import doc_of
from rlvrkit.mask.options import LETTERS, MaskOptions
from rlvrkit.mask.run import Yield, describe, items

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "docs" / "mask-sample.md"
SAMPLE = 20

JUDGED: dict[str, str] = json.loads((ROOT / "docs" / "mask_judgments.json").read_text())


def shortcuts():
    spec = importlib.util.spec_from_file_location("shortcuts", ROOT / "bench" / "shortcuts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, n: int | None, mode: str, seed: int) -> tuple[list[dict], list[str]]:
    with open(DATA / name) as f:
        rows = [json.loads(line) for line in itertools.islice(f, n)]
    tally = Yield()
    out = list(items([doc_of(r, mode) for r in rows], MaskOptions(mode=mode, seed=seed), tally))
    return out, describe(tally, len(rows))


def audit_table(found: dict[str, float]) -> list[str]:
    rows = ["| content-blind rule | accuracy |", "|---|---:|"]
    rows += [f"| {rule} | {value:.1%} |" for rule, value in found.items() if rule != "chance"]
    return rows + [f"| *chance* | *{found['chance']:.1%}* |"]


def item_lines(i: int, item: dict) -> list[str]:
    meta = item["meta"]
    masked = item["prompt"].split("[MASK]")
    before = " ".join(masked[-2].split())[-300:] if len(masked) > 2 else ""
    lines = [
        f"### {i}. `{item['id']}`",
        "",
        f"**Before the [MASK]:** …{before}",
        "",
        f"**Truth ({item['answer']}):** {meta['options'][LETTERS.index(item['answer'])]}",
        "",
        "**Distractors, where each differs:**",
        "",
    ]
    lines += [f"- ({k}) {d['how']}: {d['what']}" for k, d in sorted(meta["distractors"].items())]
    lines += ["", f"**Judgment:** {JUDGED.get(item['id'], '(not read)')}", ""]
    return lines


def section(title: str, out: list[dict], said: list[str], found: dict[str, float]) -> list[str]:
    step = max(1, len(out) // SAMPLE)
    sample = out[::step][:SAMPLE]
    lines = [f"## {title}", "", *(f"    {line}" for line in said), "", *audit_table(found), ""]
    for i, item in enumerate(sample, 1):
        lines += item_lines(i, item)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--math", type=int, default=2000, help="MATH training solutions to mask")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    audit = shortcuts().audit
    math_out, math_said = run("math_train.jsonl", args.math, "math", args.seed)
    pass_out, pass_said = run("passages.jsonl", None, "passage", args.seed)
    lines = [
        "# `rlvr mask`: yield, shortcut audit and a read sample",
        "",
        f"Written by `docs/mask_sample.py` (--math {args.math} --seed {args.seed}). Each audit row is a rule that "
        "never reads the question picking an option (bench/shortcuts.py: ties share the credit; the bag of words "
        "and the structure model are trained on half the items and scored on the other half). Chance is 1/9.",
        "",
        *section(f"MATH solutions (the first {args.math} of math_train.jsonl)", math_out, math_said, audit(math_out)),
        *section("OpenStax passages (all 400 of passages.jsonl)", pass_out, pass_said, audit(pass_out)),
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
