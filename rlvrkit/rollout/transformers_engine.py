"""The transformers engine: our own batched sampling loop over a Hugging Face causal LM with a KV cache.

Why not `model.generate`: we need per-sequence seeded randomness (a completion must not depend on its batch mates),
the behaviour logprob of every sampled token, stop strings, and finished sequences leaving the batch, all in one
loop we can read and test. One `generate` call runs one batch:

1. Prefill each distinct prompt once (the n samples of a group share it), left-padded to the longest, with an
   attention mask that hides the padding and position ids that start at 0 on each row's first real token.
2. Copy each prompt's KV cache rows to its samples (`batch_select_indices`), then decode one token per step for every
   live row: temperature, top-k, top-p, a Gumbel-max draw from that row's own generator (see `sampling`).
3. A row finishes on an EOS token (kept in its completion_ids), on a stop string in its decoded tail, or at
   max_tokens; finished rows are dropped from the batch and the cache, so the rest run on a smaller batch.

Weights: the base --model (float32 on CPU, bfloat16 on GPU unless --dtype says otherwise), a peft LoRA adapter on it,
or a full checkpoint folder loaded in its place; `load` switches between them between batches (`--watch`).
"""

from __future__ import annotations

import gc
import inspect

import torch

from rlvrkit.errors import Failure
from rlvrkit.models import load_model, resolve_device
from rlvrkit.rollout.engine import Completion, Policy, Request
from rlvrkit.rollout.finish import eos_ids, finish
from rlvrkit.rollout.sampling import Sampling, generators, next_tokens
from rlvrkit.rollout.seeds import sequence_seed


def cache_argument(model) -> str:
    """The forward argument that takes the KV cache: `cache` in newer transformers, `past_key_values` before."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def kv_cache(out):
    """The KV cache a forward pass returned, under either name (asking for the old one warns in newer versions)."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


class TransformersEngine:
    name = "transformers"

    def __init__(self, model: str, tokenizer, *, dtype: str = "auto", device: str = "auto", trust_remote_code=False):
        self.path = model
        self.tokenizer = tokenizer
        self.dtype = dtype
        self.device = resolve_device(device)
        self.trust_remote_code = trust_remote_code
        self.base = self._load_base(model)
        self.model = self.base
        self.policy = Policy(model)
        self._adapters = 0

    def _load_base(self, path: str):
        model = load_model(path, dtype=self.dtype, device=self.device, trust_remote_code=self.trust_remote_code)
        self.cache_arg = cache_argument(model)
        self.eos = eos_ids(self.tokenizer, model.config, getattr(model, "generation_config", None))
        if not self.eos:
            raise Failure(f"{path}: neither the tokenizer nor the model config names an EOS token")
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else min(self.eos)
        return model

    # -- weights ---------------------------------------------------------------------------------------------------

    def load(self, policy: Policy) -> None:
        if policy == self.policy:
            return
        if policy.full is not None:
            self._replace_base(policy.full)
        elif self.policy.full is not None:
            self._replace_base(self.path)  # back from a full checkpoint to the starting weights
        if policy.adapter is not None and policy.full is None:
            self._attach(policy.adapter)
        elif self.model is not self.base:
            self.model = self.model.unload()  # peft: the base model with the LoRA layers taken out
            self.base = self.model
        self.policy = policy

    def _replace_base(self, path: str) -> None:
        self.model = self.base = None
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
        self.base = self.model = self._load_base(path)

    def _attach(self, adapter: str) -> None:
        """Serve a LoRA adapter folder (peft save_pretrained) on the base weights, replacing the previous one."""
        from peft import PeftModel

        self._adapters += 1
        name = f"rollout{self._adapters}"
        try:
            if isinstance(self.model, PeftModel):
                old = self.model.active_adapter
                self.model.load_adapter(adapter, adapter_name=name, is_trainable=False)
                self.model.set_adapter(name)
                self.model.delete_adapter(old)
            else:
                self.model = PeftModel.from_pretrained(self.base, adapter, adapter_name=name, is_trainable=False)
        except (OSError, ValueError) as err:
            raise Failure(f"cannot load the LoRA adapter {adapter}: {err}") from None
        self.model.eval()

    # -- sampling --------------------------------------------------------------------------------------------------

    @torch.inference_mode()
    def generate(self, requests: list[Request], params: Sampling) -> list[Completion]:
        if not requests:
            return []
        cache, logits, mask, position = self._prefill(requests)
        gens = generators([sequence_seed(params.seed, r.key, r.sample, r.epoch) for r in requests], self.device)
        live = list(range(len(requests)))  # request index of each batch row
        tokens_out: list[list[int]] = [[] for _ in requests]
        logps_out: list[list[float]] = [[] for _ in requests]
        done: list[Completion | None] = [None] * len(requests)
        window = max((len(s) for s in params.stop), default=0) + 8  # tokens of tail to search for a stop string
        for step in range(params.max_tokens):  # 3. decode
            tokens, logps = next_tokens(logits, params, gens)
            keep = []
            for row, (req, tok, lp) in enumerate(zip(live, tokens.tolist(), logps.tolist())):
                tokens_out[req].append(tok)
                logps_out[req].append(lp)
                ended = tok in self.eos or step + 1 == params.max_tokens
                if ended or self._hit_stop(tokens_out[req], params, window):
                    done[req] = finish(self.tokenizer, tokens_out[req], logps_out[req], self.eos, params)
                else:
                    keep.append(row)
            if not keep:
                break
            if len(keep) < len(live):
                sel = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(sel)
                tokens, mask, position = tokens[sel], mask[sel], position[sel]
                live = [live[k] for k in keep]
                gens = [gens[k] for k in keep]
            mask = torch.cat([mask, mask.new_ones((len(live), 1))], dim=1)
            position = position + 1
            args = {"input_ids": tokens[:, None], "attention_mask": mask, "position_ids": position[:, None]}
            out = self.model(**args, use_cache=True, **{self.cache_arg: cache})
            cache, logits = kv_cache(out), out.logits[:, -1]
        return done  # type: ignore[return-value]

    def _prefill(self, requests: list[Request]):
        """1. Prefill each distinct prompt once, left-padded; 2. give each request its prompt's cache row.
        Returns the cache, the next-token logits, the attention mask and the last position of each request's row."""
        distinct: dict[tuple[int, ...], int] = {}
        rows = [distinct.setdefault(tuple(r.prompt_ids), len(distinct)) for r in requests]
        prompts = list(distinct)
        width = max(map(len, prompts))
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
        cache = kv_cache(out)
        index = torch.tensor(rows, device=self.device)
        if len(prompts) != len(requests) or rows != list(range(len(rows))):
            cache.batch_select_indices(index)
        return cache, out.logits[index, -1], mask[index], positions[index, -1]

    def _hit_stop(self, ids: list[int], params: Sampling, window: int) -> bool:
        if not params.stop:
            return False
        tail = self.tokenizer.decode(ids[-window:], skip_special_tokens=True)
        return any(s and s in tail for s in params.stop)
