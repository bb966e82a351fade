"""`rlvr rollout`: prompt records in, groups of rollout records out — the engine, batches, the record layout, passes.

Prompts are read a window at a time (a few batches' worth), sorted longest first so each batch pads little, and cut
into batches of whole groups (a group is split only when n exceeds the batch size). A group's n records are
written together, and flushed, as soon as its last completion is done; the order of groups in the output is
therefore the order they finish in, not the input order.

Before each batch the policy is looked up (rlvrkit.rollout.watch): the fixed --model/--adapter, or with --watch the
newest version `train` published, so in the streaming loop every batch uses the freshest weights.

`--engine auto` takes vLLM when it is installed and a GPU is present, else transformers; `--server URL` samples through
running `vllm serve` processes instead (rlvrkit.rollout.server_engine). Everything that can be checked (the paths, the
model folder, the chat template, the servers) is checked before a model is loaded or a prompt is sent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rlvrkit.errors import BadInput, InvalidRecord
from rlvrkit.jsonl import Records, RecordWriter, Source, check_streams, streams, windows
from rlvrkit.models import check_weights, load_tokenizer
from rlvrkit.records import check_prompt
from rlvrkit.rollout.engine import Completion, Engine, Policy, Request
from rlvrkit.rollout.options import BATCH_SIZE, RolloutOptions, Sampling
from rlvrkit.rollout.prompts import prompt_ids
from rlvrkit.rollout.watch import PolicySource, load_current

WINDOW_BATCHES = 4  # batches' worth of prompts read ahead and sorted by length together


@dataclass
class Prompt:
    rec: dict
    ids: list[int]


def rollout_record(
    prompt: Prompt, sample: int, c: Completion, policy: Policy, params: Sampling, epoch: int = 0
) -> dict:
    """One line of output: the prompt record's fields, then what this completion adds (the record contract); `epoch`
    is the pass over the prompts it was drawn in (0 on the first), so a history of several passes can be told apart."""
    return {
        **prompt.rec,
        "completion": c.text,
        "sample": sample,
        "epoch": epoch,
        "prompt_ids": list(prompt.ids),
        "completion_ids": list(c.token_ids),
        "logprobs": [float(f"{x:.7g}") for x in c.logprobs],  # float32 precision, half the digits of a double
        "finish_reason": c.finish_reason,
        "policy": policy.record(),
        "sampling": params.record(),
    }


def plan(prompts: list[Prompt], n: int, batch_size: int) -> list[list[tuple[int, int]]]:
    """Batches of (prompt index, sample), longest prompts first, each group whole unless n > batch_size."""
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i].ids))
    batches: list[list[tuple[int, int]]] = []
    batch: list[tuple[int, int]] = []
    for i in order:
        if n <= batch_size and len(batch) + n > batch_size:
            batches.append(batch)
            batch = []
        for s in range(n):
            batch.append((i, s))
            if len(batch) == batch_size:
                batches.append(batch)
                batch = []
    if batch:
        batches.append(batch)
    return batches


def run_window(
    prompts: list[Prompt],
    engine: Engine,
    params: Sampling,
    batch_size: int,
    policy_now: Callable[[], Policy],
    emit: Callable[[list[dict]], None],
    *,
    epoch: int = 0,
) -> None:
    """Generate every group of `prompts`, emitting each group the moment its last completion is done."""
    n = params.n
    groups: dict[int, list] = {}
    for batch in plan(prompts, n, batch_size):
        policy = load_current(engine, policy_now)
        requests = [Request(prompts[i].ids, prompts[i].rec["id"], s, epoch) for i, s in batch]
        for (i, s), c in zip(batch, engine.generate(requests, params)):
            slots = groups.setdefault(i, [None] * n)
            slots[s] = rollout_record(prompts[i], s, c, policy, params, epoch)
            if all(r is not None for r in slots):
                emit(groups.pop(i))


def pick(engine: str, log) -> str:
    """'auto' → 'vllm' when vLLM is importable and a CUDA GPU is present, else 'transformers'."""
    if engine != "auto":
        return engine
    import importlib.util

    import torch

    has_vllm = importlib.util.find_spec("vllm") is not None
    gpu = torch.cuda.is_available()
    chosen = "vllm" if has_vllm and gpu else "transformers"
    why = "vLLM and a GPU found" if chosen == "vllm" else ("no GPU" if not gpu else "vLLM not installed")
    log.info(f"engine: {chosen} ({why})")
    return chosen


def open_engine(opts: RolloutOptions, log) -> Engine:
    """Check the model (and adapter) folders and the chat template, then start the engine --engine names, or connect
    to the --server URLs (then only the model's tokenizer is needed here: the servers hold the weights)."""
    if not opts.server:
        check_weights(opts.model)
    if opts.adapter is not None:
        check_weights(opts.adapter, "adapter")
    tokenizer = load_tokenizer(opts.model, trust_remote_code=opts.trust_remote_code)
    if opts.chat and getattr(tokenizer, "chat_template", None) is None:
        raise BadInput(f"{opts.model} has no chat template; use --no-chat")
    if opts.system is not None and opts.chat is False:
        log.warn("--system is ignored with --no-chat (a system message needs the chat template)")
    if opts.server:
        from rlvrkit.rollout.server_engine import open_servers

        return open_servers(opts, tokenizer, log)
    chosen = pick(opts.engine, log)
    if chosen == "vllm":
        from rlvrkit.rollout.vllm_engine import open_vllm

        return open_vllm(opts, tokenizer, log)
    from rlvrkit.rollout.transformers_engine import TransformersEngine

    return TransformersEngine(
        opts.model, tokenizer, dtype=opts.dtype, device=opts.device, trust_remote_code=opts.trust_remote_code
    )


class Emitter:
    """Writes each finished group at once and counts completions and tokens for the progress line and summary."""

    def __init__(self, writer: RecordWriter, progress):
        self.writer, self.progress, self.tokens = writer, progress, 0

    def __call__(self, group: list[dict]) -> None:
        for rec in group:
            self.writer.write(rec)
            self.tokens += len(rec["completion_ids"])
        self.writer.flush()
        self.progress.advance(len(group))


def prompts_of(records: Records, engine: Engine, opts: RolloutOptions, chat: bool) -> Iterator[Prompt]:
    """Each checked prompt record with its token ids; one the template refuses, or longer than the engine takes (its
    `max_prompt_tokens`, when it has one), is a bad line of `records`."""
    limit = getattr(engine, "max_prompt_tokens", None)
    for rec in records:
        try:
            ids = prompt_ids(engine.tokenizer, rec, chat=chat, system=opts.system)
            if limit is not None and len(ids) > limit:
                too_long = f"the prompt has {len(ids)} tokens; {engine.name} takes at most {limit} (max_model_len - 1)"
                raise InvalidRecord(too_long)
        except InvalidRecord as err:
            records.reject(str(err))
            continue
        yield Prompt(rec, ids)


def run_rollout(source: Source, output: str, opts: RolloutOptions, log, *, engine: Engine | None = None) -> None:
    """`rlvr rollout`: n rollout records per prompt record of `source` (forever with --watch) to `output`.

    `engine`: an engine already started (tests, eval); by default one is opened from `opts`.
    """
    check_streams(source, output)
    engine = engine or open_engine(opts, log)
    chat = opts.chat if opts.chat is not None else getattr(engine.tokenizer, "chat_template", None) is not None
    batch_size = opts.batch_size or BATCH_SIZE.get(engine.name, 64)
    policy_now = PolicySource(opts.model, opts.adapter, opts.watch, log)
    size = max(1, WINDOW_BATCHES * batch_size // opts.n)
    with (
        streams(source, output, check=check_prompt, log=log) as (records, writer),
        log.progress("completions") as progress,
    ):
        emit = Emitter(writer, progress)
        for prompts, epoch in passes(prompts_of(records, engine, opts, chat), records, opts, size):
            run_window(prompts, engine, opts.sampling, batch_size, policy_now, emit, epoch=epoch)
        seconds = max(time.monotonic() - progress.start, 1e-9)
        rate = f"{emit.tokens / seconds:.0f} tokens/s"
        log.info(f"{progress.done} completions, {emit.tokens} tokens in {seconds:.1f} s ({rate})")


def passes(
    prompts: Iterator[Prompt], records: Records, opts: RolloutOptions, size: int
) -> Iterator[tuple[list[Prompt], int]]:
    """(window of prompts, pass number), a window at a time. One pass streams the input; several (forever with 0),
    each shuffled from --seed with --shuffle, need every prompt first, so a bad line stops the run before any work."""
    if opts.passes == 1 and not opts.shuffle:
        yield from ((window, 0) for window in windows(prompts, size))
        return
    prompts = list(prompts)
    if records.failure is not None:
        raise records.failure
    epoch = 0
    while prompts and (opts.passes == 0 or epoch < opts.passes):
        order = list(range(len(prompts)))
        if opts.shuffle:
            random.Random(f"{opts.seed}:{epoch}").shuffle(order)
        yield from ((window, epoch) for window in windows((prompts[i] for i in order), size))
        epoch += 1
