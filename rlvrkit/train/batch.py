"""From verified rollout records to padded tensors: the samples of a batch, its micro-batches, and their layout.

A sample is one completion to learn from: the token ids rollout recorded (no re-tokenising guesswork), its advantage,
the behaviour logprobs, the sampling temperature, the policy version that produced it, and whether it was cut at
max tokens (finish_reason "length").

Layout of a micro-batch: prompts are left-padded and completions right-padded, so every completion starts at the same
column P (the longest prompt) and the logits for all completion tokens are the last C + 1 positions of the forward
pass (C the longest completion). Position ids count real tokens only, as in rollout, so a fresh forward pass
reproduces the logprobs rollout recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rlvrkit.errors import InvalidRecord
from rlvrkit.groups import Scored
from rlvrkit.records import check_train_record


@dataclass(frozen=True)
class Sample:
    prompt_ids: list[int]
    completion_ids: list[int]
    behaviour: list[float] | None
    advantage: float
    reward: float
    temperature: float
    version: int
    truncated: bool = False

    @property
    def tokens(self) -> int:
        return len(self.prompt_ids) + len(self.completion_ids)

    def to_json(self) -> dict:
        return self.__dict__.copy()


def batch_samples(batch: list[Scored]) -> list[Sample]:
    """The samples of a batch of kept groups, each record with its group's advantage for it."""
    return [_sample(rec, a) for scored in batch for rec, a in zip(scored.records, scored.advantages)]


def _sample(rec: dict, advantage: float) -> Sample:
    sampling = rec.get("sampling") if isinstance(rec.get("sampling"), dict) else {}
    temperature = sampling.get("temperature") or 1.0  # greedy rollouts recorded the raw distribution
    policy = rec.get("policy") if isinstance(rec.get("policy"), dict) else {}
    return Sample(
        prompt_ids=rec["prompt_ids"],
        completion_ids=rec["completion_ids"],
        behaviour=rec.get("logprobs"),
        advantage=advantage,
        reward=float(rec["reward"]),
        temperature=float(temperature),
        version=int(policy.get("version") or 0),
        truncated=rec.get("finish_reason") == "length",
    )


def record_check(vocab: int):
    """The check of a record this model can train on: rlvr's train record (rlvrkit.records), token ids below the
    model's vocabulary size, a sampling temperature that is a number at least 0, a policy version that is a whole
    number at least 0. Raises `InvalidRecord`, which the reader reports with the line."""

    def check(rec: dict) -> None:
        check_train_record(rec)
        for key in ("prompt_ids", "completion_ids"):
            if any(i >= vocab for i in rec[key]):
                raise InvalidRecord(f"'{key}' holds {max(rec[key])}, beyond the model's {vocab} tokens")
        sampling = rec.get("sampling") if isinstance(rec.get("sampling"), dict) else {}
        t = sampling.get("temperature")
        if t is not None and (type(t) not in (int, float) or not math.isfinite(t) or t < 0):
            raise InvalidRecord(f"'sampling.temperature' must be a number at least 0, not {t!r:.40}")
        policy = rec.get("policy") if isinstance(rec.get("policy"), dict) else {}
        v = policy.get("version")
        if v is not None and (type(v) is not int or not 0 <= v < 2**53):
            raise InvalidRecord(f"'policy.version' must be a whole number at least 0, not {v!r:.40}")

    return check


def micro_batches(samples: list[Sample], budget: int) -> list[list[Sample]]:
    """Split samples into micro-batches whose padded size (count × (longest prompt + longest completion)) stays
    within `budget` tokens; longest first, so similar lengths share padding. A sample longer than the budget goes
    alone."""
    out: list[list[Sample]] = []
    current: list[Sample] = []
    p = c = 0
    for s in sorted(samples, key=lambda s: s.tokens, reverse=True):
        np_, nc = max(p, len(s.prompt_ids)), max(c, len(s.completion_ids))
        if current and (len(current) + 1) * (np_ + nc) > budget:
            out.append(current)
            current, np_, nc = [], len(s.prompt_ids), len(s.completion_ids)
        current.append(s)
        p, c = np_, nc
    if current:
        out.append(current)
    return out


def shard(samples: list[Sample], rank: int, world: int) -> list[Sample]:
    """This rank's share of a batch: longest first, dealt round-robin, so every rank gets a similar token count."""
    ordered = sorted(samples, key=lambda s: s.tokens, reverse=True)
    return ordered[rank::world]


def collate(samples: list[Sample], pad_id: int, device):
    """Tensors for one micro-batch (see the module docstring for the layout)."""
    import torch

    P = max(len(s.prompt_ids) for s in samples)
    C = max(max(len(s.completion_ids) for s in samples), 1)
    rows, attn, comp_mask, targets, behaviour = [], [], [], [], []
    for s in samples:
        lp, lc = len(s.prompt_ids), len(s.completion_ids)
        rows.append([pad_id] * (P - lp) + s.prompt_ids + s.completion_ids + [pad_id] * (C - lc))
        attn.append([0] * (P - lp) + [1] * (lp + lc) + [0] * (C - lc))
        comp_mask.append([1] * lc + [0] * (C - lc))
        targets.append(s.completion_ids + [pad_id] * (C - lc))
        behaviour.append((s.behaviour or [0.0] * lc) + [0.0] * (C - lc))
    attention_mask = torch.tensor(attn, device=device)
    return {
        "input_ids": torch.tensor(rows, device=device),
        "attention_mask": attention_mask,
        "position_ids": (attention_mask.cumsum(-1) - 1).clamp(min=0),
        "targets": torch.tensor(targets, device=device),
        "mask": torch.tensor(comp_mask, device=device, dtype=torch.float32),
        "behaviour": torch.tensor(behaviour, device=device, dtype=torch.float32),
        "has_behaviour": torch.tensor([s.behaviour is not None for s in samples], device=device),
        "truncated": torch.tensor([s.truncated for s in samples], device=device),
        "advantages": torch.tensor([s.advantage for s in samples], device=device, dtype=torch.float32),
        "temperature": torch.tensor([s.temperature for s in samples], device=device, dtype=torch.float32),
        "completion_len": C,
    }
