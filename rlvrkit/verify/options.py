"""What `rlvr verify` computes: the reward terms and their weights, and the options of the verifiers.

A reward spec is a comma-separated list of ``term[:weight]`` (weight 1 when left out); the reward is the weighted sum
of the terms' values:

- ``task``: the record's own verifier, chosen by its `task` field (math when absent) or by ``--task``;
- ``math``, ``mcq``, ``srl``: that verifier, whatever the record's task (values: math and mcq 1 or 0; srl the
  similarity in [0, 1], −1 when the format is not followed);
- ``format``: 1 when the completion is ``<think>…</think>`` then a non-empty answer, else 0;
- ``length``: DAPO's soft overlong penalty, 0 down to −1.

The default spec is ``task``. The record's verdict status is that of the first correctness term (task, math, mcq,
srl); with none, that of ``format``; with neither, "ok".
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from rlvrkit.records import TASKS

CORRECTNESS = ("task", *TASKS)
TERMS = (*CORRECTNESS, "format", "length")
STATUSES = ("ok", "wrong", "no_answer", "timeout", "bad_reference", "format")
MAX_JOBS_A_CORE = 8  # --jobs beyond this many workers a core (4 cores at least) is refused: they fork at once


def parse_reward(spec: str) -> tuple[tuple[str, float], ...]:
    """``"math:1,format:0.1"`` → (("math", 1.0), ("format", 0.1)). Raises ValueError naming what is wrong."""
    terms: list[tuple[str, float]] = []
    for part in spec.split(","):
        name, colon, weight = part.strip().partition(":")
        name = name.strip()
        if not name:
            raise ValueError(f"empty term in {spec!r}")
        if name not in TERMS:
            raise ValueError(f"unknown term {name!r}; choose from {', '.join(TERMS)}")
        if name in (n for n, _ in terms):
            raise ValueError(f"term {name!r} given twice")
        try:
            w = float(weight) if colon else 1.0
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {weight.strip()!r}") from None
        if not math.isfinite(w):
            raise ValueError(f"weight of {name!r} must be finite")
        terms.append((name, w))
    return tuple(terms)


def cores() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class VerifyOptions:
    """`rlvr verify`'s options."""

    terms: tuple[tuple[str, float], ...] = (("task", 1.0),)  # --reward, parsed by parse_reward
    task: str | None = None  # force this verifier for the `task` term
    jobs: int | None = None  # worker processes; None: one per CPU core
    timeout: float = 5.0  # seconds per record, at most
    max_chars: int = 20_000  # longest completion text a verifier sees (the tail is kept)
    precision: int = 6  # math: decimal places floats are rounded to before comparing
    strict: bool = True  # math: math-verify's strict comparison (variables matter; sets are not tuples)
    boxed_only: bool = False  # math: only a \boxed{} answer counts
    max_len: int | None = None  # length: L_max in tokens (default: the record's sampling.max_tokens)
    len_cache: int | None = None  # length: L_cache in tokens (default: a fifth of L_max, DAPO's 4096 of 20480)

    def __post_init__(self):
        if isinstance(self.terms, str):
            object.__setattr__(self, "terms", parse_reward(self.terms))
        if self.jobs is None:
            object.__setattr__(self, "jobs", cores())
        if self.jobs > (limit := MAX_JOBS_A_CORE * max(cores(), 4)):
            raise ValueError(
                f"--jobs {self.jobs} is more than {limit} ({MAX_JOBS_A_CORE} a core): every worker is a process "
                "started at once, and verifying is CPU-bound"
            )
        if self.max_len is not None and self.len_cache is not None and self.len_cache > self.max_len:
            raise ValueError(f"--len-cache {self.len_cache} is more than --max-len {self.max_len}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.terms)

    def verifiers(self) -> set[str]:
        """The correctness terms in the spec (`task` included as itself)."""
        return {name for name in self.names if name in CORRECTNESS}
