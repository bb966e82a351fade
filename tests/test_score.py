"""`rlvr score` end to end: advantages by hand, filters, summaries, and the stream contract."""

import math
import signal
import subprocess
import sys
import time

import pytest
from conftest import ctrl_c_reaches_it, jsonl, piped_to_head, read_jsonl, rlvr


def rollouts(group_id, rewards, **extra):
    return [{"id": group_id, "sample": i, "reward": r, **extra} for i, r in enumerate(rewards)]


def test_group_advantages_by_hand():
    recs = rollouts("a", [1, 0, 0, 1]) + rollouts("b", [0.2, 0.2]) + rollouts("c", [1])
    out = rlvr("score", "--adv-eps", "0", input=jsonl(*recs))
    assert out.returncode == 0, out.stderr
    got = read_jsonl(out.stdout)
    assert [r["advantage"] for r in got] == [1.0, -1.0, -1.0, 1.0, 0.0, 0.0, 0.0]
    assert [r["sample"] for r in got] == [0, 1, 2, 3, 0, 1, 0]  # everything else passes through


def test_sample_std_and_eps():
    out = rlvr("score", "--std", "sample", "--adv-eps", "1e-4", input=jsonl(*rollouts("a", [1, 0, 0])))
    s = math.sqrt(1 / 3) + 1e-4
    assert [r["advantage"] for r in read_jsonl(out.stdout)] == pytest.approx([(2 / 3) / s, -(1 / 3) / s, -(1 / 3) / s])


def test_rloo_and_none():
    recs = jsonl(*rollouts("a", [1, 0, 0, 1]))
    assert [r["advantage"] for r in read_jsonl(rlvr("score", "--adv", "rloo", input=recs).stdout)] == pytest.approx(
        [2 / 3, -2 / 3, -2 / 3, 2 / 3]
    )
    assert [r["advantage"] for r in read_jsonl(rlvr("score", "--adv", "none", input=recs).stdout)] == [
        0.5,
        -0.5,
        -0.5,
        0.5,
    ]


def test_batch_std_spans_the_batch():
    # batch rewards 1,0,1,1: population std sqrt(3)/4; group a mean 0.5, group b mean 1
    recs = rollouts("a", [1, 0]) + rollouts("b", [1, 1])
    out = rlvr("score", "--adv", "batch", "--adv-eps", "0", input=jsonl(*recs))
    s = math.sqrt(3) / 4
    assert [r["advantage"] for r in read_jsonl(out.stdout)] == pytest.approx([0.5 / s, -0.5 / s, 0, 0])


def test_batch_groups_count_kept_groups_as_train_does():
    # with solve-all dropped, a batch of 2 is a and c (b is dropped): their std, 0.5, not that of a and b
    recs = rollouts("a", [1, 0]) + rollouts("b", [1, 1]) + rollouts("c", [0, 1]) + rollouts("d", [1, 0])
    args = ["--adv", "batch", "--batch-groups", "2", "--drop", "solve-all", "--adv-eps", "0"]
    out = rlvr("score", *args, input=jsonl(*recs))
    got = read_jsonl(out.stdout)
    assert [r["id"] for r in got] == ["a", "a", "c", "c", "d", "d"]
    assert [r["advantage"] for r in got] == pytest.approx([1, -1, -1, 1, 1, -1])
    assert "dropped 1 of 4 groups: 1 solve-all" in out.stderr


def test_only_selects_the_prompts_of_one_kind():
    recs = rollouts("a", [1, 1]) + rollouts("b", [1, 0]) + rollouts("c", [0, 0]) + rollouts("d", [1, 1])
    out = rlvr("score", "--per-prompt", "--only", "solve-all", input=jsonl(*recs))
    assert [r["id"] for r in read_jsonl(out.stdout)] == ["a", "d"]
    assert "dropped 2 of 4 groups: 1 mixed, 1 solve-none" in out.stderr
    out = rlvr("score", "--per-prompt", "--drop", "solve-all", input=jsonl(*recs))  # not solved every time
    assert [r["id"] for r in read_jsonl(out.stdout)] == ["b", "c"]


