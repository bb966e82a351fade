"""The record contract: what every command agrees on about a record, in one place.

A record is one JSON object. The fields every command shares:

- `id`: a non-empty string or an integer (`check_id`); the rollouts of one prompt share it;
- `prompt` (user text) or `messages` (a chat list), optionally `system` (`check_prompt`);
- `answer`: the reference, a non-empty string or a number (`check_answer`, `reference_text`);
- `reward`: a number between -REWARD_LIMIT and REWARD_LIMIT, after `rlvr verify` (`check_reward`);
- nesting: a record nests at most MAX_DEPTH levels of objects and arrays (`check_depth`), whatever its fields;
- the train record: a verified rollout with the token ids rollout recorded (`check_train_record`);
- the fields that belong to one completion (ROLLOUT_FIELDS) and those score's --per-prompt summary adds
  (SUMMARY_FIELDS, GROUP_TAGS): what a command drops when it turns records back into prompt records.

Both limits keep what a command computes and writes finite and bounded, so it is checked where the record is read
rather than failing later: a reward of 1e308 (or an integer of 400 digits) would overflow every statistic of its group
(the mean, the std, an advantage), and a value nested a thousand levels deep can be read but neither written back
(orjson stops at 255 levels) nor compared or copied without running out of stack. Verifier rewards are a few units;
MAX_DEPTH is far beyond any real record (compose's provenance grows three levels a round of composition).

`Skipped` is the one way a command counts what it left out, by reason, and says so on stderr.

Each check raises `InvalidRecord` with the problem only; the reader (rlvrkit.jsonl) adds the line.
"""

from __future__ import annotations

import math
import sys
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
REWARD_LIMIT = 1e6  # the largest reward magnitude (see the module docstring)
TASKS = ("math", "mcq", "srl")  # the verifiers a record's 'task' may name
MAX_DEPTH = 100  # the most levels of objects and arrays in a record, the record itself the first
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels (the record contract's limit)"


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


def check_task(rec: dict, command: str) -> None:
    """A record's 'task', when it has one, names a verifier `command` knows (verify, eval)."""
    task = rec.get("task")
    if task is not None and task not in TASKS:
        raise InvalidRecord(f"unknown task {task!r}: {command} verifies {', '.join(TASKS)} (--task forces one)")


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
    """A scored rollout: an id and a numeric reward within ±REWARD_LIMIT. A missing reward is an error, never a silent
    zero."""
    check_id(rec)
    reward = rec.get("reward")
    if type(reward) in (int, float):
        if not (finite_number(reward) and -REWARD_LIMIT <= reward <= REWARD_LIMIT):
            raise InvalidRecord(f"'reward' must be from {-REWARD_LIMIT:g} to {REWARD_LIMIT:g}, got {_shown(reward)}")
    elif reward is None:
        raise InvalidRecord("missing 'reward' (run rlvr verify first?)" if "reward" not in rec else "'reward' is null")
    else:
        raise InvalidRecord(f"'reward' must be a number, got {type(reward).__name__} {_shown(reward)}")


def check_depth(value) -> None:
    """`InvalidRecord` when `value` nests more than MAX_DEPTH levels of objects and arrays (itself the first). Walks
    without recursion, so any depth can be measured, and stops at the first value too deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise InvalidRecord(TOO_DEEP)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


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
        or not all(finite_number(x) for x in logprobs)
    ):
        raise InvalidRecord("'logprobs' must be finite numbers, one per completion token")
    adv = rec.get("advantage")
    if adv is not None and not finite_number(adv):
        raise InvalidRecord(f"'advantage' must be a finite number, got {_shown(adv)}")


def finite_number(value) -> bool:
    """A JSON number (not a boolean) a float holds finitely: an integer too wide for a float is not one (converting
    it would overflow), nor are NaN and the infinities."""
    if type(value) is int:
        return -sys.float_info.max <= value <= sys.float_info.max
    return type(value) is float and math.isfinite(value)


def prompt_fields(rec: dict) -> dict:
    """The prompt record a rollout came from: every field but the per-completion ones."""
    return {k: v for k, v in rec.items() if k not in ROLLOUT_FIELDS}


def _shown(value) -> str:
    """A value as a message quotes it: its repr, cut to 40 characters (an integer of any width included)."""
    if type(value) is int and value.bit_length() > 128:  # repr of a very wide integer may even be refused
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
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
