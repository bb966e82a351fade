"""The server engine: rollout through the OpenAI-compatible completions API of `vllm serve` processes a lab already runs
(`--server URL`, several), the same protocol and records as the in-process engines.

Prompts are rendered here with the --model folder's tokenizer and sent as token ids; a group's samples are one
request (rlvrkit.rollout.openai_api), spread over the servers with at most --in-flight requests on each
(rlvrkit.rollout.dispatch). A server that goes down mid-run hands its unfinished requests to the others.

At start every server is asked for /v1/models (an unreachable one stops the run: exit 1, naming it, within
openai_api.CONNECT_TIMEOUT) and probed once to make sure its logprobs are the processed distribution rollout records
(`check_processed`). Runs that may load LoRA adapters (--adapter, --watch) also check that the servers can.

Weights (`load`, between batches, with --watch):
- a LoRA version is loaded on every server with POST /v1/load_lora_adapter (vLLM reads the files then, from the
  path, so the run directory must be on a filesystem the servers see at the same path; the server needs
  VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora), requests name it as their model, and the version before
  is unloaded (POST /v1/unload_lora_adapter);
- full weights are reloaded from the version's folder with vLLM's documented `reload_weights(weights_path=...)`
  (docs/training/layerwise.md), called through POST /collective_rpc (a route of VLLM_SERVER_DEV_MODE=1), then the
  prefix cache is reset (POST /reset_prefix_cache). vLLM's in-place reload leaves a tied LM head on the old weights
  (see vllm_engine), and a server cannot be restarted from here, so full versions of a model with tied word
  embeddings are refused in one line: train those with --lora, or use --engine vllm.
A weight load a server answers with an error (4xx or 5xx: the load failed there) fails the run in one line naming
it; a server that does not answer at all is gone and the others go on. Prompts longer than the smallest
max_model_len the servers list (less one token) are bad lines of the input, found before they are sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from rlvrkit.errors import Failure
from rlvrkit.rollout.dispatch import Server, none_left, on_each, spread
from rlvrkit.rollout.engine import Completion, Policy, Request
from rlvrkit.rollout.finish import finish, folder_eos
from rlvrkit.rollout.openai_api import (
    CONTROL_TIMEOUT,
    Connection,
    ServerDown,
    check_processed,
    completion_body,
    group_body,
    read_choices,
    top_logprobs,
)
from rlvrkit.rollout.options import RolloutOptions, Sampling

PROBE_TIMEOUT = 60.0  # seconds for the start-up calls (the model list, a one-token probe)
LORA_ROUTE, RPC_ROUTE = "/v1/load_lora_adapter", "/collective_rpc"
LORA_HOW = "start vllm serve with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"
RPC_HOW = "start vllm serve with VLLM_SERVER_DEV_MODE=1 (full-weight versions are loaded by its /collective_rpc)"


@dataclass(frozen=True)
class GroupRequest:
    """One request to a server: consecutive samples of one group, and where their completions go in the batch."""

    prompt_ids: list[int]
    key: str
    epoch: int
    samples: range
    slots: list[int]


def jobs_of(requests: list[Request], params: Sampling) -> list[GroupRequest]:
    """The batch's requests as one job per run of consecutive samples of a group (one per sample when greedy: vLLM
    takes n = 1 only then)."""
    jobs: list[GroupRequest] = []
    for i, r in enumerate(requests):
        last = jobs[-1] if jobs else None
        joins = last is not None and not params.greedy and (last.key, last.epoch) == (r.key, r.epoch)
        if joins and last.samples.stop == r.sample and last.prompt_ids == r.prompt_ids:
            samples = range(last.samples.start, r.sample + 1)
            jobs[-1] = GroupRequest(last.prompt_ids, r.key, r.epoch, samples, [*last.slots, i])
        else:
            jobs.append(GroupRequest(r.prompt_ids, r.key, r.epoch, range(r.sample, r.sample + 1), [i]))
    return jobs


def lora_name(policy: Policy) -> str:
    """The name a LoRA version is served under: its version and a digest of its folder, so two runs sharing a server
    never collide, and the same folder always gets the same name."""
    digest = hashlib.sha256(str(Path(policy.adapter).resolve()).encode()).hexdigest()[:10]
    return f"rlvr-v{policy.version}-{digest}"


def tied_embeddings(model: str) -> bool:
    """Whether the model folder's config ties the LM head to the input embeddings (transformers' default: yes)."""
    try:
        config = json.loads((Path(model) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    text = config.get("text_config") or {}
    return bool(text.get("tie_word_embeddings", config.get("tie_word_embeddings", True)))


class ServerEngine:
    name = "server"

    def __init__(self, urls: tuple[str, ...], model: str, tokenizer, *, in_flight: int, log):
        self.servers = [Server(u) for u in urls]
        self.path = model
        self.tokenizer = tokenizer
        self.in_flight = in_flight
        self.log = log
        self.eos = folder_eos(tokenizer, model)
        self.tied = tied_embeddings(model)
        self.policy = Policy(model)
        self.base: dict[str, str] = {}  # url -> the base model's name on that server
        self.root: dict[str, str] = {}  # url -> the folder the server loaded its base weights from
        self.served: dict[str, str] = {}  # url -> the model name requests ask for now (base or LoRA)
        self.context: dict[str, int] = {}  # url -> its max_model_len
        self.max_prompt_tokens: int | None = None  # the longest prompt every server takes

    # -- start ------------------------------------------------------------------------------------------------------

    def connect(self, params: Sampling, *, lora: bool = False, reload: bool = False) -> None:
        """Ask every server what it serves and probe its logprobs; check that it can load adapters (`lora`) or
        reload full weights (`reload`) at run time, when the run may ask for that."""
        probe = list(self.tokenizer("The answer is")["input_ids"]) or [next(iter(self.eos), 0)]
        on_each(self.servers, lambda s: self._connect(s, params, probe, (lora, reload)))
        if self.context:  # a prompt needs room for one token after it
            self.max_prompt_tokens = min(self.context.values()) - 1
        for url, root in self.root.items():
            if root and Path(root).resolve() != Path(self.path).resolve():
                self.log.warn(f"{url} serves {root}; prompts are rendered with the tokenizer of {self.path}")

    def _connect(self, server: Server, params: Sampling, probe: list[int], loads: tuple[bool, bool]) -> None:
        conn = Connection(server.url, PROBE_TIMEOUT)
        try:
            models = conn.get("/v1/models").get("data") or []
            bases = [m for m in models if isinstance(m, dict) and not m.get("parent") and m.get("id")]
            if not bases:
                raise Failure(f"{server.url}: /v1/models lists no model")
            self.base[server.url] = self.served[server.url] = bases[0]["id"]
            self.root[server.url] = bases[0].get("root") or ""
            if isinstance(bases[0].get("max_model_len"), int):
                self.context[server.url] = bases[0]["max_model_len"]
            self._probe(conn, probe, params)
            if loads[0] and conn.status(LORA_ROUTE) == 404:
                raise Failure(f"{server.url} cannot load LoRA adapters at run time: {LORA_HOW}")
            if loads[1] and conn.status(RPC_ROUTE) == 404:
                raise Failure(f"{server.url} cannot reload weights at run time: {RPC_HOW}")
        except ServerDown as err:
            if err.status is not None:  # it answered, with an error
                raise Failure(f"{server.url} {err.reason}") from None
            raise Failure(f"{server.url} is unreachable ({err.reason})") from None
        finally:
            conn.close()

    def _probe(self, conn: Connection, probe: list[int], params: Sampling) -> None:
        """One token at temperature 1, and under the run's settings when they change the distribution."""

        def top(settings: Sampling) -> dict[str, float]:
            one = replace(settings, max_tokens=1, stop=())
            body = completion_body(self.base[conn.url], probe, one, 0, 1, logprobs=5)
            return top_logprobs(conn.url, conn.post("/v1/completions", body))

        changes = not params.greedy and (params.temperature != 1 or params.top_p < 1 or params.top_k > 0)
        check_processed(conn.url, top(Sampling()), top(params) if changes else None)

    # -- sampling ---------------------------------------------------------------------------------------------------

    def generate(self, requests: list[Request], params: Sampling) -> list[Completion]:
        jobs = jobs_of(requests, params)

        def send(conn: Connection, job: GroupRequest):
            body = group_body(self.served[conn.url], job.prompt_ids, params, job.key, job.samples, job.epoch)
            return read_choices(conn.url, conn.post("/v1/completions", body), len(job.samples))

        done: list[Completion | None] = [None] * len(requests)
        for job, choices in zip(jobs, spread(jobs, self.servers, send, self.in_flight, self.log)):
            for slot, (ids, logps, reason) in zip(job.slots, choices):
                done[slot] = finish(self.tokenizer, ids, logps, self.eos, params, cut_short=reason == "length")
        return done  # type: ignore[return-value]

    # -- weights ----------------------------------------------------------------------------------------------------

    def load(self, policy: Policy) -> None:
        if policy == self.policy:
            return
        if policy.full is not None or self.policy.full is not None:
            self._each(lambda conn: self._reload(conn, policy.full))
        before = dict(self.served)
        if policy.adapter is not None and policy.full is None:
            name, path = lora_name(policy), str(Path(policy.adapter).resolve())
            self._each(lambda conn: self._load_lora(conn, name, path))
            self.served = {url: name for url in self.base}
        else:
            self.served = dict(self.base)
        self.policy = policy
        stale = {url: name for url, name in before.items() if name != self.base.get(url) and name != self.served[url]}
        self._each(lambda conn: _unload(conn, stale.get(conn.url)))

    def _each(self, call) -> None:
        """`call(connection)` on every live server at once; one that is down is left out from now on."""

        def run(server: Server) -> None:
            conn = Connection(server.url, CONTROL_TIMEOUT)
            try:
                call(conn)
            except ServerDown as err:
                if err.status is not None:  # it answered, with an error: loading these weights failed there
                    raise Failure(f"{server.url} {err.reason}") from None
                server.down = err.reason
                self.log.warn(f"{server.url} is gone ({err.reason}); the other servers go on")
            finally:
                conn.close()

        on_each(self.servers, run)
        if not any(s.alive for s in self.servers):
            raise none_left(self.servers)

    def _load_lora(self, conn: Connection, name: str, path: str) -> None:
        try:
            conn.post(LORA_ROUTE, {"lora_name": name, "lora_path": path})
        except Failure as err:
            if "already been loaded" in str(err):  # a run before this one left it there: same folder, same name
                return
            if "No adapter found" in str(err) and Path(path).is_dir():
                raise Failure(
                    f"{conn.url} cannot see the adapter {path}: the run directory must be on a filesystem the servers "
                    "share, at the same path"
                ) from None
            raise

    def _reload(self, conn: Connection, folder: str | None) -> None:
        """Full weights from `folder` (None: the server's own base folder) in place of the current ones."""
        if self.tied:
            raise Failure(
                f"{self.path} ties its LM head to its embeddings, and vLLM's in-place reload leaves a tied head on the "
                "old weights: train it with --lora to use --server, or sample with --engine vllm"
            )
        path = str(Path(folder).resolve()) if folder is not None else self.root[conn.url]
        try:
            conn.post(RPC_ROUTE, {"method": "reload_weights", "kwargs": {"weights_path": path}})
        except Failure as err:
            if "(404)" in str(err):
                raise Failure(f"{conn.url} cannot reload weights at run time: {RPC_HOW}") from None
            raise
        conn.post("/reset_prefix_cache", {})  # its KV blocks were computed by the old weights


