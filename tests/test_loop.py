"""The whole loop through the CLI, streaming: `rollout --watch | verify | train` on the tiny model learns a task.

The task is the demo's training sums ("What is 3 + 4?"). The pretrained tiny model knows them but mostly answers
carelessly, right about a third of the time (rlvrkit.tiny); RL must raise the verified reward well above that.
`rlvr demo`'s test measures the same training on held-out sums.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

PROMPTS = ROOT / "examples" / "experiment" / "sums.jsonl"


def streaming_loop(run, model, train_args: list[str], max_steps: int = 80):
    rlvr = f"{sys.executable} -m rlvrkit.commands.cli"
    cmd = (
        f"{rlvr} rollout --watch {run} --model {model} -n 8 --max-tokens 24 --shuffle -i {PROMPTS}"
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
    [("grpo", "--full", "2e-4"), ("luspo", "--full", "2e-4"), ("grpo", "--lora", "5e-4")],
)
def test_verified_reward_climbs_from_a_third_to_most(tmp_path, tiny_model, loss, mode, lr):
    proc = streaming_loop(tmp_path / "run", tiny_model, ["--loss", loss, mode, "--lr", lr, "--tis", "token"])
    rewards, reached = [], False
    deadline = time.time() + 400
    try:
        for line in proc.stdout:
            rewards.append(json.loads(line)["reward_mean"])
            if len(rewards) >= 5 and sum(rewards[-5:]) / 5 >= 0.6:  # 64 samples a step: average a few steps
                reached = True
                break
            if time.time() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    log = proc.stderr.read().decode()[-3000:]  # the three commands' messages, should anything below fail
    assert len(rewards) >= 3, log
    assert sum(rewards[:3]) / 3 <= 0.5, (rewards, log)
    assert reached, f"reward never averaged >= 0.6 over 5 steps: {rewards}\n{log}"
