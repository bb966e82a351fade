"""Policy-gradient losses for RLVR: GRPO, Dr. GRPO, DAPO, GSPO, LUSPO, CISPO and SAPO in one function.

Notation (PAPERS.md): a batch holds N completions y_1..y_N (all the groups of one step), Â_i the advantage of y_i,
w_{i,t} = π_θ(y_{i,t}|·) / π_old(y_{i,t}|·) the token ratio, |y_i| the completion length, and
clip(r) = clamp(r, 1 − ε_low, 1 + ε_high). Every loss is L = −J, to be minimised.

    grpo     J = 1/N Σ_i 1/|y_i| Σ_t min(w_{i,t} Â_i, clip(w_{i,t}) Â_i)
    dr-grpo  J = 1/(N·T_max) Σ_i Σ_t min(w_{i,t} Â_i, clip(w_{i,t}) Â_i)          T_max = max_tokens, a constant
    dapo     J = 1/(Σ_i |y_i|) Σ_i Σ_t min(w_{i,t} Â_i, clip(w_{i,t}) Â_i)       one mean over every token
    gspo     J = 1/N Σ_i min(s_i Â_i, clip(s_i) Â_i),  s_i = exp(1/|y_i| Σ_t log w_{i,t})
    luspo    J = 1/N Σ_i |y_i| · min(s_i Â_i, clip(s_i) Â_i)
    cispo    J = 1/(Σ_i |y_i|) Σ_i Σ_t sg(min(w_{i,t}, ε_high)) Â_i log π_θ(y_{i,t}|·)     sg: no gradient
    sapo     J = 1/N Σ_i 1/|y_i| Σ_t g_{i,t} Â_i,  g_{i,t} = σ(τ_i (w_{i,t} − 1)) · 4/τ_i,
             τ_i = τ₊ when Â_i > 0, else τ₋

CISPO (MiniMax-M1) clips the importance weight, not the update: every token keeps its gradient Â·∇log π, scaled by
a weight capped at ε_high (the cap on the ratio itself, 5 by default, as TRL's `epsilon_high` for cispo), so the rare
tokens that PPO-style clipping silences still learn. SAPO replaces the hard clip with a soft gate: g has slope 1 at
w = 1 (the on-policy gradient is GRPO's) and flattens smoothly as w leaves 1, faster for negative advantages (τ₋ > τ₊).

With β > 0 the k3 estimator of KL(π_θ‖π_ref), k3 = exp(ref − logp) − (ref − logp) − 1 ≥ 0 per token, is averaged the
way each loss averages tokens (per sequence, then over sequences, for grpo, sapo, gspo and luspo) and β·KL is added
to L.

On-policy (π_old = π_θ, detached) every ratio is exactly 1, so the loss VALUE is −(weighted mean advantage), about 0
for group-normalised advantages, while the GRADIENT is not: ∇w = w·∇log π. That is expected.

Why LUSPO: ∇s_i carries a 1/|y_i| factor, so GSPO gives every token of a long answer less weight than a token of a
short one and responses shrink; multiplying by |y_i| makes each token's weight Â_i/N whatever the length.

Truncated importance sampling corrects for the rollout engine's policy μ (behaviour logprobs recorded at rollout) not
being π_old: ρ = π_old/μ per token, or per sequence (the product over its tokens; for gspo and luspo the token level
uses the geometric mean, matching their sequence ratio). "truncate" multiplies each term by min(ρ, C); "mask" drops
terms with ρ > C. ρ carries no gradient.

The off-policy sequence mask (DeepSeek-V3.2; TRL's off_policy_mask_threshold) drops sequence i from the policy term
when it pushes down (Â_i < 0) a completion the policy has drifted far from: M_i = 0 when Â_i < 0 and
1/|y_i| Σ_t (log μ(y_{i,t}) − log π_θ(y_{i,t})) > δ, else M_i = 1; every term of y_i is multiplied by M_i (the KL term
is not). μ is the behaviour policy (π_old where no behaviour logprobs are given); M carries no gradient.

Micro-batches: pass the whole batch's `num_seqs` and `num_tokens`, and the losses of the micro-batches add up to the
loss of the batch (so their gradients accumulate to the batch's gradient).
"""

