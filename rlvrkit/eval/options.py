"""What `rlvr eval` is asked to do. Plain data, no torch, so the command line reads its defaults from here."""

from __future__ import annotations

from dataclasses import dataclass

from rlvrkit.rollout.options import RolloutOptions
from rlvrkit.verify.options import VerifyOptions

SAMPLES = 16  # -n by default: enough for pass@k and maj@k up to 16


@dataclass(frozen=True)
class EvalOptions:
    """`rlvr eval`'s options: the metrics, where samples come from or go, and how to sample and verify."""

    k: tuple[int, ...] = (1,)
    bench: tuple[str, ...] = ()  # NAME=FILE, each a benchmark (default: the input, named after it)
    name: str | None = None  # a label for the run, in every result line
    per_sample: str | None = None  # keep every verified completion here
    from_samples: str | None = None  # recompute the metrics from such a file, without a model
    compare: tuple[str, ...] = ()  # two samples files: per-benchmark differences
    seed: int = 0
    rollout: RolloutOptions | None = None  # None without a model (--from-samples, --compare)
    verify: VerifyOptions = VerifyOptions()

    def __post_init__(self):
        if self.rollout is not None and self.rollout.model is None:  # no --model: nothing to sample with
            object.__setattr__(self, "rollout", None)
        if isinstance(self.k, str):
            object.__setattr__(self, "k", parse_ks(self.k))
        modes = sum(map(bool, (self.from_samples, self.compare, self.rollout)))
        if modes != 1:
            raise ValueError("give --model to sample, or --from-samples FILE, or --compare A B (one of them)")
        if self.rollout is not None and self.k[-1] > self.rollout.n:
            raise ValueError(
                f"-k {self.k[-1]} is more than -n {self.rollout.n}: pass@k and maj@k need k samples a prompt"
            )
        names = []
        for spec in self.bench:
            name, _, path = spec.partition("=")
            if not name or not path:
                raise ValueError(f"--bench takes NAME=FILE, not {spec!r}")
            if name in names:
                raise ValueError(f"--bench {name} is given twice: one name a benchmark")
            names.append(name)


def bench_files(specs) -> list[str]:
    """The files of --bench NAME=FILE options (what is after the first '=')."""
    return [spec.partition("=")[2] or spec for spec in specs or ()]


def parse_ks(text: str) -> tuple[int, ...]:
    """``1,4,16`` → (1, 4, 16); a usage error (ValueError) for anything but positive integers."""
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise ValueError(f"-k takes positive integers separated by commas, not {text!r}") from None
    if not ks or ks[0] < 1:
        raise ValueError(f"-k takes positive integers separated by commas, not {text!r}")
    return ks
