"""Training-step throughput and peak memory: rlvr train's step against TRL's GRPOTrainer, same model, same batch.

    python bench/train.py                          # tiny model on the CPU (ours; TRL too if importable)
    python bench/train.py --shape qwen0.5b --lora  # Qwen2.5-0.5B-shaped random model (use a GPU)
    python bench/train.py --trl-python /path/to/venv-with-trl/bin/python
    python bench/train.py --base /tmp/rlvr-base    # also another checkout of rlvrkit (git archive REV | tar -x -C DIR)

Each engine runs in its own process (so peak memory is its own): a random-weight model of the given shape, one
synthetic batch (G groups × n completions of random tokens, group-normalised advantages), a warm-up step, then
--steps timed optimizer steps: forward, GRPO loss, backward, clip, AdamW. Throughput counts prompt and completion
tokens. MFU uses 6·N + 12·L·d·S FLOPs per token (N parameters, L layers, d hidden size, S sequence length) against
the peak measured here by a large matmul (bf16 on a GPU, fp32 on the CPU).

Our step computes its diagnostics (entropy, mismatch) on every step, as `rlvr train` does; TRL's computes the entropy
too. `--base DIR` runs our step from another checkout as well (the engine "base"), to show what a change costs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shapes import SHAPES, qwen2_config


def build(shape: str, device: str, lora: bool, tmp: Path):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from rlvrkit.models import load_tokenizer
    from rlvrkit.tiny import build_tiny

    tiny = build_tiny(tmp / "tiny")
    tokenizer = load_tokenizer(tiny)
    if shape == "tiny":
        config = Qwen2Config.from_pretrained(tiny)
    else:
        config = qwen2_config(shape)
    torch.manual_seed(0)
    dtype = torch.bfloat16 if device.startswith("cuda") and lora else torch.float32
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(dtype)
    model.config.use_cache = False
    if lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")
        )
    return model.train(), tokenizer, config


def batch(args, vocab: int):
    rng = random.Random(0)
    out = []
    for g in range(args.groups):
        prompt = [rng.randrange(3, vocab) for _ in range(args.prompt_len)]
        rewards = [float(i % 2) for i in range(args.n)]
        for r in rewards:
            length = rng.randint(args.completion_len // 2, args.completion_len)
            out.append((prompt, [rng.randrange(3, vocab) for _ in range(length)], r))
    return out


def peak_memory(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB


def measured_peak_flops(device: str) -> float:
    import torch

    n = 8192 if device.startswith("cuda") else 1024
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    sync(device)
    reps = 20 if device.startswith("cuda") else 5
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - start)


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run_ours(args, model, tokenizer, device) -> float:
    import torch

    from rlvrkit.advantages import advantages
    from rlvrkit.train.batch import Sample
    from rlvrkit.train.dist import Dist
    from rlvrkit.train.options import TrainConfig
    from rlvrkit.train.step import BatchSize, Learner, train_batch

    rows = batch(args, len(tokenizer))
    samples = []
    for g in range(args.groups):
        group = rows[g * args.n : (g + 1) * args.n]
        advs = advantages([r for _, _, r in group])
        samples += [Sample(p, c, None, a, r, 1.0, 0) for (p, c, r), a in zip(group, advs)]
    cfg = TrainConfig(model="bench", lora=args.lora, lr=1e-6, micro_tokens=args.micro_tokens,
                      grad_checkpointing=args.grad_checkpointing)  # fmt: skip
    if args.grad_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-6)
    size = BatchSize(len(samples), sum(len(s.completion_ids) for s in samples), args.completion_len)
    learner = Learner(
        model=model,
        reference=None,
        optimizer=optimizer,
        cfg=cfg,
        dist=Dist(),
        device=device,
        pad_id=tokenizer.pad_token_id,
    )
    train_batch(learner, samples, size, 0)  # warm-up
    sync(device)
    start = time.perf_counter()
    for step in range(args.steps):
        train_batch(learner, samples, size, step + 1)
    sync(device)
    return time.perf_counter() - start


def run_trl(args, model, tokenizer, device) -> float:
    """TRL's own loss and training step on the same batch, fed as _generate_and_score_completions would feed it."""
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    rows = batch(args, len(tokenizer))
    micro = args.trl_micro
    config = GRPOConfig(
        output_dir=tempfile.mkdtemp(), per_device_train_batch_size=micro, num_generations=args.n,
        max_completion_length=args.completion_len, loss_type="grpo", beta=0.0, learning_rate=1e-6,
        bf16=device.startswith("cuda"), report_to=[], gradient_checkpointing=args.grad_checkpointing,
        use_cpu=not device.startswith("cuda"), gradient_accumulation_steps=max(len(rows) // micro, 1),
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=model, reward_funcs=[lambda completions, **_: [0.0] * len(completions)], args=config,
        train_dataset=Dataset.from_dict({"prompt": ["x"] * args.n}), processing_class=tokenizer,
    )  # fmt: skip
    trainer.create_optimizer()
    from rlvrkit.advantages import advantages

    advs = []
    for g in range(args.groups):
        advs += advantages([r for _, _, r in rows[g * args.n : (g + 1) * args.n]])
    pad = tokenizer.pad_token_id
    chunks = []
    for i in range(0, len(rows), micro):
        part = rows[i : i + micro]
        P, C = max(len(p) for p, _, _ in part), max(len(c) for _, c, _ in part)
        t = lambda x: torch.tensor(x, device=device)  # noqa: E731
        chunks.append({
            "prompt_ids": t([[pad] * (P - len(p)) + p for p, _, _ in part]),
            "prompt_mask": t([[0] * (P - len(p)) + [1] * len(p) for p, _, _ in part]),
            "completion_ids": t([c + [pad] * (C - len(c)) for _, c, _ in part]),
            "completion_mask": t([[1] * len(c) + [0] * (C - len(c)) for _, c, _ in part]),
            "advantages": t(advs[i : i + micro]).float(),
            "num_items_in_batch": t(sum(len(c) for _, c, _ in rows)).float(),
        })  # fmt: skip
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = len(chunks)

    def step():  # what Trainer.training_step does once inputs are prepared (its _prepare_inputs would generate)
        for chunk in chunks:
            with trainer.compute_loss_context_manager():
                loss = trainer.compute_loss(trainer.model, chunk)
            trainer.accelerator.backward(loss)
        torch.nn.utils.clip_grad_norm_(trainer.model.parameters(), 1.0)
        trainer.optimizer.step()
        trainer.optimizer.zero_grad()

    step()  # warm-up
    sync(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync(device)
    return time.perf_counter() - start


def child(args) -> None:
    """Run one engine and print one JSON line of results."""
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer, config = build(args.shape, device, args.lora, Path(tmp))
        seconds = (run_trl if args.engine == "trl" else run_ours)(args, model, tokenizer, device)
    rows = batch(args, len(tokenizer))
    tokens = sum(len(p) + len(c) for p, c, _ in rows) * args.steps
    params = sum(p.numel() for p in model.parameters())
    seq = args.prompt_len + args.completion_len
    flops_per_token = 6 * params + 12 * config.num_hidden_layers * config.hidden_size * seq
    achieved = tokens * flops_per_token / seconds
    peak = measured_peak_flops(device)
    print(json.dumps({"engine": args.engine, "device": device, "tokens_per_s": tokens / seconds,
                      "step_s": seconds / args.steps, "peak_mem_gib": peak_memory(device), "params": params,
                      "mfu": achieved / peak, "peak_tflops": peak / 1e12}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", choices=["tiny", *SHAPES], default="tiny")
    ap.add_argument("--lora", action="store_true")
    ap.add_argument("--groups", type=int, default=4)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--completion-len", type=int, default=256)
    ap.add_argument("--micro-tokens", type=int, default=8192)
    ap.add_argument("--trl-micro", type=int, default=8, help="TRL's per-device batch (sequences per micro-batch)")
    ap.add_argument("--grad-checkpointing", action="store_true")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs per engine; the best counts")
    ap.add_argument("--device", default=None)
    ap.add_argument("--engine", choices=["ours", "base", "trl"], help=argparse.SUPPRESS)
    ap.add_argument("--trl-python", default=sys.executable, help="interpreter that has trl installed")
    ap.add_argument("--base", metavar="DIR", help="another checkout of rlvrkit to run as the engine 'base'")
    args = ap.parse_args()
    if args.engine:
        return child(args)
    argv = sys.argv[1:]
    here = str(Path(__file__).resolve().parent.parent)
    engines = [("ours", sys.executable, here)]
    if args.base:
        engines.append(("base", sys.executable, str(Path(args.base).resolve())))
    if subprocess.run([args.trl_python, "-c", "import trl"], capture_output=True).returncode == 0:
        engines.append(("trl", args.trl_python, here))
    else:
        print(f"trl is not importable by {args.trl_python}: TRL column skipped", file=sys.stderr)
    results: dict = {}
    for _ in range(args.rounds):  # alternate the engines and keep each one's best round: fair on a busy machine
        for engine, python, code in engines:
            env = {**os.environ, "PYTHONPATH": code}  # which rlvrkit the engine imports
            proc = subprocess.run(
                [python, __file__, *argv, "--engine", engine], capture_output=True, text=True, env=env
            )
            if proc.returncode != 0:
                print(f"{engine} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if engine not in results or r["tokens_per_s"] > results[engine]["tokens_per_s"]:
                results[engine] = r
    mode = "LoRA" if args.lora else "full"
    print(f"train step: {args.shape} {mode}, {args.groups}x{args.n} completions of <= {args.completion_len} tokens, "
          f"prompts of {args.prompt_len}")  # fmt: skip
    for engine, r in results.items():
        mfu = f"MFU {100 * r['mfu']:5.1f}% (of {r['peak_tflops']:.1f} TFLOP/s measured)"
        print(f"{engine:5s} {r['device']:5s} {r['tokens_per_s']:12,.0f} tokens/s  {r['step_s']:7.3f} s/step  "
              f"peak {r['peak_mem_gib']:6.2f} GiB  {mfu}")  # fmt: skip
    for other in ("base", "trl"):
        if "ours" in results and other in results:
            ours, them = results["ours"], results[other]
            print(f"ratio ours/{other}: {ours['tokens_per_s'] / them['tokens_per_s']:.2f}x tokens/s, "
                  f"{ours['peak_mem_gib'] / them['peak_mem_gib']:.2f}x peak memory")  # fmt: skip


if __name__ == "__main__":
    main()
