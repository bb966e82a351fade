"""`rlvr demo`: the whole loop on the embedded tiny model, offline, on a CPU, with an honest held-out measurement.

The task is one-digit sums, "What is 3 + 4?", split once into training and held-out prompts that never meet. The demo
runs the real commands, as a user would type them, and shows each one:

    rlvr eval   the tiny model on the held-out sums (before)
    rlvr rollout --watch RUN | rlvr verify | rlvr train --ckpt RUN      on the training sums only
    rlvr eval   the trained policy on the held-out sums (after)
    rlvr eval --compare before after      the rise, with a paired bootstrap interval over the held-out prompts
    rlvr plot   the training curves

The tiny model (rlvrkit.tiny) has seen every sum worked correctly in pretraining but, asked in a chat, mostly answers
carelessly; RL on the training sums teaches it to answer with what it knows, and the held-out sums show whether that
carried over. The model is built once and kept in the user cache, keyed by the code that builds it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rlvrkit import tiny
from rlvrkit.errors import BadInput, Failure
from rlvrkit.jsonl import check_output, write_all
from rlvrkit.models import check_weights
from rlvrkit.recipes import CHOICES

MARK = ".rlvr-demo"  # marks a folder the demo made, so a rerun may clear what it made there
# what the demo writes in its folder; a rerun removes these and keeps anything else
MADE = (MARK, "train.jsonl", "heldout.jsonl", "before.json", "before-samples.jsonl", "after.json",
        "after-samples.jsonl", "compare.jsonl", "rollout.log", "verify.log", "train.log", "metrics.jsonl", "run",
        "curves.png")  # fmt: skip
MAX_TOKENS = 24  # a worked sum is 19 tokens
MAX_N = 256  # completions per prompt: more says nothing more about 100 sums
# The tiny model's learning rates. LUSPO weights each sequence's term by its length (10-20 tokens here), so its steps
# are that much larger at the same rate; a quarter of the others' keeps it stable (measured: see README, make luspo).
LEARNING_RATE = {"luspo": 5e-5}
DEFAULT_LR = 2e-4


@dataclass(frozen=True)
class DemoOptions:
    """`rlvr demo`'s options."""

    workdir: str = "rlvr-demo"
    loss: str = "grpo"
    steps: int = 60
    lr: float | None = None  # None: LEARNING_RATE for the loss
    n: int = 8  # completions per prompt, in training and in evaluation
    held_out: int = 30  # of the 100 one-digit sums
    model: str | None = None  # default: the tiny model, built once into the user cache
    seed: int = 0

    def __post_init__(self):
        if self.loss not in CHOICES:
            raise ValueError(f"--loss must be one of {', '.join(CHOICES)}")
        if self.steps < 1 or not 2 <= self.n <= MAX_N:
            raise ValueError(f"--steps must be 1 or more and -n from 2 to {MAX_N} (a group needs two samples)")
        if not 1 <= self.held_out <= 90:
            raise ValueError("--held-out must be between 1 and 90, leaving 10 or more sums to train on")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"--lr must be a finite number above 0, not {self.lr}")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"--seed must be from 0 to 2^63 - 1, not {str(self.seed)[:40]}")

    @property
    def learning_rate(self) -> float:
        return self.lr or LEARNING_RATE.get(self.loss, DEFAULT_LR)


def run_demo(output: str, opts: DemoOptions, log) -> None:
    """Run the demo in opts.workdir and write its summary line to `output`: the held-out score before and after, the
    rise and its interval, the wall time and where everything is."""
    start = time.monotonic()
    check_output(output)
    if opts.model:
        check_weights(opts.model)
    work = prepare_workdir(opts.workdir, log)
    model = str(Path(opts.model).resolve()) if opts.model else cached_tiny(log)
    train, held = sums(opts.seed, opts.held_out)
    write_all(work / "train.jsonl", train)
    write_all(work / "heldout.jsonl", held)
    log.info(f"{len(train)} training sums, {len(held)} held-out sums, in {work}")
    evaluate(work, model, "before", opts, log)
    train_loop(work, model, opts, log)
    evaluate(work, "run/latest", "after", opts, log)  # commands run in work
    rise = compare(work, opts, log)
    rlvr(["plot", "metrics.jsonl", "--label", opts.loss, "-o", "curves.png"], work, log)
    rlvr(["plot", "metrics.jsonl", "--label", opts.loss, "--ascii"], work, log, stdout=sys.stderr)
    result = summary(work, rise, opts, time.monotonic() - start)
    log.info(f"held-out {rise['metric']}: {rise['a']:.3f} before, {rise['b']:.3f} after ({rise['delta']:+.3f}, 95% "
             f"interval {rise['low']:+.3f} to {rise['high']:+.3f}) in {result['seconds']:.0f} s; curves in "
             f"{result['plot']}")  # fmt: skip
    write_all(output, [result])


