"""Lines per second of `rlvr score` against a plain `json`-module loop doing the same grouping, in one run.

    python bench/score.py [--lines 1000000] [--group 8]

Both read the same synthetic rollout file (groups of --group lines sharing an id, realistic field mix) and write
group-normalised advantages to a file; the figure is input lines / wall seconds, best of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_input(path: Path, lines: int, group: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(lines):
            g = i // group
            rec = {
                "id": f"train/algebra/{g}.json",
                "prompt": "What is the sum of the roots of x^2 - 5x + 6 = 0?",
                "answer": "5",
                "completion": "The roots are 2 and 3, so the sum is \\boxed{5}."
                if rng.random() < 0.5
                else "\\boxed{6}",
                "sample": i % group,
                "finish_reason": "stop",
                "policy": {"model": "./policy", "adapter": None, "version": 3},
                "sampling": {"temperature": 1.0, "top_p": 1.0, "seed": 0, "max_tokens": 1024, "n": group},
                "reward": float(rng.random() < 0.5),
                "verdict": {"status": "ok", "extracted": "5", "ms": 1.2},
            }
            f.write(json.dumps(rec) + "\n")


def plain_json(src: Path, dst: Path, eps: float = 1e-6) -> None:
    """The reference way: the json module, one line at a time, contiguous groups, population std."""

    def flush(group, out):
        rewards = [r["reward"] for r in group]
        m = sum(rewards) / len(rewards)
        s = math.sqrt(sum((x - m) ** 2 for x in rewards) / len(rewards))
        for r in group:
            r["advantage"] = (r["reward"] - m) / (s + eps)
            out.write(json.dumps(r) + "\n")

    with open(src) as f, open(dst, "w") as out:
        group, key = [], None
        for line in f:
            rec = json.loads(line)
            if group and rec["id"] != key:
                flush(group, out)
                group = []
            key = rec["id"]
            group.append(rec)
        if group:
            flush(group, out)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, ours_out, ref_out = Path(tmp, "in.jsonl"), Path(tmp, "ours.jsonl"), Path(tmp, "ref.jsonl")
        make_input(src, args.lines, args.group)
        cmd = [sys.executable, "-m", "rlvrkit.commands.cli", "score", "-i", str(src), "-o", str(ours_out)]
        ours = min(timed(lambda: subprocess.run(cmd, check=True)) for _ in range(args.repeat))
        ref = min(timed(lambda: plain_json(src, ref_out)) for _ in range(args.repeat))
        same = sum(1 for _ in open(ours_out)) == sum(1 for _ in open(ref_out)) == args.lines
        mb = src.stat().st_size / 1e6
    print(f"input: {args.lines} lines ({mb:.0f} MB), groups of {args.group}; outputs agree in length: {same}")
    print(f"rlvr score (orjson, process start included): {args.lines / ours:12,.0f} lines/s  {ours:6.2f} s")
    print(f"plain json loop (in-process):                 {args.lines / ref:12,.0f} lines/s  {ref:6.2f} s")
    print(f"ratio: {ref / ours:.2f}x")


if __name__ == "__main__":
    main()
