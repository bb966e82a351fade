"""Records per second of `rlvr verify` against a plain single-process loop of math-verify parse + verify, in one run.

    python bench/verify.py [--prompts 375] [--group 8] [--jobs N] [--timeout 5]

The input is built from real MATH problems (../shared/data): each prompt gets a group of --group completions as RL
produces them — the reference solution with its final answer kept, rewritten in an equivalent form (\\dfrac, a
decimal, no degree sign or unit, "The final answer is $…$" without a box), replaced by a wrong answer (often the same
wrong answer several times in a group), cut off before the answer, or ending in an unclosed box; some inside a
``<think>`` block. Three pathological records are mixed in: \\boxed{9^{9^{9^{9}}}}, a megabyte of digits, 10,000
nested braces. Both sides read the same records; the loop parses the boxed reference and the completion and calls
verify with math-verify's own timeouts (5 s each, its defaults). Printed: records/s of both, the ratio, the worst
single-record time of each, the same without the pathological records, and how often the two agree on the reward.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
PATHOLOGICAL = ("\\boxed{9^{9^{9^{9}}}}", "1 " * 500_000, "\\boxed{" + "{" * 10_000 + "1" + "}" * 10_000 + "}")


def equivalent(answer: str, rng: random.Random) -> str | None:
    """The same answer written another way, when there is an easy one."""
    forms = []
    if "\\frac" in answer:
        forms.append(answer.replace("\\frac", "\\dfrac"))
    m = re.fullmatch(r"\\frac\{(-?\d+)\}\{(\d+)\}", answer)
    if m and int(m.group(2)) in (2, 4, 5, 8, 10, 20, 25, 50, 100):
        forms.append(str(int(m.group(1)) / int(m.group(2))))
    if re.fullmatch(r"-?\d+", answer):
        forms.append(f"{answer}.0")
    if "^\\circ" in answer:
        forms.append(answer.replace("^\\circ", ""))
    if "\\text{" in answer:
        forms.append(re.sub(r"\s*\\text\{[^{}]*\}", "", answer) or answer)
    return rng.choice(forms) if forms else None


def completion(solution: str, final: str | None, rng: random.Random, boxed: bool = True) -> str:
    """The solution up to its final box, then `final` (None: cut off before any answer)."""
    cut = solution.rfind("\\boxed")
    body = solution[:cut] if cut >= 0 else solution
    if final is None:
        text = body[: int(len(body) * rng.uniform(0.3, 0.9))]
    elif boxed:
        text = f"{body}\\boxed{{{final}}}$."
    else:
        text = f"{body.rstrip(' $')}\n\nThe final answer is ${final}$."
    if rng.random() < 0.3:
        text = f"<think>\n{text}\n</think>\n\nSo the answer is $\\boxed{{{final}}}$." if final else f"<think>\n{text}"
    return text


def make_records(prompts: int, group: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = [json.loads(line) for line in open(DATA / "math_train.jsonl")]
    rows = [r for r in rows if "\\boxed" in r["solution"] and len(r["answer"]) < 60]
    chosen = rng.sample(rows, prompts)
    records = []
    for row in chosen:
        answer, p_correct = row["answer"], rng.random()
        wrongs = [rng.choice(rows)["answer"] for _ in range(2)]
        for sample in range(group):
            r = rng.random()
            if r < p_correct:
                variant = equivalent(answer, rng) if rng.random() < 0.3 else None
                text = completion(row["solution"], variant or answer, rng, boxed=rng.random() < 0.9)
            elif r < p_correct + (1 - p_correct) * 0.15:
                text = completion(row["solution"], None, rng)
            elif r < p_correct + (1 - p_correct) * 0.2:
                text = completion(row["solution"], None, rng) + "\\boxed{" + answer[: len(answer) // 2]
            else:
                text = completion(row["solution"], rng.choice(wrongs[:1] * 3 + wrongs[1:]), rng)
            records.append(
                {
                    "id": row["id"],
                    "prompt": row["prompt"],
                    "answer": answer,
                    "sample": sample,
                    "completion": text,
                    "completion_ids": list(range(len(text) // 4)),
                }
            )
    for k, text in enumerate(PATHOLOGICAL):
        rec = records[(k + 1) * len(records) // (len(PATHOLOGICAL) + 1)]
        rec["completion"], rec["pathological"] = text, True
    return records


def plain_loop(records: list[dict]) -> tuple[list[float], list[float]]:
    """The reference way: math-verify in this process, one record after the other, its own timeouts."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    rewards, times = [], []
    for rec in records:
        start = time.perf_counter()
        gold = parse("\\boxed{" + rec["answer"] + "}", config)
        pred = parse(rec["completion"], config)
        rewards.append(1.0 if verify(gold, pred) else 0.0)
        times.append(time.perf_counter() - start)
    return rewards, times


def run_ours(records: list[dict], args) -> tuple[float, list[dict], str]:
    """`rlvr verify` on `records` as a user runs it (a fresh process) → (seconds, verified records, summary line)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        src.write_text("".join(json.dumps(r) + "\n" for r in records))
        cmd = [sys.executable, "-m", "rlvrkit.commands.cli", "verify", "-i", str(src), "-o", str(dst)]
        cmd += ["--timeout", str(args.timeout)] + (["-j", str(args.jobs)] if args.jobs else [])
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"rlvr verify failed ({proc.returncode}):\n{proc.stderr}")
        verified = [json.loads(line) for line in open(dst)]
    return seconds, verified, proc.stderr.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prompts", type=int, default=375)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=None, help="rlvr verify -j (default: its own, the cores)")
    ap.add_argument("--timeout", type=float, default=5.0, help="rlvr verify --timeout")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    records = make_records(args.prompts, args.group, args.seed)
    calm_records = [r for r in records if not r.get("pathological")]
    n, calm_n = len(records), len(calm_records)
    ours, verified, summary = run_ours(records, args)
    ours_calm, _, _ = run_ours(calm_records, args)
    start = time.perf_counter()
    ref_rewards, ref_times = plain_loop(records)
    ref = time.perf_counter() - start
    ref_calm = sum(t for t, r in zip(ref_times, records) if not r.get("pathological"))
    agree = sum(v["reward"] == r for v, r in zip(verified, ref_rewards))
    worst = max(verified, key=lambda v: v["verdict"]["ms"])
    print(
        f"input: {n} completions, {args.prompts} MATH prompts x {args.group}, {n - calm_n} of them pathological; "
        f"{os.cpu_count()} cores; rlvr verify -j {args.jobs or 'default'} --timeout {args.timeout:g}"
    )
    print(
        f"rlvr verify (process start included): {n / ours:8.1f} records/s  {ours:7.2f} s   "
        f"worst record {worst['verdict']['ms'] / 1000:.2f} s ({worst['verdict']['status']})"
    )
    print(
        f"plain math-verify loop (in-process):   {n / ref:8.1f} records/s  {ref:7.2f} s   "
        f"worst record {max(ref_times):.2f} s"
    )
    print(f"ratio: {ref / ours:.2f}x")
    print(
        f"without the pathological records: rlvr verify {calm_n / ours_calm:.1f} records/s ({ours_calm:.2f} s), "
        f"plain loop {calm_n / ref_calm:.1f} records/s ({ref_calm:.2f} s); ratio {ref_calm / ours_calm:.2f}x"
    )
    print(f"same reward on {agree}/{n} records; {summary}")


if __name__ == "__main__":
    main()
