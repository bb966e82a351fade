"""From verified rollout records to padded tensors: the samples of a batch, its micro-batches, and their layout.

A sample is one completion to learn from: the token ids rollout recorded (no re-tokenising guesswork), its advantage,
the behaviour logprobs, the sampling temperature and the policy version that produced it.

Layout of a micro-batch: prompts are left-padded and completions right-padded, so every completion starts at the same
column P (the longest prompt) and the logits for all completion tokens are the last C + 1 positions of the forward
pass (C the longest completion). Position ids count real tokens only, as in rollout, so a fresh forward pass
reproduces the logprobs rollout recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlvrkit.groups import Scored


@dataclass(frozen=True)
class Sample:
    prompt_ids: list[int]
    completion_ids: list[int]
    behaviour: list[float] | None
    advantage: float
    reward: float
    temperature: float
    version: int

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
    )


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
        "advantages": torch.tensor([s.advantage for s in samples], device=device, dtype=torch.float32),
        "temperature": torch.tensor([s.temperature for s in samples], device=device, dtype=torch.float32),
        "completion_len": C,
    }
