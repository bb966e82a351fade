"""Policy-gradient losses for RLVR: GRPO, Dr. GRPO, DAPO, GSPO and LUSPO in one function.

Notation (PAPERS.md): a batch holds N completions y_1..y_N (all the groups of one step), Â_i the advantage of y_i,
w_{i,t} = π_θ(y_{i,t}|·) / π_old(y_{i,t}|·) the token ratio, |y_i| the completion length, and
clip(r) = clamp(r, 1 − ε_low, 1 + ε_high). Every loss is L = −J, to be minimised.

    grpo     J = 1/N Σ_i 1/|y_i| Σ_t min(w_{i,t} Â_i, clip(w_{i,t}) Â_i)
    dr-grpo  J = 1/(N·T_max) Σ_i Σ_t min(w_{i,t} Â_i, clip(w_{i,t}) Â_i)          T_max = max_tokens, a constant
    dapo     J = 1/(Σ_i |y_i|) Σ_i Σ_t min(w_{i,t} Â_i, clip(w_{i,t}) Â_i)       one mean over every token
    gspo     J = 1/N Σ_i min(s_i Â_i, clip(s_i) Â_i),  s_i = exp(1/|y_i| Σ_t log w_{i,t})
    luspo    J = 1/N Σ_i |y_i| · min(s_i Â_i, clip(s_i) Â_i)

With β > 0 the k3 estimator of KL(π_θ‖π_ref), k3 = exp(ref − logp) − (ref − logp) − 1 ≥ 0 per token, is averaged the
way each loss averages tokens (per sequence, then over sequences, for grpo, gspo and luspo) and β·KL is added to L.

On-policy (π_old = π_θ, detached) every ratio is exactly 1, so the loss VALUE is −(weighted mean advantage), about 0
for group-normalised advantages, while the GRADIENT is not: ∇w = w·∇log π. That is expected.

Why LUSPO: ∇s_i carries a 1/|y_i| factor, so GSPO gives every token of a long answer less weight than a token of a
short one and responses shrink; multiplying by |y_i| makes each token's weight Â_i/N whatever the length.

Truncated importance sampling corrects for the rollout engine's policy μ (behaviour logprobs recorded at rollout) not
being π_old: ρ = π_old/μ per token, or per sequence (the product over its tokens; for gspo and luspo the token level
uses the geometric mean, matching their sequence ratio). "truncate" multiplies each term by min(ρ, C); "mask" drops
terms with ρ > C. ρ carries no gradient.

Micro-batches: pass the whole batch's `num_seqs` and `num_tokens`, and the losses of the micro-batches add up to the
loss of the batch (so their gradients accumulate to the batch's gradient).
"""

from __future__ import annotations

import torch
from torch import Tensor

from rlvrkit.recipes import DEFAULT_CLIP, LOSSES, SEQUENCE_LEVEL


