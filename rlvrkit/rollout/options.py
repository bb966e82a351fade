"""What `rlvr rollout` is asked to do: how to sample (`Sampling`, the `sampling` field of every record) and the rest
of its options (`RolloutOptions`). Plain data, no torch, so the command line reads its defaults from here."""

from __future__ import annotations

from dataclasses import dataclass, fields


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


BATCH_SIZE = {"transformers": 64, "vllm": 1024}  # completions generated together, by engine


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
    batch_size: int | None = None  # None: BATCH_SIZE of the engine
    dtype: str = "auto"
    device: str = "auto"
    trust_remote_code: bool = False
    watch: str | None = None  # a run directory whose newest version generates each batch
    epochs: int | None = None  # None: 1, or forever with --watch; 0: forever
    shuffle: bool = False

    def __post_init__(self):
        object.__setattr__(self, "stop", tuple(self.stop or ()))
        self.sampling  # noqa: B018 (its checks refuse impossible settings now, not after the model has loaded)

    @property
    def sampling(self) -> Sampling:
        return Sampling(**{f.name: getattr(self, f.name) for f in fields(Sampling)})

    @property
    def passes(self) -> int:
        """Passes over the prompts; 0 is forever."""
        return self.epochs if self.epochs is not None else (0 if self.watch else 1)
