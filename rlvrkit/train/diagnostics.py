"""What a metrics line says about the policy beside the loss: its entropy, and how far the trainer's policy is from the
one that sampled the records (the behaviour policy μ, whose logprobs rollout recorded).

    entropy             H_t = −Σ_v π(v|·) log π(v|·) at each completion position, from the logits the loss uses
    mismatch_log_ratio  log μ(y_t) − log π_θ(y_t), whose mean estimates KL(μ‖π_θ) (k1)
    mismatch_k3         k3 = r − 1 − log r with r = π_θ(y_t)/μ(y_t): the same KL, never negative, lower variance

μ differs from π_θ for two reasons: the records were sampled by an older version (staleness), and the rollout engine
computes the same policy differently (vLLM's kernels, bf16). Both are zero on-policy with the same numerics. The log
ratio is clamped to ±20 for k3, so one absurd behaviour logprob cannot make a line infinite. All of it is computed
without gradient from tensors the step has anyway; the entropy walks the logits in chunks so its memory stays small
beside theirs.
"""

from __future__ import annotations

import torch
from torch import Tensor

CHUNK = 1 << 24  # logits elements per entropy chunk (64 MiB of float32)


@torch.no_grad()
def token_entropy(logits: Tensor, lse: Tensor) -> Tensor:
    """[B, C] entropy of the distribution at each position, from logits [B, C, V] and their logsumexp [B, C]."""
    vocab = logits.shape[-1]
    flat, norm = logits.reshape(-1, vocab), lse.reshape(-1)
    out = torch.empty_like(norm)
    rows = max(1, CHUNK // vocab)
    for i in range(0, flat.shape[0], rows):
        x, z = flat[i : i + rows], norm[i : i + rows]
        out[i : i + rows] = z - torch.linalg.vecdot(torch.exp(x - z[:, None]), x)
    return out.reshape(lse.shape)


@torch.no_grad()
def mismatch_sums(logprobs: Tensor, behaviour: Tensor, mask: Tensor) -> dict[str, float]:
    """Sums over the tokens of `mask` of the log ratio log μ − log π_θ and of k3, and the token count."""
    d = (logprobs - behaviour).clamp(-20, 20)  # log r
    k3 = torch.exp(d) - 1 - d
    return {
        "mismatch_log_ratio": float((-d * mask).sum()),
        "mismatch_k3": float((k3 * mask).sum()),
        "behaviour_tokens": float(mask.sum()),
    }
