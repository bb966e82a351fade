"""The OpenAI-compatible completions API of `vllm serve`, as rollout speaks it: the request for a run of samples of
one group, its reply read back into token ids and logprobs, and HTTP over the standard library's http.client.

What is sent to /v1/completions (vLLM's `CompletionRequest`, vllm/entrypoints/openai/completion/protocol.py):

    prompt                      the rendered prompt as token ids: the server tokenizes nothing and renders no template
    n, seed                     samples s0..s0+n-1 of a group in one request, seeded group_seed + s0: vLLM seeds child
                                i with seed + i (vllm/v1/engine/parallel_sampling.py), so every sample gets the seed
                                it would get alone. Greedy requests are sent one sample each (vLLM wants n = 1 then).
    temperature, top_p, top_k, max_tokens, stop
    min_p 0, repetition_penalty 1, presence_penalty 0, frequency_penalty 0
                                sent explicitly: left out, the server takes them from the model's generation_config
    logprobs 0                  the logprob of each sampled token, no alternatives
    return_token_ids            choices[i].token_ids: the sampled ids as they are; text is never tokenized back
    return_tokens_as_token_ids  logprobs.tokens as "token_id:N", checked against token_ids

What is read back: choices[i].index, .token_ids, .logprobs.token_logprobs, .logprobs.tokens and .finish_reason ("length"
when max_tokens was reached or the context ran out: vLLM shortens max_tokens to fit its max_model_len). Text and
finish reasons are then derived from the token ids exactly as for the in-process engines (rlvrkit.rollout.finish).

The logprobs are what the server's --logprobs-mode says: vLLM's default, raw_logprobs, is taken before temperature,
so rollout needs servers started with --logprobs-mode processed_logprobs (the in-process vLLM engine's setting);
`check_processed` tells the two apart from one token's top logprobs.

Errors: a server that cannot be reached, closes the connection, times out or answers 5xx raises `ServerDown` (its
work can go to another server); a 4xx answer or a reply that is not what the protocol says raises `Failure`, one line
naming the URL.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
from urllib.parse import urlsplit

from rlvrkit.errors import Failure
from rlvrkit.rollout.options import Sampling
from rlvrkit.rollout.seeds import group_seed

CONNECT_TIMEOUT = 10.0  # seconds to open a connection: an unreachable server is reported within this
CONTROL_TIMEOUT = 600.0  # seconds for a reply to a control call (loading an adapter or full weights)
REPLY_TIMEOUT = 3600.0  # seconds for a completion reply: long generations on a busy server take minutes
PLACEHOLDER = "token_id:"  # how vLLM writes a token with return_tokens_as_token_ids


class ServerDown(Exception):
    """The server cannot do this request: unreachable, the connection dropped, a timeout, or a 5xx answer."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status  # status: the 5xx answered, None: no answer


