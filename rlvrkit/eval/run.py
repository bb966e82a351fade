"""`rlvr eval`: sample and verify every benchmark with the rollout and verify commands' own code, then one result line
per benchmark; or the same from a samples file (--from-samples), or two runs compared (--compare).

A live run first reads every benchmark's prompts, checked (a prompt without an answer is bad input naming its line,
before any model loads), then loads the model once (rlvrkit.rollout.run.open_engine) and, for each benchmark, runs
`run_rollout` on it with that engine and `run_verify` on the rollouts (each into a temporary file that is removed
after), exactly as the pipe `rlvr rollout | rlvr verify` would; the verified records become samples
(rlvrkit.eval.report.sample_record), kept with --per-sample, and the metrics are computed from the samples alone.
Samples read back (--from-samples, --compare) are checked by rlvrkit.eval.samples.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

from rlvrkit.errors import BadInput
from rlvrkit.eval import report
from rlvrkit.eval.options import EvalOptions
from rlvrkit.eval.samples import read_samples
from rlvrkit.jsonl import Source, check_output, read_all, source_name, streams, write_all
from rlvrkit.records import check_answer, check_prompt, check_task


def run_eval(source: Source, output: str, opts: EvalOptions, log) -> None:
    """`rlvr eval`: result lines (or comparison lines) to `output`, a table of them on stderr."""
    check_output(output)
    if opts.per_sample:
        check_output(opts.per_sample)
    if opts.compare:
        rows = _compare(opts, log)
    else:
        samples = read_samples(opts.from_samples, opts.k) if opts.from_samples else _sample(source, opts, log)
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


def prompt_check(opts: EvalOptions):
    """What a benchmark's prompt record needs: what rollout renders (id, prompt or messages) and what the verifier
    compares with (an answer; a task it knows unless --task is given)."""

    def check(rec: dict) -> None:
        check_prompt(rec)
        check_answer(rec, "eval verifies every completion against it")
        if opts.verify.task is None:
            check_task(rec, "eval")

    return check


def _read_prompts(bench: Source, into: Path, opts: EvalOptions, log) -> None:
    """A benchmark's prompt records, every one checked (a bad line is `BadInput` naming it, stdin:3), copied into
    INTO for rollout: all of them are read before the model loads."""
    with streams(bench, str(into), check=prompt_check(opts), log=log) as (records, out):
        for rec in records:
            out.write(rec)
    if not out.count:
        raise BadInput(f"{source_name(bench.path)}: no prompt records")


def _sample(source: Source, opts: EvalOptions, log) -> list[dict]:
    """Every benchmark rolled out and verified with the commands' own code, one model load for all."""
    from rlvrkit.rollout.run import open_engine, run_rollout
    from rlvrkit.verify.run import run_verify

    todo = benches(source, opts)
    verifier = {k: v for k, v in asdict(opts.verify).items() if k not in ("jobs", "terms")}
    samples = []
    with tempfile.TemporaryDirectory(prefix="rlvr-eval-") as tmp:
        files = {name: Path(tmp) / str(i) for i, name in enumerate(todo)}  # never the name: it may hold a '/'
        for name, bench in todo.items():
            _read_prompts(bench, files[name].with_suffix(".prompts"), opts, log)
        engine = open_engine(opts.rollout, log)
        for name, file in files.items():
            rollouts, verified = file.with_suffix(".rollouts"), file.with_suffix(".verified")
            log.info(f"{name}: sampling {opts.rollout.n} completions per prompt")
            run_rollout(Source(str(file.with_suffix(".prompts"))), str(rollouts), opts.rollout, log, engine=engine)
            run_verify(Source(str(rollouts)), str(verified), opts.verify, log)
            samples += [report.sample_record(name, rec, verifier) for rec in read_all(str(verified))]
    return samples


def _by_bench(samples: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in samples:
        out.setdefault(s["bench"], []).append(s)
    return out


def _compare(opts: EvalOptions, log) -> list[dict]:
    """Both files' benchmarks compared where they overlap; what is left out is said, an empty comparison refused."""
    a, b = (_by_bench(read_samples(path, opts.k)) for path in opts.compare)
    left = [f"{bench!r} (only in {path})" for side, path in zip((a, b), opts.compare) for bench in side
            if bench not in (b if side is a else a)]  # fmt: skip
    found = {bench: report.compare(bench, a[bench], b[bench], opts.k, opts.verify, seed=opts.seed)
             for bench in a if bench in b}  # fmt: skip
    left += [f"{bench!r} (no prompt in both)" for bench, got in found.items() if not got.rows]
    if not any(got.rows for got in found.values()):
        raise BadInput(f"{opts.compare[0]} and {opts.compare[1]}: nothing to compare: {', '.join(left)}")
    for bench, got in found.items():
        (log.warn if got.uneven else log.info)(got.describe(bench))
    if left:
        log.warn(f"left out bench {', '.join(left)}")
    return [row for got in found.values() for row in got.rows]
