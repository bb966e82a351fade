"""One batch of training: `updates_per_batch` optimizer steps over this rank's share of the batch.

For each optimizer step the batch is walked in micro-batches (by token budget) and gradients accumulate; the loss of
each micro-batch is normalised by the whole batch's sequence and token counts, so the accumulated gradient is the
batch's gradient whatever the split (see rlvrkit.train.losses). π_old is the policy at the start of the batch: with one
update per batch it is the current policy, detached (every ratio 1); with several, its logprobs are computed once,
before the first update.

Per-token log-probabilities come from one forward pass over prompt and completion: only the completion positions go
through the LM head (`logits_to_keep`), and the log-softmax is taken in float32 whatever the model's dtype, so bf16
training does not round the ratios that the clip ranges of GSPO and LUSPO (a few 1e-4) depend on. On a GPU the
forward pass runs under bf16 autocast. The same logits give the policy's entropy, and the logprobs its mismatch with
the behaviour policy (rlvrkit.train.diagnostics), summed over the step beside the loss.

A sample without behaviour logprobs is its own behaviour policy (π_old stands in for μ): importance sampling leaves
it at weight 1 and the off-policy mask never drops it. With --mask-truncated, a completion cut at max tokens has no
loss term (it still counts in the entropy and the mismatch).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

import torch

from rlvrkit.errors import Failure
from rlvrkit.train.batch import Sample, collate, micro_batches
from rlvrkit.train.diagnostics import mismatch_sums, token_entropy
from rlvrkit.train.dist import Dist, gradient_sync
from rlvrkit.train.losses import policy_loss
from rlvrkit.train.options import TrainConfig
from rlvrkit.train.policy import reference_logprobs

# loss statistics averaged over the batch's completion tokens (the ones with a loss term); diagnostics averaged over
# every completion token, over those with behaviour logprobs, over the sequences
TOKEN_MEANS = ("clip_frac", "kl", "is_ratio_mean")
MEANS = {"entropy": "completion_tokens", "mismatch_log_ratio": "behaviour_tokens", "mismatch_k3": "behaviour_tokens",
         "off_policy_masked": "seqs"}  # fmt: skip


@dataclass(frozen=True)
class BatchSize:
    """The whole batch's totals, which every micro-batch's loss is normalised by (see rlvrkit.train.losses)."""

    seqs: int
    tokens: int
    max_tokens: int | None  # dr-grpo's constant


@dataclass(kw_only=True)
class Learner:
    """What an update works on: the model (wrapped for DDP or FSDP), its frozen reference (None: none, or LoRA's base
    serves), the optimizer, the run's settings, the process group, the device and the padding token."""

    model: object
    reference: object
    optimizer: torch.optim.Optimizer
    cfg: TrainConfig
    dist: Dist
    device: str
    pad_id: int


@dataclass
class Micro:
    """One micro-batch: its tensors (`collate`), whether it is real (a padding one only keeps ranks in step), and
    the logprobs of π_old and of the reference on it, when they are needed."""

    tensors: dict
    real: bool = True
    old: torch.Tensor | None = None
    ref: torch.Tensor | None = None


def train_batch(
    learner: Learner, mine: list[Sample], size: BatchSize, step: int, *, tis: str | None = None
) -> list[dict]:
    """Run the optimizer steps for one batch (this rank's share is `mine`); one dict of loss metrics per step. `tis`:
    the importance-sampling level for this batch (TrainConfig.correction), None for none."""
    cfg = learner.cfg
    parts = _parts(learner, mine)
    params = [p for p in learner.model.parameters() if p.requires_grad]
    out = []
    for update in range(cfg.updates_per_batch):
        start = time.perf_counter()
        learner.optimizer.zero_grad(set_to_none=True)
        sums: Counter = Counter()  # update() adds every value, negative ones too (+= would drop them)
        for k, micro in enumerate(parts):
            with gradient_sync(learner.model, sync=k == len(parts) - 1), autocast(learner.device):
                sums.update(_backward(learner, micro, size, tis))
        grad_norm = _finite_or_stop(torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm), mine, step + update)
        lr = lr_at(step + update, cfg)
        set_lr(learner.optimizer, lr)
        learner.optimizer.step()
        sums = learner.dist.sum_by_name(sums, learner.device)
        out.append(_step_metrics(sums, grad_norm, lr, time.perf_counter() - start))
    return out


def _finite_or_stop(grad_norm, mine: list[Sample], step: int) -> float:
    """The gradient's norm, when finite; else `Failure` before the optimizer steps, so that no weight turns NaN and
    the versions already published stay the run's last good ones."""
    if hasattr(grad_norm, "full_tensor"):  # FSDP2 returns a sharded norm
        grad_norm = grad_norm.full_tensor()
    norm = float(grad_norm)
    if not math.isfinite(norm):
        largest = max((abs(s.advantage) for s in mine), default=0.0)
        raise Failure(
            f"step {step + 1}: the gradient is not finite (the largest |advantage| in the batch is {largest:.3g}); "
            "the step was not taken, and the run stops at its last version"
        )
    return norm