def policy_loss(
    logprobs: Tensor,
    old_logprobs: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    loss: str,
    eps_low: float | None = None,
    eps_high: float | None = None,
    beta: float = 0.0,
    ref_logprobs: Tensor | None = None,
    max_tokens: int | None = None,
    behaviour_logprobs: Tensor | None = None,
    tis: str | None = None,
    tis_cap: float = 2.0,
    tis_mode: str = "truncate",
    num_seqs: int | None = None,
    num_tokens: int | None = None,
    stats: dict | None = None,
) -> Tensor:
    """The scalar loss L = −J (+ β·KL) of `loss` (see the module docstring for each equation).

    logprobs: [N, T] log π_θ of the sampled tokens (with grad); old_logprobs: [N, T] log π_old; advantages: [N];
    mask: [N, T], 1 on completion tokens, 0 on padding. ref_logprobs: [N, T], needed when beta > 0.
    max_tokens: dr-grpo's constant T_max. behaviour_logprobs: [N, T] log μ, needed when tis is "token" or
    "sequence". num_seqs, num_tokens: totals of the whole batch when this call sees one micro-batch of it.
    stats: if a dict is given, it receives clip_frac, ratio_mean, kl, is_ratio_mean (floats over this call's tokens
    or sequences).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")
    default_low, default_high = DEFAULT_CLIP[loss]
    eps_low = default_low if eps_low is None else eps_low
    eps_high = default_high if eps_high is None else eps_high
    mask = mask.to(logprobs.dtype)
    lengths = mask.sum(-1)
    num_seqs = logprobs.shape[0] if num_seqs is None else num_seqs
    num_tokens = lengths.sum().item() if num_tokens is None else num_tokens
    adv = advantages.to(logprobs.dtype)
    log_w = (logprobs - old_logprobs.detach()) * mask
    sequence_level = loss in SEQUENCE_LEVEL

    if sequence_level:
        s = torch.exp(log_w.sum(-1) / lengths.clamp(min=1))  # geometric mean of the token ratios
        clipped = torch.clamp(s, 1 - eps_low, 1 + eps_high)
        terms = torch.minimum(s * adv, clipped * adv)  # [N]
        if loss == "luspo":
            terms = terms * lengths
        ratio, clip_active = s, _clip_active(s, adv, eps_low, eps_high)
    else:
        w = torch.exp(log_w)
        clipped = torch.clamp(w, 1 - eps_low, 1 + eps_high)
        terms = torch.minimum(w * adv[:, None], clipped * adv[:, None]) * mask  # [N, T]
        ratio, clip_active = w, _clip_active(w, adv[:, None], eps_low, eps_high)

    is_weight = None
    if tis is not None:
        if behaviour_logprobs is None:
            raise ValueError("truncated importance sampling needs behaviour_logprobs")
        is_weight = _is_weight(
            old_logprobs, behaviour_logprobs, mask, level=tis, cap=tis_cap, mode=tis_mode, sequence_level=sequence_level
        )
        terms = terms * (is_weight[:, None] if is_weight.dim() < terms.dim() else is_weight)

    objective = _aggregate(terms, lengths, loss, num_seqs, num_tokens, max_tokens)
    total = -objective
    kl = None
    if beta:
        if ref_logprobs is None:
            raise ValueError("beta > 0 needs ref_logprobs")
        kl = k3(logprobs, ref_logprobs) * mask
        kl_loss = "grpo" if sequence_level else loss  # sequence losses: per-sequence mean, then over sequences
        total = total + beta * _aggregate(kl, lengths, kl_loss, num_seqs, num_tokens, max_tokens)

    if stats is not None:
        stats.update(_stats(ratio, clip_active, kl, is_weight, mask))
    return total


def k3(logprobs: Tensor, ref_logprobs: Tensor) -> Tensor:
    """Per-token k3 estimate of KL(π_θ‖π_ref): exp(ref − logp) − (ref − logp) − 1, never negative."""
    d = ref_logprobs.detach() - logprobs
    return torch.exp(d) - d - 1


def _aggregate(terms, lengths, loss, num_seqs, num_tokens, max_tokens) -> Tensor:
    """Sum the terms and divide by each loss's normaliser (terms are [N] for gspo/luspo, [N, T] otherwise)."""
    if loss in SEQUENCE_LEVEL:
        return terms.sum() / num_seqs
    if loss == "grpo":
        return (terms.sum(-1) / lengths.clamp(min=1)).sum() / num_seqs
    if loss == "dr-grpo":
        if not max_tokens:
            raise ValueError("dr-grpo divides by a constant: give max_tokens")
        return terms.sum() / (num_seqs * max_tokens)
    return terms.sum() / max(num_tokens, 1)  # dapo


def _clip_active(ratio: Tensor, adv: Tensor, eps_low: float, eps_high: float) -> Tensor:
    """Where the clipped branch of min() wins and the gradient is cut."""
    return ((adv > 0) & (ratio > 1 + eps_high)) | ((adv < 0) & (ratio < 1 - eps_low))


def _is_weight(old, behaviour, mask, *, level, cap, mode, sequence_level) -> Tensor:
    log_rho = (old.detach() - behaviour) * mask
    if level == "token" and not sequence_level:
        rho = torch.exp(log_rho)  # [N, T]
    elif level == "token":
        rho = torch.exp(log_rho.sum(-1) / mask.sum(-1).clamp(min=1))  # geometric mean, as the sequence ratio
    elif level == "sequence":
        rho = torch.exp(log_rho.sum(-1))  # [N]
    else:
        raise ValueError(f"tis must be 'token' or 'sequence', not {level!r}")
    if mode == "truncate":
        return torch.clamp(rho, max=cap)
    if mode == "mask":
        return (rho <= cap).to(rho.dtype)
    raise ValueError(f"tis_mode must be 'truncate' or 'mask', not {mode!r}")


@torch.no_grad()
def _stats(ratio: Tensor, clip_active: Tensor, kl: Tensor | None, is_weight: Tensor | None, mask: Tensor) -> dict:
    """clip_frac and ratio_mean over sequences (gspo, luspo: [N]) or completion tokens ([N, T]); kl and
    is_ratio_mean over completion tokens."""
    if ratio.dim() == 1:
        clip_frac, ratio_mean = clip_active.float().mean().item(), ratio.mean().item()
    else:
        clip_frac, ratio_mean = _masked_mean(clip_active.float(), mask), _masked_mean(ratio, mask)
    if is_weight is not None and is_weight.dim() == 1:
        is_weight = is_weight[:, None].expand_as(mask)
    return {
        "clip_frac": clip_frac,
        "ratio_mean": ratio_mean,
        "kl": _masked_mean(kl, mask) if kl is not None else 0.0,
        "is_ratio_mean": _masked_mean(is_weight, mask) if is_weight is not None else 1.0,
    }


def _masked_mean(x: Tensor, mask: Tensor) -> float:
    return ((x * mask).sum() / mask.sum().clamp(min=1)).item()