def _unload(conn: Connection, name: str | None) -> None:
    """Unload a version no request names any more; a server that no longer has it, or fails to let it go, is fine
    (no request names it again)."""
    if name is None:
        return
    try:
        conn.post("/v1/unload_lora_adapter", {"lora_name": name})
    except Failure:
        pass
    except ServerDown as err:
        if err.status is None:  # no answer: the server is gone (`ServerEngine._each` leaves it out)
            raise


def open_servers(opts: RolloutOptions, tokenizer, log) -> ServerEngine:
    """Connect to every --server for a rollout run; adapters are checked for when the run may load one."""
    from rlvrkit.checkpoint import latest

    for flag, value, default in (("--dtype", opts.dtype, "auto"), ("--device", opts.device, "auto")):
        if value != default:
            log.warn(f"{flag} {value} is ignored with --server (the servers hold the weights)")
    current = latest(opts.watch) if opts.watch else None
    if current is not None and current.kind == "full" and tied_embeddings(opts.model):
        raise Failure(
            f"{opts.watch} holds full-weight versions of {opts.model}, which ties its LM head to its embeddings; "
            "vLLM's in-place reload cannot load those into a running server: train with --lora, or use --engine vllm"
        )
    lora = opts.adapter is not None or (opts.watch is not None and (current is None or current.kind == "adapter"))
    engine = ServerEngine(opts.server, opts.model, tokenizer, in_flight=opts.in_flight, log=log)
    engine.connect(opts.sampling, lora=lora, reload=current is not None and current.kind == "full")
    return engine