def sums(seed: int, held_out: int) -> tuple[list[dict], list[dict]]:
    """The 100 one-digit sums as prompt records, shuffled by `seed` and split into (train, held-out)."""
    pairs = [(a, b) for a in range(10) for b in range(10)]
    random.Random(seed).shuffle(pairs)
    records = [{"id": f"sum-{a}-{b}", "prompt": f"What is {a} + {b}?", "answer": str(a + b)} for a, b in pairs]
    return records[held_out:], records[:held_out]


def prepare_workdir(workdir: str, log) -> Path:
    """The work folder, ready: created, or (when an earlier demo made it, or it is empty) cleared of what a demo makes
    (`MADE`), keeping anything else, which is said. Any other folder, or a file, is refused."""
    work = Path(workdir)
    if work.exists() and not work.is_dir():
        raise BadInput(f"{work} is not a folder; name a new one with --dir")
    if work.exists() and not (work / MARK).exists() and any(work.iterdir()):
        raise BadInput(f"{work} exists and is not a demo folder; name a new one with --dir")
    try:
        work.mkdir(parents=True, exist_ok=True)
        for name in MADE:
            _remove(work / name)
        (work / MARK).touch()
    except OSError as err:
        raise Failure(f"cannot prepare {work}: {err.strerror or err}") from None
    kept = sorted(p.name for p in work.iterdir() if p.name not in MADE)
    if kept:
        shown = ", ".join(kept[:3]) + (f" and {len(kept) - 3} more" if len(kept) > 3 else "")
        log.info(f"kept what the demo did not make in {work}: {shown}")
    return work


