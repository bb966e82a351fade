"""Read and write speed of rlvrkit's JSON Lines core against jsonlines with orjson as its loads/dumps, in one run.

    python bench/jsonl.py [--rollouts 20000] [--prompts 200000] [--repeat 3]

Two synthetic streams, written with orjson as the commands write them: rollout records (prompt and completion text, a
few hundred token ids and logprobs each) and small prompt records. Each is read, read and written back to a file, and
written from memory, both ways: ours (`Records` and `RecordWriter`, as every command uses them) and jsonlines'
(`jsonlines.Reader(f, loads=orjson.loads)` and `jsonlines.Writer(f, dumps=orjson.dumps)` on plain binary files).
Figures are input lines per second, best of --repeat; the ratio is ours over jsonlines' (above 1: ours is faster).
Ours does more on the way (line numbers, broken-Unicode repair, the wide-integer check, an atomic output file).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

try:
    import jsonlines
except ImportError:  # not a dependency of rlvrkit: only this comparison needs it
    sys.exit("bench/jsonl.py compares against jsonlines: pip install jsonlines")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rlvrkit.jsonl import Records, RecordWriter  # noqa: E402

WORDS = "the roots sum product so we get answer is boxed therefore since let then because".split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def rollout(rng: random.Random, i: int, tokens: int) -> dict:
    """One rollout record as `rlvr rollout` writes it, after verify."""
    n = rng.randint(tokens // 2, tokens * 3 // 2)
    return {
        "id": f"train/algebra/{i // 8}.json",
        "prompt": text(rng, 40),
        "answer": str(rng.randint(0, 999)),
        "completion": text(rng, n * 3 // 4),
        "sample": i % 8,
        "prompt_ids": [rng.randrange(151_000) for _ in range(60)],
        "completion_ids": [rng.randrange(151_000) for _ in range(n)],
        "logprobs": [-(rng.expovariate(2.0) ** 2) for _ in range(n)],
        "finish_reason": rng.choice(["stop", "length"]),
        "policy": {"model": "./policy", "adapter": None, "version": 3},
        "sampling": {"temperature": 1.0, "top_p": 1.0, "top_k": None, "seed": 0, "max_tokens": 1024, "n": 8},
        "reward": float(rng.random() < 0.5),
        "verdict": {"status": "ok", "extracted": "5", "ms": round(rng.random() * 3, 3)},
    }


def prompt(rng: random.Random, i: int) -> dict:
    return {"id": f"gsm8k/{i}", "prompt": text(rng, 30), "answer": str(rng.randint(0, 9999)), "task": "math"}


def make_input(path: Path, records: list[dict]) -> None:
    with open(path, "wb") as f:
        f.writelines(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)


def ours_read(src: Path, dst: Path, records: list[dict]) -> int:
    return sum(1 for _ in Records(str(src)))


def theirs_read(src: Path, dst: Path, records: list[dict]) -> int:
    with open(src, "rb") as f:
        return sum(1 for _ in jsonlines.Reader(f, loads=orjson.loads))


def ours_copy(src: Path, dst: Path, records: list[dict]) -> int:
    source, out = Records(str(src)), RecordWriter(dst)
    for rec in source:
        out.write(rec)
    source.close()
    out.close()
    return out.count


def theirs_copy(src: Path, dst: Path, records: list[dict]) -> int:
    n = 0
    with open(src, "rb") as f, open(dst, "wb") as g, jsonlines.Writer(g, dumps=orjson.dumps) as out:
        for rec in jsonlines.Reader(f, loads=orjson.loads):
            out.write(rec)
            n += 1
    return n


def ours_write(src: Path, dst: Path, records: list[dict]) -> int:
    out = RecordWriter(dst)
    for rec in records:
        out.write(rec)
    out.close()
    return out.count


def theirs_write(src: Path, dst: Path, records: list[dict]) -> int:
    with open(dst, "wb") as g, jsonlines.Writer(g, dumps=orjson.dumps) as out:
        for rec in records:
            out.write(rec)
    return len(records)


TASKS = {"read": (ours_read, theirs_read), "read+write": (ours_copy, theirs_copy), "write": (ours_write, theirs_write)}


def race(ours, theirs, repeat: int) -> tuple[float, float, int, int]:
    """Best wall time of each way over `repeat` rounds, taken in turns so that a busy machine slows both alike; and what
    each returned (the number of lines)."""
    times: dict = {ours: [], theirs: []}
    count: dict = {}
    for _ in range(repeat):
        for fn in (ours, theirs):
            start = time.perf_counter()
            count[fn] = fn()
            times[fn].append(time.perf_counter() - start)
    return min(times[ours]), min(times[theirs]), count[ours], count[theirs]


def compare(name: str, records: list[dict], tmp: Path, repeat: int) -> None:
    src, out_ours, out_theirs = tmp / f"{name}.jsonl", tmp / f"{name}.ours.jsonl", tmp / f"{name}.theirs.jsonl"
    make_input(src, records)
    mb = src.stat().st_size / 1e6
    print(f"{name}: {len(records)} lines, {mb:.0f} MB ({mb * 1e6 / len(records):,.0f} bytes a line)")
    for task, (ours, theirs) in TASKS.items():
        t_ours, t_theirs, n_ours, n_theirs = race(
            lambda: ours(src, out_ours, records), lambda: theirs(src, out_theirs, records), repeat
        )
        same = n_ours == n_theirs == len(records)
        if task != "read":  # both wrote exactly the input back
            same = same and out_ours.read_bytes() == src.read_bytes() == out_theirs.read_bytes()
        print(
            f"  {task:10s} ours {len(records) / t_ours:10,.0f} lines/s   jsonlines+orjson"
            f" {len(records) / t_theirs:10,.0f} lines/s   ratio {t_theirs / t_ours:5.2f}x   same output: {same}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rollouts", type=int, default=20_000)
    ap.add_argument("--prompts", type=int, default=200_000)
    ap.add_argument("--tokens", type=int, default=300, help="mean completion tokens per rollout")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(0)
    streams = {
        "rollouts": [rollout(rng, i, args.tokens) for i in range(args.rollouts)],
        "prompts": [prompt(rng, i) for i in range(args.prompts)],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, records in streams.items():
            compare(name, records, Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
