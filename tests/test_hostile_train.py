"""train, plot and demo under hostile input: absurd numbers, ids the model does not have, names that collide, outputs
through links and onto full devices. Each case: the exit code of the error rule, one line on stderr, no traceback,
and nothing the user named lost."""

from __future__ import annotations

import json
import math
import os
import random
import re

import pytest
from conftest import jsonl, read_jsonl, rlvr

from rlvrkit import checkpoint
from rlvrkit.demo import MADE, MARK, DemoOptions, prepare_workdir
from rlvrkit.errors import BadInput, InvalidRecord
from rlvrkit.train.batch import record_check
from rlvrkit.train.options import TrainConfig, TrainOptions, resolve


def one_line_error(out, code: int, says: str) -> None:
    lines = out.stderr.strip().splitlines()
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr and len(lines) == 1 and says in lines[0], out.stderr


def rollouts(tokenizer, groups=2, n=2, seed=0):
    rng = random.Random(seed)
    text = tokenizer.apply_chat_template([{"role": "user", "content": "1 + 1?"}], tokenize=False,
                                         add_generation_prompt=True)  # fmt: skip
    prompt = tokenizer(text)["input_ids"]
    out = []
    for g in range(groups):
        for s in range(n):
            comp = [rng.randrange(3, len(tokenizer)) for _ in range(4)]
            sampling, policy = {"temperature": 1.0, "n": n}, {"version": 0}
            out.append({"id": f"p{g}", "prompt_ids": prompt, "completion_ids": comp, "logprobs": [-5.0] * 4,
                        "reward": float(s % 2), "sampling": sampling, "policy": policy})  # fmt: skip
    return out


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from rlvrkit.models import load_tokenizer

    return load_tokenizer(tiny_model)


# -- train: numbers no run can use are usage errors, found before the model is even looked for ---------------------


@pytest.mark.parametrize(
    "given, says",
    [
        ({"lr": math.nan}, "--lr must be a finite number above 0, not nan"),
        ({"lr": math.inf}, "--lr must be a finite number above 0, not inf"),
        ({"lr": 0.0}, "--lr must be a finite number above 0, not 0.0"),
        ({"beta": math.inf}, "--beta must be a finite number at least 0"),
        ({"tis_cap": math.nan}, "--tis-cap must be a finite number above 0"),
        ({"eps_high": -math.inf}, "--eps-high must be a finite number at least 0"),
        ({"max_grad_norm": math.nan}, "--max-grad-norm must be a finite number above 0"),
        ({"weight_decay": math.inf}, "--weight-decay must be a finite number at least 0"),
        ({"loss": "sapo", "sapo_tau_neg": 0.0}, "--sapo-tau-neg must be a finite number above 0"),
        ({"off_policy_mask": math.nan}, "--off-policy-mask must be a finite number, not nan"),
        ({"adv_eps": math.nan}, "--adv-eps must be a finite number at least 0"),
        ({"seed": 10**30}, "--seed must be a finite number from 0 to 2^63 - 1"),
        ({"loss": "cispo", "eps_low": 0.1}, "--eps-low does nothing with --loss cispo"),
        ({"loss": "sapo", "eps_high": 0.3}, "--eps-high does nothing with --loss sapo"),
        ({"sapo_tau_pos": 2.0}, "--sapo-tau-pos does nothing with --loss grpo"),
    ],
)
def test_train_refuses_numbers_no_run_can_use(given, says):
    config = TrainConfig(model="/m", **given)
    with pytest.raises(BadInput, match=re.escape(says)):
        resolve(TrainOptions("run", config, frozenset(given)))


def test_train_refuses_them_in_one_line_before_the_model(tmp_path):
    out = rlvr("train", "--ckpt", str(tmp_path / "run"), "--model", str(tmp_path / "nowhere"), "--lr", "0", input="")
    one_line_error(out, 2, "--lr must be a finite number above 0, not 0.0")
    assert not (tmp_path / "run").exists()


# -- train: records the model cannot read are bad lines, named; the batches before them are trained ------------------


@pytest.mark.parametrize(
    "spoil, says",
    [
        (lambda r: r["completion_ids"].__setitem__(0, 10**9), "'completion_ids' holds 1000000000, beyond the model's"),
        (lambda r: r["prompt_ids"].append(512), "'prompt_ids' holds 512, beyond the model's 512 tokens"),
        (lambda r: r["completion_ids"].__setitem__(1, -1), "'completion_ids' is not a list of token ids"),
        (lambda r: r.update(logprobs=[-1.0]), "'logprobs' must be finite numbers, one per completion token"),
        (lambda r: r["sampling"].update(temperature="hot"), "'sampling.temperature' must be a number at least 0"),
        (lambda r: r["sampling"].update(temperature=-1.0), "'sampling.temperature' must be a number at least 0"),
        (lambda r: r["policy"].update(version="v3"), "'policy.version' must be a whole number at least 0"),
        (lambda r: r["policy"].update(version=2**60), "'policy.version' must be a whole number at least 0"),
    ],
)
def test_train_refuses_records_the_model_cannot_read(tokenizer, spoil, says):
    rec = rollouts(tokenizer, groups=1)[0]
    record_check(512)(rec)  # as rollout wrote it
    spoil(rec)
    with pytest.raises(InvalidRecord, match=re.escape(says)):
        record_check(512)(rec)