def test_scored_batches_keep_recorded_advantages_and_refuse_a_mix():
    from collections import Counter

    from rlvrkit.errors import BadInput
    from rlvrkit.groups import GroupRule, scored_batches

    scored = [{"id": "a", "reward": r, "advantage": a} for r, a in [(1, 0.7), (0, -0.7)]]
    (batch,) = scored_batches([scored], GroupRule(), 8, Counter(), recorded=True)
    assert batch[0].advantages == [0.7, -0.7]
    (batch,) = scored_batches([scored], GroupRule(adv_eps=0.0), 8, Counter())  # score recomputes
    assert batch[0].advantages == [1.0, -1.0]
    with pytest.raises(BadInput, match="some records have an advantage and some do not"):
        list(scored_batches([[scored[0], {"id": "a", "reward": 0}]], GroupRule(), 8, Counter(), recorded=True))


@pytest.mark.parametrize(
    "bad", ['"reward": "1"', '"reward": null', '"reward": true', '"reward": NaN', '"reward": 1e999', ""]
)
def test_bad_rewards_are_bad_input(bad):
    line = '{"id": "a"' + (", " + bad if bad else "") + "}\n"
    out = rlvr("score", input='{"id": "a", "reward": 1}\n' + line)
    assert out.returncode == 2
    assert "stdin:2:" in out.stderr
    assert "reward" in out.stderr or "not valid JSON" in out.stderr


def test_malformed_line_3_exits_2_after_writing_lines_1_and_2():
    text = jsonl({"id": "a", "reward": 1, "sampling": {"n": 2}}, {"id": "a", "reward": 0, "sampling": {"n": 2}})
    out = rlvr("score", input=text + '{"id": "b", "rew\n' + jsonl({"id": "b", "reward": 1}))
    assert out.returncode == 2
    assert out.stderr.startswith("rlvr score: error: stdin:3: not valid JSON")
    assert [r["reward"] for r in read_jsonl(out.stdout)] == [1, 0]


def test_skip_finishes_and_reports(tmp_path):
    text = jsonl(*rollouts("a", [1, 0])) + "garbage\n" + jsonl(*rollouts("b", [1, 0]))
    rejects = tmp_path / "rejects.jsonl"
    out = rlvr("score", "--on-error", "skip", "--rejects", str(rejects), input=text)
    assert out.returncode == 0
    assert len(read_jsonl(out.stdout)) == 4
    assert "skipped 1 bad line (first: stdin:3:" in out.stderr
    assert rejects.read_text() == "garbage\n"


def test_output_file_keeps_the_good_prefix_on_bad_input(tmp_path):
    target = tmp_path / "scored.jsonl"
    text = jsonl(*rollouts("a", [1, 0], sampling={"n": 2})) + "{oops\n"
    out = rlvr("score", "-o", str(target), input=text)
    assert out.returncode == 2
    assert len(read_jsonl(target.read_text())) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["scored.jsonl"]


def test_wide_integers_pass_through_unchanged():
    # beyond 64 bits, positive and negative, at the top level and nested: orjson alone would round them to floats
    fields = '"big":18446744073709551616,"neg":-18446744073709551617,"meta":{"seeds":[-9223372036854775809,7]}'
    lines = [f'{{"id":"a","sample":{i},"reward":{i},{fields}}}' for i in range(2)]
    out = rlvr("score", "--adv-eps", "0", input="".join(line + "\n" for line in lines))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [lines[0][:-1] + ',"advantage":-1.0}', lines[1][:-1] + ',"advantage":1.0}']


def test_drop_filters_count_every_reason():
    recs = rollouts("all", [1, 1]) + rollouts("none", [0, 0]) + rollouts("mixed", [1, 0]) + rollouts("c", [0.3] * 3)
    out = rlvr("score", "--drop", "solve-all,solve-none", input=jsonl(*recs))
    assert {r["id"] for r in read_jsonl(out.stdout)} == {"mixed"}
    assert "dropped 3 of 4 groups: 2 solve-none, 1 solve-all" in out.stderr


def test_min_std_never_lets_a_constant_group_through():
    recs = rollouts("const", [0.1, 0.1, 0.1]) + rollouts("varied", [0.1, 0.4, 0.1])
    out = rlvr("score", "--min-std", "0", input=jsonl(*recs))
    assert {r["id"] for r in read_jsonl(out.stdout)} == {"varied"}
    assert "1 std<=0" in out.stderr


