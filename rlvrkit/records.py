"""The record contract: what every command agrees on about a record, in one place.

A record is one JSON object. The fields every command shares:

- `id`: a non-empty string or an integer (`check_id`); the rollouts of one prompt share it;
- `prompt` (user text) or `messages` (a chat list), optionally `system` (`check_prompt`);
- `answer`: the reference, a non-empty string or a number (`check_answer`, `reference_text`);
- `reward`: a finite number, after `rlvr verify` (`check_reward`);
- the train record: a verified rollout with the token ids rollout recorded (`check_train_record`);
- the fields that belong to one completion (ROLLOUT_FIELDS) and those score's --per-prompt summary adds
  (SUMMARY_FIELDS, GROUP_TAGS): what a command drops when it turns records back into prompt records.

`Skipped` is the one way a command counts what it left out, by reason, and says so on stderr.

Each check raises `InvalidRecord` with the problem only; the reader (rlvrkit.jsonl) adds the line.
"""

from __future__ import annotations

import math
from collections import Counter

from rlvrkit.errors import InvalidRecord

# Fields that belong to one completion rather than to its prompt.
ROLLOUT_FIELDS = frozenset(
    "completion sample epoch prompt_ids completion_ids logprobs finish_reason policy sampling reward verdict "
    "advantage".split()
)
# What `rlvr score --per-prompt` adds to a prompt's fields: its statistics, and the tags its rollouts share.
SUMMARY_FIELDS = ("n", "mean", "std", "pass_rate", "solve_all", "solve_none", "len_mean", "len_unit")
GROUP_TAGS = ("epoch", "policy")


def check_id(rec: dict) -> None:
    """A usable id: a non-empty string or an integer (not a boolean); the rollouts of one prompt share it."""
    value = rec.get("id")
    if type(value) is int or (type(value) is str and value):
        return
    if value is None:
        raise InvalidRecord("missing 'id'")
    raise InvalidRecord(f"'id' must be a non-empty string or an integer, got {_shown(value)}")


def check_text(rec: dict, field: str, why: str) -> None:
    """`rec[field]` is a non-empty string; otherwise `InvalidRecord` saying which field and `why` it is needed."""
    value = rec.get(field)
    if isinstance(value, str) and value.strip():
        return
    if value is None:
        raise InvalidRecord(f"missing '{field}' ({why})")
    raise InvalidRecord(f"'{field}' must be a non-empty string")


def check_answer(rec: dict, why: str = "the reference answer") -> None:
    """A reference answer: a non-empty string or a finite number."""
    value = rec.get("answer")
    if type(value) in (int, float):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidRecord("'answer' must be a finite number")
        return
    check_text(rec, "answer", why)


def reference_text(answer) -> str:
    """The reference as text: a float as Python writes it (``2.5e-05``, ``0.5``), an integer in full, however wide."""
    return answer if isinstance(answer, str) else repr(answer) if isinstance(answer, float) else str(answer)


def check_prompt(rec: dict) -> None:
    """A prompt rollout can render: an id, and `prompt` (text) or `messages` (a chat list), optionally `system`."""
    check_id(rec)
    if rec.get("messages") is not None:
        messages = rec["messages"]
        if not isinstance(messages, list) or not messages:
            raise InvalidRecord("'messages' must be a non-empty list of {role, content}")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
                raise InvalidRecord(f"'messages'[{i}] must be an object with string 'role' and 'content'")
    elif not isinstance(rec.get("prompt"), str):
        raise InvalidRecord(
            "needs 'prompt' (text) or 'messages' (chat list)"
            if rec.get("prompt") is None
            else "'prompt' must be a string"
        )
    elif not rec["prompt"]:
        raise InvalidRecord("'prompt' is empty")
    if rec.get("system") is not None and not isinstance(rec["system"], str):
        raise InvalidRecord("'system' must be a string")


def check_reward(rec: dict) -> None:
    """A scored rollout: an id and a finite numeric reward. A missing reward is an error, never a silent zero."""
    check_id(rec)
    reward = rec.get("reward")
    if type(reward) is int:
        return
    if type(reward) is float:
        if not math.isfinite(reward):
            raise InvalidRecord(f"'reward' must be finite, got {reward}")
    elif reward is None:
        raise InvalidRecord("missing 'reward' (run rlvr verify first?)" if "reward" not in rec else "'reward' is null")
    else:
        raise InvalidRecord(f"'reward' must be a number, got {type(reward).__name__} {_shown(reward)}")


def check_train_record(rec: dict) -> None:
    """A rollout record train can learn from: id, reward, prompt_ids, completion_ids (logprobs, advantage optional)."""
    check_reward(rec)
    for key in ("prompt_ids", "completion_ids"):
        ids = rec.get(key)
        if not isinstance(ids, list) or not all(type(i) is int and i >= 0 for i in ids):
            what = "missing" if ids is None else "not a list of token ids"
            raise InvalidRecord(f"'{key}' is {what} (train learns from rlvr rollout's records)")
    if not rec["prompt_ids"]:
        raise InvalidRecord("'prompt_ids' is empty")
    logprobs = rec.get("logprobs")
    if logprobs is not None and (
        not isinstance(logprobs, list)
        or len(logprobs) != len(rec["completion_ids"])
        or not all(type(x) in (int, float) and math.isfinite(x) for x in logprobs)
    ):
        raise InvalidRecord("'logprobs' must be finite numbers, one per completion token")
    adv = rec.get("advantage")
    if adv is not None and (type(adv) not in (int, float) or not math.isfinite(adv)):
        raise InvalidRecord(f"'advantage' must be a finite number, got {_shown(adv)}")


def prompt_fields(rec: dict) -> dict:
    """The prompt record a rollout came from: every field but the per-completion ones."""
    return {k: v for k, v in rec.items() if k not in ROLLOUT_FIELDS}


def _shown(value) -> str:
    """A value as a message quotes it: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


class Skipped(Counter):
    """What a command left out (records, groups, pairs, sources), counted by reason: the one way every command
    reports it. ``skipped["too few steps"] += 1``, then `describe` for the line on stderr."""

    def describe(self, unit: str, total: int | None = None, verb: str = "skipped") -> str | None:
        """``skipped 3 of 10 sources: 2 too few steps, 1 no span with reasoning``, or None when nothing was."""
        n = sum(self.values())
        if not n:
            return None
        of = f" of {total}" if total is not None else ""
        reasons = ", ".join(f"{count} {reason}" for reason, count in self.most_common())
        return f"{verb} {n}{of} {plural(unit, total if total is not None else n)}: {reasons}"


def plural(unit: str, n: int) -> str:
    """`unit` as many as `n` need: group / groups (units given in the singular)."""
    return unit if n == 1 else unit + "s"
