"""From verified samples to one result per benchmark, and from two runs' samples to their paired differences.

A sample is one verified completion as `rlvr eval --per-sample` keeps it (see `sample_record`). Everything here is a
function of samples alone, so `rlvr eval --from-samples` gives exactly the numbers of the live run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rlvrkit import __version__
from rlvrkit.eval.metrics import maj_at_k, paired_bootstrap, pass_at_k
from rlvrkit.eval.votes import answer_key, clusters
from rlvrkit.records import plural
from rlvrkit.stats import mean, standard_error
from rlvrkit.verify.options import VerifyOptions

CORRECT_AT = 1.0 - 1e-9  # a sample is correct when its reward reaches 1 (math and mcq: status ok)
VOTED = ("math", "mcq")  # tasks whose answers can be voted on


def sample_record(bench: str, rec: dict, verifier: dict) -> dict:
    """What --per-sample keeps of a verified rollout record: enough to recompute every metric and to read it."""
    policy = rec.get("policy") or {}
    return {
        "bench": bench,
        "id": rec["id"],
        "sample": rec.get("sample", 0),
        "answer": rec.get("answer"),
        "task": rec.get("task") or "math",
        "reward": rec["reward"],
        "verdict": rec["verdict"],
        "completion": rec.get("completion"),
        "tokens": len(rec.get("completion_ids") or ()),
        "finish_reason": rec.get("finish_reason"),
        "policy": policy,
        "sampling": rec.get("sampling"),
        "verifier": verifier,
    }


def by_prompt(samples: Iterable[dict]) -> dict:
    """Samples grouped by prompt id as it is (1 and "1" are two prompts; first appearance order), each group in
    sample order."""
    out: dict = {}
    for s in samples:
        out.setdefault(s["id"], []).append(s)
    return {key: sorted(group, key=lambda s: s["sample"]) for key, group in out.items()}


def per_prompt(samples: list[dict], ks: tuple[int, ...], opts: VerifyOptions) -> dict[str, dict[str, float]]:
    """For each metric name (avg@n first, then pass@k and maj@k for each k the samples allow), its value on each
    prompt, keyed by prompt id. n is the most samples a prompt has."""
    groups = by_prompt(samples)
    correct = {key: [s["reward"] >= CORRECT_AT for s in group] for key, group in groups.items()}
    n = max(len(c) for c in correct.values())
    task = next(iter(groups.values()))[0].get("task") or "math"
    values: dict[str, dict[str, float]] = {f"avg@{n}": {key: mean([float(x) for x in c]) for key, c in correct.items()}}
    for k in ks:
        got = {key: pass_at_k(len(c), sum(c), k) for key, c in correct.items()}
        if all(v is not None for v in got.values()):
            values[f"pass@{k}"] = got
    if task in VOTED:
        votes = clusters({key: [answer_key(s["verdict"]) for s in g] for key, g in groups.items()}, task, opts)
        for k in ks:
            got = {key: maj_at_k(votes[key], correct[key], k) for key in groups}
            if all(v is not None for v in got.values()):
                values[f"maj@{k}"] = got
    return values


def summarize(bench: str, samples: list[dict], ks: tuple[int, ...], opts: VerifyOptions, name: str | None) -> dict:
    """The result line of one benchmark: metrics, lengths, and what the run was (model, sampling, verifier)."""
    values = per_prompt(samples, ks, opts)
    avg = next(iter(values))  # avg@n
    tokens = [s["tokens"] for s in samples]
    policy = samples[0].get("policy") or {}
    return {
        "bench": bench,
        "name": name,
        "prompts": len(values[avg]),
        "n": max(len(group) for group in by_prompt(samples).values()),
        avg: mean(list(values[avg].values())),
        f"{avg}_se": standard_error(list(values[avg].values())),
        **{metric: mean(list(v.values())) for metric, v in values.items() if metric != avg},
        "len_mean": mean(tokens),
        "len_max": max(tokens),
        "truncated": mean([float(s.get("finish_reason") == "length") for s in samples]),
        "no_answer": mean([float(s["verdict"].get("status") == "no_answer") for s in samples]),
        "model": policy.get("model"),
        "adapter": policy.get("adapter"),
        "version": policy.get("version"),
        "sampling": samples[0].get("sampling"),
        "verifier": samples[0].get("verifier"),
        "rlvrkit": __version__,
    }


@dataclass(frozen=True)
class Comparison:
    """One benchmark of two runs compared: the rows (one per metric), and what was compared: prompts in both, in one
    only, and each run's samples a prompt."""

    rows: list[dict]
    shared: int
    only: tuple[int, int]
    n: tuple[int, int]

    @property
    def uneven(self) -> bool:
        """Prompts were left out, or the runs drew different numbers of samples."""
        return any(self.only) or self.n[0] != self.n[1]

    def describe(self, bench: str) -> str:
        line = f"{bench}: compared {self.shared} {plural('prompt', self.shared)}"
        if any(self.only):
            line += f"; left out {self.only[0]} only in A and {self.only[1]} only in B"
        if self.n[0] != self.n[1]:
            line += (f"; A has {self.n[0]} samples a prompt and B {self.n[1]}: avg compared as the mean accuracy, "
                     f"pass@k and maj@k for k up to {min(self.n)}")  # fmt: skip
        return line