def test_bad_drop_reason_is_a_usage_error():
    out = rlvr("score", "--drop", "solve-some", input="")
    assert out.returncode == 2 and "solve-some" in out.stderr


def test_per_prompt_summary():
    recs = [
        {"id": "p", "prompt": "2+2?", "answer": "4", "completion": "4", "completion_ids": [5], "reward": 1},
        {"id": "p", "prompt": "2+2?", "answer": "4", "completion": "five", "completion_ids": [6, 7, 8], "reward": 0},
    ]
    (line,) = read_jsonl(rlvr("score", "--per-prompt", input=jsonl(*recs)).stdout)
    assert line == {
        "id": "p",
        "prompt": "2+2?",
        "answer": "4",
        "n": 2,
        "mean": 0.5,
        "std": 0.5,
        "pass_rate": 0.5,
        "solve_all": False,
        "solve_none": False,
        "len_mean": 2.0,
        "len_unit": "tokens",
    }


def test_out_of_order_ids_are_refused_unless_unsorted():
    recs = [{"id": "a", "reward": 1}, {"id": "b", "reward": 0}, {"id": "a", "reward": 0}]
    out = rlvr("score", input=jsonl(*recs))
    assert out.returncode == 2 and "stdin:3: id 'a' comes back" in out.stderr
    out = rlvr("score", "--unsorted", "--adv-eps", "0", input=jsonl(*recs))
    assert [(r["id"], r["advantage"]) for r in read_jsonl(out.stdout)] == [("a", 1.0), ("a", -1.0), ("b", 0.0)]


def test_groups_close_at_sampling_n():
    # two complete groups of the same prompt, as a `rollout --watch` run writes on its second pass
    recs = rollouts("a", [1, 0], sampling={"n": 2}) + rollouts("a", [1, 1], sampling={"n": 2})
    out = rlvr("score", "--adv-eps", "0", input=jsonl(*recs))
    assert [r["advantage"] for r in read_jsonl(out.stdout)] == [1.0, -1.0, 0.0, 0.0]


def test_closed_pipe_ends_quietly():
    proc = piped_to_head(["score"], jsonl(*[r for g in range(20000) for r in rollouts(str(g), [1, 0])]))
    assert proc.stdout.count(b"\n") == 1
    assert proc.stderr == b""


@pytest.mark.parametrize("sig,code,word", [(signal.SIGINT, 130, b"interrupted"), (signal.SIGTERM, 143, b"terminated")])
def test_ctrl_c_or_sigterm_leaves_no_output_file(tmp_path, sig, code, word):
    target = tmp_path / "scored.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rlvrkit.commands.cli", "score", "-o", str(target)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_reaches_it,
    )
    proc.stdin.write(jsonl(*rollouts("a", [1, 0], sampling={"n": 2})).encode())
    proc.stdin.flush()
    deadline = time.time() + 20
    while not any(tmp_path.iterdir()) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(sig)
    assert proc.wait(timeout=20) == code
    assert word in proc.stderr.read()
    assert list(tmp_path.iterdir()) == []


def test_per_prompt_lines_carry_the_epoch_and_policy_of_their_group():
    policy = {"model": "m", "adapter": None, "version": 3}
    recs = [
        {**r, "epoch": e, "policy": policy}
        for e, rewards in ((0, [1, 0]), (1, [1, 1]))
        for r in rollouts("a", rewards, sampling={"n": 2})
    ]
    lines = read_jsonl(rlvr("score", "--per-prompt", input=jsonl(*recs)).stdout)
    assert [(r["epoch"], r["policy"], r["pass_rate"]) for r in lines] == [(0, policy, 0.5), (1, policy, 1.0)]
    # --unsorted groups by id and epoch, so two passes over a prompt stay two groups
    shuffled = [recs[0], recs[2], recs[1], recs[3]]
    lines = read_jsonl(rlvr("score", "--per-prompt", "--unsorted", input=jsonl(*shuffled)).stdout)
    assert [(r["epoch"], r["pass_rate"]) for r in lines] == [(0, 0.5), (1, 1.0)]
    mixed = [{**recs[0], "policy": {**policy, "version": 4}}, recs[1]]  # no single policy: none is written
    (line,) = read_jsonl(rlvr("score", "--per-prompt", input=jsonl(*mixed)).stdout)
    assert line["epoch"] == 0 and "policy" not in line
