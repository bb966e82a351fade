"""How often `rlvr verify` and plain math-verify agree with labelled (gold, prediction) pairs, side by side, per source.

    python bench/verify_agreement.py [--pairs FILE] [--data DIR [--per-source N]] [--jobs N] [--timeout S] [--emit]

A pair is one JSON line: ``{"source", "gold", "pred", "expected"}`` and optionally ``precision`` and ``strict`` (the
comparison options its label was made under) and ``rlvr_differs`` (why rlvr's verdict, which differs from the label,
is the right one for a reward: the label only makes sense for math-verify's API, or records a defect of it). The
default pair set, tests/data/verify_pairs.jsonl, holds:

- math-verify's own test suite (huggingface/Math-Verify, tests/*.py): every labelled gold/pred/expected case, as data;
  `source` names the file and test. Cases whose label needs an option rlvr does not have (allow_set_relation_comp) are
  left out. These predictions are often whole texts or ``$…$`` formulas; both sides read them as they are.
- math-verify's documented behaviour (its README and examples/model_outputs.csv);
- hand-written cases for rlvr's own defects: numeric references (JSON numbers, e-notation strings), references that
  parse to something degenerate (``12:00``), answers boxed in several parts;
- a fixed sample of pairs made from ../shared/data by `dataset_pairs` (written with --emit): MATH-500 and MATH train
  (the `answer` against the whole `solution`, whose last box it is; another problem's answer against it, label false),
  GSM8K (the answer against the solution followed by ``#### answer``, as GSM8K writes it; another answer, false), and
  the physics answers written in e-notation against the same number written other ways.

With --data DIR the pairs made from every row of those files are measured too (--per-source N: a random N per file).

Each pair gets two verdicts: plain math-verify, ``verify(parse(gold), parse(pred))`` with its defaults (the pair's
precision and strict passed on), run in killable worker processes (rlvrkit.verify.pool) so that nothing can hang; and
rlvr's, through the real code path: the pair as a record ``{id, answer: gold, completion: pred}`` through
rlvrkit.verify.run.Verifier (jobs.prepare in this process, maths.check in the workers), ok meaning true. Printed: the
agreement with the labels of both, per source and overall, then every pair where rlvr disagrees with its label.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rlvrkit.verify.jobs import reference_text  # noqa: E402
from rlvrkit.verify.options import VerifyOptions  # noqa: E402
from rlvrkit.verify.pool import Pool  # noqa: E402
from rlvrkit.verify.run import Verifier  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "verify_pairs.jsonl"
DATA = ROOT.parent / "shared" / "data"
_E_NOTATION = re.compile(r"-?\d+(?:\.\d+)?e[-+]\d+")


def read_pairs(path: Path) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# -- pairs made from the datasets


def _rows(data: Path, name: str) -> list[dict]:
    with open(data / name) as f:
        return [json.loads(line) for line in f]


_DECORATION = re.compile(
    r"\s|\\[dt](?=frac)|\\left|\\right|\\!|\{,\}|\^\{?\\circ\}?|\\\$|\\?%|_\{?\d+\}?|\\(?:text|mbox)\{[^{}]*\}"
)
_FRACTION = re.compile(r"\\frac\{(-?\d+)\}\{(\d+)\}|(-?\d+)[/:](\d+)")


def _value(text: str) -> float | None:
    """The number a bare reference answer is (``12``, ``1.25``, ``\\frac{5}{4}``, ``1:2``), else None."""
    try:
        return float(text)
    except ValueError:
        pass
    m = _FRACTION.fullmatch(text)
    if m is None:
        return None
    top, bottom = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return int(top) / int(bottom) if int(bottom) else None


def _plainly_different(a: str, b: str) -> bool:
    """Two reference answers that cannot be the same value: no relation in either (math-verify compares ``x = 4`` with
    ``4``), and different numbers or, once units, degrees, bases and spacing are set aside, different text."""
    if any(c in x for x in (a, b) for c in "=<>"):
        return False
    a, b = (_DECORATION.sub("", x) for x in (a, b))
    va, vb = _value(a), _value(b)
    return va != vb if va is not None and vb is not None else a != b


def _other_answer(rows: list[dict], k: int, rng: random.Random) -> str | None:
    """An answer of another problem that is plainly different from row k's."""
    for _ in range(20):
        other = rows[rng.randrange(len(rows))]["answer"]
        if _plainly_different(other, rows[k]["answer"]):
            return other
    return None


