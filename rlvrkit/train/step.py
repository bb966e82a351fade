"""One batch of training: `updates_per_batch` optimizer steps over this rank's share of the batch.

For each optimizer step the batch is walked in micro-batches (by token budget) and gradients accumulate; the loss of
each micro-batch is normalised by the whole batch's sequence and token counts, so the accumulated gradient is the
batch's gradient whatever the split (see rlvrkit.losses). π_old is the policy at the start of the batch: with one
update per batch it is the current policy, detached (every ratio 1); with several, its logprobs are computed once,
before the first update.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import torch

from rlvrkit.losses import policy_loss
from rlvrkit.train.batch import Sample, collate, micro_batches
from rlvrkit.train.config import TrainConfig
from rlvrkit.train.dist import Dist, gradient_sync
from rlvrkit.train.logprobs import completion_logprobs
from rlvrkit.train.optim import lr_at, set_lr
from rlvrkit.train.policy import reference_logprobs
from rlvrkit.train.precision import autocast

# loss statistics averaged over the batch's completion tokens
TOKEN_MEANS = ("clip_frac", "kl", "is_ratio_mean")


@dataclass(frozen=True)
class BatchSize:
    """The whole batch's totals, which every micro-batch's loss is normalised by (see rlvrkit.losses)."""

    seqs: int
    tokens: int
    max_tokens: int | None  # dr-grpo's constant


def train_batch(
    model,
    reference,
    optimizer,
    mine: list[Sample],
    size: BatchSize,
    cfg: TrainConfig,
    dist: Dist,
    device: str,
    pad_id: int,
    step: int,
) -> list[dict]:
    """Run the optimizer steps for one batch (this rank's share is `mine`); one dict of loss metrics per step."""
    parts = _parts(mine, cfg, dist, device, pad_id)
    olds = _no_grad_logprobs(model, parts, device) if cfg.updates_per_batch > 1 else None
    refs = [reference_logprobs(model, reference, b, completion_logprobs) for b, _ in parts] if cfg.beta else None
    params = [p for p in model.parameters() if p.requires_grad]
    out = []
    for update in range(cfg.updates_per_batch):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        sums: Counter = Counter()  # update() adds every value, negative ones too (+= would drop them)
        for k, (b, real) in enumerate(parts):
            with gradient_sync(model, sync=k == len(parts) - 1), autocast(device):
                old = olds[k] if olds is not None else None
                sums.update(_backward(model, b, real, old, refs[k] if refs is not None else None, size, cfg, dist))
        grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        lr = lr_at(step + update, cfg)
        set_lr(optimizer, lr)
        optimizer.step()
        out.append(_step_metrics(dist.sum_by_name(sums, device), grad_norm, lr, time.perf_counter() - start))
    return out


def _parts(mine: list[Sample], cfg: TrainConfig, dist: Dist, device: str, pad_id: int) -> list[tuple[dict, bool]]:
    """This rank's micro-batches as (tensors, real). Every rank runs at least one (the last one carries the gradient
    all-reduce), and under FSDP the same number (each forward gathers the sharded weights); padding ones are not real
    and have zero loss."""
    parts = [(collate(m, pad_id, device), True) for m in micro_batches(mine, cfg.micro_tokens)]
    want = dist.max(len(parts), device) if cfg.fsdp else max(len(parts), 1)
    return parts + [(collate([_PLACEHOLDER], pad_id, device), False)] * (want - len(parts))


def _backward(model, b: dict, real: bool, old, ref, size: BatchSize, cfg: TrainConfig, dist: Dist) -> Counter:
    """Forward, loss and backward of one micro-batch; returns its sums: loss, and each of TOKEN_MEANS × tokens."""
    stats: dict = {}
    logp = completion_logprobs(model, b)
    loss = policy_loss(
        logp,
        old if old is not None else logp.detach(),
        b["advantages"],
        b["mask"],
        loss=cfg.objective,
        eps_low=cfg.clip[0],
        eps_high=cfg.clip[1],
        beta=cfg.beta,
        ref_logprobs=ref,
        max_tokens=size.max_tokens,
        behaviour_logprobs=b["behaviour"],
        tis=cfg.tis,
        tis_cap=cfg.tis_cap,
        tis_mode=cfg.tis_mode,
        num_seqs=size.seqs,
        num_tokens=size.tokens,
        stats=stats,
    )
    if not real:
        loss = loss * 0.0
    (loss * dist.world).backward()  # DDP averages gradients over ranks; the loss is a sum over them
    tokens = float(b["mask"].sum()) if real else 0.0
    return Counter({"loss": loss.item(), "tokens": tokens, **{k: stats[k] * tokens for k in TOKEN_MEANS}})


def _step_metrics(sums: dict, grad_norm, lr: float, seconds: float) -> dict:
    if hasattr(grad_norm, "full_tensor"):  # FSDP2 returns a sharded norm
        grad_norm = grad_norm.full_tensor()
    tokens = max(sums.get("tokens", 0.0), 1e-12)
    means = {k: sums.get(k, 0.0) / tokens for k in TOKEN_MEANS}
    return {"loss": sums.get("loss", 0.0), **means, "grad_norm": float(grad_norm), "lr": lr, "seconds": seconds}


def _no_grad_logprobs(model, parts, device) -> list[torch.Tensor]:
    with torch.no_grad(), autocast(device):
        return [completion_logprobs(model, b) for b, _ in parts]


_PLACEHOLDER = Sample([0], [0], None, 0.0, 0.0, 1.0, 0)
