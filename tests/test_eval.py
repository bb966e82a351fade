"""`rlvr eval`: the metrics against closed forms and hand counts, votes by equivalent answers, a live run on the tiny
model reproduced exactly from its samples, and two runs compared."""

from __future__ import annotations

import itertools
import json
from math import comb

import pytest
from conftest import jsonl, read_jsonl, rlvr

from rlvrkit.eval.metrics import maj_at_k, paired_bootstrap, pass_at_k
from rlvrkit.eval.votes import answer_key, clusters
from rlvrkit.verify.options import VerifyOptions


def brute_pass_at_k(n: int, c: int, k: int) -> float:
    """The share of the k-subsets of n samples (c of them correct) that hold a correct one, by enumeration."""
    correct = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(correct[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_pass_at_k_is_the_unbiased_estimator(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(n, c, k))
            assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))
        assert pass_at_k(n, c, n + 1) is None  # k > n: not estimable
    assert pass_at_k(n, 0, 1) == 0.0 and pass_at_k(n, n, 1) == 1.0


def test_maj_at_k_votes_by_cluster_breaks_ties_by_first_vote_and_skips_no_answer():
    #        samples: 0     1     2     3     4     5     6     7
    votes = [0, 1, 1, 0, None, None, 2, 2]
    right = [True, False, False, True, False, False, False, False]
    # blocks of 2: (0,1) tie -> 0 (first voted) right; (1,0) tie -> 1 wrong; (-,-) nothing -> wrong; (2,2) -> 2 wrong
    assert maj_at_k(votes, right, 2) == 0.25
    # blocks of 4: (0,1,1,0) tie 2-2 -> 0 right; (-,-,2,2) -> 2 wrong
    assert maj_at_k(votes, right, 4) == 0.5
    assert maj_at_k(votes, right, 1) == 2 / 8 and maj_at_k(votes, right, 9) is None


def test_equivalent_answers_vote_together():
    answers = {"p": ["1/2", "0.5", "\\frac{1}{2}", "2", None, "x=3"], "q": ["7", "7.0", "8"]}
    got = clusters(answers, "math", VerifyOptions(jobs=2, timeout=5.0))
    assert got["p"] == [0, 0, 0, 1, None, 2]
    assert got["q"] == [0, 0, 1]
    assert answer_key({"extracted": " $1 / 2$ "}) == "1/2" and answer_key({"status": "no_answer"}) is None


def test_paired_bootstrap():
    a, b = [0.0, 1.0, 0.5, 0.5], [1.0, 1.0, 0.5, 1.0]
    delta, low, high = paired_bootstrap(a, b, samples=2000)
    assert delta == pytest.approx(0.375) and 0.0 <= low <= delta <= high <= 0.75
    assert paired_bootstrap(a, a, samples=200) == (0.0, 0.0, 0.0)


def samples_file(path, rewards: dict[str, list[float]], bench="b"):
    """A --per-sample file by hand: each prompt's rewards, answers "1" (right) or "0" (wrong)."""
    lines = []
    for key, rs in rewards.items():
        for i, r in enumerate(rs):
            verdict = {"status": "ok" if r else "wrong", "extracted": "1" if r else "0"}
            lines.append({"bench": bench, "id": key, "sample": i, "answer": "1", "task": "math", "reward": r,
                          "verdict": verdict, "tokens": 3, "finish_reason": "stop", "policy": {}, "sampling": {},
                          "verifier": {}})  # fmt: skip
    path.write_text(jsonl(*lines))
    return path


def test_from_samples_and_compare(tmp_path):
    a = samples_file(tmp_path / "a.jsonl", {"p1": [0, 0, 1, 0], "p2": [1, 1, 1, 1], "p3": [0, 0, 0, 0]})
    b = samples_file(tmp_path / "b.jsonl", {"p1": [1, 1, 1, 0], "p2": [1, 1, 1, 1], "p3": [0, 1, 0, 0]})
    out = rlvr("eval", "--from-samples", str(a), "-k", "1,2,4")
    (result,) = read_jsonl(out.stdout)
    assert out.returncode == 0, out.stderr
    assert result["avg@4"] == pytest.approx((0.25 + 1 + 0) / 3)
    assert result["pass@2"] == pytest.approx((pass_at_k(4, 1, 2) + 1 + 0) / 3)
    assert result["maj@4"] == pytest.approx(1 / 3) and result["prompts"] == 3 and "avg@4" in out.stderr
    out = rlvr("eval", "--compare", str(a), str(b), "-k", "1")
    rows = {r["metric"]: r for r in read_jsonl(out.stdout)}
    assert rows["avg@4"]["delta"] == pytest.approx((0.75 - 0.25 + 0.25) / 3)
    assert rows["avg@4"]["low"] <= rows["avg@4"]["delta"] <= rows["avg@4"]["high"]


def test_a_live_run_is_reproduced_exactly_from_its_samples(tiny_model, tmp_path, data_dir):
    bench = tmp_path / "gsm.jsonl"
    bench.write_text("".join(list(open(data_dir / "gsm8k_test.jsonl"))[:3]))
    samples = tmp_path / "samples.jsonl"
    args = ["-k", "1,2,4"]
    live = rlvr("eval", "-m", str(tiny_model), "-n", "4", "--max-tokens", "6", "--per-sample", str(samples), "-j", "1",
                "--name", "tiny", "-i", str(bench), *args)  # fmt: skip
    assert live.returncode == 0, live.stderr
    (result,) = read_jsonl(live.stdout)
    assert result["bench"] == "gsm" and result["name"] == "tiny" and result["prompts"] == 3 and result["n"] == 4
    assert result["sampling"]["n"] == 4 and result["model"] == str(tiny_model) and result["truncated"] > 0
    assert len(read_jsonl(samples.read_text())) == 12
    again = rlvr("eval", "--from-samples", str(samples), "--name", "tiny", *args)
    (recomputed,) = read_jsonl(again.stdout)
    assert recomputed == result


@pytest.mark.parametrize(
    "args, says",
    [
        ([], "give --model to sample, or --from-samples FILE, or --compare A B"),
        (["--from-samples", "{bad}"], "{bad}:2: not an rlvr eval sample"),
        (["--from-samples", "{bad}", "-k", "0"], "-k takes positive integers"),
        (["--from-samples", "{bad}", "--bench", "x"], "--bench takes NAME=FILE"),
    ],
)
def test_bad_usage_and_bad_samples_exit_2(tmp_path, args, says):
    bad = tmp_path / "bad.jsonl"
    samples_file(bad, {"p": [1]})
    bad.write_text(bad.read_text() + json.dumps({"id": "x"}) + "\n")
    out = rlvr("eval", *[a.format(bad=bad) for a in args])
    assert out.returncode == 2 and says.format(bad=bad) in out.stderr and "Traceback" not in out.stderr
