"""`rlvr rollout` with the transformers engine on the tiny model: groups, seeds, logprobs, finish reasons, --watch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from conftest import jsonl, read_jsonl, rlvr

from rlvrkit.checkpoint import publish
from rlvrkit.jsonl import Source
from rlvrkit.log import Log
from rlvrkit.models import load_model, load_tokenizer
from rlvrkit.rollout.engine import Policy, Request
from rlvrkit.rollout.options import RolloutOptions, Sampling
from rlvrkit.rollout.run import Prompt, plan, run_rollout
from rlvrkit.rollout.sampling import draw, filter_top_k_top_p, generators
from rlvrkit.rollout.transformers_engine import TransformersEngine

PROMPTS = [
    {"id": "p0", "prompt": "what is 2 + 3?", "answer": "5", "meta": {"source": "test"}},
    {"id": "p1", "prompt": "let x be the sum of 12 and 40, then find the product of x and 3"},
    {"id": "p2", "messages": [{"role": "user", "content": "how many apples does she have left?"}]},
    {"id": "p3", "prompt": "hi", "system": "answer with a number"},
    {"id": "p4", "prompt": "first compute 7 * 8 then subtract 6; the final result equals what value?"},
]


@pytest.fixture(scope="module")
def tok(tiny_model):
    return load_tokenizer(tiny_model)


@pytest.fixture(scope="module")
def engine(tiny_model, tok):
    return TransformersEngine(str(tiny_model), tok, dtype="float32", device="cpu")


def roll(engine, tmp_path, prompts=PROMPTS, name="out", **kw) -> list[dict]:
    """run_rollout in-process on a file of prompt records; returns the records written."""
    src, dst = tmp_path / f"{name}.in.jsonl", tmp_path / f"{name}.jsonl"
    src.write_text(jsonl(*prompts))
    opts = RolloutOptions(model=engine.path, **{"max_tokens": 16, "n": 3, **kw})
    run_rollout(Source(str(src)), str(dst), opts, Log("rollout"), engine=engine)
    return read_jsonl(dst.read_text())


def fresh_logprobs(model, rec: dict) -> torch.Tensor:
    """Temperature-scaled log-softmax of one forward pass over prompt+completion, at the completion tokens."""
    ids = rec["prompt_ids"] + rec["completion_ids"]
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    t = rec["sampling"]["temperature"] or 1.0
    logp = torch.log_softmax(logits / t, dim=-1)
    start = len(rec["prompt_ids"]) - 1
    targets = torch.tensor(rec["completion_ids"])
    return logp[start : start + len(targets)].gather(-1, targets[:, None])[:, 0]


def assert_logprobs_match(model, records, tol=1e-4):
    for rec in records:
        assert len(rec["logprobs"]) == len(rec["completion_ids"]) > 0
        diff = (fresh_logprobs(model, rec) - torch.tensor(rec["logprobs"])).abs().max().item()
        assert diff < tol, (rec["id"], rec["sample"], diff)


def group_runs(records):
    """The ids in the order their runs of consecutive lines appear."""
    runs = []
    for r in records:
        if not runs or runs[-1][0] != r["id"]:
            runs.append([r["id"], 0])
        runs[-1][1] += 1
    return runs


# -- pure parts -------------------------------------------------------------------------------------------------------


def test_top_k_and_top_p_keep_the_right_tokens():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05], [0.05, 0.15, 0.3, 0.5]]))
    kept = lambda out: (out > float("-inf")).tolist()  # noqa: E731
    assert kept(filter_top_k_top_p(logits, top_k=2)) == [[True, True, False, False], [False, False, True, True]]
    assert kept(filter_top_k_top_p(logits, top_p=0.7)) == [[True, True, False, False], [False, False, True, True]]
    assert kept(filter_top_k_top_p(logits, top_p=0.8001)) == [[True, True, True, False], [False, True, True, True]]
    assert kept(filter_top_k_top_p(logits, top_p=0.01)) == [[True, False, False, False], [False, False, False, True]]
    both = filter_top_k_top_p(logits, top_k=3, top_p=0.6)
    assert kept(both) == [[True, True, False, False], [False, False, True, True]]


def test_draws_follow_the_distribution_and_the_seed():
    probs = torch.tensor([0.6, 0.25, 0.1, 0.05])
    rows = 4000
    logits = torch.log(probs).expand(rows, 4)
    tokens = draw(logits, generators(list(range(rows)), "cpu"))
    freq = torch.bincount(tokens, minlength=4).float() / rows
    assert (freq - probs).abs().max() < 0.03  # 4000 draws: std of each frequency < 0.008
    again = draw(logits[:10], generators(list(range(10)), "cpu"))
    assert again.tolist() == tokens[:10].tolist()  # a row's draw depends on its own seed only


def test_plan_keeps_groups_whole_and_sorts_longest_first():
    prompts = [Prompt({"id": str(i)}, [0] * length) for i, length in enumerate([3, 9, 5, 7])]
    batches = plan(prompts, n=3, batch_size=7)
    assert batches == [
        [(1, 0), (1, 1), (1, 2), (3, 0), (3, 1), (3, 2)],
        [(2, 0), (2, 1), (2, 2), (0, 0), (0, 1), (0, 2)],
    ]
    split = plan(prompts[:1], n=5, batch_size=2)  # a group bigger than a batch is split, in sample order
    assert split == [[(0, 0), (0, 1)], [(0, 2), (0, 3)], [(0, 4)]]


# -- the engine and the records ---------------------------------------------------------------------------------------


def test_records_groups_and_prompt_ids(engine, tok, tmp_path):
    out = roll(engine, tmp_path, n=3, batch_size=4)
    assert len(out) == 3 * len(PROMPTS)
    runs = group_runs(out)
    assert sorted(i for i, _ in runs) == sorted(p["id"] for p in PROMPTS) and all(k == 3 for _, k in runs)
    by_id = {p["id"]: p for p in PROMPTS}
    for rec in out:
        prompt = by_id[rec["id"]]
        assert {k: rec[k] for k in prompt} == prompt  # prompt fields pass through unchanged
        assert rec["policy"] == {"model": engine.path, "adapter": None, "version": 0}
        assert rec["sampling"] == {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "seed": 0, "max_tokens": 16, "n": 3}
        assert rec["finish_reason"] in ("stop", "length") and rec["epoch"] == 0
        assert rec["completion"] == tok.decode(rec["completion_ids"], skip_special_tokens=True)
    assert [r["sample"] for r in out if r["id"] == "p0"] == [0, 1, 2]
    # prompt_ids are exactly the chat template's tokens: system from the record, else none
    p3 = next(r for r in out if r["id"] == "p3")
    chat = [{"role": "system", "content": "answer with a number"}, {"role": "user", "content": "hi"}]
    text = tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert p3["prompt_ids"] == tok(text, add_special_tokens=False)["input_ids"]
    assert text.endswith("<|im_start|>assistant\n")
    plain = roll(engine, tmp_path, PROMPTS[:1], name="plain", n=1, chat=False)
    assert plain[0]["prompt_ids"] == tok(PROMPTS[0]["prompt"])["input_ids"]


def test_each_pass_is_stamped_with_its_epoch(engine, tmp_path):
    out = roll(engine, tmp_path, PROMPTS[:2], n=2, epochs=3)
    assert sorted((r["id"], r["epoch"]) for r in out) == sorted(
        (p["id"], e) for p in PROMPTS[:2] for e in range(3) for _ in "ab"
    )
    assert [r["epoch"] for r in out] == sorted(r["epoch"] for r in out)  # one pass after the other
    by_epoch = [sorted(tuple(r["completion_ids"]) for r in out if r["epoch"] == e) for e in range(3)]
    assert by_epoch[0] != by_epoch[1] != by_epoch[2]  # each pass draws fresh samples


def test_same_seed_same_output_whatever_the_batch(engine, tmp_path):
    a = roll(engine, tmp_path, name="a", n=4, seed=7, batch_size=64)
    b = roll(engine, tmp_path, name="b", n=4, seed=7, batch_size=3)  # other batch mates, other padding
    key = lambda r: (r["id"], r["sample"])  # noqa: E731
    a, b = sorted(a, key=key), sorted(b, key=key)
    assert [r["completion_ids"] for r in a] == [r["completion_ids"] for r in b]
    for x, y in zip(a, b):
        assert max(abs(p - q) for p, q in zip(x["logprobs"], y["logprobs"])) < 1e-4
    c = roll(engine, tmp_path, name="c", n=4, seed=8)
    assert sorted(r["completion_ids"] for r in c) != sorted(r["completion_ids"] for r in a)
    # the samples of a group are drawn independently (the pretrained tiny model may repeat an answer, not all four)
    assert len({tuple(r["completion_ids"]) for r in a if r["id"] == "p0"}) > 1


@pytest.mark.parametrize(
    "sampling",
    [{}, {"temperature": 0.7, "top_p": 0.9}, {"temperature": 1.3, "top_k": 20}, {"temperature": 0}],
    ids=["t1", "t0.7-top_p", "t1.3-top_k", "greedy"],
)
def test_logprobs_equal_a_fresh_forward_pass(engine, tmp_path, sampling):
    out = roll(engine, tmp_path, n=2, max_tokens=24, batch_size=6, **sampling)
    assert_logprobs_match(engine.model, out)
    if sampling.get("temperature") == 0:  # greedy: every step takes the argmax, and both samples agree
        for rec in out:
            ids = rec["prompt_ids"] + rec["completion_ids"]
            with torch.no_grad():
                logits = engine.model(torch.tensor([ids])).logits[0]
            start = len(rec["prompt_ids"]) - 1
            assert logits[start : start + len(rec["completion_ids"])].argmax(-1).tolist() == rec["completion_ids"]


@pytest.fixture(scope="module")
def eos_heavy(tiny_model, tok, tmp_path_factory):
    """The tiny model with its EOS embedding scaled up, so that many completions end on EOS within a few tokens."""
    model = load_model(tiny_model, dtype="float32", device="cpu")
    eos = tok.eos_token_id
    with torch.no_grad():
        model.get_output_embeddings().weight[eos] *= 6
    path = tmp_path_factory.mktemp("eos") / "model"
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return TransformersEngine(str(path), load_tokenizer(path), dtype="float32", device="cpu")


def test_finish_reason_is_length_exactly_when_max_tokens_is_hit(eos_heavy, tmp_path):
    max_tokens = 6
    out = roll(eos_heavy, tmp_path, n=8, max_tokens=max_tokens, seed=3)
    eos = eos_heavy.tokenizer.eos_token_id
    reasons = {r["finish_reason"] for r in out}
    assert reasons == {"stop", "length"}  # both happen, so the check below is not vacuous
    for rec in out:
        ids = rec["completion_ids"]
        assert eos not in ids[:-1]  # generation ends at the first EOS ...
        if ids[-1] == eos:
            assert rec["finish_reason"] == "stop"  # ... which stays in completion_ids
        else:
            assert len(ids) == max_tokens and rec["finish_reason"] == "length"
    assert_logprobs_match(eos_heavy.model, out)


def test_stop_strings_cut_the_text_and_end_the_completion(engine, tok, tmp_path):
    stop = "e"  # frequent in the tiny tokenizer's vocabulary
    out = roll(engine, tmp_path, n=4, max_tokens=40, stop=(stop,))
    stopped = [r for r in out if r["finish_reason"] == "stop"]
    assert len(stopped) > len(out) // 2
    for rec in out:
        full = tok.decode(rec["completion_ids"], skip_special_tokens=True)
        assert stop not in rec["completion"]
        if rec["finish_reason"] == "stop" and rec["completion_ids"][-1] != tok.eos_token_id:
            assert full.startswith(rec["completion"] + stop)  # cut right before the first stop string ...
            before = tok.decode(rec["completion_ids"][:-1], skip_special_tokens=True)
            assert stop not in before  # ... which the last token completed
        elif rec["finish_reason"] == "length":
            assert rec["completion"] == full and len(rec["completion_ids"]) == 40


# -- the command ------------------------------------------------------------------------------------------------------


def test_cli_writes_groups_and_refuses_a_bad_line(tiny_model):
    good = jsonl(*PROMPTS[:2])
    bad = good + '{"id": "p9", "answer": "3"}\n' + jsonl(PROMPTS[3])
    out = rlvr("rollout", "-m", str(tiny_model), "-n", "2", "--max-tokens", "8", input=bad)
    assert out.returncode == 2
    assert "stdin:3: needs 'prompt' (text) or 'messages'" in out.stderr
    assert "Traceback" not in out.stderr
    got = read_jsonl(out.stdout)  # the groups before the bad line were written, nothing after it
    assert sorted((r["id"], r["sample"]) for r in got) == [("p0", 0), ("p0", 1), ("p1", 0), ("p1", 1)]
    assert "engine: transformers" in out.stderr


# -- --watch ----------------------------------------------------------------------------------------------------------


def lora_adapter(base: Path, folder: Path, seed: int) -> None:
    """A peft LoRA adapter on the tiny model with random (non-zero) weights, saved as train would."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = load_model(base, dtype="float32", device="cpu")
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(folder)


