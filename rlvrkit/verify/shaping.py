"""Shaping terms that need no reference: the think format, and DAPO's soft overlong penalty."""

from __future__ import annotations

from rlvrkit.verify.text import split_think


def format_reward(completion: str) -> float:
    """1.0 when the completion is ``<think>…</think>`` followed by a non-empty answer (see split_think), else 0.0."""
    return 0.0 if split_think(completion) is None else 1.0


def length_penalty(tokens: int, max_len: int, cache: int) -> float:
    """DAPO's soft overlong punishment (arXiv 2503.14476), in [-1, 0]:

    0 up to max_len − cache tokens, then falling linearly to −1 at max_len, and −1 beyond it.
    """
    free = max_len - cache
    if tokens <= free:
        return 0.0
    if tokens <= max_len:
        return (free - tokens) / cache
    return -1.0


def default_cache(max_len: int) -> int:
    """L_cache when none is given: a fifth of L_max, DAPO's proportion (4096 of 20480)."""
    return max_len // 5