def compare(
    bench: str, a: list[dict], b: list[dict], ks: tuple[int, ...], opts: VerifyOptions, *, seed: int
) -> Comparison:
    """One line per metric: the mean on the prompts both runs have, b − a, and its 95% paired-bootstrap interval.
    avg@n is compared even when the runs' n differ (named ``avg@4 vs avg@8``): both estimate the mean accuracy."""
    va, vb = per_prompt(a, ks, opts), per_prompt(b, ks, opts)
    avg_a, avg_b = next(iter(va)), next(iter(vb))
    pairs = [(avg_a if avg_a == avg_b else f"{avg_a} vs {avg_b}", va[avg_a], vb[avg_b])]
    pairs += [(m, va[m], vb[m]) for m in va if m in vb and m != avg_a]
    shared = [key for key in va[avg_a] if key in vb[avg_b]]
    rows = []
    for metric, xa, xb in pairs if shared else ():
        xs, ys = [xa[key] for key in shared], [xb[key] for key in shared]
        delta, low, high = paired_bootstrap(xs, ys, seed=seed)
        rows.append({"bench": bench, "metric": metric, "prompts": len(shared), "a": mean(xs), "b": mean(ys),
                     "delta": delta, "low": low, "high": high})  # fmt: skip
    only = (len(va[avg_a]) - len(shared), len(vb[avg_b]) - len(shared))
    n = (int(avg_a.removeprefix("avg@")), int(avg_b.removeprefix("avg@")))
    return Comparison(rows, len(shared), only, n)


def show(rows: list[dict]) -> None:
    """The lines as a table on stderr: results with a column per benchmark and a row per metric; comparisons with a
    row per benchmark and metric."""
    import os

    from rich.console import Console
    from rich.table import Table

    if not rows:
        return
    if "delta" in rows[0]:
        table = Table("bench", "metric", "prompts", "a", "b", "b - a", "95% interval")
        for r in rows:
            span = f"[{r['low']:+.4f}, {r['high']:+.4f}]"
            table.add_row(r["bench"], r["metric"], str(r["prompts"]), *(f"{r[k]:.4f}" for k in ("a", "b")),
                          f"{r['delta']:+.4f}", span)  # fmt: skip
    else:
        metrics = [
            k for k in rows[0] if k == "prompts" or "@" in k or k in ("len_mean", "len_max", "truncated", "no_answer")
        ]
        table = Table("", *(r["bench"] + (f" ({r['name']})" if r.get("name") else "") for r in rows))
        for metric in metrics:
            table.add_row(metric, *(_cell(r.get(metric)) for r in rows))
    Console(stderr=True, no_color="NO_COLOR" in os.environ, highlight=False).print(table)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)