def full_weights(base: Path, folder: Path, seed: int) -> None:
    torch.manual_seed(seed)
    model = load_model(base, dtype="float32", device="cpu")
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(folder)


def test_watch_picks_up_new_versions_and_exits_when_stdout_closes(tiny_model, tmp_path):
    from peft import PeftModel

    run = tmp_path / "run"
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(jsonl(*PROMPTS))
    cmd = [sys.executable, "-m", "rlvrkit.commands.cli", "rollout", "-m", str(tiny_model), "--watch", str(run)]
    cmd += ["-n", "2", "--batch-size", "2", "--max-tokens", "4", "-i", str(prompts), "--shuffle"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    watchdog = threading.Timer(240, proc.kill)
    watchdog.start()
    seen: dict[int, list[dict]] = {}
    lines: list[dict] = []
    try:

        def read_until(version: int, limit: int = 3000) -> None:
            for _ in range(limit):
                line = proc.stdout.readline()
                assert line, proc.stderr.read().decode()
                rec = json.loads(line)
                lines.append(rec)
                seen.setdefault(rec["policy"]["version"], []).append(rec)
                if rec["policy"]["version"] == version:
                    return
            raise AssertionError(f"version {version} never showed up")

        read_until(0)
        v1 = publish(run, 1, "adapter", str(tiny_model), lambda d: lora_adapter(tiny_model, d, seed=1))
        read_until(1)
        v2 = publish(run, 2, "full", str(tiny_model), lambda d: full_weights(tiny_model, d, seed=2))
        read_until(2)
        for _ in range(10):  # keep reading a little: no older version comes back
            rec = json.loads(proc.stdout.readline())
            lines.append(rec)
            seen[rec["policy"]["version"]].append(rec)
            assert rec["policy"]["version"] == 2
        proc.stdout.close()  # the reader goes away: rollout must end quietly
        assert proc.wait(timeout=120) == 0
    finally:
        watchdog.cancel()
        proc.kill()
    stderr = proc.stderr.read().decode()
    assert "Traceback" not in stderr and "policy: version 2 (full" in stderr
    versions = [r["policy"]["version"] for r in lines]
    assert versions == sorted(versions)
    # the records of each version were really generated by its weights
    v1_recs, v2_recs = seen[1][-2:], seen[2][-2:]
    assert all(r["policy"]["adapter"] == str(v1.path) for r in v1_recs)
    assert all(r["policy"] == {"model": str(tiny_model), "adapter": None, "version": 2} for r in v2_recs)
    base = load_model(tiny_model, dtype="float32", device="cpu")
    assert_logprobs_match(PeftModel.from_pretrained(base, str(v1.path)).eval(), v1_recs)
    assert_logprobs_match(load_model(v2.path, dtype="float32", device="cpu"), v2_recs)
    assert_logprobs_match(load_model(tiny_model, dtype="float32", device="cpu"), seen[0][:2])
    # groups stay whole and contiguous, with one policy each, across versions and epochs
    runs = group_runs(lines)[:-1]  # the last group may have been cut by closing the pipe
    assert len(runs) > 5 and all(k % 2 == 0 for _, k in runs)
    start = 0
    for _, k in runs:
        group = lines[start : start + k]
        assert [r["sample"] for r in group] == [0, 1] * (k // 2)
        assert len({r["policy"]["version"] for r in group[:2]}) == 1
        start += k


def test_engine_switches_adapter_and_full_weights_in_process(engine, tiny_model, tok, tmp_path):
    """load(policy) between batches: adapter, another adapter, full weights, and back to the base."""
    from peft import PeftModel

    lora_adapter(tiny_model, tmp_path / "a1", seed=11)
    lora_adapter(tiny_model, tmp_path / "a2", seed=12)
    full_weights(tiny_model, tmp_path / "f3", seed=13)
    ids = tok(
        tok.apply_chat_template([{"role": "user", "content": "2 + 2"}], add_generation_prompt=True, tokenize=False),
        add_special_tokens=False,
    )["input_ids"]
    params = Sampling(max_tokens=10, n=1)
    base_model = load_model(tiny_model, dtype="float32", device="cpu")
    references = {
        "a1": PeftModel.from_pretrained(load_model(tiny_model, dtype="float32", device="cpu"), str(tmp_path / "a1")),
        "a2": PeftModel.from_pretrained(load_model(tiny_model, dtype="float32", device="cpu"), str(tmp_path / "a2")),
        "f3": load_model(tmp_path / "f3", dtype="float32", device="cpu"),
        "base": base_model,
    }
    policies = {
        "a1": Policy(engine.path, str(tmp_path / "a1"), 1),
        "a2": Policy(engine.path, str(tmp_path / "a2"), 2),
        "f3": Policy(engine.path, None, 3, full=str(tmp_path / "f3")),
        "base": Policy(engine.path),
    }
    try:
        for name in ("a1", "a2", "f3", "a1", "base"):
            engine.load(policies[name])
            c = engine.generate([Request(ids, "k", 0)], params)[0]
            rec = {
                "prompt_ids": ids,
                "completion_ids": c.token_ids,
                "logprobs": c.logprobs,
                "id": name,
                "sample": 0,
                "sampling": {"temperature": 1.0},
            }
            assert_logprobs_match(references[name].eval(), [rec])
    finally:
        engine.load(policies["base"])


def test_a_version_pruned_while_loading_gives_way_to_the_newer_one(engine, tiny_model, tmp_path, monkeypatch):
    """train keeps only the newest versions; when it prunes the one rollout --watch is loading, rollout takes the
    newer one instead of failing, and prune never deletes files under a version's visible name."""
    from rlvrkit import checkpoint
    from rlvrkit.rollout.watch import PolicySource, load_current

    run = tmp_path / "run"
    for v in (1, 2):
        full_weights(tiny_model, tmp_path / f"w{v}", seed=v)

    def publish_weights(v):
        publish(run, v, "full", str(tiny_model), lambda d: shutil.copytree(tmp_path / f"w{v}", d, dirs_exist_ok=True))

    real_rmtree = shutil.rmtree

    def rmtree(path, *a, **kw):
        assert not checkpoint._VERSION_DIR.match(Path(path).name), f"{path} deleted while still visible"
        real_rmtree(path, *a, **kw)

    monkeypatch.setattr(checkpoint.shutil, "rmtree", rmtree)
    publish_weights(1)

    class TrainPrunesMidLoad:
        """The real engine, but train publishes version 2 and prunes version 1 just as loading begins."""

        def __init__(self):
            self.loads = []

        def load(self, policy):
            self.loads.append(policy.version)
            if len(self.loads) == 1:
                publish_weights(2)
                checkpoint.prune(run, keep=1)
            engine.load(policy)

    try:
        stand_in = TrainPrunesMidLoad()
        policy = load_current(stand_in, PolicySource(str(tiny_model), watch=str(run)))
        assert stand_in.loads == [1, 2] and policy.version == 2
        assert [c.version for c in checkpoint.versions(run)] == [2]
        assert not [p for p in (run / "versions").iterdir() if p.name.startswith(".")]
    finally:
        engine.load(Policy(engine.path))
