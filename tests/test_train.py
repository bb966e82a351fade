"""`rlvr train` on the tiny model: layout, metrics, checkpoints that survive SIGKILL, resume, and torchrun."""

import json
import math
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import jsonl, read_jsonl, rlvr, shell

from rlvrkit import checkpoint
from rlvrkit.train.batch import Sample, collate, micro_batches
from rlvrkit.train.options import TrainConfig, TrainOptions
from rlvrkit.train.options import resolve as resolve_options
from rlvrkit.train.step import completion_logprobs


def fake_rollouts(tokenizer, groups=4, n=4, seed=0, version=0):
    """Records shaped like rollout's, with random completions and alternating rewards (no sampling needed)."""
    rng = random.Random(seed)
    out = []
    for g in range(groups):
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": f"answer with 7 ({g})"}], tokenize=False, add_generation_prompt=True
        )
        prompt_ids = tokenizer(text)["input_ids"]
        for s in range(n):
            comp = [rng.randrange(3, len(tokenizer)) for _ in range(rng.randint(1, 6))]
            out.append(
                {
                    "id": f"p{g}",
                    "prompt_ids": prompt_ids,
                    "completion_ids": comp,
                    "logprobs": [-6.0] * len(comp),
                    "reward": float(s % 2),
                    "sampling": {"temperature": 1.0, "max_tokens": 8, "n": n},
                    "policy": {"version": version},
                }
            )
    return out


def resolve(given: dict, saved: dict | None = None):
    """The run's settings from options set on a command line (`given`) and, on resume, the saved config."""
    return resolve_options(TrainOptions("run", TrainConfig(**given), frozenset(given)), saved)


def train(run, model, *args, **kw):
    """``rlvr train --ckpt RUN --model MODEL ARGS``."""
    return rlvr("train", "--ckpt", str(run), "--model", str(model), *args, **kw)


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from rlvrkit.models import load_tokenizer

    return load_tokenizer(tiny_model)


def test_loss_defaults_follow_the_papers():
    cfg, _ = resolve({"model": "/m", "loss": "dapo"})
    assert cfg.clip == (0.2, 0.28) and cfg.rule.drop == ("solve-all", "solve-none") and cfg.rule.adv == "group"
    cfg, _ = resolve({"model": "/m", "loss": "dr-grpo"})
    assert cfg.rule.adv == "none" and cfg.rule.drop == ()
    cfg, _ = resolve({"model": "/m", "loss": "luspo"})
    assert cfg.clip == (2e-3, 2.5e-3)
    cfg, _ = resolve({"model": "/m", "loss": "srl"})
    assert cfg.objective == "grpo" and cfg.rule.min_std == 0.0 and cfg.learning_rate == 5e-7 and cfg.beta == 0
    cfg, _ = resolve({"model": "/m", "lora": True})
    assert cfg.learning_rate == 1e-5


def test_resume_keeps_saved_settings_and_refuses_structural_changes():
    saved, _ = resolve({"model": "/m", "loss": "gspo", "lr": 3e-6})
    cfg, changed = resolve({"lr": 1e-6}, saved.to_json())
    assert cfg.loss == "gspo" and cfg.lr == 1e-6 and changed == ["lr: 3e-06 -> 1e-06"]
    with pytest.raises(Exception, match="cannot resume with lora=True"):
        resolve({"lora": True}, saved.to_json())


def test_micro_batches_respect_the_token_budget():
    samples = [Sample([1] * p, [2] * c, None, 0.0, 0.0, 1.0, 0) for p, c in [(5, 5), (3, 2), (4, 4), (2, 1), (9, 9)]]
    parts = micro_batches(samples, budget=16)
    assert sorted(len(s.prompt_ids) for part in parts for s in part) == [2, 3, 4, 5, 9]
    for part in parts:
        padded = len(part) * (max(len(s.prompt_ids) for s in part) + max(len(s.completion_ids) for s in part))
        assert padded <= 16 or len(part) == 1


def test_padded_logprobs_equal_a_forward_pass_of_each_sequence_alone(tiny_model, tokenizer):
    from rlvrkit.models import load_model

    model = load_model(tiny_model)
    recs = fake_rollouts(tokenizer, groups=2, n=2)
    samples = [
        Sample(r["prompt_ids"][: 5 + i], r["completion_ids"], None, 1.0, 1.0, 0.7, 0) for i, r in enumerate(recs)
    ]
    batch = collate(samples, tokenizer.pad_token_id, "cpu")
    with torch.no_grad():
        got = completion_logprobs(model, batch)
        for i, s in enumerate(samples):
            ids = torch.tensor([s.prompt_ids + s.completion_ids])
            logits = model(ids).logits[0, len(s.prompt_ids) - 1 : -1] / 0.7
            want = torch.log_softmax(logits, -1).gather(-1, torch.tensor(s.completion_ids)[:, None]).squeeze(-1)
            assert torch.allclose(got[i, : len(s.completion_ids)], want, atol=1e-5)