from __future__ import annotations

import torch
from torch import Tensor

from rlvrkit.recipes import DEFAULT_CLIP, LOSSES, SAPO_TAU, SEQUENCE_LEVEL

# how each loss averages its terms: per sequence then over sequences, over every token, or by a constant
SEQUENCE_MEAN, TOKEN_MEAN = ("grpo", "sapo"), ("dapo", "cispo")


def policy_loss(
    logprobs: Tensor,
    old_logprobs: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    loss: str,
    eps_low: float | None = None,
    eps_high: float | None = None,
    tau_pos: float | None = None,
    tau_neg: float | None = None,
    beta: float = 0.0,
    ref_logprobs: Tensor | None = None,
    max_tokens: int | None = None,
    behaviour_logprobs: Tensor | None = None,
    tis: str | None = None,
    tis_cap: float = 3.0,
    tis_mode: str = "truncate",
    off_policy_mask: float | None = None,
    num_seqs: int | None = None,
    num_tokens: int | None = None,
    stats: dict | None = None,
) -> Tensor:
    """The scalar loss L = −J (+ β·KL) of `loss` (see the module docstring for each equation).

    logprobs: [N, T] log π_θ of the sampled tokens (with grad); old_logprobs: [N, T] log π_old; advantages: [N];
    mask: [N, T], 1 on completion tokens, 0 on padding. eps_low, eps_high: the clip range (cispo: eps_high caps the
    ratio); tau_pos, tau_neg: sapo's gate temperatures; None takes the loss's default (rlvrkit.recipes).
    ref_logprobs: [N, T], needed when beta > 0. max_tokens: dr-grpo's constant T_max. behaviour_logprobs: [N, T]
    log μ, needed when tis is "token" or "sequence", and read by the off-policy mask (δ = off_policy_mask).
    num_seqs, num_tokens: totals of the whole batch when this call sees one micro-batch of it. stats: if a dict is
    given, it receives clip_frac, ratio_mean, kl, is_ratio_mean and off_policy_masked (floats over this call's
    tokens or sequences).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")
    mask = mask.to(logprobs.dtype)
    lengths = mask.sum(-1)
    num_seqs = logprobs.shape[0] if num_seqs is None else num_seqs
    num_tokens = lengths.sum().item() if num_tokens is None else num_tokens
    adv = advantages.to(logprobs.dtype)
    log_w = (logprobs - old_logprobs.detach()) * mask
    clip = _clip_range(loss, eps_low, eps_high)
    terms, ratio, clip_active = _terms(loss, logprobs, log_w, adv, mask, clip=clip, taus=_taus(tau_pos, tau_neg))

    is_weight = None
    if tis is not None:
        if behaviour_logprobs is None:
            raise ValueError("truncated importance sampling needs behaviour_logprobs")
        is_weight = _is_weight(
            old_logprobs,
            behaviour_logprobs,
            mask,
            level=tis,
            cap=tis_cap,
            mode=tis_mode,
            sequence_level=ratio.dim() == 1,
        )
        terms = terms * _per_term(is_weight, terms)
    kept = None
    if off_policy_mask is not None:
        behaviour = old_logprobs if behaviour_logprobs is None else behaviour_logprobs
        kept = off_policy_keep(logprobs, behaviour, adv, mask, off_policy_mask)
        terms = terms * _per_term(kept, terms)

    total = -_aggregate(terms, lengths, loss, num_seqs, num_tokens, max_tokens)
    kl = None
    if beta:
        if ref_logprobs is None:
            raise ValueError("beta > 0 needs ref_logprobs")
        kl = k3(logprobs, ref_logprobs) * mask
        kl_loss = "grpo" if loss in SEQUENCE_LEVEL else loss  # sequence losses: per-sequence mean, then over sequences
        total = total + beta * _aggregate(kl, lengths, kl_loss, num_seqs, num_tokens, max_tokens)

    if stats is not None:
        stats.update(_stats(ratio, clip_active, kl, is_weight, mask))
        stats["off_policy_masked"] = (1 - kept).mean().item() if kept is not None else 0.0
    return total


def k3(logprobs: Tensor, ref_logprobs: Tensor) -> Tensor:
    """Per-token k3 estimate of KL(π_θ‖π_ref): exp(ref − logp) − (ref − logp) − 1, never negative."""
    d = ref_logprobs.detach() - logprobs
    return torch.exp(d) - d - 1


def off_policy_keep(logprobs: Tensor, behaviour: Tensor, adv: Tensor, mask: Tensor, delta: float) -> Tensor:
    """[N] DeepSeek-V3.2's off-policy sequence mask M_i: 0 where Â_i < 0 and the mean of log μ − log π_θ over the
    completion exceeds δ, else 1 (no gradient)."""
    drift = ((behaviour.detach() - logprobs.detach()) * mask).sum(-1) / mask.sum(-1).clamp(min=1)
    return ((adv >= 0) | (drift <= delta)).to(logprobs.dtype)


def _terms(loss, logprobs, log_w, adv, mask, *, clip, taus):
    """(the terms J sums: [N] for gspo and luspo, [N, T] otherwise; the ratio; where the clip is active)."""
    eps_low, eps_high = clip
    if loss in SEQUENCE_LEVEL:
        lengths = mask.sum(-1)
        s = torch.exp(log_w.sum(-1) / lengths.clamp(min=1))  # geometric mean of the token ratios
        terms = torch.minimum(s * adv, torch.clamp(s, 1 - eps_low, 1 + eps_high) * adv)  # [N]
        return (terms * lengths if loss == "luspo" else terms), s, _clip_active(s, adv, eps_low, eps_high)
    w = torch.exp(log_w)
    a = adv[:, None]
    if loss == "cispo":
        weight = torch.clamp(w, max=eps_high).detach()
        return weight * a * logprobs * mask, w, (w > eps_high)
    if loss == "sapo":
        tau = torch.where(a > 0, taus[0], taus[1])
        gate = torch.sigmoid(tau * (w - 1)) * 4 / tau
        return gate * a * mask, w, torch.zeros_like(w, dtype=torch.bool)
    terms = torch.minimum(w * a, torch.clamp(w, 1 - eps_low, 1 + eps_high) * a) * mask  # [N, T]
    return terms, w, _clip_active(w, a, eps_low, eps_high)


def _clip_range(loss: str, eps_low: float | None, eps_high: float | None) -> tuple[float | None, float | None]:
    default_low, default_high = DEFAULT_CLIP[loss]
    return (default_low if eps_low is None else eps_low, default_high if eps_high is None else eps_high)


def _taus(tau_pos: float | None, tau_neg: float | None) -> tuple[float, float]:
    return (SAPO_TAU[0] if tau_pos is None else tau_pos, SAPO_TAU[1] if tau_neg is None else tau_neg)


def _per_term(weight: Tensor, terms: Tensor) -> Tensor:
    """A per-sequence weight [N] lined up with per-token terms [N, T]; a weight shaped like the terms as it is."""
    return weight[:, None] if weight.dim() < terms.dim() else weight


def _aggregate(terms, lengths, loss, num_seqs, num_tokens, max_tokens) -> Tensor:
    """Sum the terms and divide by each loss's normaliser (terms are [N] for gspo/luspo, [N, T] otherwise)."""
    if loss in SEQUENCE_LEVEL:
        return terms.sum() / num_seqs
    if loss in SEQUENCE_MEAN:
        return (terms.sum(-1) / lengths.clamp(min=1)).sum() / num_seqs
    if loss == "dr-grpo":
        if not max_tokens:
            raise ValueError("dr-grpo divides by a constant: give max_tokens")
        return terms.sum() / (num_seqs * max_tokens)
    return terms.sum() / max(num_tokens, 1)  # TOKEN_MEAN: dapo, cispo


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