def test_train_names_the_line_and_keeps_what_came_before(tmp_path, tiny_model, tokenizer):
    recs = rollouts(tokenizer, groups=3)
    recs[3]["completion_ids"][0] = 10**9  # the second record of the second group
    out = rlvr("train", "--ckpt", str(tmp_path / "run"), "--model", str(tiny_model), "--batch-groups", "1",
               input=jsonl(*recs))  # fmt: skip
    # the first group trained and published; the second, cut short by the bad line, not
    assert [m["step"] for m in read_jsonl(out.stdout)] == [1] and (tmp_path / "run" / "latest").exists()
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (line,) = [x for x in out.stderr.splitlines() if "error" in x]
    says = f"stdin:4: 'completion_ids' holds 1000000000, beyond the model's {len(tokenizer)} tokens"
    assert line.endswith(says), out.stderr


def test_a_run_another_train_holds_is_refused_in_one_line(tmp_path, tiny_model, tokenizer):
    """Two trainers on one run would publish the same version numbers over each other: the second is refused before
    it reads a record, naming the run and the holder; once the first ends, the run is free again."""
    run = tmp_path / "run"
    run.mkdir()
    recs = jsonl(*rollouts(tokenizer, groups=1))
    with checkpoint.hold(run):  # as a running `rlvr train --ckpt run` holds it
        out = rlvr("train", "--ckpt", str(run), "--model", str(tiny_model), "--batch-groups", "1", input=recs)
        one_line_error(out, 1, f"{run} is being trained by another process (pid {os.getpid()})")
        assert not (run / "latest").exists()
    out = rlvr("train", "--ckpt", str(run), "--model", str(tiny_model), "--batch-groups", "1", input=recs)
    assert out.returncode == 0 and (run / "latest").exists(), out.stderr


def test_absurd_behaviour_logprobs_keep_every_number_finite(tmp_path, tiny_model, tokenizer):
    recs = rollouts(tokenizer, groups=2)
    for r in recs:
        r["logprobs"] = [-1e300, -1e-300, 0.0, -30.0]
        r["policy"]["version"] = 0
    out = rlvr("train", "--ckpt", str(tmp_path / "run"), "--model", str(tiny_model), "--batch-groups", "1",
               "--tis", "token", "--off-policy-mask", "0.5", input=jsonl(*recs))  # fmt: skip
    assert out.returncode == 0, out.stderr
    for m in read_jsonl(out.stdout):
        numbers = [v for v in m.values() if isinstance(v, (int, float))]
        assert None not in (m["loss"], m["mismatch_k3"], m["is_ratio_mean"]) and all(abs(v) < 1e30 for v in numbers)


