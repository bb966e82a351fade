"""One batch of training: `updates_per_batch` optimizer steps over this rank's share of the batch.

For each optimizer step the batch is walked in micro-batches (by token budget) and gradients accumulate; the loss of
each micro-batch is normalised by the whole batch's sequence and token counts, so the accumulated gradient is the
batch's gradient whatever the split (see rlvrkit.losses). π_old is the policy at the start of the batch: with one
update per batch it is the current policy, detached (every ratio 1); with several, its logprobs are computed once,
before the first update.
"""

from __future__ import annotations

import time

import torch

from rlvrkit.losses import policy_loss
from rlvrkit.train.batch import Sample, collate, micro_batches
from rlvrkit.train.config import TrainConfig
from rlvrkit.train.dist import Dist, gradient_sync
from rlvrkit.train.logprobs import completion_logprobs
from rlvrkit.train.policy import autocast, lr_at, reference_logprobs


def train_batch(
    model,
    reference,
    optimizer,
    mine: list[Sample],
    *,
    num_seqs: int,
    num_tokens: int,
    cfg: TrainConfig,
    dist: Dist,
    device: str,
    pad_id: int,
    max_tokens: int | None,
    step: int,
) -> list[dict]:
    """Run the optimizer steps for one batch; returns one dict of loss metrics per optimizer step."""
    # Every rank runs at least one micro-batch (the last one carries the gradient all-reduce), and under FSDP the
    # same number of them (each forward gathers the sharded weights); the padding ones have zero loss.
    parts = [(collate(m, pad_id, device), True) for m in micro_batches(mine, cfg.micro_tokens)]
    want = dist.max(len(parts), device) if cfg.fsdp else max(len(parts), 1)
    parts += [(collate([_PLACEHOLDER], pad_id, device), False)] * (want - len(parts))
    olds = _no_grad_logprobs(model, parts, device) if cfg.updates_per_batch > 1 else None
    refs = [reference_logprobs(model, reference, b, completion_logprobs) for b, _ in parts] if cfg.beta else None
    params = [p for p in model.parameters() if p.requires_grad]
    out = []
    for update in range(cfg.updates_per_batch):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        sums = [0.0] * 5  # loss, clip·w, kl·w, is·w, w  (w = completion tokens of the micro-batch)
        for k, (b, real) in enumerate(parts):
            stats: dict = {}
            with gradient_sync(model, sync=k == len(parts) - 1), autocast(device):
                logp = completion_logprobs(model, b)
                old = olds[k] if olds is not None else logp.detach()
                loss = policy_loss(
                    logp,
                    old,
                    b["advantages"],
                    b["mask"],
                    loss=cfg.objective,
                    eps_low=cfg.clip[0],
                    eps_high=cfg.clip[1],
                    beta=cfg.beta,
                    ref_logprobs=refs[k] if refs is not None else None,
                    max_tokens=max_tokens,
                    behaviour_logprobs=b["behaviour"],
                    tis=cfg.tis,
                    tis_cap=cfg.tis_cap,
                    tis_mode=cfg.tis_mode,
                    num_seqs=num_seqs,
                    num_tokens=num_tokens,
                    stats=stats,
                )
                if not real:
                    loss = loss * 0.0
                (loss * dist.world).backward()  # DDP averages gradients over ranks; the loss is a sum over them
            w = float(b["mask"].sum()) if real else 0.0
            sums = [
                s + x
                for s, x in zip(
                    sums, (loss.item(), stats["clip_frac"] * w, stats["kl"] * w, stats["is_ratio_mean"] * w, w)
                )
            ]
        grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        if hasattr(grad_norm, "full_tensor"):
            grad_norm = grad_norm.full_tensor()
        lr = lr_at(step + update, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        loss_sum, clip, kl, is_ratio, w = dist.sum(sums, device)
        w = max(w, 1e-12)
        out.append(
            {
                "loss": loss_sum,
                "clip_frac": clip / w,
                "kl": kl / w,
                "is_ratio_mean": is_ratio / w,
                "grad_norm": float(grad_norm),
                "lr": lr,
                "seconds": time.perf_counter() - start,
            }
        )
    return out


def _no_grad_logprobs(model, parts, device) -> list[torch.Tensor]:
    with torch.no_grad(), autocast(device):
        return [completion_logprobs(model, b) for b, _ in parts]


_PLACEHOLDER = Sample([0], [0], None, 0.0, 0.0, 1.0, 0)
