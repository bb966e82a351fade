#!/usr/bin/env bash
# The LUSPO paper's comparison at toy scale: one task trained with grpo, gspo and luspo (the experiment Makefile,
# once per loss, sharing the base model's evaluation), then one plot of their curves; the response-length panel is
# the one the paper argues with (GSPO's responses shrink, LUSPO's do not).
# Usage: examples/luspo.sh [WORKDIR] [STEPS]      (needs `rlvr` on PATH)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-luspo-run}
steps=${2:-100}
mkdir -p "$work" && cd "$work"
runs=()
for loss in grpo gspo luspo; do
  make -s -f "$here/experiment/Makefile" LOSS="$loss" STEPS="$steps"
  runs+=("$(make -s -f "$here/experiment/Makefile" LOSS="$loss" STEPS="$steps" run-dir)")
done
metrics=("${runs[@]/%//metrics.jsonl}")
rlvr plot "${metrics[@]}" --label grpo --label gspo --label luspo --smooth 5 -o lengths.png
rlvr plot "${metrics[@]}" --label grpo --label gspo --label luspo --smooth 5 --ascii
for run in "${runs[@]}"; do
  echo "$run: held-out avg@8 before -> after"
  grep '"avg@8"' "$run/compare.jsonl"
done
echo "plot: $work/lengths.png"
