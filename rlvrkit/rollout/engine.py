"""The one protocol a rollout engine keeps, and what goes in and out of it.

An engine turns a batch of `Request`s (token ids of a rendered prompt, plus the prompt id and sample index that seed
its randomness) into one `Completion` each: every sampled token id (the EOS token included when generation ended on
it), the behaviour logprob of each, the decoded text and why it stopped. `load(policy)` switches the weights between
batches (base model, a LoRA adapter on it, or a full checkpoint). How a completion ends (EOS, stop strings, text) is
`rlvrkit.rollout.finish`; which engine runs and everything around it (prompts, groups, records) is
`rlvrkit.rollout.run`; which weights generate now (--watch) is `rlvrkit.rollout.watch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rlvrkit.rollout.options import Sampling


@dataclass(frozen=True)
class Request:
    prompt_ids: list[int]
    key: str  # the prompt record's id
    sample: int  # 0..n-1 within its group
    epoch: int = 0  # which pass over the prompts (--watch, --epochs), so each pass draws fresh samples


@dataclass
class Completion:
    token_ids: list[int]
    logprobs: list[float]
    text: str
    finish_reason: str  # "stop" (EOS or a stop string) or "length" (max_tokens reached)


@dataclass(frozen=True)
class Policy:
    """Which weights generate: the base --model, optionally a LoRA adapter, or a full checkpoint folder."""

    model: str  # the --model path as given
    adapter: str | None = None
    version: int = 0  # 0: the starting weights; else the checkpoint version loaded
    full: str | None = None  # a full-weights checkpoint folder that replaces the base weights

    def record(self) -> dict:
        return {"model": self.model, "adapter": self.adapter, "version": self.version}


class Engine(Protocol):
    name: str
    tokenizer: object  # the --model folder's tokenizer: prompts are rendered with it, completions decoded with it

    def load(self, policy: Policy) -> None:
        """Generate with `policy` from now on (a no-op when it is already loaded)."""

    def generate(self, requests: list[Request], params: Sampling) -> list[Completion]:
        """One completion per request, in the order of `requests`."""
