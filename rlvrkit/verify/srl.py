"""The SRL step reward (Supervised Reinforcement Learning, arXiv 2510.25992).

The model thinks inside ``<think>…</think>`` and then writes only its next step, the action. The reward compares the
action alone with the expert's step: difflib's SequenceMatcher ratio over characters, 2M/T where M is the number of
matched characters and T the total length of both; the thinking is ignored. A completion that does not follow the
format (see rlvrkit.verify.text.split_think) gets −1 and status "format" before any worker is asked.
"""

from __future__ import annotations

from difflib import SequenceMatcher

FORMAT_PENALTY = -1.0


def similarity(action: str, expert: str) -> float:
    """SequenceMatcher(None, action, expert).ratio(): 1.0 for identical steps, 0.0 for nothing in common."""
    return SequenceMatcher(None, action, expert).ratio()


def check(reference: str, action: str) -> dict:
    return {"status": "ok", "extracted": action, "value": similarity(action, reference)}