def _solution_pairs(rows: list[dict], name: str, pred, rng: random.Random) -> list[dict]:
    """For each row: its answer against `pred(row)` (label true), and another row's answer against it (false)."""
    pairs = []
    for k, row in enumerate(rows):
        text = pred(row)
        source = f"{name}: answer vs its solution"
        pairs.append({"source": source, "gold": row["answer"], "pred": text, "expected": True})
        other = _other_answer(rows, k, rng)
        if other is not None:
            source = f"{name}: another problem's answer vs a solution"
            pairs.append({"source": source, "gold": other, "pred": text, "expected": False})
    return pairs


def _scientific_forms(answer: str) -> list[tuple[str, bool]]:
    """The same number as an e-notation answer written as a model might (true), and a different number (false)."""
    mantissa, exponent = answer.split("e")
    plain = format(Decimal(answer), "f")
    wrong = format(Decimal(answer) * 10, "f")
    power = int(exponent)
    return [
        (rf"The answer is $\boxed{{{plain}}}$.", True),
        (f"So the result is {answer}.", True),
        (rf"\boxed{{{mantissa} \times 10^{{{power}}}}}", True),
        (rf"\boxed{{{answer}}}", True),
        (rf"\boxed{{{wrong}}}", False),
        (rf"\boxed{{{mantissa} \times 10^{{{power + 1}}}}}", False),
    ]


def dataset_pairs(data: Path, per_source: int | None = None, seed: int = 0) -> list[dict]:
    """Labelled pairs made from the shared data sets (see the module docstring); `per_source` rows of each at most."""
    rng = random.Random(seed)
    pairs: list[dict] = []
    solutions = {
        "math500.jsonl": lambda row: row["solution"],
        "math_train.jsonl": lambda row: row["solution"],
        "gsm8k_test.jsonl": lambda row: f"{row['solution']}\n#### {row['answer']}",
        "gsm8k_train.jsonl": lambda row: f"{row['solution']}\n#### {row['answer']}",
    }
    for name, pred in solutions.items():
        rows = _rows(data, name)
        if per_source is not None and per_source < len(rows):
            rows = rng.sample(rows, per_source)
        pairs += _solution_pairs(rows, name, pred, rng)
    for row in _rows(data, "physics.jsonl"):
        if _E_NOTATION.fullmatch(row["answer"]):
            for text, expected in _scientific_forms(row["answer"]):
                source = "physics.jsonl: e-notation answers"
                pairs.append({"source": source, "gold": row["answer"], "pred": text, "expected": expected})
    return pairs


# -- the two verdicts


def _plain(task: dict) -> dict:
    """math-verify as its README shows it, in a worker: the pool bounds its time, so its own timeouts are off."""
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    gold = parse(task["gold"], parsing_timeout=None)
    pred = parse(task["pred"], parsing_timeout=None)
    same = verify(gold, pred, float_rounding=task["precision"], strict=task["strict"], timeout_seconds=None)
    return {"ok": bool(same)}


def plain_verdicts(pairs: list[dict], jobs: int, timeout: float) -> list[bool]:
    """Plain math-verify's verdict on each pair (a pair that overruns `timeout` seconds counts as false)."""
    verdicts = [False] * len(pairs)
    with Pool(_plain, jobs, timeout) as pool:
        for n, pair in enumerate(pairs):
            gold, precision, strict = reference_text(pair["gold"]), pair.get("precision", 6), pair.get("strict", True)
            pool.submit(n, {"gold": gold, "pred": pair["pred"], "precision": precision, "strict": strict})
        while pool.outstanding():
            for done in pool.poll(wait=True):
                verdicts[done.tag] = bool(done.result and done.result["ok"])
    return verdicts


