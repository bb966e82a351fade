"""`rlvr select-one`: the scores by hand on a small history, the back-fill rule, --repeat, and the history the tools
write (rollout --epochs | verify | score --per-prompt | select-one) on the tiny model."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from conftest import heavy_imports, jsonl, read_jsonl, rlvr, shell

from rlvrkit.select_one.scores import lim_scores, ranked, trajectories, variance
from rlvrkit.select_one.skills import skill_score, tags

# accuracy per epoch: a learns, b never does, c learns slowly
HISTORY = {"a": [0, 0.5, 1], "b": [0, 0, 0], "c": [0.25, 0.5, 0.75]}


def summaries(history: dict, n: int = 4) -> list[dict]:
    """score --per-prompt lines for a history, one per prompt and epoch (None: the prompt was not drawn then)."""
    return [
        {"id": key, "prompt": f"problem {key}", "answer": "1", "n": n, "mean": acc, "pass_rate": acc, "epoch": k}
        for k in range(3)
        for key, seq in history.items()
        if seq[k] is not None
        for acc in [seq[k]]
    ]


def select(*args: str, history=HISTORY) -> tuple[list[dict], str]:
    out = rlvr("select-one", *args, input=jsonl(*summaries(history)))
    assert out.returncode == 0, out.stderr
    return read_jsonl(out.stdout), out.stderr


def test_variance_and_lim_equal_the_hand_computed_values():
    assert variance(HISTORY["a"]) == pytest.approx(1 / 6)  # mean 1/2: (1/4 + 0 + 1/4) / 3
    assert variance(HISTORY["c"]) == pytest.approx(1 / 24)  # mean 1/2: (1/16 + 0 + 1/16) / 3
    assert variance(HISTORY["b"]) == 0
    # epoch means 1/12, 1/3, 7/12; sum_k (1 - mean_k)^2 = (121 + 64 + 25) / 144 = 210/144
    # a: (1 + 4 + 25)/144 -> 1 - 30/210 = 6/7; b: (1 + 16 + 49)/144 -> 1 - 66/210 = 24/35; c: 12/144 -> 33/35
    lim = lim_scores(HISTORY)
    assert lim == pytest.approx({"a": 6 / 7, "b": 24 / 35, "c": 33 / 35})
    assert ranked({k: variance(v) for k, v in HISTORY.items()}) == ["a", "c", "b"]
    assert ranked(lim) == ["c", "a", "b"]
    assert lim_scores({"x": [1, 1], "y": [1, 1]}) == {"x": 1.0, "y": 1.0}  # every prompt solved every time


def test_the_backfill_rule_is_limrs():
    table = {
        "full": {0: 0.1, 1: 0.2, 2: 0.3},
        "gap": {0: 0.1, 2: 0.3},  # epoch 1 takes epoch 2's value
        "two": {2: 0.3},  # epoch 1 is filled from 2, epoch 0 is not (its next was missing too): dropped
        "tail": {0: 0.1, 1: 0.2},  # nothing after the last epoch to fill from: dropped
    }
    counts = Counter()
    trajs = {"full": [0.1, 0.2, 0.3], "gap": [0.1, 0.3, 0.3]}
    assert trajectories(table, [0, 1, 2], "backfill", counts) == (trajs, 2)
    assert counts == {"missing a pass": 2}
    counts = Counter()
    assert trajectories(table, [0, 1, 2], "drop", counts) == ({"full": [0.1, 0.2, 0.3]}, 0)
    assert counts == {"missing a pass": 3}


def test_each_method_through_the_command():
    (one,), _ = select()
    assert one["id"] == "a" and one["prompt"] == "problem a" and one["answer"] == "1"
    assert one["meta"]["select_one"] == {
        "by": "variance",
        "score": pytest.approx(1 / 6),
        "rank": 1,
        "accuracy": [0, 0.5, 1],
    }
    assert not {"n", "mean", "pass_rate", "epoch"} & set(one)  # a prompt record again
    out, err = select("--by", "lim", "--top", "0", "--min-score", "0.7")
    assert [(r["id"], r["meta"]["select_one"]["rank"]) for r in out] == [("c", 1), ("a", 2)]
    assert "left out 1 prompt: 1 below --min-score 0.7" in err
    out, _ = select("--by", "pass-rate", "--target", "0.1", "--top", "2")
    assert [r["id"] for r in out] == ["b", "a"]  # mean accuracies 0 and 1/2; a and c tie, a came first


def test_repeat_fills_a_batch_with_distinct_ids():
    out, err = select("--repeat", "4")
    assert [r["id"] for r in out] == ["a#0", "a#1", "a#2", "a#3"]
    assert {r["meta"]["select_one"]["id"] for r in out} == {"a"} and [r["meta"]["select_one"]["copy"] for r in out] == [
        0,
        1,
        2,
        3,
    ]
    assert "wrote 4 records" in err


def test_missing_epochs_are_counted_either_way():
    history = {**HISTORY, "d": [0.5, None, 1], "e": [1, 1, None]}
    out, err = select("--top", "0", history=history)
    d = next(r for r in out if r["id"] == "d")
    assert d["meta"]["select_one"]["accuracy"] == [0.5, 1, 1] and d["meta"]["select_one"]["score"] == pytest.approx(
        1 / 18
    )
    assert [r["id"] for r in out] == ["a", "d", "c", "b"]  # e, missing its last epoch, has nothing to fill from
    assert "1 value back-filled from the next pass (LIMR); left out 1 prompt: 1 missing a pass" in err
    (best,), err = select("--missing", "drop", history=history)
    assert best["id"] == "a" and "left out 2 prompts: 2 missing a pass" in err


def test_verified_rollouts_are_a_history_too():
    rollouts = [
        {"id": key, "prompt": f"problem {key}", "reward": float(i < acc * 4), "epoch": k, "policy": {"version": k}}
        for k in range(3)
        for key, seq in HISTORY.items()
        for acc in [seq[k]]
        for i in range(4)
    ]
    for over in ("auto", "version"):
        out = rlvr(
            "select-one", "--by", "lim", "--top", "0", "--min-score", "0", "--over", over, input=jsonl(*rollouts)
        )
        assert [r["id"] for r in read_jsonl(out.stdout)] == ["c", "a", "b"], out.stderr
        assert read_jsonl(out.stdout)[1]["meta"]["select_one"]["score"] == pytest.approx(float(Fraction(6, 7)))
    out = rlvr("select-one", "--over", "step", input=jsonl(*rollouts))
    assert read_jsonl(out.stdout) == [] and "left out 36 records: 36 without 'step'" in out.stderr


@pytest.mark.parametrize(
    "args,text,says",
    [
        ([], '{"id": "a", "pass_rate": 1, "epoch": 0}\n{"id": "b", "prompt": "x"}\n', "stdin:2: needs 'pass_rate'"),
        ([], '{"id": "a", "pass_rate": 1.5, "epoch": 0}\n', "stdin:1: 'pass_rate' must be a number in [0, 1]"),
        ([], '{"id": "a", "reward": 1, "epoch": -1}\n', "stdin:1: 'epoch' must be a whole number >= 0"),
        (["--by", "pass-rate"], "", "--by pass-rate needs --target between 0 and 1"),
        (["--by", "skills"], "", "--by skills needs --llm MODEL"),
        (["--by", "skills", "--llm", "m", "--salient", "biology"], "", "--salient takes skills from"),
    ],
)
def test_bad_input_and_usage_exit_2_in_one_line(args, text, says):
    out = rlvr("select-one", *args, input=text)
    assert out.returncode == 2 and says in out.stderr and out.stdout == "", out.stderr


def test_select_one_does_not_import_torch():
    stdout, heavy = heavy_imports(["select-one"], jsonl(*summaries(HISTORY)).encode())
    assert read_jsonl(stdout)[0]["id"] == "a" and heavy == []


def test_skill_tags_are_read_from_the_answer():
    assert tags('Skills: <answer>["Algebra", "precalculus", "cooking"]</answer>') == ["algebra", "precalculus"]
    assert tags("algebra, surely") is None and tags("<answer>{}</answer>") is None
    assert skill_score(["algebra", "geometry"], frozenset({"algebra", "precalculus"})) == 1


# -- on the tiny model -----------------------------------------------------------------------------------------------

SUMS = [
    {"id": f"s{a}{b}", "prompt": f"what is {a} + {b}?", "answer": str(a + b)}
    for a, b in [(2, 3), (1, 4), (3, 3), (4, 2)]
]


def test_the_whole_chain_on_the_tiny_model(tiny_model, tmp_path):
    prompts, summary = tmp_path / "sums.jsonl", tmp_path / "history.jsonl"
    prompts.write_text(jsonl(*SUMS))
    proc = shell(
        f"rlvr rollout -m {tiny_model} -n 4 --max-tokens 8 --epochs 3 < {prompts} | rlvr verify -j 1 "
        f"| rlvr score --per-prompt | tee {summary} | rlvr select-one --by variance --top 0"
    )
    assert proc.returncode == 0, proc.stderr
    lines = read_jsonl(summary.read_text())
    assert sorted((r["id"], r["epoch"]) for r in lines) == sorted((p["id"], k) for p in SUMS for k in range(3))
    assert all(r["policy"]["version"] == 0 and r["n"] == 4 for r in lines)
    chosen = read_jsonl(proc.stdout)
    assert sorted(r["id"] for r in chosen) == sorted(p["id"] for p in SUMS)
    for rank, rec in enumerate(chosen, 1):
        accuracy = [r["pass_rate"] for k in range(3) for r in lines if r["id"] == rec["id"] and r["epoch"] == k]
        assert rec["meta"]["select_one"] == {
            "by": "variance",
            "score": pytest.approx(variance(accuracy)),
            "rank": rank,
            "accuracy": accuracy,
        }
    assert [r["meta"]["select_one"]["score"] for r in chosen] == sorted(
        (r["meta"]["select_one"]["score"] for r in chosen), reverse=True
    )
    assert "4 prompts over 3 epochs" in proc.stderr


def test_skills_with_the_tiny_model(tiny_model, tmp_path, capsys):
    from rlvrkit.jsonl import Source
    from rlvrkit.log import Log
    from rlvrkit.select_one.options import SelectOneOptions
    from rlvrkit.select_one.run import run_select_one

    src, dst = tmp_path / "prompts.jsonl", tmp_path / "one.jsonl"
    src.write_text(jsonl(*SUMS[:3]))
    opts = SelectOneOptions(by="skills", llm=str(tiny_model), llm_max_tokens=8)
    run_select_one(Source(str(src)), str(dst), opts, Log("select-one"))
    (best,) = read_jsonl(dst.read_text())
    # the tiny model writes no <answer> tags: every prompt scores 0 and the first one wins the tie
    assert best["id"] == SUMS[0]["id"] and best["meta"]["select_one"] == {
        "by": "skills",
        "score": 0,
        "rank": 1,
        "skills": [],
    }
    assert "3 model answers without readable skills (scored 0)" in capsys.readouterr().err