def test_train_writes_metrics_and_versions_then_resumes(tmp_path, tiny_model, tokenizer):
    run = tmp_path / "run"
    data = tmp_path / "batch.jsonl"
    data.write_text(jsonl(*fake_rollouts(tokenizer, groups=4)))
    out = train(run, tiny_model, "--batch-groups", "2", "--lr", "1e-3", "-i", str(data))
    assert out.returncode == 0, out.stderr
    lines = read_jsonl(out.stdout)
    assert [m["step"] for m in lines] == [1, 2] and [m["version"] for m in lines] == [1, 2]
    for key in (
        "loss",
        "reward_mean",
        "reward_std",
        "adv_abs_mean",
        "len_mean",
        "len_max",
        "clip_frac",
        "kl",
        "is_ratio_mean",
        "grad_norm",
        "lr",
        "tokens",
        "tokens_per_s",
        "staleness",
        "groups_used",
        "groups_dropped",
    ):
        assert key in lines[0]
    assert lines[0]["loss"] == pytest.approx(0.0, abs=1e-6)  # on-policy, group-normalised advantages
    assert lines[1]["staleness"] == 1.0  # records of version 0 trained into version 1's policy
    assert os.readlink(run / "latest") == "versions/v000002"
    assert (run / "latest" / "model.safetensors").is_file()
    # the same, unchanged file again: the run already trained on its 4 groups, so it has nothing new
    again = rlvr("train", "--ckpt", str(run), "-i", str(data))
    assert again.returncode == 0 and again.stdout == ""
    assert "skipping the first 4 groups" in again.stderr
    # the next batch written to the same file name (a Makefile loop): new data, training continues at step 3
    data.write_text(jsonl(*fake_rollouts(tokenizer, groups=2, seed=1)))
    more = rlvr("train", "--ckpt", str(run), "-i", str(data), "--keep", "2")
    assert [m["step"] for m in read_jsonl(more.stdout)] == [3]
    assert [c.version for c in checkpoint.versions(run)] == [2, 3]


def test_bad_record_exits_2_without_training_on_a_partial_batch(tmp_path, tiny_model, tokenizer):
    recs = fake_rollouts(tokenizer, groups=3)
    del recs[9]["completion_ids"]
    out = train(tmp_path / "run", tiny_model, "--batch-groups", "2", input=jsonl(*recs))
    assert out.returncode == 2
    assert "stdin:10: 'completion_ids' is missing" in out.stderr
    assert [m["step"] for m in read_jsonl(out.stdout)] == [1]  # the full first batch trained, the partial one not


def test_dapo_drops_groups_without_signal(tmp_path, tiny_model, tokenizer):
    recs = fake_rollouts(tokenizer, groups=3)
    for r in recs[:4]:
        r["reward"] = 1.0  # group p0 solved by every sample
    out = train(tmp_path / "run", tiny_model, "--loss", "dapo", "--batch-groups", "2", input=jsonl(*recs))
    (metrics,) = read_jsonl(out.stdout)
    assert metrics["groups_used"] == 2 and metrics["groups_dropped"] == 1 and metrics["dropped"] == {"solve-all": 1}


SLOW_WRITE = """
import os, sys, time
import rlvrkit.train.loop as loop
real = loop.write_version
def slow(folder, *args, **kwargs):
    real(folder, *args, **kwargs)
    open(os.environ["MARK"], "w").write(str(folder))
    time.sleep(120)
loop.write_version = slow
from rlvrkit.commands.cli import main
sys.argv = ["rlvr"] + sys.argv[1:]
main()
"""


def test_sigkill_during_a_checkpoint_write_leaves_the_run_loadable(tmp_path, tiny_model, tokenizer):
    run, data, mark = tmp_path / "run", tmp_path / "b.jsonl", tmp_path / "mark"
    data.write_text(jsonl(*fake_rollouts(tokenizer, groups=2)))
    first = train(run, tiny_model, "--batch-groups", "2", "-i", str(data))
    assert first.returncode == 0
    data.write_text(jsonl(*fake_rollouts(tokenizer, groups=2, seed=1)))
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, "train", "--ckpt", str(run), "--batch-groups", "2"],
        stdin=open(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "MARK": str(mark)},
    )
    deadline = time.time() + 120
    while not mark.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert mark.exists(), proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert [c.version for c in checkpoint.versions(run)] == [1]  # the half-published version 2 is not visible
    assert os.readlink(run / "latest") == "versions/v000001"
    from rlvrkit.models import load_model

    load_model(run / "latest")
    resumed = rlvr("train", "--ckpt", str(run), "--batch-groups", "2", "-i", str(data))
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stderr and "at version 1 (step 1)" in resumed.stderr
    assert [m["step"] for m in read_jsonl(resumed.stdout)] == [2]
    assert [c.version for c in checkpoint.versions(run)] == [1, 2]
    assert not list((run / "versions").glob(".tmp-*"))  # the killed writer's leftovers are cleaned up


