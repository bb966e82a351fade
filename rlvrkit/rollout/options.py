"""What `rlvr rollout` is asked to do: how to sample (`Sampling`, the `sampling` field of every record) and the rest
of its options (`RolloutOptions`). Plain data, no torch, so the command line reads its defaults from here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Sampling:
    """How to sample: the `sampling` field of every rollout record (minus nothing, plus nothing)."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0  # 0: off
    max_tokens: int = 1024
    n: int = 8
    seed: int = 0
    stop: tuple[str, ...] = ()

    def __post_init__(self):
        if self.temperature < 0:
            raise ValueError("--temperature must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("--top-p must be in (0, 1]")
        if self.top_k < 0:
            raise ValueError("--top-k must be >= 0 (0 turns it off)")
        if self.max_tokens < 1 or self.n < 1:
            raise ValueError("--max-tokens and -n must be >= 1")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def record(self) -> dict:
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "n": self.n,
        }


BATCH_SIZE = {"transformers": 64, "vllm": 1024, "server": 1024}  # completions generated together, by engine


def base_url(url: str) -> str:
    """http://host:port[/prefix] as given, without a trailing / or /v1 (the OpenAI clients' base URL form)."""
    url = url.strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def server_urls(values) -> tuple[str, ...]:
    """--server values (each may hold several, comma-separated) as base URLs; ValueError for one that is not
    http(s)://host[:port] or is given twice."""
    urls = [base_url(u) for v in values or () for u in v.split(",") if u.strip()]
    for url in urls:
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
        except ValueError:
            raise ValueError(f"--server {url!r}: the port is not a number") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--server {url!r}: give http://HOST:PORT (the address `vllm serve` listens on)")
    if len(set(urls)) != len(urls):
        raise ValueError("--server: the same URL is given twice")
    return tuple(urls)


@dataclass(frozen=True)
class RolloutOptions:
    """`rlvr rollout`'s options; the sampling ones are also the fields of `Sampling`."""

    model: str
    adapter: str | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_tokens: int = 1024
    n: int = 8
    seed: int = 0
    stop: tuple[str, ...] = ()
    system: str | None = None
    chat: bool | None = None  # None: on when the tokenizer has a chat template
    engine: str = "auto"  # auto | transformers | vllm
    server: tuple[str, ...] = ()  # OpenAI-compatible servers (vllm serve) to sample through, instead of an engine
    in_flight: int = 32  # requests in flight at once on each server
    batch_size: int | None = None  # None: BATCH_SIZE of the engine
    dtype: str = "auto"
    device: str = "auto"
    trust_remote_code: bool = False
    watch: str | None = None  # a run directory whose newest version generates each batch
    epochs: int | None = None  # None: 1, or forever with --watch; 0: forever
    shuffle: bool = False

    def __post_init__(self):
        object.__setattr__(self, "stop", tuple(self.stop or ()))
        object.__setattr__(self, "server", server_urls(self.server))
        if self.server and self.engine != "auto":
            raise ValueError(f"--server samples through the servers: leave out --engine {self.engine}")
        if self.in_flight < 1:
            raise ValueError("--in-flight must be >= 1")
        self.sampling  # noqa: B018 (its checks refuse impossible settings now, not after the model has loaded)

    @property
    def sampling(self) -> Sampling:
        return Sampling(**{f.name: getattr(self, f.name) for f in fields(Sampling)})

    @property
    def passes(self) -> int:
        """Passes over the prompts; 0 is forever."""
        return self.epochs if self.epochs is not None else (0 if self.watch else 1)
