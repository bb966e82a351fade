"""Prompt records in, groups of rollout records out: batching, the record layout, and the --watch loop.

Prompts are read a window at a time (a few batches' worth), sorted longest first so each batch pads little, and cut
into batches of whole groups (a group is split only when n exceeds the batch size). A group's n records are
written together, and flushed, as soon as its last completion is done; the order of groups in the output is
therefore the order they finish in, not the input order.

Before each batch the policy is looked up (`PolicySource`): the fixed --model/--adapter, or with --watch the newest
version `train` published in the run directory, so in the streaming loop every batch uses the freshest weights and
each record says which (policy.version).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rlvrkit.errors import Failure, InvalidRecord
from rlvrkit.jsonl import streams
from rlvrkit.log import Log
from rlvrkit.rollout.engine import Completion, Engine, Policy, Request
from rlvrkit.rollout.prompts import check_prompt, prompt_ids
from rlvrkit.rollout.sampling import Sampling

WINDOW_BATCHES = 4  # batches' worth of prompts read ahead and sorted by length together


@dataclass(frozen=True)
class Options:
    model: str
    sampling: Sampling
    batch_size: int = 64
    chat: bool = True
    system: str | None = None
    adapter: str | None = None
    watch: str | None = None
    epochs: int | None = None  # None: 1, or forever with --watch; 0: forever
    shuffle: bool = False


@dataclass
class Prompt:
    rec: dict
    ids: list[int]


def rollout_record(prompt: Prompt, sample: int, c: Completion, policy: Policy, params: Sampling) -> dict:
    """One line of output: the prompt record's fields, then what this completion adds (the record contract)."""
    return {
        **prompt.rec,
        "completion": c.text,
        "sample": sample,
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
            slots[s] = rollout_record(prompts[i], s, c, policy, params)
            if all(r is not None for r in slots):
                emit(groups.pop(i))


def load_current(engine: Engine, policy_now: Callable[[], Policy], tries: int = 5) -> Policy:
    """Load the policy to generate with now. With --watch, train may prune a version while it is being loaded (it
    keeps only the newest few); then the newer one is taken instead."""
    for attempt in range(tries):
        policy = policy_now()
        try:
            engine.load(policy)
            return policy
        except Exception:  # whatever the loader raises on vanished files (OSError, ValueError, RuntimeError...)
            folder = policy.full or (policy.adapter if policy.version else None)
            if folder is None or Path(folder).exists() or attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def windows(items: Iterable, size: int) -> Iterator[list]:
    window = []
    for item in items:
        window.append(item)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


class PolicySource:
    """The policy to generate with now: fixed, or with --watch the newest checkpoint version in the run directory."""

    def __init__(self, model: str, adapter: str | None = None, watch: str | None = None, log=None):
        self.start = Policy(model, adapter, 0)
        self.watch = watch
        self.log = log
        self.version: int | None = None
        if watch is not None and not Path(watch).is_dir() and log is not None:
            log.info(f"{watch} does not exist yet; generating with {model} until train publishes a version there")

    def __call__(self) -> Policy:
        if self.watch is None:
            return self.start
        from rlvrkit.checkpoint import latest

        ckpt = latest(self.watch)
        if ckpt is None:
            return self.start
        if ckpt.kind == "adapter":
            policy = Policy(self.start.model, str(ckpt.path), ckpt.version)
        elif ckpt.kind == "full":
            policy = Policy(self.start.model, None, ckpt.version, full=str(ckpt.path))
        else:
            raise Failure(f"{ckpt.path}: unknown checkpoint kind {ckpt.kind!r} (expected 'adapter' or 'full')")
        if ckpt.version != self.version and self.log is not None:
            self.log.info(f"policy: version {ckpt.version} ({ckpt.kind}, {ckpt.path})")
            self._check_base(ckpt)
        self.version = ckpt.version
        return policy

    def _check_base(self, ckpt) -> None:
        if ckpt.kind == "adapter" and ckpt.base_model:
            if Path(ckpt.base_model).resolve() != Path(self.start.model).resolve():
                self.log.warn(f"version {ckpt.version} was trained on {ckpt.base_model}, not on {self.start.model}")


def run_rollout(engine: Engine, opts: Options, *, input="-", output="-", on_error="fail", rejects=None, log=None):
    """The whole command: read prompt records, write n rollout records per prompt (forever with --watch)."""
    log = log or Log("rollout")
    params = opts.sampling
    policy_now = PolicySource(opts.model, opts.adapter, opts.watch, log)
    epochs = opts.epochs if opts.epochs is not None else (0 if opts.watch else 1)
    window_size = max(1, WINDOW_BATCHES * opts.batch_size // params.n)
    tokenizer = engine.tokenizer
    with (
        streams(input, output, check=check_prompt, on_error=on_error, rejects=rejects, log=log) as (records, writer),
        log.progress("completions") as progress,
    ):

        def prompts_of(recs) -> Iterator[Prompt]:
            for rec in recs:
                try:
                    ids = prompt_ids(tokenizer, rec, chat=opts.chat, system=opts.system)
                except InvalidRecord as err:
                    records.reject(str(err))
                    continue
                yield Prompt(rec, ids)

        tokens = 0

        def emit(group: list[dict]) -> None:
            nonlocal tokens
            for rec in group:
                writer.write(rec)
                tokens += len(rec["completion_ids"])
            writer.flush()
            progress.advance(len(group))

        if epochs == 1 and not opts.shuffle:  # one pass: stream the input window by window
            for window in windows(prompts_of(records), window_size):
                run_window(window, engine, params, opts.batch_size, policy_now, emit)
        else:
            prompts = list(prompts_of(records))  # cycling needs them all; a bad line stops us before any work
            if records.failure is not None:
                raise records.failure
            epoch = 0
            while prompts and (epochs == 0 or epoch < epochs):
                order = list(range(len(prompts)))
                if opts.shuffle:
                    random.Random(f"{params.seed}:{epoch}").shuffle(order)
                for window in windows((prompts[i] for i in order), window_size):
                    run_window(window, engine, params, opts.batch_size, policy_now, emit, epoch)
                epoch += 1
        seconds = max(time.monotonic() - progress.start, 1e-9)
        log.info(f"{progress.done} completions, {tokens} tokens in {seconds:.1f} s ({tokens / seconds:.0f} tokens/s)")


def start(
    model: str,
    params: Sampling,
    *,
    engine: str = "auto",
    adapter: str | None = None,
    batch_size: int | None = None,
    chat: bool | None = None,
    system: str | None = None,
    dtype: str = "auto",
    device: str = "auto",
    trust_remote_code: bool = False,
    watch: str | None = None,
    epochs: int | None = None,
    shuffle: bool = False,
    input: str = "-",
    output: str = "-",
    on_error: str = "fail",
    rejects: str | None = None,
    log: Log,
) -> None:
    """`rlvr rollout` from its options: load the tokenizer, choose and start the engine, then `run_rollout`.

    `chat` None means on when the tokenizer has a chat template; `batch_size` None means 64 for transformers and
    1024 for vLLM.
    """
    from rlvrkit.errors import BadInput
    from rlvrkit.models import check_folder, load_tokenizer
    from rlvrkit.rollout.engine import open_engine, pick

    if adapter is not None:
        check_folder(adapter, "adapter")
    tokenizer = load_tokenizer(model, trust_remote_code=trust_remote_code)
    has_template = getattr(tokenizer, "chat_template", None) is not None
    if chat and not has_template:
        raise BadInput(f"{model} has no chat template; use --no-chat")
    if system is not None and chat is False:
        log.warn("--system is ignored with --no-chat (a system message needs the chat template)")
    chosen = pick(engine, log)
    if chosen == "vllm" and (params.top_p < 1 or params.top_k > 0):
        log.warn(
            "vLLM records logprobs renormalised over the tokens top-p/top-k keep (the transformers engine "
            "records the full distribution)"
        )
    opts = Options(
        model=model,
        sampling=params,
        batch_size=batch_size or (1024 if chosen == "vllm" else 64),
        chat=has_template if chat is None else chat,
        system=system,
        adapter=adapter,
        watch=watch,
        epochs=epochs,
        shuffle=shuffle,
    )
    eng = open_engine(
        chosen,
        model,
        tokenizer,
        dtype=dtype,
        device=device,
        seed=params.seed,
        trust_remote_code=trust_remote_code,
        adapter=adapter,
        watch=watch,
        log=log,
    )
    run_rollout(eng, opts, input=input, output=output, on_error=on_error, rejects=rejects, log=log)
