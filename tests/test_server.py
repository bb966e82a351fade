"""`rlvr rollout --server` without vLLM: against stand-ins for `vllm serve` on 127.0.0.1 (tests/openai_standin.py,
answered by the tiny model), the records, one request per group, failover between servers with no group lost or
doubled, and every error path as one line with its exit code."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from conftest import jsonl, read_jsonl, rlvr
from openai_standin import StandIn
from test_rollout import PROMPTS, assert_logprobs_match, full_weights, lora_adapter

from rlvrkit.checkpoint import publish
from rlvrkit.errors import BadInput, Failure
from rlvrkit.jsonl import Source
from rlvrkit.log import Log
from rlvrkit.models import load_model
from rlvrkit.rollout.dispatch import Server, spread
from rlvrkit.rollout.openai_api import ServerDown, check_processed, read_choices
from rlvrkit.rollout.options import RolloutOptions
from rlvrkit.rollout.run import run_rollout


@pytest.fixture
def standins(tiny_model):
    made = []

    def make(model=tiny_model, **kw) -> StandIn:
        made.append(StandIn(model, **kw))
        return made[-1]

    yield make
    for s in made:
        if not s.dead:
            s.close()


def roll(tmp_path, model, servers, prompts=PROMPTS, name="out", on_error="fail", **kw) -> list[dict]:
    """run_rollout in-process through `servers`; returns the records written."""
    src, dst = tmp_path / f"{name}.in.jsonl", tmp_path / f"{name}.jsonl"
    src.write_text(jsonl(*prompts))
    opts = RolloutOptions(model=str(model), server=tuple(s.url for s in servers), **{"max_tokens": 8, "n": 3, **kw})
    run_rollout(Source(str(src), on_error), str(dst), opts, Log("rollout"))
    return read_jsonl(dst.read_text())


def by_sample(records: list[dict]) -> dict:
    return {(r["id"], r["sample"]): r for r in records}


# -- the protocol, pure -----------------------------------------------------------------------------------------------


def test_replies_are_read_by_index_and_checked():
    good = {"index": 0, "token_ids": [5, 2], "finish_reason": "stop",
            "logprobs": {"token_logprobs": [-1.0, -0.5], "tokens": ["token_id:5", "token_id:2"]}}  # fmt: skip
    other = {**good, "index": 1, "token_ids": [7], "logprobs": {"token_logprobs": [-2.0], "tokens": ["token_id:7"]}}
    assert read_choices("u", {"choices": [other, good]}, 2) == [([5, 2], [-1.0, -0.5], "stop"), ([7], [-2.0], "stop")]
    bad = [
        ({"choices": [good]}, 2, "1 choices for n=2"),
        ({"choices": [{**good, "token_ids": None}]}, 1, "no token_ids"),
        ({"choices": [{**good, "logprobs": {"token_logprobs": [-1.0]}}]}, 1, "1 logprobs for 2 tokens"),
        ({"choices": [{**good, "logprobs": {**good["logprobs"], "tokens": ["a", "b"]}}]}, 1, "do not match"),
        ({"choices": [{**good, "finish_reason": "abort"}]}, 1, "finish_reason 'abort'"),
        ({"choices": [good, good]}, 2, "choice index 0"),
    ]
    for reply, n, says in bad:
        with pytest.raises(Failure, match=f"u: malformed reply to /v1/completions: .*{says}"):
            read_choices("u", reply, n)


def test_raw_logprobs_and_logits_are_told_from_processed_ones():
    plain = {"a": -0.2, "b": -2.5, "c": -4.0}
    check_processed("u", plain, None)
    check_processed("u", plain, {"a": -0.01, "b": -5.0, "c": -8.0})  # temperature 0.5 sharpens them: processed
    with pytest.raises(Failure, match="u returns logprobs taken before temperature.*--logprobs-mode processed_"):
        check_processed("u", plain, dict(plain))
    with pytest.raises(Failure, match="u returns logits, not logprobs"):
        check_processed("u", {"a": 3.2, "b": 1.0}, None)


def test_spread_runs_every_job_once_and_survives_all_but_the_last_server():
    lock = threading.Lock()
    sent: list[tuple[str, int]] = []
    budget = {"http://a": 3, "http://b": 10**6}

    def send(conn, job):
        with lock:
            budget[conn.url] -= 1
            if budget[conn.url] < 0:
                raise ServerDown(conn.url, "connection refused")
            sent.append((conn.url, job))
        return job * 10

    servers = [Server("http://a"), Server("http://b")]
    jobs = list(range(40))
    assert spread(jobs, servers, send, 4, Log("test")) == [j * 10 for j in jobs]
    assert sorted(j for _, j in sent) == jobs  # each job answered once
    assert servers[0].down == "connection refused" and servers[1].alive
    assert 0 < sum(url == "http://a" for url, _ in sent) <= 3
    budget["http://b"] = 2  # now b goes too, with jobs left
    gone = r"no server left: http://a \(connection refused\), http://b \(connection refused\)"
    with pytest.raises(Failure, match=gone):
        spread(jobs, servers, send, 4, Log("test"))


# -- records through a stand-in ---------------------------------------------------------------------------------------


def test_records_through_a_server_are_those_of_the_engines(tiny_model, standins, tmp_path):
    server = standins()
    out = roll(tmp_path, tiny_model, [server], seed=4)
    assert sorted(by_sample(out)) == sorted((p["id"], s) for p in PROMPTS for s in range(3))
    engine_keys = {"completion", "sample", "epoch", "prompt_ids", "completion_ids", "logprobs", "finish_reason"}
    for rec in out:
        assert set(rec) == set(next(p for p in PROMPTS if p["id"] == rec["id"])) | engine_keys | {"policy", "sampling"}
        assert rec["policy"] == {"model": str(tiny_model), "adapter": None, "version": 0}
        assert rec["sampling"] == {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "seed": 4, "max_tokens": 8, "n": 3}
        assert rec["finish_reason"] == ("length" if len(rec["completion_ids"]) == 8 and rec["completion_ids"][-1] != 2
                                        else "stop")  # fmt: skip
    assert_logprobs_match(load_model(tiny_model, dtype="float32", device="cpu"), out)
    assert server.asked == [(str(tiny_model), 1)] + [(str(tiny_model), 3)] * len(PROMPTS)  # the probe, a group each
    again = roll(tmp_path, tiny_model, [server], name="again", seed=4, batch_size=2)  # groups split over batches
    assert {k: r["completion_ids"] for k, r in by_sample(again).items()} == {
        k: r["completion_ids"] for k, r in by_sample(out).items()
    }  # the seed of a sample does not depend on how its group was asked for


def test_a_server_that_dies_mid_run_hands_its_requests_to_the_other(tiny_model, standins, tmp_path):
    healthy = standins()
    alone = roll(tmp_path, tiny_model, [healthy], name="alone", in_flight=2)
    dying, other = standins(die_after=2), standins()
    out = roll(tmp_path, tiny_model, [dying, other], name="two", in_flight=2)
    assert sorted(by_sample(out)) == sorted(by_sample(alone))  # every group complete, none twice
    assert len(out) == len(alone)
    assert {k: r["completion_ids"] for k, r in by_sample(out).items()} == {
        k: r["completion_ids"] for k, r in by_sample(alone).items()
    }
    assert len(dying.asked) == 2 and dying.dead and len(other.asked) == 1 + len(PROMPTS) - 1  # its probe, the rest


# -- weights through the servers' API ---------------------------------------------------------------------------------


def test_watch_loads_each_lora_version_on_every_server_and_unloads_the_old(tiny_model, standins, tmp_path, monkeypatch):
    from rlvrkit.rollout import run as run_module

    servers = [standins(), standins()]
    run = tmp_path / "run"
    emitted = []
    real = run_module.Emitter.__call__

    def emit(self, group):  # a new version is published after the first and the third group (one group a batch)
        real(self, group)
        emitted.append(group)
        v = {1: 1, 3: 2}.get(len(emitted))
        if v is not None:
            publish(run, v, "adapter", str(tiny_model), lambda d: lora_adapter(tiny_model, d, seed=v))

    monkeypatch.setattr(run_module.Emitter, "__call__", emit)
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(jsonl(*PROMPTS))
    opts = RolloutOptions(model=str(tiny_model), server=tuple(s.url for s in servers), watch=str(run), epochs=1,
                          n=2, batch_size=2, max_tokens=4)  # fmt: skip
    run_rollout(Source(str(src)), str(dst), opts, Log("rollout"))
    out = read_jsonl(dst.read_text())
    versions_seen = [r["policy"]["version"] for r in out]
    assert versions_seen == sorted(versions_seen) and set(versions_seen) == {0, 1, 2}
    for s in servers:
        loads = [b for p, b in s.calls if p == "/v1/load_lora_adapter" and b]
        unloads = [b["lora_name"] for p, b in s.calls if p == "/v1/unload_lora_adapter"]
        assert [Path(b["lora_path"]).name for b in loads] == ["v000001", "v000002"]
        assert unloads == [loads[0]["lora_name"]]  # v1 went when v2 came; v2 stays for the next run
        asked = [name for name, _ in s.asked]
        assert set(asked) <= {str(tiny_model), loads[0]["lora_name"], loads[1]["lora_name"]}
    for rec in out:  # each record names the version whose adapter its request asked for
        assert (rec["policy"]["adapter"] is None) == (rec["policy"]["version"] == 0)


def test_full_weights_reload_on_the_servers_and_tied_models_are_refused(tiny_model, standins, tmp_path):
    untied = tmp_path / "untied"
    model = load_model(tiny_model, dtype="float32", device="cpu")
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.get_input_embeddings().weight.detach().clone() * 1.5)
    model.save_pretrained(untied)
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (tiny_model / f).exists():
            (untied / f).write_bytes((tiny_model / f).read_bytes())
    run = tmp_path / "run"
    publish(run, 1, "full", str(untied), lambda d: full_weights(untied, d, seed=5))
    server = standins(untied)
    out = roll(tmp_path, untied, [server], PROMPTS[:2], watch=str(run), epochs=1)
    assert {r["policy"]["version"] for r in out} == {1}
    assert [b["kwargs"]["weights_path"] for p, b in server.calls if p == "/collective_rpc" and b] == [
        str((run / "versions" / "v000001").resolve())
    ]
    assert_logprobs_match(load_model(run / "versions" / "v000001", dtype="float32", device="cpu"), out)
    tied_run = tmp_path / "tied-run"
    publish(tied_run, 1, "full", str(tiny_model), lambda d: full_weights(tiny_model, d, seed=5))
    with pytest.raises(Failure, match="ties its LM head to its embeddings.*train with --lora"):
        roll(tmp_path, tiny_model, [standins()], PROMPTS[:1], name="tied", watch=str(tied_run), epochs=1)


# -- the command: exit codes and one-line messages --------------------------------------------------------------------


def one_line_error(out, code: int) -> str:
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, out.stderr
    return errors[0]


def test_cli_no_server_left_exits_1_naming_it_and_keeps_the_groups_done(tiny_model, standins):
    server = standins(die_after=3)  # the start-up probe and two groups
    args = ["rollout", "-m", str(tiny_model), "--server", server.url, "-n", "2", "--max-tokens", "4"]
    out = rlvr(*args, "--in-flight", "1", "-b", "2", input=jsonl(*PROMPTS))
    line = one_line_error(out, 1)
    assert f"no server left: {server.url} (closed the connection" in line
    assert len(read_jsonl(out.stdout)) == 4  # the two groups answered before it died are written


@pytest.mark.parametrize(
    "fault, says",
    [
        ({"malformed": True}, "{url}: malformed reply to /v1/completions: no token_ids"),
        ({"logprobs_mode": "raw"}, "{url} returns logprobs taken before temperature/top-p/top-k (raw_logprobs)"),
        ({"lora": False}, "{url} cannot load LoRA adapters at run time"),
    ],
)
def test_a_server_that_is_not_fit_is_refused_naming_it(tiny_model, standins, tmp_path, fault, says):
    server = standins(**fault)
    watch = {"watch": str(tmp_path / "run"), "epochs": 1} if "lora" in fault else {}
    with pytest.raises(Failure) as err:
        roll(tmp_path, tiny_model, [server], PROMPTS[:2], temperature=0.5, **watch)
    assert says.format(url=server.url) in str(err.value)


def test_cli_unreachable_server_and_bad_usage(tiny_model, standins):
    closed = standins()
    closed.close()  # nothing listens on its port now
    out = rlvr("rollout", "-m", str(tiny_model), "--server", closed.url, input=jsonl(*PROMPTS[:1]))
    assert f"{closed.url} is unreachable (connection refused)" in one_line_error(out, 1)
    for args, says in [
        (["--server", "gpu1:8000"], "give http://HOST:PORT"),
        (["--server", "http://a:1,http://a:1"], "the same URL is given twice"),
        (["--server", "http://a:1", "--engine", "vllm"], "leave out --engine vllm"),
    ]:
        assert says in one_line_error(rlvr("rollout", "-m", str(tiny_model), *args, input=jsonl(*PROMPTS[:1])), 2)


def test_a_prompt_longer_than_the_servers_take_is_a_bad_line(tiny_model, standins, tmp_path):
    server = standins()
    server.max_model_len = 40  # p0 and p2 render to 24 tokens, the long one to about 100
    prompts = [PROMPTS[0], {"id": "long", "prompt": "what is 1 + 1? " * 10}, PROMPTS[2]]
    too_long = r"long.in.jsonl:2: the prompt has \d+ tokens; server takes at most 39 \(max_model_len - 1\)"
    with pytest.raises(BadInput, match=too_long):
        roll(tmp_path, tiny_model, [server], prompts, name="long")
    written = read_jsonl((tmp_path / "long.jsonl").read_text())
    assert sorted((r["id"], r["sample"]) for r in written) == [("p0", s) for s in range(3)]  # before it, kept
    out = roll(tmp_path, tiny_model, [server], prompts, name="skip", on_error="skip")
    assert {r["id"] for r in out} == {"p0", "p2"}
    assert [n for _, n in server.asked].count(3) == 1 + 2  # p0, then p0 and p2: the long prompt was never sent


def test_a_weight_load_a_server_answers_with_an_error_fails_the_run_naming_it(tiny_model, standins, tmp_path):
    run = tmp_path / "run"
    publish(run, 1, "adapter", str(tiny_model), lambda d: lora_adapter(tiny_model, d, seed=1))
    broken = standins(load_status=500)
    with pytest.raises(Failure, match=f"{broken.url} answered 500 to /v1/load_lora_adapter: out of memory"):
        roll(tmp_path, tiny_model, [standins(), broken], PROMPTS[:1], watch=str(run), epochs=1)
    assert not broken.dead and broken.asked == [(str(tiny_model), 1)]  # probed, never asked to sample


def test_cli_eval_samples_through_a_server(tiny_model, standins, tmp_path):
    server = standins()
    bench = tmp_path / "sums.jsonl"
    bench.write_text(jsonl(*[{"id": f"q{i}", "prompt": f"what is {i} + 1?", "answer": str(i + 1)} for i in range(3)]))
    out = rlvr("eval", "-m", str(tiny_model), "--server", server.url, "-n", "2", "--max-tokens", "6", "-j", "1",
               "-i", str(bench))  # fmt: skip
    assert out.returncode == 0, out.stderr
    (result,) = read_jsonl(out.stdout)
    assert result["prompts"] == 3 and result["n"] == 2 and len(server.asked) == 1 + 3
