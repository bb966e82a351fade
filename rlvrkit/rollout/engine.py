"""The one protocol a rollout engine keeps, what goes in and out of it, and how `--engine auto` chooses.

An engine turns a batch of `Request`s (token ids of a rendered prompt, plus the prompt id and sample index that seed
its randomness) into one `Completion` each: every sampled token id (the EOS token included when generation ended on
it), the behaviour logprob of each, the decoded text and why it stopped. `load(policy)` switches the weights between
batches (base model, a LoRA adapter on it, or a full checkpoint). Everything else (reading prompts, grouping,
records, --watch) lives in `rlvrkit.rollout.run` and is shared by both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rlvrkit.rollout.sampling import Sampling


@dataclass(frozen=True)
class Request:
    prompt_ids: list[int]
    key: str  # the prompt record's id
    sample: int  # 0..n-1 within its group
    epoch: int = 0  # which pass over the prompts (--watch, --epochs), so each pass draws fresh samples


@dataclass
class Completion:
    token_ids: list[int]
    logprobs: list[float]
    text: str
    finish_reason: str  # "stop" (EOS or a stop string) or "length" (max_tokens reached)


@dataclass(frozen=True)
class Policy:
    """Which weights generate: the base --model, optionally a LoRA adapter, or a full checkpoint folder."""

    model: str  # the --model path as given
    adapter: str | None = None
    version: int = 0  # 0: the starting weights; else the checkpoint version loaded
    full: str | None = None  # a full-weights checkpoint folder that replaces the base weights

    def record(self) -> dict:
        return {"model": self.model, "adapter": self.adapter, "version": self.version}


class Engine(Protocol):
    name: str
    tokenizer: object  # the --model folder's tokenizer: prompts are rendered with it, completions decoded with it

    def load(self, policy: Policy) -> None:
        """Generate with `policy` from now on (a no-op when it is already loaded)."""

    def generate(self, requests: list[Request], params: Sampling) -> list[Completion]:
        """One completion per request, in the order of `requests`."""


def eos_ids(tokenizer, *configs) -> set[int]:
    """Every token that ends a completion: the tokenizer's EOS plus those of the model's (generation) config."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    for config in configs:
        value = getattr(config, "eos_token_id", None)
        ids.update(value if isinstance(value, (list, tuple)) else [value] if value is not None else [])
    return ids


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


def pick(engine: str, log=None) -> str:
    """'auto' → 'vllm' when vLLM is importable and a CUDA GPU is present, else 'transformers'."""
    if engine != "auto":
        return engine
    import importlib.util

    import torch

    has_vllm = importlib.util.find_spec("vllm") is not None
    gpu = torch.cuda.is_available()
    chosen = "vllm" if has_vllm and gpu else "transformers"
    if log is not None:
        why = "vLLM and a GPU found" if chosen == "vllm" else ("no GPU" if not gpu else "vLLM not installed")
        log.info(f"engine: {chosen} ({why})")
    return chosen


def open_engine(
    name: str,
    model: str,
    tokenizer,
    *,
    dtype: str = "auto",
    device: str = "auto",
    seed: int = 0,
    trust_remote_code: bool = False,
    adapter: str | None = None,
    watch: str | None = None,
    log=None,
) -> Engine:
    """Start the named engine ('transformers' or 'vllm') on a local model folder."""
    if name == "transformers":
        from rlvrkit.rollout.transformers_engine import TransformersEngine

        return TransformersEngine(model, tokenizer, dtype=dtype, device=device, trust_remote_code=trust_remote_code)
    if name == "vllm":
        import importlib.util

        if importlib.util.find_spec("vllm") is None:
            from rlvrkit.errors import Failure

            raise Failure("vLLM is not installed (pip install 'rlvrkit[vllm]'), or use --engine transformers")
        from rlvrkit.checkpoint import latest
        from rlvrkit.rollout.vllm_engine import VLLMEngine, lora_rank

        if device not in ("auto", "cuda") and log is not None:
            log.warn(f"--device {device} is ignored by the vLLM engine (it picks its own device)")
        current = latest(watch) if watch else None
        # LoRA support costs vLLM memory and speed: only when an adapter may come (a run that publishes full weights
        # has shown it by its first version)
        lora = adapter is not None or (watch is not None and (current is None or current.kind == "adapter"))
        rank = lora_rank(adapter, current.path if current is not None and current.kind == "adapter" else None)
        return VLLMEngine(
            model,
            tokenizer,
            dtype=dtype,
            seed=seed,
            trust_remote_code=trust_remote_code,
            enable_lora=lora,
            max_lora_rank=rank,
        )
    raise ValueError(f"unknown engine {name!r}")
