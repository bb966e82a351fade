"""Next-token sampling as pure tensor functions: temperature, top-k, top-p, seeded draws, and the behaviour logprob.

The logprob recorded for a sampled token is ``log_softmax(logits / temperature)`` over the FULL vocabulary, taken
before top-k/top-p filtering: the policy's own temperature-scaled distribution, which is what the trainer recomputes
with a forward pass over prompt+completion, so the two can be compared token by token (importance ratios, staleness
corrections). The token itself is drawn from the filtered distribution, so under top-p/top-k the sampler's true
probability of a kept token is a little higher than the recorded one (renormalised over the kept set); with the
defaults (top_p 1, top_k 0) the two are the same. Greedy decoding (temperature 0) records ``log_softmax(logits)``.

Randomness is per sequence: each row of a batch draws from its own `torch.Generator`, seeded from (seed, prompt id,
sample, epoch) by `rlvrkit.rollout.seeds.sequence_seed`, so a completion does not depend on which other prompts share
its batch, and the same seed gives the same completions on every run. Draws use the Gumbel-max trick (argmax of
logits plus Gumbel noise), which samples exactly from softmax(logits) and needs one uniform draw per vocabulary entry.
"""

from __future__ import annotations

import torch

from rlvrkit.rollout.options import Sampling


def generators(seeds: list[int], device: torch.device | str) -> list[torch.Generator]:
    out = []
    for s in seeds:
        g = torch.Generator(device=device)
        g.manual_seed(s)
        out.append(g)
    return out


def scale(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Logits divided by the temperature (float32); greedy (0) leaves them as they are."""
    logits = logits.float()
    return logits if temperature == 0 else logits / temperature


def filter_top_k_top_p(scaled: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Set to -inf every logit outside the top-k, then outside the smallest set holding top_p of the probability.

    Rows are [batch, vocab]. top-k first, then top-p over what top-k kept (the order vLLM and transformers use).
    The most likely token always survives; ties at the top-k boundary are all kept.
    """
    out = scaled
    vocab = scaled.shape[-1]
    if 0 < top_k < vocab:
        kth = torch.topk(out, top_k, dim=-1).values[..., -1:]
        out = out.masked_fill(out < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(out, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs  # mass of the tokens ranked above each one
        drop_sorted = before >= top_p
        drop_sorted[..., 0] = False
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        out = out.masked_fill(drop, float("-inf"))
    return out


def draw(filtered: torch.Tensor, gens: list[torch.Generator]) -> torch.Tensor:
    """One token per row from softmax(filtered), row i using generator i (Gumbel-max)."""
    rows, vocab = filtered.shape
    u = torch.empty((rows, vocab), dtype=torch.float32, device=filtered.device)
    for i, g in enumerate(gens):
        u[i].uniform_(generator=g)
    gumbel = -torch.log(-torch.log(u.clamp_(min=1e-20, max=1.0 - 1e-7)))
    return torch.argmax(filtered + gumbel, dim=-1)


def next_tokens(logits: torch.Tensor, params: Sampling, gens: list[torch.Generator]) -> tuple[torch.Tensor, ...]:
    """Sample one token per row of [batch, vocab] logits; returns (tokens, behaviour logprobs of those tokens)."""
    scaled = scale(logits, params.temperature)
    logp = torch.log_softmax(scaled, dim=-1)
    if params.greedy:
        tokens = torch.argmax(scaled, dim=-1)
    else:
        tokens = draw(filter_top_k_top_p(scaled, params.top_k, params.top_p), gens)
    return tokens, logp.gather(-1, tokens[:, None]).squeeze(-1)
