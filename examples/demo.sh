#!/usr/bin/env bash
# The whole RLVR loop on the embedded tiny model, offline, on a CPU, in about a minute:
#   rlvr rollout --watch RUN | rlvr verify | rlvr train --ckpt RUN
# The task is learnable by construction (every answer in examples/sevens.jsonl is 7): the tiny model starts
# out right now and then, and the verified reward per optimizer step should climb to about 1.
# Usage: examples/demo.sh [WORKDIR]   (needs `rlvr` on PATH; `make demo` runs it from .venv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-.demo}
rm -rf "$work" && mkdir -p "$work"
rlvr init-model --tiny "$work/tiny"
echo "step  version  reward  length  staleness  loss        (metrics: $work/metrics.jsonl)"
rlvr rollout --watch "$work/run" --model "$work/tiny" -n 8 --max-tokens 8 -i "$here/sevens.jsonl" 2>"$work/rollout.log" \
  | rlvr verify 2>"$work/verify.log" \
  | rlvr train --ckpt "$work/run" --model "$work/tiny" --batch-groups 8 --lr 2e-3 --max-steps 30 \
  | tee "$work/metrics.jsonl" \
  | python3 -c '
import json, sys
row = "{step:4d}  {version:7d}  {reward_mean:6.2f}  {len_mean:6.1f}  {staleness:9.1f}  {loss:+.2e}"
for line in sys.stdin:
    print(row.format(**json.loads(line)), flush=True)
'
echo "policy versions in $work/run (latest -> $(readlink "$work/run/latest")); try: rlvr rollout --model $work/run/latest -n 1 -i $here/sevens.jsonl"
