"""`rlvr select-one`: the training example worth most, from a training history (one-sample RL).

The history is what the tools write, unedited: `rlvr score --per-prompt` lines (each prompt's pass_rate in one pass,
tagged with the `epoch` rollout drew it in), or verified rollout records themselves (grouped by prompt and epoch;
a rollout is solved when its reward is at least --solved-at). The pass a line belongs to is its `epoch`, its `step`,
or its policy's `version` (--over; auto takes the first of these the first record has). From it each prompt gets
an accuracy per epoch (rlvrkit.select_one.scores), missing epochs are back-filled or the prompt left out (--missing),
and the prompts are ranked by the chosen score. `--by skills` ranks by salient skills a local model tags instead
(rlvrkit.select_one.skills), and needs only the prompts.

The output is the chosen prompt record(s), best first, with `meta.select_one = {by, score, rank, …}`; --repeat R
writes each R times, as 1-shot RLVR fills its batch of 128 with the one example. The copies get ids ``<id>#0`` …
``<id>#R-1`` (and `meta.select_one.id`, the original id): rollout seeds each completion from its prompt's id, so R
copies under one id would sample R identical groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rlvrkit.errors import InvalidRecord
from rlvrkit.groups import TOLERANCE
from rlvrkit.jsonl import Source, check_streams, streams
from rlvrkit.records import SUMMARY_FIELDS, Skipped, check_id, check_reward, finite_number, plural, prompt_fields
from rlvrkit.select_one.options import SelectOneOptions
from rlvrkit.select_one.scores import lim_scores, mean_accuracy, ranked, trajectories, variance
from rlvrkit.select_one.skills import salient_set

TIME_KEYS = ("epoch", "step", "version")


@dataclass
class Tally:
    """What select-one saw, for its line on stderr: prompts and passes scored, values back-filled, model answers it
    could not read, and what it left out by reason (prompts, and records that belong to no pass)."""

    prompts: int = 0
    epochs: int = 0
    filled: int = 0
    untagged: int = 0
    left: Skipped = field(default_factory=Skipped)
    unread: Skipped = field(default_factory=Skipped)


@dataclass
class History:
    """What select-one read: each prompt's record (first seen) and {id: {epoch: [solved, total]}}."""

    prompts: dict
    counts: dict
    key: str | None = None  # the time key in use (auto resolves it from the first record that has one)


def check_record(by: str):
    """The record check: an id, and a pass_rate (a summary line) or a reward (a verified rollout); --by skills also
    takes plain prompt records."""

    def check(rec: dict) -> None:
        check_id(rec)
        if "pass_rate" in rec:
            _number(rec, "pass_rate", 0, 1)
        elif "reward" in rec:
            check_reward(rec)
        elif by != "skills":
            raise InvalidRecord("needs 'pass_rate' (an rlvr score --per-prompt line) or 'reward' (a verified rollout)")
        for name in ("epoch", "step"):
            if name in rec and (type(rec[name]) is not int or rec[name] < 0):
                raise InvalidRecord(f"'{name}' must be a whole number >= 0, got {rec[name]!r:.40}")

    return check


def _number(rec: dict, name: str, lo: float, hi: float) -> None:
    value = rec[name]
    if not finite_number(value) or not lo <= value <= hi:
        raise InvalidRecord(f"'{name}' must be a number in [{lo:g}, {hi:g}]")


def time_of(rec: dict, over: str):
    """The pass a record belongs to under `over` (epoch, step or version), or None."""
    if over == "version":
        policy = rec.get("policy")
        value = policy.get("version") if isinstance(policy, dict) else None
        return value if type(value) is int else None
    return rec.get(over)


def read_history(records, opts: SelectOneOptions, counts: Tally) -> History:
    """Every record into the history; a record without the time key is counted in `counts` and left out. Prompts are
    told apart by their id as it is: 1 and "1" are two prompts."""
    history = History({}, {}, None if opts.over == "auto" else opts.over)
    for rec in records:
        key = rec["id"]
        history.prompts.setdefault(key, rec)
        if opts.by == "skills":
            continue
        if history.key is None:
            history.key = next((k for k in TIME_KEYS if time_of(rec, k) is not None), None)
        when = time_of(rec, history.key) if history.key else None
        if when is None:
            counts.unread[f"without '{history.key}'" if history.key else "without epoch, step or version"] += 1
            continue
        solved, total = _solved(rec, opts.solved_at)
        cell = history.counts.setdefault(key, {}).setdefault(when, [0.0, 0])
        cell[0] += solved
        cell[1] += total
    return history


def _solved(rec: dict, solved_at: float) -> tuple[float, int]:
    """(rollouts solved, rollouts) a record stands for."""
    if "pass_rate" in rec:
        n = rec.get("n") if type(rec.get("n")) is int and rec["n"] > 0 else 1
        return rec["pass_rate"] * n, n
    return float(rec["reward"] >= solved_at - TOLERANCE), 1


