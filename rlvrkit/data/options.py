"""What the prompt-making commands are asked: their options, plain data with no sympy, so `rlvr --help` and the
command line read the defaults from here without loading the machinery (rlvrkit.data.compose, rlvrkit.data.steps)."""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("auto", "numbered", "paragraph", "sentence")


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
        if self.candidates < 1:
            raise ValueError("--candidates must be at least 1")
        if self.pairs is not None and self.pairs < 1:
            raise ValueError("--pairs must be at least 1")


@dataclass(frozen=True)
class StepsOptions:
    """`rlvr steps`'s options."""

    split: str = "auto"  # auto | numbered | paragraph | sentence
    with_title: bool = False  # also show the next step's title (numbered steps with one)
    system: str | None = None  # the system prompt of every record; None: SRL's
    min_chars: int = 40  # a shorter fragment joins its neighbour

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"--split must be one of {', '.join(SPLITS)}")
        if self.min_chars < 0:
            raise ValueError("--min-chars must be >= 0")
