"""`rlvr train` on two torchrun "nodes" on this machine: two agents (`--nnodes 2`, one process each) meeting through a
c10d rendezvous on 127.0.0.1, as the README's several-machines layout runs them on two hosts: node A, whose address
sorts first, is rank 0 and reads the stream; node B reads nothing. The update equals the one-process update on the
same batch; the run directory is written once, by rank 0."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import torch
from conftest import jsonl, read_jsonl, rlvr
from test_train import fake_rollouts

from rlvrkit import checkpoint


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_train_on_two_nodes_makes_the_one_process_update(tmp_path, tiny_model):
    from rlvrkit.models import load_tokenizer

    data = tmp_path / "b.jsonl"
    data.write_text(jsonl(*fake_rollouts(load_tokenizer(tiny_model), groups=4)))
    common = ["--model", str(tiny_model), "--batch-groups", "2", "--lr", "1e-3"]  # four groups: two steps
    one = rlvr("train", "--ckpt", str(tmp_path / "one"), *common, "-i", str(data))
    assert one.returncode == 0, one.stderr
    port = free_port()

    def agent(addr: str) -> list[str]:
        return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1",
                "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "rlvr-two-nodes",
                "--local-addr", addr, "--max-restarts", "0",
                "-m", "rlvrkit.commands.cli", "train", "--ckpt", str(tmp_path / "two"), *common]  # fmt: skip

    env = {**os.environ, "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}
    # node A (the lower address: rank 0) reads the stream on stdin, as the end of a pipe; node B reads nothing
    a = subprocess.Popen(agent("127.0.0.1"), stdin=data.open("rb"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)  # fmt: skip
    b = subprocess.Popen(agent("127.0.0.2"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)  # fmt: skip
    try:
        (out_a, err_a), (out_b, err_b) = a.communicate(timeout=300), b.communicate(timeout=300)
    finally:
        a.kill()
        b.kill()
    assert a.returncode == 0 and b.returncode == 0, (err_a.decode()[-3000:], err_b.decode()[-3000:])
    assert read_jsonl(out_b.decode()) == []  # rank 0 alone writes metrics ...
    metrics, alone = read_jsonl(out_a.decode()), read_jsonl(one.stdout)
    assert [m["step"] for m in metrics] == [m["step"] for m in alone] == [1, 2]
    for m2, m1 in zip(metrics, alone):
        assert m2["grad_norm"] == pytest.approx(m1["grad_norm"], rel=1e-5)
        assert m2["loss"] == pytest.approx(m1["loss"], abs=1e-6)
    versions = [c.version for c in checkpoint.versions(tmp_path / "two")]
    assert versions == [c.version for c in checkpoint.versions(tmp_path / "one")] and versions  # ... and versions
    from safetensors.torch import load_file

    w1 = load_file(str(tmp_path / "one" / "latest" / "model.safetensors"))
    w2 = load_file(str(tmp_path / "two" / "latest" / "model.safetensors"))
    base = load_file(str(tiny_model / "model.safetensors"))
    assert max((w1[k] - base[k]).abs().max() for k in w1) > 5e-4  # the step moved the weights
    assert sorted(w1) == sorted(w2) and all(torch.allclose(w1[k], w2[k], atol=1e-4) for k in w1)