def _remove(path: Path) -> None:
    """Remove a file, a link (not what it points to) or a folder, if there."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def tiny_folder() -> Path:
    """Where the tiny model is kept: $XDG_CACHE_HOME/rlvrkit (else ~/.cache/rlvrkit), in a folder named for a digest
    of the code that builds it, so a changed recipe builds afresh."""
    digest = hashlib.sha256(Path(tiny.__file__).read_bytes()).hexdigest()[:12]
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rlvrkit" / f"tiny-{digest}"


def cached_tiny(log) -> str:
    """The tiny model from the user cache (`tiny_folder`), built there on first use."""
    folder = tiny_folder()
    cache = folder.parent
    if (folder / "config.json").exists():
        return str(folder)
    log.info(f"building the tiny model into {folder} (once; about half a minute)")
    tmp = cache / f".tmp-tiny-{os.getpid()}"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tiny.build_tiny(tmp)
        os.replace(tmp, folder)
    except OSError as err:
        if not (folder / "config.json").exists():  # else another demo finished it first
            raise Failure(f"cannot build the tiny model in {cache}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(folder)


def evaluate(work: Path, model: str, name: str, opts: DemoOptions, log) -> None:
    """`rlvr eval` on the held-out sums, keeping every sample for the comparison."""
    rlvr(["eval", "-m", model, "-n", str(opts.n), "-k", f"1,{opts.n}", "--max-tokens", str(MAX_TOKENS),
          "--seed", str(opts.seed), "--bench", "heldout=heldout.jsonl", "--name", name,
          "--per-sample", f"{name}-samples.jsonl", "-o", f"{name}.json"], work, log)  # fmt: skip


def train_loop(work: Path, model: str, opts: DemoOptions, log) -> None:
    """The streaming loop on the training sums, one process per command, as a shell pipe runs it; every metrics line
    train writes is kept in metrics.jsonl and shown as a progress row."""
    rollout = ["rollout", "--watch", "run", "-m", model, "-n", str(opts.n), "--max-tokens", str(MAX_TOKENS),
               "--shuffle", "--seed", str(opts.seed), "-i", "train.jsonl"]  # fmt: skip
    train = ["train", "--ckpt", "run", "-m", model, "--full", "--loss", opts.loss, "--lr", f"{opts.learning_rate:g}",
             "--tis", "token", "--batch-groups", "8", "--max-steps", str(opts.steps),
             "--seed", str(opts.seed)]  # fmt: skip
    stages = [rollout, ["verify"], train]
    log.info("$ " + " | ".join(shown(args) for args in stages) + " > metrics.jsonl")
    procs: list[subprocess.Popen] = []
    try:
        for args in stages:
            upstream = procs[-1].stdout if procs else subprocess.DEVNULL
            with open(work / f"{args[0]}.log", "wb") as err:
                proc = subprocess.Popen(command(args), cwd=work, stdin=upstream, stdout=subprocess.PIPE, stderr=err)
            procs.append(proc)
            if len(procs) > 1:
                upstream.close()  # the next stage holds it now; when that stage ends, this one sees a closed pipe
        keep_metrics(procs[-1].stdout, work / "metrics.jsonl", log)
        if procs[-1].wait() != 0:
            raise Failure(f"rlvr train failed (exit {procs[-1].returncode}); see {work / 'train.log'}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
            proc.wait()


def keep_metrics(stream, path: Path, log) -> None:
    """Copy train's metrics lines to `path` as they come, with a row per step on stderr."""
    log.info("step  reward  length  entropy  staleness  mismatch")
    with open(path, "wb") as out:
        for line in stream:
            out.write(line)
            out.flush()
            m = json.loads(line)
            mismatch = "-" if m["mismatch_k3"] is None else f"{m['mismatch_k3']:.4f}"
            log.info(f"{m['step']:4d}  {m['reward_mean']:6.2f}  {m['len_mean']:6.1f}  {m['entropy']:7.3f}  "
                     f"{m['staleness']:9.1f}  {mismatch:>8}")  # fmt: skip


def compare(work: Path, opts: DemoOptions, log) -> dict:
    """`rlvr eval --compare` of the two held-out runs; returns its avg@n line."""
    rlvr(["eval", "--compare", "before-samples.jsonl", "after-samples.jsonl", "-k", f"1,{opts.n}",
          "-o", "compare.jsonl"], work, log)  # fmt: skip
    rows = [json.loads(line) for line in (work / "compare.jsonl").read_text().splitlines()]
    return next(r for r in rows if r["metric"] == f"avg@{opts.n}")


def summary(work: Path, rise: dict, opts: DemoOptions, seconds: float) -> dict:
    return {
        "heldout_before": rise["a"],
        "heldout_after": rise["b"],
        "rise": rise["delta"],
        "rise_95": [rise["low"], rise["high"]],
        "metric": rise["metric"],
        "prompts": rise["prompts"],
        "loss": opts.loss,
        "steps": opts.steps,
        "seconds": round(seconds, 1),
        "workdir": str(work),
        "plot": str(work / "curves.png"),
    }


def rlvr(args: list[str], work: Path, log, stdout=None) -> None:
    """Run one rlvr command in `work`, showing it first; its stderr goes to the terminal. A failure is the demo's."""
    log.info("$ " + shown(args))
    done = subprocess.run(command(args), cwd=work, stdin=subprocess.DEVNULL, stdout=stdout)
    if done.returncode != 0:
        raise Failure(f"rlvr {args[0]} failed (exit {done.returncode}) in {work}")


def command(args: list[str]) -> list[str]:
    """This installation's rlvr, whatever is on PATH."""
    return [sys.executable, "-m", "rlvrkit.commands.cli", *args]


def shown(args: list[str]) -> str:
    return "rlvr " + " ".join(args)
