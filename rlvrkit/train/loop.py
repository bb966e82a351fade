"""The `rlvr train` loop: verified rollouts in, policy versions and one metrics line per optimizer step out.

Groups stream in from stdin; dynamic sampling drops the ones without signal; every `batch_groups` kept groups make a
batch, trained at once and published as the next checkpoint version. The same loop serves both ways of running:
step by step (a file of rollouts, then exit; a last partial batch is trained too) and streaming (`rollout --watch`
upstream, a batch whenever enough groups have arrived, until --max-steps). A run resumes from its directory: policy,
optimizer, RNG, step and version counters, config, and — when it reads the same, unchanged input file again (a run
killed mid-file) — the position in that file, so the groups already trained on are not trained on twice. A file
rewritten under the same name (the next batch of a Makefile loop) is new data and is read from the start.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import torch

from rlvrkit import checkpoint
from rlvrkit.advantages import mean, std
from rlvrkit.errors import Failure
from rlvrkit.groups import contiguous_groups, drop_reason, group_stats
from rlvrkit.jsonl import STREAM, streams
from rlvrkit.train.batch import Sample, batch_samples, check_train_record, shard
from rlvrkit.train.config import TrainConfig, resolve
from rlvrkit.train.dist import Dist
from rlvrkit.train.policy import build_policy, build_reference, make_optimizer
from rlvrkit.train.state import gather, read_state, restore, write_version
from rlvrkit.train.step import train_batch


def run_train(run_dir: str, given: dict, *, input=STREAM, output=STREAM, on_error="fail", rejects=None, log) -> None:
    """Train on the records in `input`, publishing versions in `run_dir`; `given` holds the options the user set."""
    dist = Dist.from_env()
    try:
        _train(Path(run_dir), given, dist, input=input, output=output, on_error=on_error, rejects=rejects, log=log)
    except BaseException:
        dist.close(together=False)
        raise
    dist.close()


def _train(run_dir: Path, given: dict, dist: Dist, *, input, output, on_error, rejects, log) -> None:
    resume = checkpoint.latest(run_dir)
    saved = read_state(resume.path) if resume else None
    if given.get("model") is not None:
        given = {**given, "model": str(Path(given["model"]).resolve())}
    cfg, changed = resolve(given, saved["config"] if saved else None)
    say = log.info if dist.main else (lambda _: None)
    torch.manual_seed(cfg.seed)
    device = dist.device(cfg.device)
    model, tokenizer = build_policy(cfg, resume, device)
    reference = build_reference(cfg, device)
    model = dist.wrap(model, fsdp=cfg.fsdp, device=device)
    optimizer = make_optimizer(model, cfg)
    step = version = 0
    source = _identity(input)
    skip = 0
    if resume:
        restore(resume.path, model, optimizer)
        step, version = saved["step"], saved["version"]
        if source is not None and saved["cursor"]["input"] == source:
            skip = saved["cursor"]["groups"]
        say(
            f"resumed {run_dir} at version {version} (step {step})"
            + (f"; changed {', '.join(changed)}" if changed else "")
        )
        if skip:
            say(f"skipping the first {skip} groups of {input}: the run already trained on them")
    else:
        mode = f"LoRA r={cfg.lora_r}" if cfg.lora else "full"
        say(f"new run in {run_dir}: {cfg.objective} on {cfg.model} ({mode})")
    pad_id = tokenizer.pad_token_id

    io = streams(input, output, check=check_train_record, on_error=on_error, rejects=rejects, log=log)
    with io if dist.main else contextlib.nullcontext((None, None)) as (records, out):
        batches = _batches(records, cfg, skip, log) if dist.main else None
        with log.progress("steps", total=cfg.max_steps) if dist.main else contextlib.nullcontext() as progress:
            published = version
            while cfg.max_steps is None or step < cfg.max_steps:
                payload = _next_payload(batches, cfg, version) if dist.main else None
                payload = dist.share(payload, device)
                if payload is None:
                    break
                samples = [Sample(**s) for s in payload["samples"]]
                results = train_batch(
                    model,
                    reference,
                    optimizer,
                    shard(samples, dist.rank, dist.world),
                    num_seqs=len(samples),
                    num_tokens=sum(len(s.completion_ids) for s in samples),
                    cfg=cfg,
                    dist=dist,
                    device=device,
                    pad_id=pad_id,
                    max_tokens=payload["max_tokens"],
                    step=step,
                )
                step += len(results)
                version += 1
                cursor = {"input": source, "groups": payload["consumed"]}
                if version % cfg.save_every == 0 or (cfg.max_steps is not None and step >= cfg.max_steps):
                    _publish(run_dir, model, optimizer, tokenizer, cfg, step, version, cursor, dist)
                    published = version
                if dist.main:
                    for i, result in enumerate(results):
                        out.write(_metrics(step - len(results) + i + 1, version, payload["batch"], result))
                    out.flush()
                    progress.advance(len(results))
            if version != published:
                _publish(run_dir, model, optimizer, tokenizer, cfg, step, version, cursor, dist)


def _identity(path: str) -> dict | None:
    """What makes an input file the same file: path, inode, size, modification time (None for stdin)."""
    if path == STREAM:
        return None
    st = Path(path).stat()
    return {"path": str(Path(path).resolve()), "inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _batches(records, cfg: TrainConfig, skip: int, log) -> Iterator[tuple[list[list[dict]], Counter, int]]:
    """(kept groups, drops by reason, groups consumed so far) for each batch; a last partial batch at the end of the
    input, unless the input ended at a bad line (then the run stops without training on it)."""
    kept: list[list[dict]] = []
    dropped: Counter = Counter()
    consumed = 0
    warned = False
    for group in contiguous_groups(records, records.reject):
        consumed += 1
        if consumed <= skip:
            continue
        if cfg.loss == "srl" and group[0].get("task") != "srl" and not warned:
            log.warn(
                f"--loss srl is the recipe for SRL step data, but group {group[0]['id']!r} has task "
                f"{group[0].get('task', 'math')!r}"
            )
            warned = True
        stats = group_stats([float(r["reward"]) for r in group], solved_at=cfg.solved_at, std_kind=cfg.std)
        reason = drop_reason(stats, cfg.drop_reasons, cfg.min_group_std)
        if reason:
            dropped[reason] += 1
            continue
        kept.append(group)
        if len(kept) == cfg.batch_groups:
            yield kept, dropped, consumed
            kept, dropped = [], Counter()
    if kept and records.failure is None:
        yield kept, dropped, consumed


def _next_payload(batches, cfg: TrainConfig, version: int) -> dict | None:
    """The next batch as a JSON-able message for every rank, or None when the input is done."""
    try:
        groups, dropped, consumed = next(batches)
    except StopIteration:
        return None
    samples = batch_samples(groups, method=cfg.advantage, std_kind=cfg.std, eps=cfg.adv_eps)
    max_tokens = cfg.max_tokens
    if max_tokens is None:
        limits = [g[0].get("sampling", {}).get("max_tokens") for g in groups if isinstance(g[0].get("sampling"), dict)]
        max_tokens = max((m for m in limits if isinstance(m, int)), default=None)
    if cfg.objective == "dr-grpo" and not max_tokens:
        raise Failure(
            "dr-grpo divides by the generation budget: give --max-tokens (the records carry no sampling.max_tokens)"
        )
    return {
        "samples": [s.to_json() for s in samples],
        "max_tokens": max_tokens,
        "consumed": consumed,
        "batch": _batch_stats(samples, len(groups), dropped, version),
    }


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
        "groups_used": groups,
        "groups_dropped": sum(dropped.values()),
        "dropped": dict(dropped),
    }


def _metrics(step: int, version: int, batch: dict, result: dict) -> dict:
    seconds = result["seconds"]
    return {
        "step": step,
        "version": version,
        "loss": result["loss"],
        **{k: batch[k] for k in ("reward_mean", "reward_std", "adv_abs_mean", "len_mean", "len_max")},
        **{k: result[k] for k in ("clip_frac", "kl", "is_ratio_mean", "grad_norm", "lr")},
        "tokens": batch["tokens"],
        "tokens_per_s": batch["tokens"] / max(seconds, 1e-9),
        **{k: batch[k] for k in ("staleness", "staleness_max", "groups_used", "groups_dropped", "dropped")},
    }


def _publish(run_dir: Path, model, optimizer, tokenizer, cfg: TrainConfig, step, version, cursor, dist: Dist) -> None:
    model_state, optim_state = gather(model, optimizer, fsdp=cfg.fsdp)
    if dist.main:
        state = {"step": step, "version": version, "config": cfg.to_json(), "cursor": cursor}

        def write(folder: Path) -> None:
            write_version(folder, model, tokenizer, model_state, optim_state, state)

        checkpoint.publish(run_dir, version, "adapter" if cfg.lora else "full", cfg.model, write)
        checkpoint.prune(run_dir, cfg.keep)
    dist.barrier()
