"""The `rlvr train` loop: verified rollouts in, policy versions and one metrics line per optimizer step out.

Groups stream in from stdin; dynamic sampling drops the ones without signal; every `batch_groups` kept groups make a
batch, trained at once and published as the next checkpoint version. The same loop serves both ways of running:
step by step (a file of rollouts, then exit; a last partial batch is trained too) and streaming (`rollout --watch`
upstream, a batch whenever enough groups have arrived, until --max-steps). A run resumes from its directory: policy,
optimizer, RNG, step and version counters, config, and — when it reads the same, unchanged input file again (a run
killed mid-file) — the position in that file, so the groups already trained on are not trained on twice. The file is
known by device, inode, size and modification time, whether named by -i or redirected to stdin (`< file`); a file
rewritten under the same name (the next batch of a Makefile loop) is new data and is read from the start. A pipe has
no identity: a resumed run reading one says so, since it cannot tell whether the pipe replays what it trained on.

Each metrics line carries, beside the loss, what tells whether a run is healthy: the policy's entropy, its mismatch
with the policy that sampled the records (rlvrkit.train.diagnostics), how stale and how often truncated the samples
were, the share of groups whose rewards did not vary, and where the time went (waiting for data, computing,
publishing). When a batch is stale — sampled by an older version, with behaviour logprobs — and --tis was not given,
sequence-level importance sampling (capped at 3, TRL's default) corrects it; --tis off turns that off.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import torch

from rlvrkit import checkpoint
from rlvrkit.errors import BadInput
from rlvrkit.groups import Scored, contiguous_groups, scored_batches
from rlvrkit.jsonl import STREAM, Source, check_streams, source_name, streams
from rlvrkit.models import check_weights
from rlvrkit.stats import mean, std
from rlvrkit.train.batch import Sample, batch_samples, record_check, shard
from rlvrkit.train.dist import Dist, relaunch, unwrap
from rlvrkit.train.options import TrainConfig, TrainOptions, resolve
from rlvrkit.train.policy import build_policy, build_reference, make_optimizer
from rlvrkit.train.state import gather, read_state, restore, write_version
from rlvrkit.train.step import BatchSize, Learner, train_batch


def run_train(source: Source, output: str, opts: TrainOptions, log) -> None:
    """`rlvr train`: learn from the records of `source`, publish versions in opts.ckpt, metrics to `output`.

    With opts.nproc > 1 outside torchrun, the command line this process runs (sys.argv) is run again under torchrun.
    """
    # everything that can go wrong before a model loads (and before torchrun starts more processes) is checked first
    check_streams(source, output)
    run_dir = Path(opts.ckpt)
    resume = checkpoint.latest(run_dir)
    saved = read_state(resume.path) if resume else None
    cfg, changed = resolve(opts, saved["config"] if saved else None)
    check_weights(cfg.model)
    checkpoint.check_writable(run_dir)
    if opts.nproc > 1 and "WORLD_SIZE" not in os.environ:
        relaunch(opts.nproc, sys.argv[1:])
    dist = Dist.from_env()
    try:
        with checkpoint.hold(run_dir) if dist.main else contextlib.nullcontext():  # one trainer per run
            run = Run(run_dir, cfg, dist, resume, saved, _identity(source.path), log=log)
            if dist.main:
                _say_start(run, resume, changed, source.path, saved)
            _train(run, source, output, log)
    except BaseException:
        dist.close(together=False)
        raise
    dist.close()


def _train(run: Run, source: Source, output: str, log) -> None:
    """Batches from `source` (rank 0 reads; every rank gets each batch), trained and published; metrics to `output`."""
    cfg, dist = run.cfg, run.dist
    check = record_check(run.vocab)
    io = streams(source, output, check=check, log=log) if dist.main else _nothing()
    progress = log.progress("steps", total=cfg.max_steps) if dist.main else contextlib.nullcontext()
    with io as (records, out), progress:
        batches = _batches(records, cfg, run.skip, log) if dist.main else None
        while not run.done:
            start = time.perf_counter()
            payload = dist.share(_next_payload(batches, cfg, run.version) if dist.main else None, run.device)
            if payload is None:
                break
            rows = run.train(payload, waited=time.perf_counter() - start)
            if dist.main:
                for row in rows:
                    out.write(row)
                out.flush()
                progress.advance(len(rows))
        run.publish(unless_published=True)


@contextlib.contextmanager
def _nothing():
    yield None, None


class Run:
    """A training run in progress: what an update works on (the `Learner`), and where the run stands (step, version,
    position in the input)."""

    def __init__(self, run_dir: Path, cfg: TrainConfig, dist: Dist, resume, saved: dict | None, identity, *, log):
        torch.manual_seed(cfg.seed)
        self.run_dir, self.cfg, self.dist, self.log = run_dir, cfg, dist, log
        self.device = dist.device(cfg.device)
        model, self.tokenizer = build_policy(cfg, resume, self.device)
        model = dist.wrap(model, fsdp=cfg.fsdp, device=self.device)
        reference = build_reference(cfg, self.device)
        self.learner = Learner(
            model=model,
            reference=reference,
            optimizer=make_optimizer(model, cfg),
            cfg=cfg,
            dist=dist,
            device=self.device,
            pad_id=self.tokenizer.pad_token_id,
        )
        self.vocab = unwrap(model).get_input_embeddings().num_embeddings  # token ids must be below it
        self.step = self.version = self.skip = 0
        if resume:
            restore(resume.path, model, self.learner.optimizer)
            self.step, self.version = saved["step"], saved["version"]
            if same_input(saved["cursor"]["input"], identity):
                self.skip = saved["cursor"]["groups"]
        self.published = self.version
        self.cursor = {"input": identity, "groups": self.skip}
        self.corrected = False  # whether the automatic importance sampling has been announced

    @property
    def done(self) -> bool:
        return self.cfg.max_steps is not None and self.step >= self.cfg.max_steps

    def train(self, payload: dict, waited: float) -> list[dict]:
        """Train on one batch (the message every rank got), publish when due; the metrics line of each step."""
        samples = [Sample(**s) for s in payload["samples"]]
        counted = [s for s in samples if not (self.cfg.mask_truncated and s.truncated)]
        size = BatchSize(len(samples), sum(len(s.completion_ids) for s in counted), payload["max_tokens"])
        mine = shard(samples, self.dist.rank, self.dist.world)
        tis = self._correction(samples)
        results = train_batch(self.learner, mine, size, self.step, tis=tis)
        first = self.step + 1
        self.step += len(results)
        self.version += 1
        self.cursor = {**self.cursor, "groups": payload["consumed"]}
        start = time.perf_counter()
        if self.version % self.cfg.save_every == 0 or self.done:
            self.publish()
        times = {"wait_s": waited, "publish_s": time.perf_counter() - start}
        return [
            _metrics(first + i, self.version, payload["batch"], r, _share(times, i, len(results)), tis)
            for i, r in enumerate(results)
        ]

    def _correction(self, samples: list[Sample]) -> str | None:
        """This batch's importance-sampling level (TrainConfig.correction); says once when a stale batch turns the
        automatic one on."""
        stale = [s.version for s in samples if s.behaviour is not None and s.version < self.version]
        tis = self.cfg.correction(bool(stale))
        if stale and self.cfg.tis is None and not self.corrected and self.dist.main:
            self.log.info(
                f"records sampled by version {min(stale)} train version {self.version}: sequence-level importance "
                f"sampling (cap {self.cfg.tis_cap:g}) corrects them; --tis off turns it off"
            )
            self.corrected = True
        return tis

    def publish(self, unless_published: bool = False) -> None:
        """Write the current version (every rank takes part; rank 0 writes), then prune old ones."""
        if unless_published and self.published == self.version:
            return
        model, optimizer = self.learner.model, self.learner.optimizer
        model_state, optim_state = gather(model, optimizer, fsdp=self.cfg.fsdp)
        if self.dist.main:
            state = {"step": self.step, "version": self.version, "config": self.cfg.to_json(), "cursor": self.cursor}

            def write(folder: Path) -> None:
                write_version(folder, model, self.tokenizer, model_state, optim_state, state)

            kind = "adapter" if self.cfg.lora else "full"
            checkpoint.publish(self.run_dir, self.version, kind, self.cfg.model, write)
            checkpoint.prune(self.run_dir, self.cfg.keep)
        self.published = self.version
        self.dist.barrier()


def _say_start(run: Run, resume, changed: list[str], path: str, saved: dict | None) -> None:
    cfg, log = run.cfg, run.log
    if resume is None:
        mode = f"LoRA r={cfg.lora_r}" if cfg.lora else "full"
        log.info(f"new run in {run.run_dir}: {cfg.objective} on {cfg.model} ({mode})")
        return
    change = f"; changed {', '.join(changed)}" if changed else ""
    log.info(f"resumed {run.run_dir} at version {run.version} (step {run.step}){change}")
    name, read = source_name(path), saved["cursor"]["groups"]
    if run.skip:
        log.info(f"skipping the first {run.skip} groups of {name}: the run already trained on them")
    elif run.cursor["input"] is None and read:
        log.warn(
            f"{name} is not a regular file, so it cannot be matched to the input this run stopped {read} groups into; "
            "all of it is trained on. If it replays records already trained on, give the file (-i FILE or < FILE)"
        )


def _identity(path: str) -> dict | None:
    """What makes the input the same file again: device, inode, size, modification time, and where reading starts. Of
    the -i file, or of a regular file the shell redirected to stdin (`< file`); None for a pipe or a terminal."""
    try:
        fd = sys.stdin.fileno() if path == STREAM else None
        st = os.fstat(fd) if fd is not None else os.stat(path)
        offset = os.lseek(fd, 0, os.SEEK_CUR) if fd is not None and stat.S_ISREG(st.st_mode) else 0
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return {"device": st.st_dev, "inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "offset": offset}


def same_input(saved: dict | None, now: dict | None) -> bool:
    """Whether the input is the one the saved cursor counts groups in (a cursor saved before device and offset were
    recorded matches on inode, size and modification time)."""
    if saved is None or now is None:
        return False
    core = all(saved.get(k) == now[k] for k in ("inode", "size", "mtime_ns"))
    return core and all(saved.get(k, now[k]) == now[k] for k in ("device", "offset"))


def _batches(records, cfg: TrainConfig, skip: int, log) -> Iterator[tuple[list[Scored], Counter, Counter]]:
    """(kept groups with their advantages, drops by reason, groups read: so far and for this batch) for each batch; a
    last partial batch at the end of the input, unless the input ended at a bad line (then the run stops without
    training on it, or on a batch whose last group the bad line cut short). The first `skip` groups were trained on
    before (a resumed run reading the same file again)."""
    read = Counter()
    groups = _skipping(contiguous_groups(records, records.reject), skip, read, cfg, log)
    dropped: Counter = Counter()
    before = Counter()
    for batch in scored_batches(groups, cfg.rule, cfg.batch_groups, dropped, recorded=True):
        if records.failure is not None and (len(batch) < cfg.batch_groups or _cut(batch[-1].records)):
            return  # the input ended at a bad line: a partial batch, or a group the bad line cut short
        this = read.copy()
        this.subtract(before)
        yield batch, dropped.copy(), Counter(consumed=read["groups"], read=this["new"], flat=this["flat"])
        before = read.copy()
        dropped.clear()


def _cut(group: list[dict]) -> bool:
    """Whether a group holds fewer records than the rollout said it sampled (sampling.n)."""
    sampling = group[0].get("sampling")
    n = sampling.get("n") if isinstance(sampling, dict) else None
    return isinstance(n, int) and len(group) < n


def _skipping(groups, skip: int, read: Counter, cfg: TrainConfig, log) -> Iterator[list[dict]]:
    """The groups after the first `skip`, counting every group read, and those after `skip` (new) and among them the
    ones whose rewards do not vary (flat); warns once when --loss srl meets non-SRL data."""
    warned = False
    for group in groups:
        read["groups"] += 1
        if read["groups"] <= skip:
            continue
        read["new"] += 1
        read["flat"] += len({float(rec["reward"]) for rec in group}) == 1
        if cfg.loss == "srl" and group[0].get("task") != "srl" and not warned:
            task = group[0].get("task", "math")
            log.warn(f"--loss srl is the recipe for SRL step data, but group {group[0]['id']!r} has task {task!r}")
            warned = True
        yield group


def _next_payload(batches, cfg: TrainConfig, version: int) -> dict | None:
    """The next batch as a JSON-able message for every rank, or None when the input is done."""
    try:
        batch, dropped, read = next(batches)
    except StopIteration:
        return None
    samples = batch_samples(batch)
    max_tokens = cfg.max_tokens or _sampled_max_tokens(batch)
    if cfg.objective == "dr-grpo" and not max_tokens:
        raise BadInput(
            "dr-grpo divides by the generation budget: give --max-tokens (the records carry no sampling.max_tokens)"
        )
    return {
        "samples": [s.to_json() for s in samples],
        "max_tokens": max_tokens,
        "consumed": read["consumed"],
        "batch": _batch_stats(samples, len(batch), dropped, version)
        | {"zero_spread_frac": read["flat"] / read["read"]},
    }


def _sampled_max_tokens(batch: list[Scored]) -> int | None:
    """The largest sampling.max_tokens the batch's rollouts recorded."""
    sampled = [s.records[0].get("sampling") for s in batch]
    limits = [m.get("max_tokens") for m in sampled if isinstance(m, dict)]
    return max((m for m in limits if isinstance(m, int)), default=None)


