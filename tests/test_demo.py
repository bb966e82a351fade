"""`rlvr demo`: the whole loop on the tiny model, measured on sums it never trained on."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from conftest import ROOT, rlvr

from rlvrkit.demo import MARK, sums, tiny_folder

EXAMPLES = ("sums.jsonl", "sums-heldout.jsonl")


def test_training_and_held_out_sums_never_meet():
    train, held = sums(seed=0, held_out=30)
    assert len(train) == 70 and len(held) == 30
    assert {r["id"] for r in train}.isdisjoint(r["id"] for r in held)
    assert all(int(r["answer"]) == sum(int(x) for x in r["id"].split("-")[1:]) for r in train + held)
    assert sums(seed=1, held_out=30)[1] != held  # the split follows the seed
    shipped = [(ROOT / "examples" / "experiment" / name).read_text().splitlines() for name in EXAMPLES]
    assert [[json.loads(line) for line in lines] for lines in shipped] == [train, held]  # the experiment's are these


def test_a_short_demo_raises_the_held_out_score(tmp_path, tiny_model):
    work = tmp_path / "demo"
    out = rlvr("demo", "--dir", str(work), "--model", str(tiny_model), "--steps", "40", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    # the rise is on prompts no training group contained, and its 95% paired interval is clear of zero
    assert result["heldout_after"] > result["heldout_before"], result
    assert result["rise_95"][0] > 0, result
    assert (work / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    steps = [json.loads(line)["step"] for line in (work / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 41))
    # each command it ran is shown, so a user can run them by hand
    assert "$ rlvr rollout --watch run" in out.stderr and "| rlvr verify | rlvr train" in out.stderr


def test_reruns_in_its_own_folder_and_refuses_any_other(tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    out = rlvr("demo", "--dir", str(other), "--model", str(tmp_path / "nowhere"))
    assert out.returncode == 1 and "nowhere" in out.stderr  # the model is checked first
    out = rlvr("demo", "--dir", str(other))
    assert out.returncode == 2 and "not a demo folder" in out.stderr
    assert (other / "notes.txt").read_text() == "keep me" and not (other / MARK).exists()


def test_bad_options_are_usage_errors(tmp_path):
    out = rlvr("demo", "--dir", str(tmp_path / "d"), "--held-out", "95")
    assert out.returncode == 2 and "--held-out" in out.stderr and len(out.stderr.strip().splitlines()) == 1


MAKEFILE = ROOT / "examples" / "experiment" / "Makefile"


def make(*args: str, cwd) -> subprocess.CompletedProcess:
    rlvr_cmd = f"{sys.executable} -m rlvrkit.commands.cli"
    return subprocess.run(["make", "-f", str(MAKEFILE), f"RLVR={rlvr_cmd}", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def test_the_experiment_makefile_builds_its_training_prompts(tmp_path, tiny_model):
    out = make(f"MODEL={tiny_model}", "data/train.jsonl", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    learnable = [json.loads(line) for line in (tmp_path / "data" / "learnable.jsonl").read_text().splitlines()]
    sums = {json.loads(line)["id"] for line in (MAKEFILE.parent / "sums.jsonl").read_text().splitlines()}
    assert learnable and all(0 < r["mean"] < 1 and r["id"] in sums for r in learnable)  # sometimes solved
    lines = (tmp_path / "data" / "train.jsonl").read_text().splitlines()
    assert len(lines) == len(learnable) + len((tmp_path / "data" / "composed.jsonl").read_text().splitlines())
    # up to date now: a rerun does nothing, and the rest of the chain is what the README says
    assert "is up to date" in make(f"MODEL={tiny_model}", "data/train.jsonl", cwd=tmp_path).stdout
    plan = make(f"MODEL={tiny_model}", "-n", cwd=tmp_path).stdout
    for step in ("rollout --watch", "verify", "train --ckpt", "eval -m", "eval --compare"):
        assert step in plan, plan


def test_reuses_the_tiny_model_from_the_user_cache(tmp_path, tiny_model):
    cached = tmp_path / "cache" / "rlvrkit" / tiny_folder().name
    shutil.copytree(tiny_model, cached)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = rlvr("demo", "--dir", str(tmp_path / "d"), "--steps", "2", "-n", "2", "--loss", "sapo", env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "building the tiny model" not in out.stderr and str(cached) in out.stderr
    assert json.loads(out.stdout)["steps"] == 2
    # sapo end to end, the diagnostics shown as it trains
    assert "step  reward  length  entropy  staleness  mismatch" in out.stderr
