"""Composed prompts per second of `rlvr compose` on MATH train, in one process, everything included.

    python bench/compose.py [--lasts 1000] [--candidates 20] [--depth 2]

The first --lasts problems of MATH train are the last problems q2; q1 comes from all of MATH train (--first), as in
the paper's pairing (each q2 with a fresh random subset of --candidates q1s). The run is `run_compose` itself:
reading, reading every answer by rule, choosing the constants, composing, the exact self-check of every record, and
writing JSON to /dev/null. The figure is composed prompts / wall seconds (the pool's answers are read once, inside
the timing). There is no reference way to run beside it: the paper composes with eleven calls to a 72B model per
pair, which is not something to time on a CPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


class Quiet:
    """A log that keeps its lines instead of printing them."""

    def __init__(self):
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    warn = error = info

    def progress(self, unit: str = "records", total=None, every: float = 10.0):
        from rlvrkit.log import Log

        return Log("bench").progress(unit, total, every=1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lasts", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--depth", type=int, default=2)
    args = parser.parse_args()
    from rlvrkit.compose.options import ComposeOptions
    from rlvrkit.compose.run import run_compose
    from rlvrkit.jsonl import Source

    pool = DATA / "math_train.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        lasts = Path(tmp) / "lasts.jsonl"
        with open(pool) as f:
            lasts.write_text("".join(line for _, line in zip(range(args.lasts), f)))
        opts = ComposeOptions(first=str(pool), depth=args.depth, candidates=args.candidates, seed=0)
        log = Quiet()
        start = time.perf_counter()
        run_compose(Source(str(lasts)), "/dev/null", opts, log)
        seconds = time.perf_counter() - start
    summary = log.lines[-1]
    made = int(summary.split(" composed")[0].rsplit(" ", 1)[1])
    tried = int(summary.split(" ", 1)[0])
    print(
        f"rlvr compose, MATH train, depth {args.depth}, {args.lasts} q2 x {args.candidates} candidates (one process):"
    )
    unit = "pairs" if args.depth == 2 else "chains"
    rate = f"{made / seconds:.0f} prompts/s"
    print(f"  {tried} {unit} tried, {made} composed and self-checked in {seconds:.1f} s: {rate}")
    print(f"  ({summary})", file=sys.stderr)


if __name__ == "__main__":
    main()
