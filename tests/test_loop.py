"""The whole loop through the CLI, streaming: `rollout --watch | verify | train` on the tiny model learns a task.

The task is learnable by construction: every prompt's answer is 7. The pretrained tiny model answers in \\boxed{}
form but is right only now and then (reward near 0); RL must raise the verified reward to near 1.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

PROMPTS = ROOT / "examples" / "sevens.jsonl"


def streaming_loop(run, model, train_args: list[str], max_steps: int = 60):
    rlvr = f"{sys.executable} -m rlvrkit.commands.cli"
    cmd = (
        f"{rlvr} rollout --watch {run} --model {model} -n 8 --max-tokens 8 -i {PROMPTS}"
        f" | {rlvr} verify"
        f" | {rlvr} train --ckpt {run} --model {model} --batch-groups 8 --max-steps {max_steps} {' '.join(train_args)}"
    )
    return subprocess.Popen(
        cmd,
        shell=True,
        executable="/bin/bash",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize(
    "loss,mode,lr",
    [("grpo", "--full", "2e-3"), ("luspo", "--full", "2e-3"), ("grpo", "--lora", "5e-3"), ("luspo", "--lora", "5e-3")],
)
def test_verified_reward_climbs_from_near_0_to_near_1(tmp_path, tiny_model, loss, mode, lr):
    proc = streaming_loop(tmp_path / "run", tiny_model, ["--loss", loss, mode, "--lr", lr])
    rewards, reached = [], False
    deadline = time.time() + 240
    try:
        for line in proc.stdout:
            rewards.append(json.loads(line)["reward_mean"])
            if len(rewards) >= 3 and min(rewards[-3:]) >= 0.8:
                reached = True
                break
            if time.time() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    log = proc.stderr.read().decode()[-3000:]  # the three commands' messages, should anything below fail
    assert len(rewards) >= 3, log
    assert sum(rewards[:3]) / 3 <= 0.3, (rewards, log)
    assert reached, f"reward never held >= 0.8 for 3 steps: {rewards}\n{log}"
