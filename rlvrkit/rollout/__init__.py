"""Rollouts: prompt records → groups of sampled completions with token ids and behaviour logprobs.

sampling.py             temperature, top-k/top-p, seeded per-sequence draws, the recorded logprob (pure tensors)
prompts.py              prompt records → token ids (chat template or plain text)
engine.py               the engine protocol, finish reasons and text, and --engine auto
transformers_engine.py  our batched KV-cache sampling loop on a transformers model (CPU and GPU), LoRA via peft
vllm_engine.py          the same on vLLM (optional extra)
server_engine.py        the same through running `vllm serve` processes (--server): openai_api.py speaks their
                        completions API, dispatch.py spreads requests over them and survives losing some
seeds.py                the seed of every completion, the same in every engine
run.py                  batching, the rollout record, groups written as they finish, and the --watch loop
"""