class Connection:
    """One keep-alive HTTP connection to one server; each worker thread has its own."""

    def __init__(self, url: str, timeout: float = REPLY_TIMEOUT):
        self.url = url
        self.timeout = timeout
        parts = urlsplit(url)
        self._make = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._host, self._port, self._prefix = parts.hostname, parts.port, parts.path
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get(self, path: str) -> dict:
        return self.call("GET", path)

    def post(self, path: str, body: dict) -> dict:
        return self.call("POST", path, body)

    def status(self, path: str) -> int:
        """The status of an empty POST to `path`: 404 when the server has no such endpoint (a route it adds only when
        started with the right flags), a validation error (400, 422) when it has."""
        return self._exchange("POST", path, {})[0]

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """The JSON reply to one call. A reused connection the server has meanwhile closed (uvicorn closes idle ones
        after 5 s) is opened again once; a second failure means the server is down."""
        reused = self._conn is not None
        try:
            return self._once(method, path, body)
        except ServerDown:
            if not reused:
                raise
            return self._once(method, path, body)

    def _once(self, method: str, path: str, body: dict | None) -> dict:
        status, data = self._exchange(method, path, body)
        if status >= 500:
            raise ServerDown(self.url, f"answered {status} to {path}: {error_message(data)}", status)
        if status >= 400:
            raise Failure(f"{self.url} refused {method} {path} ({status}): {error_message(data)}")
        try:
            return json.loads(data) if data.strip() else {}
        except ValueError:
            if path != "/v1/completions":  # vLLM answers a loaded or unloaded adapter in plain text
                return {"text": data.decode(errors="replace")}
            raise Failure(f"{self.url}: malformed reply to {path} (not JSON): {data[:80]!r}") from None

    def _exchange(self, method: str, path: str, body: dict | None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            if self._conn is None:
                self._conn = self._make(self._host, self._port, timeout=CONNECT_TIMEOUT)
                self._conn.connect()
                self._conn.sock.settimeout(self.timeout)
            self._conn.request(method, self._prefix + path, body=payload, headers=headers)
            reply = self._conn.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise ServerDown(self.url, describe(err)) from None


def describe(err: BaseException) -> str:
    """A short reason for a failed exchange: refused, timed out, closed mid-reply..."""
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, (socket.timeout, TimeoutError)):
        return "no answer in time"
    if isinstance(err, http.client.IncompleteRead):
        return "closed the connection mid-reply"
    if isinstance(err, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
        return "closed the connection"
    if isinstance(err, socket.gaierror):
        return f"unknown host ({err.strerror})"
    return getattr(err, "strerror", None) or type(err).__name__


def error_message(data: bytes) -> str:
    """The message of an error reply: vLLM's {"error": {"message"}}, FastAPI's {"detail"}, or the text itself."""
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode(errors="replace").strip()[:200] or "no message"
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"]).splitlines()[0][:300]
        for key in ("message", "detail", "error"):
            if body.get(key):
                return str(body[key]).splitlines()[0][:300]
    return str(body)[:200]


# -- completions ------------------------------------------------------------------------------------------------------


def completion_body(
    model: str, prompt_ids: list[int], params: Sampling, seed: int, n: int, *, logprobs: int = 0
) -> dict:
    """The /v1/completions request for n samples of one prompt, the first seeded `seed`."""
    body = {
        "model": model,
        "prompt": list(prompt_ids),
        "n": n,
        "seed": seed,
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,
        "min_p": 0.0,
        "repetition_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "logprobs": logprobs,
        "return_token_ids": True,
        "return_tokens_as_token_ids": True,
        "stream": False,
    }
    if params.stop:
        body["stop"] = list(params.stop)
    return body


def group_body(model: str, prompt_ids: list[int], params: Sampling, key: str, samples: range, epoch: int) -> dict:
    """The request for samples `samples` (consecutive) of the group of prompt `key` in pass `epoch`."""
    seed = group_seed(params.seed, key, epoch) + samples.start
    return completion_body(model, prompt_ids, params, seed, len(samples))


def read_choices(url: str, reply: dict, n: int) -> list[tuple[list[int], list[float], str]]:
    """(token ids, logprobs, finish reason) of each of the n choices of a /v1/completions reply, in sample order;
    `Failure` naming the URL when the reply is not what was asked for."""
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not isinstance(choices, list) or len(choices) != n:
        got = len(choices) if isinstance(choices, list) else "no"
        raise Failure(f"{url}: malformed reply to /v1/completions: {got} choices for n={n}")
    out: list = [None] * n
    for choice in choices:
        index = choice.get("index") if isinstance(choice, dict) else None
        if not isinstance(index, int) or not 0 <= index < n or out[index] is not None:
            raise Failure(f"{url}: malformed reply to /v1/completions: choice index {index!r}")
        out[index] = read_choice(url, choice)
    return out


def read_choice(url: str, choice: dict) -> tuple[list[int], list[float], str]:
    ids = choice.get("token_ids")
    lp = choice.get("logprobs") or {}
    logps, tokens = lp.get("token_logprobs"), lp.get("tokens")
    reason = choice.get("finish_reason")

    def bad(what: str) -> Failure:
        return Failure(f"{url}: malformed reply to /v1/completions: {what}")

    if not isinstance(ids, list) or not all(isinstance(t, int) for t in ids):
        raise bad("no token_ids (a vLLM that honours return_token_ids is needed)")
    if not isinstance(logps, list) or len(logps) != len(ids) or not all(isinstance(x, (int, float)) for x in logps):
        raise bad(f"{len(logps) if isinstance(logps, list) else 'no'} logprobs for {len(ids)} tokens")
    if tokens is not None and tokens != [f"{PLACEHOLDER}{t}" for t in ids]:
        raise bad("logprobs.tokens do not match token_ids")
    if reason not in ("stop", "length"):
        raise bad(f"finish_reason {reason!r}")
    return ids, [float(x) for x in logps], reason


# -- what the server's logprobs are -----------------------------------------------------------------------------------


def top_logprobs(url: str, reply: dict) -> dict[str, float]:
    """The first token's top logprobs of a one-token probe reply."""
    try:
        top = reply["choices"][0]["logprobs"]["top_logprobs"][0]
        return {str(k): float(v) for k, v in top.items()}
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        raise Failure(f"{url}: malformed reply to /v1/completions: no top_logprobs for the probe") from None


def check_processed(url: str, plain: dict[str, float], run: dict[str, float] | None) -> None:
    """Refuse a server whose logprobs are not the processed distribution rollout records.

    `plain`: the top logprobs of one token at temperature 1, no filters; they must be a distribution's (each <= 0,
    their probabilities summing to at most 1), not logits. `run`: the same token under the run's temperature, top-p
    and top-k (None when those change nothing); processed logprobs move with them, raw ones (vLLM's default) do not.
    """
    fix = "start vllm serve with --logprobs-mode processed_logprobs"
    if not plain or max(plain.values()) > 1e-4 or sum(math.exp(v) for v in plain.values()) > 1.001:
        raise Failure(f"{url} returns logits, not logprobs; {fix}")
    if run is None:
        return
    shared = plain.keys() & run.keys()
    if shared and max(abs(plain[k] - run[k]) for k in shared) < 1e-5:
        raise Failure(f"{url} returns logprobs taken before temperature/top-p/top-k (raw_logprobs); {fix}")
