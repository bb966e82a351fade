"""What `rlvr mask` yields on the real data, how fast, and how a model that cannot read the items does on them.

    python bench/mask.py [--math 12000] [--passages 400] [--model DIR] [--items 500]

1. Items from MATH training solutions and from the OpenStax passages (../shared/data): the share of sources that
   yield an item and every skip reason, the distractor kinds, items per second (the rules alone, in process).
2. The correct letters of the MATH run against a uniform distribution: the chi-square statistic (8 degrees of
   freedom: 26.1 is the 0.001 critical value).
3. With --model (say the tiny model, `rlvr init-model --tiny DIR`): its accuracy on the items with the shortest
   prompts, two ways. As a student in the pipe, on 60 of them (rollout -n 4, verify: the share of rewarded
   completions and of completions naming no option); and forced to choose, on --items of them: the option letter
   it gives the highest probability after "The answer is (", which a model with no grasp of the items gets right
   about 1 time in 9 whatever its letter bias, because the correct letter is uniform.

There is no reference implementation to race (the paper's pipeline is a GPT-5 prompt); the figures are for the
README and for noticing a change in yield or speed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from rlvrkit.mask.items import doc_of  # noqa: E402
from rlvrkit.mask.options import LETTERS, MaskOptions  # noqa: E402
from rlvrkit.mask.run import Yield, describe, items  # noqa: E402


def run(name: str, n: int, mode: str) -> list[dict]:
    """Items from the first n records of a data file, with the yield report and the speed."""
    with open(DATA / name) as f:
        rows = [json.loads(line) for line in itertools.islice(f, n)]
    tally = Yield()
    start = time.perf_counter()
    out = list(items([doc_of(r, mode) for r in rows], MaskOptions(mode=mode), tally))
    seconds = time.perf_counter() - start
    print(f"{name} ({mode}): " + "; ".join(describe(tally, len(rows))))
    print(f"  {len(rows) / seconds:.0f} sources/s, {len(out) / seconds:.0f} items/s")
    return out


def chi_square(out: list[dict]) -> None:
    letters = Counter(item["answer"] for item in out)
    n, k = len(out), len(out[0]["meta"]["options"])
    chi2 = sum((letters[c] - n / k) ** 2 / (n / k) for c in LETTERS[:k])
    print(
        f"correct letters over {n} items: chi-square {chi2:.2f} ({k - 1} dof), "
        + " ".join(f"{c}:{letters[c]}" for c in LETTERS[:k])
    )


def as_student(model: str, sample: list[dict]) -> None:
    """rollout -n 4 --max-tokens 64 | verify on the sample: the share rewarded and the share naming no option."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "items.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in sample))
        rlvr = f"{sys.executable} -m rlvrkit.commands.cli"
        out = subprocess.run(
            f"{rlvr} rollout -m {model} -n 4 --max-tokens 64 < {src} | {rlvr} verify",
            shell=True,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    statuses = Counter(r["verdict"]["status"] for r in recs)
    print(
        f"as a student, {len(recs)} completions: accuracy {sum(r['reward'] for r in recs) / len(recs):.3f}, "
        f"statuses {dict(statuses)}"
    )


def forced_choice(model: str, sample: list[dict]) -> None:
    """The letter the model finds likeliest after the prompt and "The answer is (": its accuracy (chance 1/9)."""
    import torch

    from rlvrkit.models import load_model, load_tokenizer
    from rlvrkit.rollout.prompts import prompt_ids

    tok, lm = load_tokenizer(model), load_model(model, dtype="float32", device="cpu")
    letters = [tok(c, add_special_tokens=False)["input_ids"][-1] for c in LETTERS[:9]]
    right, picked = 0, Counter()
    for item in sample:
        ids = prompt_ids(tok, item, chat=True) + tok("The answer is (", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = lm(torch.tensor([ids])).logits[0, -1]
        choice = LETTERS[int(torch.argmax(logits[letters]))]
        picked[choice] += 1
        right += choice == item["answer"]
    print(
        f"forced choice on {len(sample)} items: accuracy {right / len(sample):.3f} (chance {1 / 9:.3f}); "
        f"letters chosen {dict(picked.most_common())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--math", type=int, default=12000, help="MATH training solutions to mask")
    parser.add_argument("--passages", type=int, default=400, help="OpenStax passages to mask")
    parser.add_argument("--model", help="a model folder to measure on the items (e.g. the tiny model)")
    parser.add_argument("--items", type=int, default=500, help="items the model is forced to choose on")
    args = parser.parse_args()
    math_items = run("math_train.jsonl", args.math, "math")
    run("passages.jsonl", args.passages, "passage")
    chi_square(math_items)
    if args.model:
        short = sorted(math_items, key=lambda r: len(r["prompt"]))[: args.items]
        forced_choice(args.model, short)
        as_student(args.model, short[:60])


if __name__ == "__main__":
    main()
