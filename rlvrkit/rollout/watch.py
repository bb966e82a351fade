"""Which weights generate now: the fixed --model/--adapter, or with --watch the newest version train published.

Before each batch rollout asks a `PolicySource` for the policy and loads it (`load_current`), so in the streaming
loop every batch uses the freshest weights and each record says which (policy.version).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rlvrkit.errors import Failure
from rlvrkit.rollout.engine import Engine, Policy


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
