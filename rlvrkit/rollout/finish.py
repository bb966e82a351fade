"""How a completion ends, the same for every engine: the tokens that end it, stop strings, its text and its reason."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from rlvrkit.rollout.engine import Completion
from rlvrkit.rollout.options import Sampling


def eos_ids(tokenizer, *configs) -> set[int]:
    """Every token that ends a completion: the tokenizer's EOS plus those of the model's (generation) config."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    for config in configs:
        value = getattr(config, "eos_token_id", None)
        ids.update(value if isinstance(value, (list, tuple)) else [value] if value is not None else [])
    return ids


def folder_eos(tokenizer, folder: str | Path) -> set[int]:
    """`eos_ids` from a model folder's config.json (and its text_config) and generation_config.json, read as JSON:
    what a server generating from that folder stops on, without loading the model here."""
    configs = []
    for name in ("config.json", "generation_config.json"):
        try:
            data = json.loads((Path(folder) / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            configs += [data, data.get("text_config") or {}]
    return eos_ids(tokenizer, *(SimpleNamespace(eos_token_id=c.get("eos_token_id")) for c in configs if c))


def cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """The text before the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def finish(
    tokenizer, token_ids: list[int], logprobs: list[float], eos: set[int], params: Sampling, *, cut_short: bool = False
) -> Completion:
    """Decode a finished sequence (special tokens skipped, cut before a stop string) and name its finish reason.

    "stop" when it ended on an EOS token or a stop string, else "length" (max_tokens reached, or `cut_short`: the
    engine ran out of context). Both engines go through here, so the two agree on text and reason.
    """
    text, stopped = cut_at_stop(tokenizer.decode(token_ids, skip_special_tokens=True), params.stop)
    ended = stopped or (bool(token_ids) and token_ids[-1] in eos)
    reason = "stop" if ended or (len(token_ids) < params.max_tokens and not cut_short) else "length"
    return Completion(token_ids, logprobs, text, reason)
