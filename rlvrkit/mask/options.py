"""What `rlvr mask` is asked."""

from __future__ import annotations

import re
from dataclasses import dataclass

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # option letters: --options is at most 26


@dataclass(frozen=True)
class MaskOptions:
    """`rlvr mask`'s options."""

    mode: str = "math"  # math: prompt + solution; passage: text
    span_steps: str = "1-3"  # MIN-MAX steps in the hidden span
    n_options: int = 9  # --options: options per item: the span and options-1 distractors
    seed: int = 0
    llm: str | None = None  # a local model folder: the paper's pipeline first, the rules as the fallback
    llm_max_tokens: int = 1024
    extract: bool = False  # with --llm and --mode passage: first extract a clean passage from noisy text

    def __post_init__(self):
        self.steps_range  # noqa: B018 (refuses a bad --span-steps now)
        if self.mode not in ("math", "passage"):
            raise ValueError("--mode must be math or passage")
        if not 2 <= self.n_options <= len(LETTERS):
            raise ValueError(f"--options must be between 2 and {len(LETTERS)}")
        if self.extract and (self.llm is None or self.mode != "passage"):
            raise ValueError("--extract needs --llm MODEL and --mode passage")
        if self.llm_max_tokens < 1:
            raise ValueError("--llm-max-tokens must be >= 1")

    @property
    def steps_range(self) -> tuple[int, int]:
        """--span-steps "2-4" → (2, 4); "2" → (2, 2)."""
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", self.span_steps)
        lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
        if not 1 <= lo <= hi:
            raise ValueError(f"--span-steps must be MIN-MAX with 1 <= MIN <= MAX, got {self.span_steps!r}")
        return lo, hi
