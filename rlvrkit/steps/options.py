"""What `rlvr steps` is asked."""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("auto", "numbered", "paragraph", "sentence")


@dataclass(frozen=True)
class StepsOptions:
    """`rlvr steps`'s options."""

    split: str = "auto"  # auto | numbered | paragraph | sentence
    with_title: bool = False  # also show the next step's title (numbered steps with one)
    system: str | None = None  # the system prompt of every record; None: SRL's
    min_chars: int = 40  # a shorter fragment joins its neighbour
    max_chars: int = 32000  # a longer record (prompt and answer) is left out, with the rest of its solution; 0: any

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"--split must be one of {', '.join(SPLITS)}")
        if self.min_chars < 0:
            raise ValueError("--min-chars must be >= 0")
        if self.max_chars < 0:
            raise ValueError("--max-chars must be >= 0 (0: no limit)")