# -- demo ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, says",
    [
        ({"lr": math.nan}, "--lr must be a finite number above 0, not nan"),
        ({"lr": math.inf}, "--lr must be a finite number above 0, not inf"),
        ({"n": 10**6}, "-n from 2 to 256"),
        ({"seed": 10**30}, "--seed must be from 0 to 2^63 - 1"),
    ],
)
def test_demo_refuses_numbers_no_run_can_use(given, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        DemoOptions(**given)


def test_demo_refuses_them_in_one_line(tmp_path):
    one_line_error(rlvr("demo", "--dir", str(tmp_path / "d"), "--lr", "0"), 2, "--lr must be a finite number above 0")
    assert not (tmp_path / "d").exists()


def test_demo_refuses_a_file_as_its_folder(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    one_line_error(rlvr("demo", "--dir", str(mine)), 2, "is not a folder")
    assert mine.read_text() == "keep me"


class Said:
    def __init__(self):
        self.lines = []

    def info(self, message):
        self.lines.append(message)


def test_demo_folder_rerun_keeps_what_the_demo_did_not_make(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --dir . in an empty folder: the folder itself is the demo's
    log = Said()
    work = prepare_workdir(".", log)
    assert (tmp_path / MARK).exists() and log.lines == []
    for name in ("metrics.jsonl", "curves.png"):
        (work / name).write_text("from the last demo")
    (work / "run" / "versions").mkdir(parents=True)
    (work / "notes.txt").write_text("the user's")
    os.symlink(tmp_path.parent, work / "train.log")  # a link the demo's name: the link goes, never its target
    prepare_workdir(".", log)
    assert sorted(p.name for p in tmp_path.iterdir()) == [MARK, "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "the user's" and tmp_path.parent.is_dir()
    assert log.lines == [f"kept what the demo did not make in {work}: notes.txt"]
    assert set(MADE) >= {"metrics.jsonl", "curves.png", "run", "train.log"}


# -- plot ------------------------------------------------------------------------------------------------------------


def metrics(path, rewards=(0.1, 0.5, 0.9), **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        jsonl(*[{"step": i + 1, "reward_mean": r, "len_mean": 10 + i, **extra} for i, r in enumerate(rewards)])
    )
    return path


def test_plot_draws_values_at_the_edge_of_floats_and_says_what_it_left_out(tmp_path):
    m = metrics(tmp_path / "m.jsonl", rewards=(1e308, -1e308, 1e300, -1e300, 0.5))
    out = rlvr("plot", str(m), "-o", str(tmp_path / "c.png"))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert "left out 2 values beyond ±1e+300" in out.stderr and (tmp_path / "c.png").stat().st_size > 0
    out = rlvr("plot", str(m), "--ascii", "--smooth", "2")
    assert out.returncode == 0 and "reward" in out.stdout, out.stderr


def test_plot_refuses_a_step_no_float_holds(tmp_path):
    m = tmp_path / "m.jsonl"
    m.write_text('{"step": 1' + "0" * 400 + ', "reward_mean": 1}\n')
    one_line_error(rlvr("plot", str(m), "--ascii"), 2, f"{m}:1: 'step' must be from 0 to 2^53")


def test_plot_draws_two_runs_of_one_file_name_as_two(tmp_path):
    a = metrics(tmp_path / "grpo" / "metrics.jsonl")
    b = metrics(tmp_path / "luspo" / "metrics.jsonl", rewards=(0.2, 0.3, 0.4))
    out = rlvr("plot", str(a), str(b), "-o", str(tmp_path / "c.svg"))
    assert out.returncode == 0 and "2 runs" in out.stderr
    svg = (tmp_path / "c.svg").read_text()
    assert "grpo/metrics" in svg and "luspo/metrics" in svg
    out = rlvr("plot", str(a), "--ascii").stdout + rlvr("plot", str(a), str(b), "--ascii").stdout
    assert out.count("grpo/metrics") == 2 and out.count("luspo/metrics") == 2


@pytest.mark.parametrize(
    "args, says",
    [
        (["{a}", "{b}", "--label", "x", "--label", "x"], "--label 'x' names two runs"),
        (["{a}", "{a}"], "is given twice: each file is one run"),
    ],
)
def test_plot_refuses_two_runs_with_one_name(tmp_path, args, says):
    paths = {"a": metrics(tmp_path / "a.jsonl"), "b": metrics(tmp_path / "b.jsonl")}
    one_line_error(rlvr("plot", *[x.format(**paths) for x in args], "--ascii"), 2, says)


def test_plot_writes_through_a_symlink_and_keeps_the_link(tmp_path):
    m = metrics(tmp_path / "m.jsonl")
    target = tmp_path / "pictures" / "curves.png"
    target.parent.mkdir()
    target.write_text("an old picture")
    link = tmp_path / "latest.png"
    os.symlink(target, link)
    out = rlvr("plot", str(m), "-o", str(link))
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["curves.png"]  # no temporary left beside it


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_plot_onto_a_full_device_fails_and_says_so(tmp_path):
    m = metrics(tmp_path / "m.jsonl")
    link = tmp_path / "full.png"
    os.symlink("/dev/full", link)
    out = rlvr("plot", str(m), "-o", str(link))
    one_line_error(out, 1, f"cannot write {link}: No space left on device")
    assert "wrote" not in out.stderr and os.readlink(link) == "/dev/full"


def test_the_metrics_lines_are_json_a_plot_reads(tmp_path):
    line = {"step": 3, "reward_mean": 0.5, "mismatch_k3": None, "entropy": 1.2, "truncated_frac": 0.0, "kl": 0.0}
    m = tmp_path / "m.jsonl"
    m.write_text(json.dumps(line) + "\n")
    out = rlvr("plot", str(m), "--ascii")
    assert out.returncode == 0 and "entropy" in out.stdout and "mismatch" not in out.stdout
    assert "KL" not in out.stdout  # zero KL (β = 0) draws no panel


def test_a_gradient_that_is_not_finite_stops_the_run_before_any_weight_turns_nan(tmp_path, tiny_model, tokenizer):
    recs = rollouts(tokenizer, groups=2)
    for r, a in zip(recs[2:], (1e300, -1e300)):  # score wrote absurd advantages for the second group
        r["advantage"] = a
    run = tmp_path / "run"
    out = rlvr("train", "--ckpt", str(run), "--model", str(tiny_model), "--batch-groups", "1", input=jsonl(*recs))
    lines = [x for x in out.stderr.splitlines() if "error" in x]
    assert out.returncode == 1 and "Traceback" not in out.stderr and len(lines) == 1, out.stderr
    assert "step 2: the gradient is not finite (the largest |advantage| in the batch is 1e+300)" in lines[0]
    assert [m["step"] for m in read_jsonl(out.stdout)] == [1] and os.readlink(run / "latest") == "versions/v000001"
