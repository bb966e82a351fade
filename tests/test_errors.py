"""The error rule, command by command: bad usage or input exits 2, the environment failing exits 1, each with one line
on stderr, before any model is loaded when it can be known then; a traceback only for a bug."""

from __future__ import annotations

import shutil

import pytest
import torch
from conftest import jsonl, read_jsonl, rlvr
from safetensors.torch import load_file

ROLLOUTS = [
    {"id": "a", "prompt_ids": [1, 2], "completion_ids": [3, 4], "reward": float(s % 2), "sample": s} for s in range(4)
]


def one_line(out, code: int) -> str:
    """The single error line of a command that failed with exit status `code`."""
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, out.stderr
    return errors[0]


@pytest.fixture(scope="module")
def pickled_model(tiny_model, tmp_path_factory):
    """The tiny model saved as pytorch_model.bin only, as older checkpoints are."""
    folder = tmp_path_factory.mktemp("pickled") / "model"
    shutil.copytree(tiny_model, folder)
    weights = folder / "model.safetensors"
    torch.save(load_file(weights), folder / "pytorch_model.bin")
    weights.unlink()
    return folder


def test_a_pickled_model_folder_is_refused_in_one_line_with_the_way_out(pickled_model, tmp_path):
    out = rlvr("rollout", "-m", str(pickled_model), "-n", "1", input=jsonl({"id": "a", "prompt": "hi"}))
    line = one_line(out, 1)
    assert str(pickled_model) in line and "pytorch_model.bin" in line and "safetensors only" in line
    assert "save_pretrained" in line and "weights_only" not in out.stderr  # torch's advice to unpickle is not given
    out = rlvr("train", "--ckpt", str(tmp_path / "run"), "--model", str(pickled_model), input=jsonl(*ROLLOUTS))
    assert "safetensors only" in one_line(out, 1) and out.stdout == ""


def test_a_pickled_adapter_is_refused_in_one_line(tiny_model, tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"r": 4, "peft_type": "LORA"}')
    torch.save({"w": torch.zeros(2)}, adapter / "adapter_model.bin")
    out = rlvr("rollout", "-m", str(tiny_model), "--adapter", str(adapter), input=jsonl({"id": "a", "prompt": "hi"}))
    line = one_line(out, 1)
    assert "adapter folder" in line and "adapter_model.bin" in line and "adapter_model.safetensors" in line


@pytest.mark.parametrize("where", ["/dev/null/run", "file/run"])
def test_train_refuses_a_run_directory_it_cannot_write_before_training(tiny_model, tmp_path, where):
    (tmp_path / "file").write_text("not a folder")
    run = where if where.startswith("/") else str(tmp_path / where)
    out = rlvr("train", "--ckpt", run, "--model", str(tiny_model), input=jsonl(*ROLLOUTS))
    line = one_line(out, 1)
    assert f"cannot write checkpoints in {run}" in line and "Not a directory" in line
    assert out.stdout == "" and "new run" not in out.stderr


@pytest.mark.parametrize("command", ["train", "rollout", "verify"])
def test_bad_paths_are_refused_before_a_model_loads_or_workers_start(tiny_model, tmp_path, command):
    args = {"train": ["--ckpt", str(tmp_path / "run"), "-m", str(tiny_model)], "rollout": ["-m", str(tiny_model)]}
    missing = rlvr(command, *args.get(command, []), "-i", str(tmp_path / "missing.jsonl"))
    assert "cannot read" in one_line(missing, 2) and "missing.jsonl" in missing.stderr
    folder = rlvr(command, *args.get(command, []), "-o", str(tmp_path), input=jsonl(*ROLLOUTS))
    assert f"cannot write {tmp_path}" in one_line(folder, 1)
    for out in (missing, folder):
        assert "new run" not in out.stderr and "engine:" not in out.stderr and out.stdout == ""
    assert not (tmp_path / "run").exists() and list(tmp_path.iterdir()) == []  # nothing created, nothing left


@pytest.mark.parametrize(
    "args, says",
    [
        (["train", "--ckpt", "{tmp}/run"], "no model: give --model"),
        (["train", "--ckpt", "{tmp}/run", "-m", "{model}", "--lr-schedule", "cosine"], "decays over --max-steps"),
        (["train", "--ckpt", "{tmp}/run", "-m", "{model}", "--loss", "dr-grpo"], "dr-grpo divides by the generation"),
        (["rollout", "-m", "{model}", "--top-p", "0"], "--top-p must be in (0, 1]"),
        (["verify", "--reward", "math,nonsense"], "unknown term 'nonsense'"),
        (["verify", "--reward", "length", "--max-len", "10", "--len-cache", "20"], "more than --max-len 10"),
        (["init-model", "{tmp}/m"], "the one available is --tiny"),
    ],
)
def test_usage_errors_exit_2_in_one_line(tiny_model, tmp_path, args, says):
    args = [a.format(tmp=tmp_path, model=tiny_model) for a in args]
    out = rlvr(*args, input=jsonl(*ROLLOUTS))
    assert says in one_line(out, 2)
    assert not (tmp_path / "run" / "versions").exists() or not any((tmp_path / "run" / "versions").iterdir())


def test_a_run_prints_no_library_warnings(tiny_model, tmp_path):
    out = rlvr(
        "rollout", "-m", str(tiny_model), "-n", "2", "--max-tokens", "4", input=jsonl({"id": "a", "prompt": "hi"})
    )
    assert out.returncode == 0 and "Warning" not in out.stderr and "warn" not in out.stderr.lower(), out.stderr
    verified = [{**rec, "reward": float(rec["sample"])} for rec in read_jsonl(out.stdout)]
    out = rlvr("train", "--ckpt", str(tmp_path / "run"), "-m", str(tiny_model), "--lora", input=jsonl(*verified))
    assert out.returncode == 0 and "Warning" not in out.stderr, out.stderr