def scores(history: History, opts: SelectOneOptions, counts: Tally) -> tuple[dict, dict]:
    """({id: score} ranked best first, {id: extra meta}) for the history-based methods."""
    epochs = sorted({k for row in history.counts.values() for k in row})
    table = {key: {k: s / t for k, (s, t) in row.items()} for key, row in history.counts.items()}
    trajs, counts.filled = trajectories(table, epochs, opts.missing, counts.left)
    counts.prompts, counts.epochs = len(trajs), len(epochs)
    extra = {key: {"accuracy": seq} for key, seq in trajs.items()}
    if opts.by == "variance":
        found = {key: variance(seq) for key, seq in trajs.items()}
        return {k: found[k] for k in ranked(found)}, extra
    if opts.by == "lim":
        found = lim_scores(trajs)
        kept = {k: v for k, v in found.items() if v >= opts.min_score - TOLERANCE}
        counts.left[f"below --min-score {opts.min_score:g}"] += len(found) - len(kept)
        return {k: kept[k] for k in ranked(kept)}, extra
    found = mean_accuracy(trajs)
    order = ranked(found, key=lambda s: abs(s - opts.target))
    return {k: found[k] for k in order}, extra


def skill_scores(history: History, opts: SelectOneOptions, log, counts: Tally) -> tuple[dict, dict]:
    """({id: number of salient skills} best first, {id: {"skills": [...]}}) from the --llm model's tags."""
    from rlvrkit.llm import LocalModel
    from rlvrkit.select_one.skills import question, skill_score, tags

    model = LocalModel(opts.llm, opts.llm_max_tokens, log)
    keys = list(history.prompts)
    answers = model.ask([question(history.prompts[k]) for k in keys], [str(k) for k in keys])
    found, extra = {}, {}
    for key, answer in zip(keys, answers):
        named = tags(answer)
        counts.untagged += named is None
        found[key] = skill_score(named, salient_set(opts.salient))
        extra[key] = {"skills": named or []}
    counts.prompts = len(keys)
    return {k: found[k] for k in ranked(found)}, extra


def chosen_records(history: History, best: dict, extra: dict, opts: SelectOneOptions) -> list[dict]:
    """The top prompts' records, each with meta.select_one, each --repeat times (copies interleaved)."""
    top = list(best)[: opts.top or None]
    out = []
    for copy in range(opts.repeat):
        for rank, key in enumerate(top, 1):
            rec = prompt_fields(history.prompts[key])
            rec = {k: v for k, v in rec.items() if k not in SUMMARY_FIELDS and k != "step"}
            meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
            mine = {"by": opts.by, "score": best[key], "rank": rank, **extra[key]}
            if opts.repeat > 1:
                rec["id"], mine = f"{key}#{copy}", {**mine, "id": history.prompts[key]["id"], "copy": copy}
            out.append({**rec, "meta": {**meta, "select_one": mine}})
    return out


def describe(counts: Tally, history: History, opts: SelectOneOptions, written: int) -> str:
    """One line for stderr: what the history held, every fill and exclusion, what was written."""
    over = f" over {counts.epochs} {plural(history.key or 'epoch', counts.epochs)}" if opts.by != "skills" else ""
    parts = [f"{counts.prompts} prompts{over}"]
    if counts.filled:
        parts.append(f"{counts.filled} {plural('value', counts.filled)} back-filled from the next pass (LIMR)")
    if counts.untagged:
        unread = plural("model answer", counts.untagged)
        parts.append(f"{counts.untagged} {unread} without readable skills (scored 0)")
    left = (counts.left.describe("prompt", verb="left out"), counts.unread.describe("record", verb="left out"))
    parts += [line for line in left if line]
    return "; ".join(parts) + f"; wrote {written} {plural('record', written)}"


def flat_ranking(best: dict, top: int, counts: Tally, history: History) -> str | None:
    """A warning when the scores did not decide what was chosen: every prompt scores the same, or the prompts tied
    with the last one chosen go on past the cut (then input order decided). None when the ranking decided."""
    values = list(best.values())
    cut = min(top or len(values), len(values))
    if len(values) < 2 or (cut == len(values) and values[0] - values[-1] > TOLERANCE):
        return None
    tied = [v for v in values if abs(v - values[cut - 1]) <= TOLERANCE]
    if len(tied) == len(values):
        where = f"every one of the {len(values)} prompts scores {values[0]:.4g}"
    elif len(tied) > sum(abs(v - values[cut - 1]) <= TOLERANCE for v in values[:cut]):
        where = f"{len(tied)} prompts tie at {values[cut - 1]:.4g} where the top {cut} is cut"
    else:
        return None
    passes = f" (the history has {counts.epochs} {plural(history.key or 'epoch', counts.epochs)})"
    return f"the ranking is flat: {where}{passes if history.key else ''}; input order chose among them"


def run_select_one(source: Source, output: str, opts: SelectOneOptions, log) -> None:
    """`rlvr select-one`: read the whole history from `source`, write the chosen prompt record(s) to `output`. A bad
    line writes nothing (a selection from part of a history would mislead); what was written is said once it is."""
    check_streams(source, output)
    counts = Tally()
    with streams(source, output, check=check_record(opts.by), log=log, whole=True) as (records, out):
        history = read_history(records, opts, counts)
        if records.failure is not None:
            raise records.failure
        if opts.by == "skills":
            best, extra = skill_scores(history, opts, log, counts)
        else:
            best, extra = scores(history, opts, counts)
        chosen = chosen_records(history, best, extra, opts)
        for rec in chosen:
            out.write(rec)
    if message := flat_ranking(best, opts.top, counts, history):
        log.warn(message)
    log.info(describe(counts, history, opts, len(chosen)))
