"""Per-token log-probabilities of completions under a model: log softmax(logits / T) at each sampled token.

Only the completion positions go through the LM head (`logits_to_keep`), and the log-softmax is taken in float32
whatever the model's dtype, so bf16 training does not round the ratios that the clip ranges of GSPO and LUSPO
(a few 1e-4) depend on.
"""

from __future__ import annotations

import torch


def completion_logprobs(model, batch: dict) -> torch.Tensor:
    """[B, C] log π(y_t | x, y_<t) for a micro-batch laid out by `rlvrkit.train.batch.collate`."""
    C = batch["completion_len"]
    out = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=batch["position_ids"],
        logits_to_keep=C + 1,
        use_cache=False,
    )
    logits = out.logits[:, :-1].float() / batch["temperature"][:, None, None]
    picked = logits.gather(-1, batch["targets"][..., None]).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)
