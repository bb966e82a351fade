"""The seed of each completion: stable across runs, machines, batch layouts and engines.

A group (one prompt record, one pass over the prompts) has one seed, `group_seed`; its sample s is drawn with
``group_seed + s``. That is the rule vLLM applies to a request for n samples (child i of a request seeded s gets
s + i, vllm/v1/engine/parallel_sampling.py), so a group asked of a `vllm serve` in one request gets the same seeds as
the in-process vLLM engine, which asks for each sample on its own. No torch here: the server engine needs none.
"""

from __future__ import annotations

import hashlib


def group_seed(seed: int, key: str, epoch: int = 0) -> int:
    """A 62-bit seed for the group of prompt `key` in pass `epoch`, with room to add a sample index and stay a
    signed 64-bit integer (what vLLM's API accepts)."""
    text = f"{seed}\x00{epoch}\x00{key}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 2


def sequence_seed(seed: int, key: str, sample: int, epoch: int = 0) -> int:
    """The seed of sample `sample` of that group."""
    return group_seed(seed, key, epoch) + sample
