"""A local model answering prompts, for the commands whose optional mode asks one (compose --llm, mask --llm,
select-one --by skills): the rollout engine (rlvrkit.rollout), greedy, one completion per prompt.

Imported only when such a mode is asked for: this is where torch and transformers come in. The model folder and its
chat template are checked by `open_engine` before any weights load; prompts are rendered with the chat template when
the tokenizer has one, as rollout renders them.
"""

from __future__ import annotations

from rlvrkit.rollout.engine import Request
from rlvrkit.rollout.options import RolloutOptions
from rlvrkit.rollout.prompts import prompt_ids
from rlvrkit.rollout.run import open_engine

BATCH = 16  # prompts generated together


class LocalModel:
    """`ask(prompts)` → one greedy completion each, from the model folder `path`."""

    def __init__(self, path: str, max_tokens: int, log, engine=None):
        """`engine`: one already started (a test's stand-in); by default the rollout engine opens `path`."""
        self.opts = RolloutOptions(model=path, n=1, temperature=0, max_tokens=max_tokens)
        self.engine = engine or open_engine(self.opts, log)
        self.chat = getattr(self.engine.tokenizer, "chat_template", None) is not None

    def ask(self, prompts: list[str], keys: list[str] | None = None) -> list[str]:
        """The model's answer to each prompt, in order; `keys` (the records' ids) name the requests."""
        keys = keys or [str(i) for i in range(len(prompts))]
        requests = [
            Request(prompt_ids(self.engine.tokenizer, {"id": k, "prompt": p}, chat=self.chat), k, 0)
            for k, p in zip(keys, prompts)
        ]
        out = []
        for i in range(0, len(requests), BATCH):
            out.extend(c.text for c in self.engine.generate(requests[i : i + BATCH], self.opts.sampling))
        return out
