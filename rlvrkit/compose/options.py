"""What `rlvr compose` is asked: plain data with no sympy, so `rlvr --help` reads the defaults without loading the
exact arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 9  # two fresh variable names per junction, from the 17 of rlvrkit.compose.spc.NAMES


@dataclass(frozen=True)
class ComposeOptions:
    """`rlvr compose`'s options."""

    first: str | None = None  # the file the earlier problems come from; None: the input itself
    depth: int = 2  # problems per composed prompt
    candidates: int = 20  # chains tried per last problem (the paper's random subset of q1s)
    pairs: int | None = None  # stop after this many composed prompts
    seed: int = 0
    llm: str | None = None  # a local model folder that phrases the definitions

    def __post_init__(self):
        if self.depth < 2:
            raise ValueError("--depth must be at least 2 (depth 1 is the input itself)")
        if self.depth > MAX_DEPTH:
            raise ValueError(f"--depth must be at most {MAX_DEPTH} (each junction takes two of 17 variable names)")
        if self.candidates < 1:
            raise ValueError("--candidates must be at least 1")
        if self.pairs is not None and self.pairs < 1:
            raise ValueError("--pairs must be at least 1")