@pytest.mark.parametrize("sharding", ["ddp", "fsdp"])
def test_torchrun_two_processes_make_the_same_update_as_one(tmp_path, tiny_model, tokenizer, sharding):
    data = tmp_path / "b.jsonl"
    data.write_text(jsonl(*fake_rollouts(tokenizer, groups=4)))
    common = [
        "--model",
        str(tiny_model),
        "--batch-groups",
        "4",
        "--lr",
        "1e-3",
        "--micro-tokens",
        "64",
        "-i",
        str(data),
    ]
    one = rlvr("train", "--ckpt", str(tmp_path / "one"), *common)
    fsdp = ["--fsdp"] if sharding == "fsdp" else []
    two = rlvr("train", "--ckpt", str(tmp_path / "two"), "--nproc", "2", *fsdp, *common, timeout=600)
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    (m1,), (m2,) = read_jsonl(one.stdout), read_jsonl(two.stdout)
    assert m2["grad_norm"] == pytest.approx(m1["grad_norm"], rel=1e-5)
    assert m2["loss"] == pytest.approx(m1["loss"], abs=1e-6)
    from safetensors.torch import load_file

    w1 = load_file(str(tmp_path / "one" / "latest" / "model.safetensors"))
    w2 = load_file(str(tmp_path / "two" / "latest" / "model.safetensors"))
    base = load_file(str(tiny_model / "model.safetensors"))
    assert max((w1[k] - base[k]).abs().max() for k in w1) > 5e-4  # the step moved the weights (Adam: about lr)
    assert sorted(w1) == sorted(w2)
    for k in w1:
        assert torch.allclose(w1[k], w2[k], atol=1e-4), k


@pytest.mark.parametrize("mode", ["--full", "--lora"])
def test_kl_to_the_reference_ppo_epochs_and_checkpointed_activations(tmp_path, tiny_model, tokenizer, mode):
    # LoRA's reference is the base with the adapter switched off; full fine-tuning loads a frozen copy
    out = train(
        tmp_path / "run",
        tiny_model,
        mode,
        "--lr",
        "1e-2",
        "--beta",
        "0.1",
        "--updates-per-batch",
        "2",
        "--grad-checkpointing",
        "--batch-groups",
        "2",
        input=jsonl(*fake_rollouts(tokenizer, groups=4)),
    )
    assert out.returncode == 0, out.stderr
    steps = read_jsonl(out.stdout)
    assert [(m["step"], m["version"]) for m in steps] == [(1, 1), (2, 1), (3, 2), (4, 2)]
    assert steps[0]["kl"] == pytest.approx(0.0, abs=1e-7)  # the policy still is the reference
    assert steps[2]["kl"] > 0  # two updates later it is not; k3 is never negative
    # π_old is the policy at the start of a batch: its second update sees moved ratios, a new batch starts at 1
    assert steps[1]["clip_frac"] > 0 and steps[2]["clip_frac"] == 0


def test_srl_preset_drops_constant_groups(tmp_path, tiny_model, tokenizer):
    recs = fake_rollouts(tokenizer, groups=3)
    for r in recs:
        r["task"] = "srl"
        r["reward"] = 0.25 if r["id"] == "p1" else r["reward"] * 0.6  # p1: every step equally similar
    out = train(tmp_path / "run", tiny_model, "--loss", "srl", "--batch-groups", "2", input=jsonl(*recs))
    (metrics,) = read_jsonl(out.stdout)
    assert metrics["groups_used"] == 2 and metrics["dropped"] == {"std<=0": 1}
    assert metrics["lr"] == 5e-7


def test_learning_rate_schedules():
    from rlvrkit.train.step import lr_at

    cfg, _ = resolve({"model": "/m", "lr": 1.0, "warmup_steps": 2, "lr_schedule": "linear", "max_steps": 6})
    assert [lr_at(s, cfg) for s in range(7)] == [0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0]
    cfg, _ = resolve({"model": "/m", "lr": 1.0, "lr_schedule": "cosine", "max_steps": 4})
    assert [round(lr_at(s, cfg), 4) for s in range(5)] == [1.0, 0.8536, 0.5, 0.1464, 0.0]


def own_logprobs(model_dir, recs, shift=0.0):
    """The records with `logprobs` set to the model's own log-probabilities of their completions, plus `shift`."""
    from rlvrkit.models import load_model

    model = load_model(model_dir)
    samples = [Sample(r["prompt_ids"], r["completion_ids"], None, 0.0, 0.0, 1.0, 0) for r in recs]
    with torch.no_grad():
        logp = completion_logprobs(model, collate(samples, 0, "cpu"))
    for r, row in zip(recs, logp):
        r["logprobs"] = [float(x) + shift for x in row[: len(r["completion_ids"])]]
    return recs