def _batch_stats(samples: list[Sample], groups: int, dropped: Counter, version: int) -> dict:
    rewards = [s.reward for s in samples]
    lengths = [len(s.completion_ids) for s in samples]
    staleness = [version - s.version for s in samples]
    return {
        "reward_mean": mean(rewards),
        "reward_std": std(rewards),
        "adv_abs_mean": mean([abs(s.advantage) for s in samples]),
        "len_mean": mean(lengths),
        "len_max": max(lengths),
        "tokens": sum(s.tokens for s in samples),
        "staleness": mean(staleness),
        "staleness_max": max(staleness),
        "truncated_frac": mean([float(s.truncated) for s in samples]),
        "groups_used": groups,
        "groups_dropped": sum(dropped.values()),
        "dropped": dict(dropped),
    }


def _share(times: dict, i: int, updates: int) -> dict:
    """A batch's wait and publish times on its step lines: the wait on the first, the publishing on the last (0 on the
    others), so that the columns add up to the run's time."""
    return {"wait_s": times["wait_s"] if i == 0 else 0.0, "publish_s": times["publish_s"] if i == updates - 1 else 0.0}


def _metrics(step: int, version: int, batch: dict, result: dict, times: dict, tis: str | None) -> dict:
    seconds = result["seconds"]
    return {
        "step": step,
        "version": version,
        "loss": result["loss"],
        **{k: batch[k] for k in ("reward_mean", "reward_std", "adv_abs_mean", "len_mean", "len_max")},
        **{k: result[k] for k in ("entropy", "mismatch_log_ratio", "mismatch_k3", "clip_frac", "kl")},
        **{k: result[k] for k in ("is_ratio_mean", "off_policy_masked", "grad_norm", "lr")},
        "tis": tis or "off",
        "tokens": batch["tokens"],
        "tokens_per_s": batch["tokens"] / max(seconds, 1e-9),
        **{k: batch[k] for k in ("staleness", "staleness_max", "truncated_frac", "zero_spread_frac")},
        **{k: batch[k] for k in ("groups_used", "groups_dropped", "dropped")},
        "wait_s": times["wait_s"],
        "compute_s": seconds,
        "publish_s": times["publish_s"],
    }