def _parts(learner: Learner, mine: list[Sample]) -> list[Micro]:
    """This rank's micro-batches. Every rank runs at least one (the last one carries the gradient all-reduce), and
    under FSDP the same number (each forward gathers the sharded weights); padding ones are not real and have zero
    loss. With several updates per batch π_old's logprobs are taken now; with β > 0, the reference's."""
    cfg, dist, device, pad = learner.cfg, learner.dist, learner.device, learner.pad_id
    parts = [Micro(collate(m, pad, device)) for m in micro_batches(mine, cfg.micro_tokens)]
    want = dist.max(len(parts), device) if cfg.fsdp else max(len(parts), 1)
    parts += [Micro(collate([_PLACEHOLDER], pad, device), real=False) for _ in range(want - len(parts))]
    for micro in parts:
        if cfg.updates_per_batch > 1:
            with torch.no_grad(), autocast(device):
                micro.old = completion_logprobs(learner.model, micro.tensors)
        if cfg.beta:
            micro.ref = reference_logprobs(learner.model, learner.reference, micro.tensors, completion_logprobs)
    return parts


def _backward(learner: Learner, micro: Micro, size: BatchSize, tis: str | None) -> Counter:
    """Forward, loss and backward of one micro-batch; returns its sums: loss, each of TOKEN_MEANS × tokens, and the
    diagnostics (MEANS) with their counts."""
    cfg, b = learner.cfg, micro.tensors
    stats: dict = {}
    logp, entropy = logprobs_and_entropy(learner.model, b)
    old = micro.old if micro.old is not None else logp.detach()
    behaviour = torch.where(b["has_behaviour"][:, None], b["behaviour"], old)
    mask = b["mask"] * ~b["truncated"][:, None] if cfg.mask_truncated else b["mask"]
    loss = policy_loss(
        logp,
        old,
        b["advantages"],
        mask,
        loss=cfg.objective,
        eps_low=cfg.clip[0],
        eps_high=cfg.clip[1],
        tau_pos=cfg.taus[0],
        tau_neg=cfg.taus[1],
        beta=cfg.beta,
        ref_logprobs=micro.ref,
        max_tokens=size.max_tokens,
        behaviour_logprobs=behaviour,
        tis=tis,
        tis_cap=cfg.tis_cap,
        tis_mode=cfg.tis_mode,
        off_policy_mask=cfg.off_policy_mask,
        num_seqs=size.seqs,
        num_tokens=size.tokens,
        stats=stats,
    )
    if not micro.real:
        loss = loss * 0.0
    (loss * learner.dist.world).backward()  # DDP averages gradients over ranks; the loss is a sum over them
    tokens = float(mask.sum())
    sums = {"loss": loss.item(), "tokens": tokens, **{k: stats[k] * tokens for k in TOKEN_MEANS}}
    sums |= _diagnostics(logp, entropy, b, stats)
    # a padding micro-batch counts nothing, under the same names (every rank sums the same names)
    return Counter(sums if micro.real else dict.fromkeys(sums, 0.0))


def _diagnostics(logp: torch.Tensor, entropy: torch.Tensor, b: dict, stats: dict) -> dict:
    """The diagnostics' sums over one micro-batch, with the counts they are averaged by (MEANS)."""
    seqs = float(b["mask"].shape[0])
    return {
        "entropy": float((entropy * b["mask"]).sum()),
        "completion_tokens": float(b["mask"].sum()),
        "off_policy_masked": stats["off_policy_masked"] * seqs,
        "seqs": seqs,
        **mismatch_sums(logp.detach(), b["behaviour"], b["mask"] * b["has_behaviour"][:, None]),
    }


def completion_logprobs(model, batch: dict) -> torch.Tensor:
    """[B, C] log π(y_t | x, y_<t) = log softmax(logits / T) at each sampled token, for a micro-batch laid out by
    `rlvrkit.train.batch.collate`."""
    logits = _completion_logits(model, batch)
    picked = logits.gather(-1, batch["targets"][..., None]).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)


def logprobs_and_entropy(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """`completion_logprobs`, and the policy's entropy at each completion position (no gradient) from the same
    logits."""
    logits = _completion_logits(model, batch)
    lse = torch.logsumexp(logits, dim=-1)
    picked = logits.gather(-1, batch["targets"][..., None]).squeeze(-1)
    return picked - lse, token_entropy(logits.detach(), lse.detach())


def _completion_logits(model, batch: dict) -> torch.Tensor:
    """[B, C, V] float32 logits / T at the completion positions."""
    C = batch["completion_len"]
    out = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=batch["position_ids"],
        logits_to_keep=C + 1,
        use_cache=False,
    )
    return out.logits[:, :-1].float() / batch["temperature"][:, None, None]


def autocast(device: str):
    """bf16 autocast on a GPU; a no-op context on the CPU."""
    if device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for optimizer step `step` (0-based): linear warm-up, then constant, linear or cosine decay."""
    base = cfg.learning_rate
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return base * (step + 1) / cfg.warmup_steps
    if cfg.lr_schedule == "constant" or not cfg.max_steps:
        return base
    span = max(cfg.max_steps - cfg.warmup_steps, 1)
    progress = min(max(step - cfg.warmup_steps, 0) / span, 1.0)
    if cfg.lr_schedule == "linear":
        return base * (1 - progress)
    return base * 0.5 * (1 + math.cos(math.pi * progress))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _step_metrics(sums: dict, grad_norm: float, lr: float, seconds: float) -> dict:
    tokens = max(sums.get("tokens", 0.0), 1e-12)
    means = {k: sums.get(k, 0.0) / tokens for k in TOKEN_MEANS}
    # None where nothing was measured: no record of the step carried behaviour logprobs
    diagnostics = {k: sums[k] / sums[n] if sums.get(n) else None for k, n in MEANS.items()}
    return {"loss": sums.get("loss", 0.0), **means, **diagnostics, "grad_norm": float(grad_norm), "lr": lr,
            "seconds": seconds}  # fmt: skip


_PLACEHOLDER = Sample([0], [0], None, 0.0, 0.0, 1.0, 0)