def test_diagnostics_measure_entropy_mismatch_truncation_flat_groups_and_time(tmp_path, tiny_model, tokenizer):
    recs = own_logprobs(tiny_model, fake_rollouts(tokenizer, groups=4), shift=0.5)  # μ = π·e^0.5 on every token
    for r in recs[:4]:
        r["reward"] = 1.0  # group p0: every reward the same
    for r in recs[4:7]:
        r["finish_reason"] = "length"
    out = train(tmp_path / "run", tiny_model, "--batch-groups", "4", "--loss", "sapo", input=jsonl(*recs))
    assert out.returncode == 0, out.stderr
    (m,) = read_jsonl(out.stdout)
    assert 0 < m["entropy"] < math.log(len(tokenizer)) + 1e-4  # nats, at most log |V|
    assert m["mismatch_log_ratio"] == pytest.approx(0.5, abs=1e-4)  # log μ − log π = 0.5 on every token
    assert m["mismatch_k3"] == pytest.approx(math.exp(-0.5) - 1 + 0.5, abs=1e-4)  # r = e^−0.5: r − 1 − log r
    assert m["truncated_frac"] == 3 / 16 and m["zero_spread_frac"] == 1 / 4
    assert m["tis"] == "off" and m["off_policy_masked"] == 0.0  # fresh samples (version 0 trains version 0)
    assert m["wait_s"] >= 0 and m["compute_s"] > 0 and m["publish_s"] > 0


def test_stale_batches_get_importance_sampling_unless_off_and_truncated_ones_can_go(tmp_path, tiny_model, tokenizer):
    recs = own_logprobs(tiny_model, fake_rollouts(tokenizer, groups=4))  # all sampled by version 0
    for r in recs:
        r["finish_reason"] = "length"  # every completion cut at max tokens
    out = train(tmp_path / "run", tiny_model, "--batch-groups", "2", "--lr", "1e-2", input=jsonl(*recs))
    first, second = read_jsonl(out.stdout)
    assert first["tis"] == "off" and second["tis"] == "sequence" and second["staleness"] == 1
    assert first["is_ratio_mean"] == 1.0 and second["is_ratio_mean"] != pytest.approx(1.0, abs=1e-3)
    assert second["mismatch_k3"] > first["mismatch_k3"]  # one update later the policy has moved from the sampler
    assert out.stderr.count("sequence-level importance sampling (cap 3) corrects them; --tis off") == 1
    assert first["truncated_frac"] == 1.0 and first["grad_norm"] > 0
    # --tis off: no correction; --mask-truncated: the cut completions give no loss, so no gradient
    off = train(tmp_path / "off", tiny_model, "--batch-groups", "2", "--tis", "off", "--mask-truncated",
                input=jsonl(*recs))  # fmt: skip
    assert [(m["tis"], m["grad_norm"]) for m in read_jsonl(off.stdout)] == [("off", 0.0), ("off", 0.0)]
    assert "importance" not in off.stderr


def test_a_run_killed_reading_stdin_from_a_file_resumes_where_it_stopped(tmp_path, tiny_model, tokenizer):
    """`rlvr train --ckpt run … < file`, SIGKILLed after two steps, then run again the same way: it skips the two
    groups it trained on. From a pipe it cannot know, and says so in one line."""
    run, data = tmp_path / "run", tmp_path / "scored.jsonl"
    data.write_text(jsonl(*fake_rollouts(tokenizer, groups=4)))
    args = [sys.executable, "-m", "rlvrkit.commands.cli", "train", "--ckpt", str(run), "--model", str(tiny_model)]
    with open(data) as stdin:
        proc = subprocess.Popen([*args, "--batch-groups", "1", "--loss", "cispo"], stdin=stdin, stdout=subprocess.PIPE)
        steps = [json.loads(proc.stdout.readline())["step"] for _ in range(2)]  # printed after version 2 is out
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert steps == [1, 2] and os.readlink(run / "latest") == "versions/v000002"
    with open(data) as stdin:
        again = rlvr("train", "--ckpt", str(run), stdin=stdin)
    assert again.returncode == 0, again.stderr
    assert [m["step"] for m in read_jsonl(again.stdout)] == [3, 4]
    assert "skipping the first 2 groups of stdin" in again.stderr
    piped = shell(f"cat {data} | rlvr train --ckpt {run} --max-steps 5")
    assert [m["step"] for m in read_jsonl(piped.stdout)] == [5]
    (warning,) = [line for line in piped.stderr.splitlines() if "cannot be matched" in line]
    assert "stdin is not a regular file" in warning and "-i FILE or < FILE" in warning
