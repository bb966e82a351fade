"""A hostile probe of every command: many malformed, extreme or adversarial inputs and option values, each run as a
user would, each outcome judged by the error rule. Not a timing and not a test (the cases the project fixed have
tests in tests/test_hostile.py): a survey, printed as a tally per command and the list of what did not hold.

    python bench/hostile_probe.py [--commands score,verify,...] [--model DIR] [--timeout S] [--jobs N]

A case holds when the command ends within the timeout; exits 0, 1 or 2; prints no traceback; prints exactly one line
when it fails (exit 1 or 2); and leaves every file the user named byte for byte as it was, with no temporary file
beside it. Commands that need a model (rollout, train, eval live, demo) use --model (default: the embedded tiny model
in ~/.cache/rlvrkit, built by `rlvr demo`); without one they are probed only where a model is not reached.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = "We add the numbers. First, 2 + 3 = 5. Then 5 + 4 = 9. So the total is 9. The answer is $\\boxed{9}$."
BASE = {
    "score": {"id": "a", "reward": 1.0},
    "select-one": {"id": "a", "pass_rate": 0.5, "epoch": 0},
    "verify": {"id": "a", "answer": "9", "completion": "\\boxed{9}"},
    "compose": {"id": "a", "prompt": "What is 2 + 3 + 4?", "answer": "9"},
    "steps": {"id": "a", "prompt": "What is 2 + 3 + 4?", "solution": SOLUTION},
    "mask": {"id": "a", "prompt": "What is 2 + 3 + 4?", "solution": SOLUTION, "answer": "9"},
    "rollout": {"id": "a", "prompt": "What is 2 + 3?"},
    "train": {"id": "a", "reward": 1.0, "prompt_ids": [1, 2], "completion_ids": [3, 4]},
    "eval": {"id": "a", "prompt": "What is 2 + 3?", "answer": "5"},
}
NEEDS_MODEL = {"rollout": ["-m", "{model}", "-n", "2", "--max-tokens", "4"],
               "train": ["--ckpt", "{tmp}/run", "-m", "{model}"],
               "eval": ["-m", "{model}", "-n", "2", "--max-tokens", "4", "-j", "1"]}  # fmt: skip
REQUIRED = {
    "score": ["reward"],
    "select-one": ["pass_rate"],
    "verify": ["answer", "completion"],
    "compose": ["prompt", "answer"],
    "steps": ["prompt", "solution"],
    "mask": ["prompt", "solution"],
    "rollout": ["prompt"],
    "train": ["reward", "prompt_ids", "completion_ids"],
    "eval": ["prompt", "answer"],
}
WRONG_TYPES = [None, True, 0, -1, 1.5, 10**30, "", " ", "x", [], [1], {}, {"a": 1}]
IDS = [True, 1.5, [1], None, "", 10**30, "1", 1, "\u202e\u0000\U0001f600", "x" * 100_000]
NUMBERS = ["nan", "inf", "-inf", "-1", "0", "1e308", "1" + "0" * 30, "-" + "9" * 25]


@dataclass
class Case:
    command: str
    what: str
    args: list[str]
    stdin: bytes | None = b""
    files: list[str] = field(default_factory=list)  # files the user named, to be kept as they were
    shell: str | None = None  # a shell line instead (redirections), {rlvr} standing for the command


def lines(*recs) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in recs)


def record_cases(command: str) -> list[Case]:
    """Malformed and extreme lines for one command: the JSON layer, ids, every required field, extreme sizes."""
    base = BASE[command]
    good = lines(base)
    raw = json.dumps(base).encode()
    cases = [
        Case(command, "empty input", []),
        Case(command, "blank lines only", [], b"\n \n\t\n"),
        Case(command, "BOM and CRLF", [], b"\xef\xbb\xbf" + raw + b"\r\n" + raw + b"\r\n"),
        Case(command, "invalid UTF-8", [], raw.replace(b'"a"', b'"\xff\xfe"') + b"\n"),
        Case(command, "lone surrogate", [], raw.replace(b'"a"', b'"\\ud800"') + b"\n"),
        Case(command, "a JSON array line", [], good + b"[1, 2]\n"),
        Case(command, "a JSON string line", [], good + b'"text"\n'),
        Case(command, "null line", [], good + b"null\n"),
        Case(command, "truncated last line", [], good + raw[: len(raw) // 2]),
        Case(command, "NUL bytes", [], good + b"\x00\x00\x00\n"),
        Case(command, "NaN literal", [], good + raw[:-1] + b', "x": NaN}\n'),
        Case(command, "1e400 in a field", [], good + raw[:-1] + b', "x": 1e400}\n'),
        Case(command, "integer of 5000 digits", [], good + raw[:-1] + b', "x": ' + b"7" * 5000 + b"}\n"),
        Case(command, "nested 1000 deep", [], good + raw[:-1] + b', "x": ' + b"[" * 1000 + b"]" * 1000 + b"}\n"),
        Case(command, "nested 100000 deep", [], raw[:-1] + b', "x": ' + b'{"a":' * 100000 + b"1" + b"}" * 100001),
        Case(command, "duplicate keys", [], raw[:-1] + b', "id": "b"}\n'),
    ]
    if command not in NEEDS_MODEL:  # sizes: a model command would sample or train on all of it
        cases += [
            Case(command, "a 20 MB string", [], lines({**base, "pad": "x" * 20_000_000})),
            Case(command, "a 20 MB line of digits", [], raw[:-1] + b', "pad": ' + b"1" * 20_000_000 + b"}\n"),
            Case(command, "100000 lines", [], good * 100_000),
        ]
    for value in IDS:
        cases.append(Case(command, f"id {json.dumps(value)[:20]}", [], lines({**base, "id": value})))
    for name in REQUIRED[command]:
        cases.append(Case(command, f"{name} missing", [], lines({k: v for k, v in base.items() if k != name})))
        for value in WRONG_TYPES:
            cases.append(Case(command, f"{name} = {json.dumps(value)[:20]}", [], lines({**base, name: value})))
    return cases


def option_cases(command: str, options: list[str]) -> list[Case]:
    """Every numeric option of the command with values no option means."""
    good = lines(BASE.get(command, {"id": "a"}))
    return [Case(command, f"{opt} {value[:12]}", [opt, value], good) for opt in options for value in NUMBERS]


def path_cases(command: str, tmp: Path) -> list[Case]:
    """Inputs and outputs that cannot be used, and outputs that are inputs."""
    src = tmp / f"{command}-in.jsonl"
    src.write_bytes(lines(*[BASE[command]] * 200))
    link = tmp / f"{command}-link.jsonl"
    if not link.exists():
        link.symlink_to(src)
    s, ln = str(src), str(link)
    return [
        Case(command, "-i a folder", ["-i", str(tmp)]),
        Case(command, "-i missing", ["-i", str(tmp / "missing.jsonl")]),
        Case(command, "-i /dev/null", ["-i", "/dev/null"]),
        Case(command, "-o a folder", ["-o", str(tmp)], lines(BASE[command])),
        Case(command, "-o in a missing folder", ["-o", str(tmp / "no" / "x.jsonl")], lines(BASE[command])),
        Case(command, "-o /dev/full", ["-o", "/dev/full"], lines(BASE[command])),
        Case(command, "-i f -o f", ["-i", s, "-o", s], files=[s]),
        Case(command, "-i f -o link to f", ["-i", s, "-o", ln], files=[s]),
        Case(command, "-o f < f", [], None, files=[s], shell=f"{{rlvr}} -o {s} < {s}"),
        Case(command, "-i f >> f", [], None, files=[s], shell=f"{{rlvr}} -i {s} >> {s}"),
        Case(command, "--rejects r -o r", ["-i", s, "--on-error", "skip", "--rejects", ln + ".r", "-o", ln + ".r"]),
        Case(command, "stdout closed", [], None, files=[s], shell=f"{{rlvr}} -i {s} >&-"),
        Case(command, "stdin closed", [], None, shell="{rlvr} <&-"),
        Case(command, "| head -1", [], None, files=[s], shell=f"{{rlvr}} -i {s} | head -1 > /dev/null"),
    ]


def special_cases(tmp: Path) -> list[Case]:
    """What only some commands name: eval's samples, select-one's histories, plot's metrics, score's selections."""
    sample = {"bench": "b", "id": "a", "sample": 0, "reward": 1.0, "verdict": {"status": "ok"}, "tokens": 3}
    files = {}
    for name, body in {
        "ok": lines(sample, {**sample, "sample": 1}),
        "dup": lines(sample, {**sample, "sample": 1}, sample),
        "reward-str": lines({**sample, "reward": "1"}),
        "tokens-many": lines({**sample, "tokens": "many"}),
        "sample-zero": lines({**sample, "sample": "zero"}),
        "verdict-list": lines({**sample, "verdict": []}),
        "policy-str": lines({**sample, "policy": "x"}),
        "bench-int": lines({**sample, "bench": 3}),
        "metrics": lines(
            {"step": 1, "reward_mean": 0.5}, {"step": 2, "reward_mean": 1e308}, {"step": 3, "reward_mean": -1e308}
        ),
        "metrics-wide": b'{"step": 1' + b"0" * 400 + b', "loss": 1}\n',  # a step of 401 digits
    }.items():
        files[name] = tmp / f"{name}.jsonl"
        files[name].write_bytes(body)
    f = {k: str(v) for k, v in files.items()}
    hist = lines(*[{"id": k, "pass_rate": 0.5, "epoch": e} for k in "ab" for e in (0, 1)])
    bad = ("ok", "dup", "reward-str", "tokens-many", "sample-zero", "verdict-list", "policy-str", "bench-int")
    cases = [Case("eval", f"--from-samples {k}", ["--from-samples", f[k]], files=[f[k]]) for k in bad]
    cases += [
        Case("eval", "--compare ok ok", ["--compare", f["ok"], f["ok"]]),
        Case("eval", "--compare ok dup", ["--compare", f["ok"], f["dup"]]),
        Case("eval", "-k 0", ["--from-samples", f["ok"], "-k", "0"]),
        Case("eval", "-k 3 (n 2)", ["--from-samples", f["ok"], "-k", "3"]),
        Case("eval", "-k a,b", ["--from-samples", f["ok"], "-k", "a,b"]),
        Case("eval", "-k 99999999999999999999", ["--from-samples", f["ok"], "-k", "99999999999999999999"]),
        Case(
            "eval",
            "--per-sample = --from-samples",
            ["--from-samples", f["ok"], "--per-sample", f["ok"]],
            files=[f["ok"]],
        ),
        Case("eval", "--bench x=A --bench x=B", ["-m", "/none", "--bench", f"x={f['ok']}", "--bench", f"x={f['dup']}"]),
        Case("eval", "--bench without =", ["-m", "/none", "--bench", f["ok"]]),
        Case("select-one", "--by pass-rate --target 2", ["--by", "pass-rate", "--target", "2"], hist),
        Case("select-one", "--top -1", ["--top", "-1"], hist),
        Case("select-one", "--repeat 0", ["--repeat", "0"], hist),
        Case("select-one", "--over step (none has one)", ["--over", "step"], hist),
        Case("select-one", "--by lim, all below --min-score", ["--by", "lim", "--min-score", "2"], hist),
        Case("select-one", "epoch -1", [], lines({"id": "a", "pass_rate": 0.5, "epoch": -1})),
        Case("select-one", "epoch 1.5", [], lines({"id": "a", "pass_rate": 0.5, "epoch": 1.5})),
        Case("select-one", "epoch 10**30", [], lines({"id": "a", "pass_rate": 0.5, "epoch": 10**30})),
        Case("select-one", "pass_rate 1.5", [], lines({"id": "a", "pass_rate": 1.5, "epoch": 0})),
        Case("select-one", "n -3 with pass_rate", [], lines({"id": "a", "pass_rate": 0.5, "n": -3, "epoch": 0})),
        Case("select-one", "policy.version huge", [], lines({"id": "a", "reward": 1, "policy": {"version": 10**30}})),
        Case(
            "score",
            "--only mixed --drop solve-all,solve-none",
            ["--only", "mixed", "--drop", "solve-all,solve-none"],
            lines(*BASE_GROUP),
        ),  # fmt: skip
        Case("score", "--drop ''", ["--drop", ""], lines(*BASE_GROUP)),
        Case("score", "--adv batch --batch-groups 1", ["--adv", "batch", "--batch-groups", "1"], lines(*BASE_GROUP)),
        Case("score", "ids out of order", [], lines(*BASE_GROUP, BASE_GROUP[0])),
        Case("score", "sampling.n huge", [], lines({**BASE_GROUP[0], "sampling": {"n": 10**30}})),
        Case(
            "score",
            "sampling.n 0 / -1 / 1.5",
            [],
            lines(*[{**BASE_GROUP[0], "sampling": {"n": v}} for v in (0, -1, 1.5)]),
        ),
        Case(
            "score",
            "advantage present on some",
            ["--per-prompt"],
            lines({**BASE_GROUP[0], "advantage": 1}, BASE_GROUP[1]),
        ),
        Case("score", "reward -0.0 and 5e-324", [], lines({"id": "a", "reward": -0.0}, {"id": "a", "reward": 5e-324})),
        Case("verify", "--reward '' ", ["--reward", ""], lines(BASE["verify"])),
        Case("verify", "--reward math:nan", ["--reward", "math:nan"], lines(BASE["verify"])),
        Case("verify", "--reward math:1e400", ["--reward", "math:1e400"], lines(BASE["verify"])),
        Case("verify", "--reward length without ids", ["--reward", "length", "--max-len", "5"], lines(BASE["verify"])),
        Case("verify", "--jobs 0", ["--jobs", "0"], lines(BASE["verify"])),
        Case("verify", "--max-len 10**30", ["--reward", "length", "--max-len", "1" + "0" * 30], lines(BASE["verify"])),
        Case("verify", "--precision 100000", ["--precision", "100000"], lines(BASE["verify"])),
        Case("verify", "answer 10**4000", [], lines(BASE["verify"]).replace(b'"9"', b"1" + b"0" * 4000, 1)),
        Case("verify", "answer 1e308", [], lines({**BASE["verify"], "answer": 1e308})),
        Case(
            "verify",
            "answer \\boxed{ unclosed",
            [],
            lines({**BASE["verify"], "answer": "\\boxed{", "completion": "\\boxed{"}),
        ),
        Case(
            "verify",
            "completion 10^{10^{10}}",
            [],
            lines({**BASE["verify"], "answer": "10^{10^{10}}", "completion": "\\boxed{10^{10^{10}}}"}),
        ),
        Case(
            "verify",
            "completion 5000 braces",
            [],
            lines({**BASE["verify"], "completion": "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}"}),
        ),
        Case("verify", "task mcq without options", [], lines({**BASE["verify"], "task": "mcq", "answer": "Z"})),
        Case("verify", "task srl, answer a list", [], lines({**BASE["verify"], "task": "srl", "answer": ["x"]})),
        Case("verify", "unknown task", [], lines({**BASE["verify"], "task": "poetry"})),
        Case("plot", "reward ±1e308", [f["metrics"], "--ascii"]),
        Case("plot", "step of 400 digits", [f["metrics-wide"], "--ascii"]),
        Case("plot", "metrics -o itself", [f["metrics"], "-o", f["metrics"]], files=[f["metrics"]]),
        Case("plot", "--label a --label a", [f["metrics"], f["metrics"], "--label", "a", "--label", "a", "--ascii"]),
    ]
    return cases


BASE_GROUP = [
    {"id": "a", "reward": 1.0},
    {"id": "a", "reward": 0.0},
    {"id": "b", "reward": 1.0},
    {"id": "b", "reward": 1.0},
]
NUMERIC = {
    "score": ["--adv-eps", "--min-std", "--solved-at", "--batch-groups"],
    "select-one": ["--min-score", "--solved-at", "--top", "--repeat", "--target"],
    "verify": ["--timeout", "--jobs", "--max-chars", "--precision", "--max-len", "--len-cache"],
    "eval": ["-k", "--seed"],
    "compose": ["--depth", "--candidates", "--seed"],
    "steps": ["--min-chars"],
    "mask": ["--span-steps", "--options", "--max-borrowed", "--seed"],
}


def outcome(case: Case, rlvr: list[str], timeout: float, model: str | None, tmp: Path) -> tuple[bool, str]:
    """(held, why not) for one case."""
    extra = [a.format(model=model, tmp=tmp) for a in NEEDS_MODEL.get(case.command, [])] if model else []
    if case.command in NEEDS_MODEL and not model and not any(a in case.args for a in ("--from-samples", "--compare")):
        extra = ["-m", "/nonexistent"] if case.command != "train" else ["--ckpt", f"{tmp}/run", "-m", "/nonexistent"]
    before = {p: _digest(p) for p in case.files}
    env = {**os.environ, "NO_COLOR": "1"}
    argv = [*rlvr, case.command, *extra, *case.args]
    try:
        if case.shell:
            line = case.shell.format(rlvr=" ".join(f"'{a}'" for a in [*rlvr, case.command, *extra]))
            proc = subprocess.run(
                line, shell=True, capture_output=True, timeout=timeout, env=env, executable="/bin/bash"
            )
        else:
            proc = subprocess.run(argv, input=case.stdin, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return False, f"no end within {timeout:g} s"
    err = proc.stderr.decode(errors="replace")
    lines_ = [x for x in err.splitlines() if x.strip() and not x.startswith(("│", "┃", "┏", "┗", "┡", "└", "─", " "))]
    errors = [x for x in lines_ if ": error: " in x]
    if "Traceback" in err:
        return False, "traceback: " + err.strip().splitlines()[-1][:160]
    if proc.returncode not in (0, 1, 2) and not (case.shell and "head" in case.shell):
        return False, f"exit {proc.returncode}: {err.strip()[-160:]}"
    if proc.returncode in (1, 2) and len(errors) != 1:
        return False, f"exit {proc.returncode} with {len(errors)} error lines: {err.strip()[:200]!r}"
    changed = [p for p in case.files if _digest(p) != before[p]]
    if changed:
        return False, f"changed {', '.join(changed)} (exit {proc.returncode})"
    left = [p.name for p in tmp.rglob("*") if ".tmp-" in p.name]
    if left:
        return False, f"left {left}"
    return True, f"exit {proc.returncode}" + (f": {errors[0][:120]}" if errors else "")


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--commands", default=",".join(BASE) + ",plot")
    ap.add_argument("--model", default=next((str(p) for p in Path.home().glob(".cache/rlvrkit/tiny-*")), None))
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--verbose", action="store_true", help="print every case, not only what did not hold")
    args = ap.parse_args()
    chosen = args.commands.split(",")
    rlvr = [sys.executable, "-m", "rlvrkit.commands.cli"]
    with tempfile.TemporaryDirectory(prefix="rlvr-hostile-") as folder:
        tmp = Path(folder)
        cases = [c for c in special_cases(tmp) if c.command in chosen]
        for command in [c for c in chosen if c in BASE]:
            cases += record_cases(command) + path_cases(command, tmp) + option_cases(command, NUMERIC.get(command, []))
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda c: outcome(c, rlvr, args.timeout, args.model, tmp), cases))
    tally: dict[str, Counter] = defaultdict(Counter)
    for case, (held, why) in zip(cases, results):
        tally[case.command]["held" if held else "broke"] += 1
        if not held or args.verbose:
            print(f"{'ok  ' if held else 'FAIL'} {case.command}: {case.what}: {why}")
    print(f"\n{'command':<12} {'inputs':>6} {'held':>6} {'broke':>6}")
    for command, t in tally.items():
        print(f"{command:<12} {t['held'] + t['broke']:>6} {t['held']:>6} {t['broke']:>6}")


if __name__ == "__main__":
    main()
