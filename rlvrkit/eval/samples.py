"""Reading a samples file (what `rlvr eval --per-sample` writes) for --from-samples and --compare, and checking it.

A line is one verified completion (see rlvrkit.eval.report.sample_record); `check_sample` refuses a line whose fields
the metrics could not use (a reward "1" or null, tokens "many", sample "zero"). The file as a whole must be one run
of each benchmark: every prompt with its n samples numbered 0 … n−1, n being the run's sampling.n (or, in a file
without it, the most any prompt has). A sample seen twice (a line repeated, two runs concatenated) is refused at its
line; a prompt with fewer samples (a truncated file) or one numbered past n is refused by name; so is a -k that needs
more samples than a benchmark has. Metrics computed over what is left of such a file would be silently wrong:
pass@k and maj@k would vanish for prompts short of k samples, avg@n would weigh prompts unequally.
"""

from __future__ import annotations

from rlvrkit.errors import BadInput, InvalidRecord
from rlvrkit.jsonl import Records
from rlvrkit.records import check_reward

OPTIONAL = {"task": str, "finish_reason": str, "policy": dict, "sampling": dict, "verifier": dict}


def check_sample(rec: dict) -> None:
    """One line of a samples file: bench, id, sample, reward (the record contract's), verdict, tokens; the optional
    fields of the right kind when present."""
    missing = [k for k in ("bench", "id", "sample", "reward", "verdict", "tokens") if k not in rec]
    if missing:
        raise InvalidRecord(f"not an rlvr eval sample: no {', '.join(missing)} (write one with --per-sample)")
    check_reward(rec)
    if not isinstance(rec["bench"], str) or not rec["bench"]:
        raise InvalidRecord("'bench' must be a non-empty string")
    for name in ("sample", "tokens"):
        if type(rec[name]) is not int or rec[name] < 0:
            raise InvalidRecord(f"'{name}' must be a whole number >= 0, got {rec[name]!r:.40}")
    if not isinstance(rec["verdict"], dict):
        raise InvalidRecord(f"'verdict' must be an object (status, extracted), got {rec['verdict']!r:.40}")
    for name, kind in OPTIONAL.items():
        if rec.get(name) is not None and not isinstance(rec[name], kind):
            raise InvalidRecord(f"'{name}' must be {'a string' if kind is str else 'an object'} or null")


def read_samples(path: str, ks: tuple[int, ...]) -> list[dict]:
    """The samples of PATH, checked line by line and as runs (see the module docstring); `BadInput` naming the line,
    or the file, benchmark and prompt."""
    records = Records(path, check=check_sample)
    first: dict[tuple, int] = {}
    samples = []
    try:
        for rec in records:
            key = (rec["bench"], rec["id"], rec["sample"])
            if key in first:
                records.reject(
                    f"sample {rec['sample']} of prompt {rec['id']!r} in bench {rec['bench']!r} again (first on line "
                    f"{first[key]}): a line repeated, or two runs in one file?"
                )
                continue
            first[key] = records.line
            samples.append(rec)
    finally:
        records.close()
    if records.failure is not None:
        raise records.failure
    if not samples:
        raise BadInput(f"{records.name}: no samples")
    for bench, n in runs(samples, records.name).items():
        if ks[-1] > n:
            raise BadInput(f"-k {ks[-1]} needs {ks[-1]} samples a prompt; {records.name} has {n} in bench {bench!r}")
    return samples


def runs(samples: list[dict], name: str) -> dict[str, int]:
    """{bench: n} once every prompt of every benchmark is found to hold samples 0 … n−1; `BadInput` otherwise."""
    numbers: dict[str, dict] = {}
    declared: dict[str, set] = {}
    for s in samples:
        numbers.setdefault(s["bench"], {}).setdefault(s["id"], set()).add(s["sample"])
        n = (s.get("sampling") or {}).get("n")
        if type(n) is int and n > 0:
            declared.setdefault(s["bench"], set()).add(n)
    found = {}
    for bench, prompts in numbers.items():
        ns = declared.get(bench) or {max(len(got) for got in prompts.values())}
        if len(ns) > 1:
            raise BadInput(f"{name}: bench {bench!r} mixes runs of sampling.n {' and '.join(map(str, sorted(ns)))}")
        found[bench] = n = ns.pop()
        for key, got in prompts.items():
            _complete(name, bench, key, got, n)
    return found


def _complete(name: str, bench: str, key, got: set, n: int) -> None:
    where = f"{name}: bench {bench!r}, prompt {key!r}"
    beyond = sorted(s for s in got if s >= n)
    if beyond:
        raise BadInput(f"{where}: sample {beyond[0]} of a run of {n}: two runs in one file?")
    if len(got) < n:
        lost = ", ".join(str(s) for s in range(n) if s not in got)
        raise BadInput(f"{where}: {len(got)} of its {n} samples (missing {lost:.60}): a truncated file?")
