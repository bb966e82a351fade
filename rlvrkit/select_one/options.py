"""What `rlvr select-one` is asked."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rlvrkit.select_one.skills import salient_set

METHODS = ("variance", "lim", "pass-rate", "skills")


@dataclass(frozen=True)
class SelectOneOptions:
    """`rlvr select-one`'s options."""

    by: str = "variance"  # variance | lim | pass-rate | skills
    top: int = 1  # how many prompts to write, best first; 0: every prompt (with lim: every one above min_score)
    repeat: int = 1  # copies of each chosen prompt
    min_score: float = 0.6  # with lim: keep prompts scoring at least this
    target: float | None = None  # with pass-rate: the accuracy to be closest to
    missing: str = "backfill"  # backfill (LIMR) | drop
    over: str = "auto"  # auto | epoch | step | version: what a pass of the history is
    solved_at: float = 1.0  # a rollout record is solved when its reward is at least this
    llm: str | None = None  # with skills: the local model that tags them
    llm_max_tokens: int = 256
    salient: str = "algebra,precalculus"  # with skills: the skills that count

    def __post_init__(self):
        if self.by == "pass-rate" and (self.target is None or not 0 <= self.target <= 1):
            raise ValueError("--by pass-rate needs --target between 0 and 1")
        if self.by != "pass-rate" and self.target is not None:
            raise ValueError("--target goes with --by pass-rate")
        if (self.by == "skills") != (self.llm is not None):
            raise ValueError("--by skills needs --llm MODEL, and --llm is only used by --by skills")
        if self.top < 0 or self.repeat < 1:
            raise ValueError("--top must be >= 0 and --repeat >= 1")
        if not (math.isfinite(self.min_score) and math.isfinite(self.solved_at)):
            raise ValueError("--min-score and --solved-at must be finite numbers")
        salient_set(self.salient)
