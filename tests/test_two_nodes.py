"""`rlvr train` on two torchrun "nodes" on this machine: two agents (`--nnodes 2`, one process each) meeting through a
c10d rendezvous on 127.0.0.1, as the README's several-machines layout runs them on two hosts: node A, whose address
sorts first, is rank 0 and reads the stream; node B reads nothing. That the update of several ranks equals one
process's is tests/test_train.py's torchrun test (the same DDP code); here, that the layout runs: one metrics line a
step, every group trained, versions published once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from conftest import jsonl, read_jsonl
from test_train import fake_rollouts

from rlvrkit import checkpoint


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_train_on_two_nodes_rank_0_reading_the_stream(tmp_path, tiny_model):
    from rlvrkit.models import load_tokenizer

    data = tmp_path / "b.jsonl"
    data.write_text(jsonl(*fake_rollouts(load_tokenizer(tiny_model), groups=4)))
    common = ["--model", str(tiny_model), "--batch-groups", "2", "--lr", "1e-3"]  # four groups: two steps
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
    metrics = read_jsonl(out_a.decode())
    assert [(m["step"], m["groups_used"]) for m in metrics] == [(1, 2), (2, 2)]  # every group of each batch trained
    assert [c.version for c in checkpoint.versions(tmp_path / "two")] == [1, 2]  # ... and versions
    from safetensors.torch import load_file

    moved = load_file(str(tmp_path / "two" / "latest" / "model.safetensors"))
    base = load_file(str(tiny_model / "model.safetensors"))
    assert max((moved[k] - base[k]).abs().max() for k in moved) > 5e-4  # the steps moved the weights
