"""`rlvr eval`: sample and verify every benchmark with the rollout and verify commands' own code, then one result line
per benchmark; or the same from a samples file (--from-samples), or two runs compared (--compare).

A live run loads the model once (rlvrkit.rollout.run.open_engine) and, for each benchmark, runs `run_rollout` on it
with that engine and `run_verify` on the rollouts (each into a temporary file that is removed after), exactly as the
pipe `rlvr rollout | rlvr verify` would; the verified records become samples (rlvrkit.eval.report.sample_record),
kept with --per-sample, and the metrics are computed from the samples alone.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

from rlvrkit.errors import BadInput, InvalidRecord
from rlvrkit.eval import report
from rlvrkit.eval.options import EvalOptions
from rlvrkit.jsonl import Source, check_input, check_output, read_all, write_all


def run_eval(source: Source, output: str, opts: EvalOptions, log) -> None:
    """`rlvr eval`: result lines (or comparison lines) to `output`, a table of them on stderr."""
    check_output(output)
    if opts.per_sample:
        check_output(opts.per_sample)
    if opts.compare:
        rows = _compare(opts, log)
    else:
        samples = _read_samples(opts.from_samples) if opts.from_samples else _sample(source, opts, log)
        if opts.per_sample:
            write_all(opts.per_sample, samples)
        rows = [report.summarize(b, s, opts.k, opts.verify, opts.name) for b, s in _by_bench(samples).items()]
    write_all(output, rows)
    report.show(rows)


def benches(source: Source, opts: EvalOptions) -> dict[str, Source]:
    """The benchmarks to run: --bench NAME=FILE, else the input named after its file (stdin: "stdin")."""
    if not opts.bench:
        name = "stdin" if source.path == "-" else Path(source.path).stem
        return {name: source}
    out = {}
    for spec in opts.bench:
        name, path = spec.split("=", 1)
        out[name] = Source(path, source.on_error, source.rejects)
    return out


def _sample(source: Source, opts: EvalOptions, log) -> list[dict]:
    """Every benchmark rolled out and verified with the commands' own code, one model load for all."""
    from rlvrkit.rollout.run import open_engine, run_rollout
    from rlvrkit.verify.run import run_verify

    todo = benches(source, opts)
    for bench in todo.values():
        check_input(bench.path)
    engine = open_engine(opts.rollout, log)
    verifier = {k: v for k, v in asdict(opts.verify).items() if k not in ("jobs", "terms")}
    samples = []
    with tempfile.TemporaryDirectory(prefix="rlvr-eval-") as tmp:
        for name, bench in todo.items():
            rollouts, verified = Path(tmp) / f"{name}.rollouts", Path(tmp) / f"{name}.verified"
            log.info(f"{name}: sampling {opts.rollout.n} completions per prompt")
            run_rollout(bench, str(rollouts), opts.rollout, log, engine=engine)
            run_verify(Source(str(rollouts)), str(verified), opts.verify, log)
            samples += [report.sample_record(name, rec, verifier) for rec in read_all(str(verified))]
    return samples


def _by_bench(samples: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in samples:
        out.setdefault(s["bench"], []).append(s)
    return out


def _read_samples(path: str) -> list[dict]:
    """The samples of a --per-sample file; a line that is not one is bad input, naming the line."""
    samples = read_all(path, check=_check_sample)
    if not samples:
        raise BadInput(f"{path}: no samples")
    return samples


def _check_sample(rec: dict) -> None:
    missing = [k for k in ("bench", "id", "sample", "reward", "verdict", "tokens") if k not in rec]
    if missing:
        raise InvalidRecord(f"not an rlvr eval sample: no {', '.join(missing)} (write one with --per-sample)")


def _compare(opts: EvalOptions, log) -> list[dict]:
    a, b = (_by_bench(_read_samples(path)) for path in opts.compare)
    shared = [bench for bench in a if bench in b]
    if not shared:
        raise BadInput(f"{opts.compare[0]} and {opts.compare[1]} have no benchmark in common")
    k, verify, seed = opts.k, opts.verify, opts.seed
    return [row for bench in shared for row in report.compare(bench, a[bench], b[bench], k, verify, seed=seed)]
