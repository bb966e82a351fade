"""rlvr eval: avg@n, pass@k and maj@k on benchmarks, sampled and verified with rollout's and verify's own code."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rlvrkit.commands._common import (
    MODEL,
    READ,
    WRITTEN,
    Device,
    Files,
    Input,
    Model,
    OnError,
    Output,
    Rejects,
    Seed,
    System,
    TrustRemoteCode,
    guard,
    in_panel,
    options,
    shown,
    source,
)
from rlvrkit.commands._rollout import (
    ENGINE,
    PROMPTS,
    SAMPLING,
    Adapter,
    BatchSize,
    Chat,
    Dtype,
    EngineName,
    InFlight,
    MaxTokens,
    Samples,
    Server,
    Stop,
    Temperature,
    TopK,
    TopP,
)
from rlvrkit.commands._verify import BoxedOnly, Jobs, MaxChars, Precision, Strict, Task, Timeout

from rlvrkit.eval.options import SAMPLES, EvalOptions, bench_files
from rlvrkit.log import Log
from rlvrkit.rollout.options import RolloutOptions
from rlvrkit.verify.options import VerifyOptions

log = Log("eval")
R, V = RolloutOptions(model=""), VerifyOptions(jobs=1)
RESULTS = "Results"


@guard(log)
def eval(
    ctx: typer.Context,
    *,
    k: Annotated[
        str,
        typer.Option(
            "-k",
            metavar="K,K,...",
            help="The k of pass@k and maj@k, comma-separated (each at most -n).",
            rich_help_panel=RESULTS,
        ),
    ] = "1",
    bench: Annotated[
        Optional[list[str]],
        typer.Option(
            "--bench",
            metavar="NAME=FILE",
            help="A benchmark file and its name (repeatable: several in one run, one model load) [default: the "
            "input, named after its file].",
            rich_help_panel=RESULTS,
        ),
        Files(writes=False, paths=bench_files),
    ] = None,
    name: Annotated[
        Optional[str],
        typer.Option(
            "--name", metavar="LABEL", help="A label for this run, in every result line.", rich_help_panel=RESULTS
        ),
    ] = None,
    per_sample: Annotated[
        Optional[str],
        typer.Option(
            "--per-sample",
            metavar="FILE",
            help="Keep every verified completion (bench, id, sample, reward, verdict, completion, ...) in FILE.",
            rich_help_panel=RESULTS,
        ),
        WRITTEN,
    ] = None,
    from_samples: Annotated[
        Optional[str],
        typer.Option(
            "--from-samples",
            metavar="FILE",
            help="Recompute the metrics from a --per-sample FILE, without a model.",
            rich_help_panel=RESULTS,
        ),
        READ,
    ] = None,
    compare: Annotated[
        Optional[tuple[str, str]],
        typer.Option(
            "--compare",
            metavar="A B",
            help="Two --per-sample files: per benchmark and metric, B - A with a 95% paired bootstrap interval over "
            "the prompts both have.",
            rich_help_panel=RESULTS,
        ),
        READ,
    ] = None,
    model: shown(Model, "none: --from-samples or --compare") = None,
    adapter: Adapter = R.adapter,
    trust_remote_code: in_panel(TrustRemoteCode, MODEL) = R.trust_remote_code,
    n: Samples = SAMPLES,
    temperature: Temperature = R.temperature,
    top_p: TopP = R.top_p,
    top_k: TopK = R.top_k,
    max_tokens: MaxTokens = R.max_tokens,
    stop: Stop = None,
    seed: in_panel(Seed, SAMPLING) = R.seed,
    system: in_panel(System, PROMPTS) = R.system,
    chat: Chat = R.chat,
    engine: EngineName = R.engine,
    batch_size: BatchSize = R.batch_size,
    dtype: Dtype = R.dtype,
    device: in_panel(Device, ENGINE) = R.device,
    server: Server = None,
    in_flight: InFlight = R.in_flight,
    task: Task = V.task,
    jobs: Jobs = None,
    timeout: Timeout = V.timeout,
    max_chars: MaxChars = V.max_chars,
    precision: Precision = V.precision,
    strict: Strict = V.strict,
    boxed_only: BoxedOnly = V.boxed_only,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Measure a model on benchmarks: avg@n, pass@k, maj@k, lengths.

    Samples n completions per prompt (the rollout engine, or --server, as rlvr rollout) and verifies
    them (rlvr verify's verifiers and worker pool), then writes one JSON result line per
    benchmark: avg@n and its standard error over prompts, pass@k by the unbiased
    estimator 1 - C(n-c, k)/C(n, k), maj@k (blocks of k samples vote; answers the
    verifier calls equal, 1/2 and 0.5, are one vote; a tie goes to the answer voted
    for first), mean and max completion tokens, the share truncated and with no
    answer, and the model, sampling and verifier settings. A table goes to stderr.

    --per-sample keeps every verified completion; --from-samples recomputes the same
    numbers from such a file without a model; --compare A B gives, per benchmark
    and metric, B - A with a paired bootstrap interval over prompts.

    Examples:

    \b
      rlvr eval -m ./policy -n 16 -k 1,4,16 < math500.jsonl
      rlvr eval -m ./policy --server http://gpu1:8000 -n 16 -k 1,16 < math500.jsonl
      rlvr eval -m run/latest --bench math500=math500.jsonl --bench aime24=aime24.jsonl --per-sample s.jsonl
      rlvr eval --from-samples s.jsonl -k 1,8
      rlvr eval --compare before.jsonl after.jsonl -k 1
    """
    from rlvrkit.eval.run import run_eval

    run_eval(
        source(ctx),
        output,
        options(
            EvalOptions,
            ctx,
            bench=tuple(bench or ()),
            compare=tuple(compare or ()),
            rollout=options(RolloutOptions, ctx),
            verify=options(VerifyOptions, ctx),
        ),
        log,
    )
