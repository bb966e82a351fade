"""What `rlvr mask` yields on the real data, how fast, and how a model that cannot read the items does on them.

    python bench/mask.py [--math 12000] [--passages 400] [--reference DIR] [--big-mb 1] [--model DIR] [--items 500]

1. Items from MATH training solutions and from the OpenStax passages (../shared/data): the share of sources that
   yield an item and every skip reason, the distractor kinds, items per second (the rules alone, in process).
   With --reference (a checkout of main, say ../main), the same inputs through both checkouts' `rlvr mask`, each in
   its own process, same run: seconds, sources/s and peak memory side by side, and the ratio; then one passage of
   --big-mb megabytes of prose (the passages repeated), which a quadratic sentence search cannot finish.
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


LIMIT = 900  # seconds one run of the race may take (main's quadratic passage search takes hours on 5 MB)


def timed(checkout: Path, source: Path, mode: str) -> tuple[float, float, float]:
    """Seconds, CPU seconds and peak memory (MB) of `rlvr mask` from `checkout` on `source`, in a child process of its
    own (the CPU seconds are the fairer figure on a machine others share)."""
    script = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(time.perf_counter() - t, r.ru_utime + r.ru_stime, r.ru_maxrss / 1024)"
    )
    own = checkout / ".venv" / "bin" / "python"  # each checkout's own environment: an editable install imports its code
    python = str(own) if own.exists() else sys.executable
    command = [python, "-m", "rlvrkit.commands.cli", "mask", "-i", str(source), "--mode", mode]
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, *command], cwd=checkout, capture_output=True, text=True, timeout=LIMIT
        )
    except subprocess.TimeoutExpired:
        return float("inf"), float("inf"), float("nan")
    if done.returncode:
        return float("nan"), float("nan"), float("nan")
    seconds, cpu, peak = done.stdout.split()
    return float(seconds), float(cpu), float(peak)


def race(reference: Path, math_n: int, passages: int, big_mb: float) -> None:
    """Ours against the reference checkout on the same inputs, same run."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for name, n, mode in (("math_train.jsonl", math_n, "math"), ("passages.jsonl", passages, "passage")):
            path = Path(tmp) / name
            with open(DATA / name) as f:
                path.write_text("".join(itertools.islice(f, n)))
            inputs.append((f"{name} ({n})", path, mode, n))
        texts = [json.loads(line)["text"] for line in open(DATA / "passages.jsonl")]
        prose = "\n\n".join(itertools.islice(itertools.cycle(texts), int(big_mb * 1e6 / 600) + 1))[: int(big_mb * 1e6)]
        big = Path(tmp) / "big.jsonl"
        big.write_text(json.dumps({"id": "big", "text": prose}) + "\n")
        inputs.append((f"one passage of {big_mb:g} MB", big, "passage", 1))
        for label, path, mode, n in inputs:
            (ours, ours_cpu, ours_mb), (ref, ref_cpu, ref_mb) = timed(ROOT, path, mode), timed(reference, path, mode)
            print(
                f"{label}: ours {ours:.1f} s, {ours_cpu:.1f} s CPU ({n / ours_cpu:.1f} sources/CPU s), "
                f"{ours_mb:.0f} MB; "
                f"reference {ref:.1f} s, {ref_cpu:.1f} s CPU ({n / ref_cpu:.1f} sources/CPU s), {ref_mb:.0f} MB: "
                f"ours takes {ours_cpu / ref_cpu:.2f}x the reference's CPU time"
            )


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
    parser.add_argument("--reference", type=Path, help="a checkout to race on the same inputs (say ../main)")
    parser.add_argument("--big-mb", type=float, default=1.0, help="megabytes of the one-passage input of the race")
    parser.add_argument("--model", help="a model folder to measure on the items (e.g. the tiny model)")
    parser.add_argument("--items", type=int, default=500, help="items the model is forced to choose on")
    args = parser.parse_args()
    if args.reference:
        race(args.reference.resolve(), args.math, args.passages, args.big_mb)
        return
    math_items = run("math_train.jsonl", args.math, "math")
    run("passages.jsonl", args.passages, "passage")
    chi_square(math_items)
    if args.model:
        short = sorted(math_items, key=lambda r: len(r["prompt"]))[: args.items]
        forced_choice(args.model, short)
        as_student(args.model, short[:60])


if __name__ == "__main__":
    main()