def rlvr_verdicts(pairs: list[dict], jobs: int, timeout: float) -> list[dict]:
    """rlvr's verdict on each pair ({status, extracted}), through `rlvr verify`'s engine, one engine per option set."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for n, pair in enumerate(pairs):
        groups[(pair.get("precision", 6), pair.get("strict", True))].append(n)
    verdicts: list[dict] = [{}] * len(pairs)
    for (precision, strict), members in groups.items():
        opts = VerifyOptions(jobs=jobs, timeout=timeout, precision=precision, strict=strict)
        lines: list[bytes] = []
        with Verifier(opts) as engine:
            for n in members:
                rec = {"id": n, "answer": pairs[n]["gold"], "completion": pairs[n]["pred"]}
                lines += engine.feed(rec, f"pairs:{n + 1}")
            lines += engine.drain()
        for line in lines:
            rec = json.loads(line)
            verdicts[rec["id"]] = rec["verdict"]
    return verdicts


# -- the report


def source_group(source: str) -> str:
    """The line of the table a pair counts in: its file (a math-verify test file, a data set and what is compared)."""
    return source.split("::")[0]


def agreement(pairs: list[dict], plain: list[bool], ours: list[dict]) -> dict[str, tuple[int, int, int]]:
    """Per source group, and "overall": (pairs, plain math-verify agreeing with the label, rlvr agreeing)."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for pair, p, o in zip(pairs, plain, ours):
        for key in (source_group(pair["source"]), "overall"):
            row = table[key]
            row[0] += 1
            row[1] += p == pair["expected"]
            row[2] += (o["status"] == "ok") == pair["expected"]
    return {k: tuple(v) for k, v in table.items()}


def disagreements(pairs: list[dict], ours: list[dict]) -> list[int]:
    """The pairs whose label rlvr's verdict (ok or not) does not match."""
    return [n for n, (pair, o) in enumerate(zip(pairs, ours)) if (o["status"] == "ok") != pair["expected"]]


def report(pairs: list[dict], plain: list[bool], ours: list[dict], out=sys.stdout) -> None:
    """The table, then rlvr's disagreements (gold, prediction cut to its end, label, both verdicts, and why rlvr's
    verdict stands where the pair says so in `rlvr_differs`)."""
    table = agreement(pairs, plain, ours)
    width = max(len(k) for k in table)
    print(f"{'source':<{width}}  {'pairs':>6}  {'math-verify':>12}  {'rlvr':>12}", file=out)
    for key in sorted(table, key=lambda k: (k == "overall", k)):
        n, p, o = table[key]
        print(f"{key:<{width}}  {n:>6}  {p / n:>11.1%}  {o / n:>11.1%}  ({p} / {o})", file=out)
    print("\nrlvr disagrees with the label on:", file=out)
    for n in disagreements(pairs, ours):
        pair, o = pairs[n], ours[n]
        pred = pair["pred"] if len(pair["pred"]) < 160 else "…" + pair["pred"][-150:]
        print(f"- [{n}] {pair['source']}\n    gold {pair['gold']!r}\n    pred {pred!r}", file=out)
        verdicts = f"math-verify {plain[n]}, rlvr {o['status']} (extracted {o.get('extracted')!r})"
        print(f"    label {pair['expected']}, {verdicts}", file=out)
        if "rlvr_differs" in pair:
            print(f"    why rlvr's verdict stands: {pair['rlvr_differs']}", file=out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", default=str(PAIRS), help="labelled pairs (JSON Lines); '' for none")
    ap.add_argument("--data", type=Path, default=None, help="also the pairs made from these data sets (../shared/data)")
    ap.add_argument("--per-source", type=int, default=None, help="with --data: a random N rows of each file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--emit", action="store_true", help="print the pairs made from --data instead of measuring")
    args = ap.parse_args()
    made = dataset_pairs(args.data, args.per_source, args.seed) if args.data is not None else []
    if args.emit:
        sys.stdout.writelines(json.dumps(p) + "\n" for p in made)
        return
    pairs = (read_pairs(Path(args.pairs)) if args.pairs else []) + made
    plain = plain_verdicts(pairs, args.jobs, args.timeout)
    ours = rlvr_verdicts(pairs, args.jobs, args.timeout)
    report(pairs, plain, ours)


if __name__ == "__main__":
    main()
