"""Reference values for tests/test_losses.py: TRL's own GRPOTrainer._compute_loss on fixed inputs.

Not run by CI. It needs TRL beside torch 2.13 in a side environment:

    python3 -m venv /work/venv-trl && /work/venv-trl/bin/pip install torch==2.13.0 trl
    /work/venv-trl/bin/python tests/data/trl_golden.py > tests/data/trl_golden.json

Each case runs TRL's loss code itself (not a transcription of it): the trainer method is called on a stand-in `self`
holding the settings a GRPOConfig would give it, with the per-token log-probabilities supplied directly instead of
from a model forward pass. Everything is float64. The JSON holds each case's inputs, rlvrkit's name for the loss and
its settings, and TRL's loss and gradient with respect to the log-probabilities.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from types import SimpleNamespace

import torch
import trl
from trl import GRPOTrainer

F64 = torch.float64

# One batch of 4 completions, lengths 3, 1, 4, 2, shared by every case. Rows: the current policy's log-probabilities
# (log π_θ), π_old's, and the behaviour policy's (log μ, as rollout recorded them); padding is 0.
MASK = [[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1], [1, 1, 0, 0]]
LOGP = [[-0.4, -1.2, -0.05, 0.0], [-2.0, 0.0, 0.0, 0.0], [-0.7, -0.3, -1.6, -0.9], [-0.2, -2.5, 0.0, 0.0]]
# π_old below π_θ on some tokens by more than log 5 (ratio > 5: the CISPO cap bites at the default 5) and near it on
# others (ratios ~0.6 to 1.5: inside the grpo clip, or just outside 1 ± 0.2).
OLD = [[-2.2, -1.0, -0.05, 0.0], [-1.5, 0.0, 0.0, 0.0], [-0.9, -0.5, -1.4, -2.8], [-0.3, -2.1, 0.0, 0.0]]
# μ far above π_θ on completion 2 (mean log μ − log π_θ = 0.625) and on 0 (0.35), close on 1 (0.1) and 3 (0.075).
BEHAVIOUR = [[0.0, -0.5, -0.1, 0.0], [-1.9, 0.0, 0.0, 0.0], [-0.1, -0.1, -0.2, -0.6], [-0.25, -2.3, 0.0, 0.0]]
ADV = [1.0, -0.5, -1.2, 0.8]

# (name, rlvrkit settings, TRL settings). The off-policy threshold 0.5 drops completion 2 (Â < 0, drift 0.625) and
# keeps 1 (Â < 0, drift 0.1); δ = 0 drops 1 as well; 0 and 3 (Â > 0) are always kept.
SAPO = {"loss_type": "sapo", "sapo_temperature_pos": 1.0, "sapo_temperature_neg": 1.05}
CASES = [
    ("cispo", {"loss": "cispo"}, {"loss_type": "cispo", "epsilon_high": 5.0}),
    ("cispo-cap-1.2", {"loss": "cispo", "eps_high": 1.2}, {"loss_type": "cispo", "epsilon_high": 1.2}),
    ("sapo", {"loss": "sapo"}, SAPO),
    ("sapo-tau-3-8", {"loss": "sapo", "tau_pos": 3.0, "tau_neg": 8.0},
     {"loss_type": "sapo", "sapo_temperature_pos": 3.0, "sapo_temperature_neg": 8.0}),
    ("grpo-mask", {"loss": "grpo", "off_policy_mask": 0.5}, {"loss_type": "grpo", "off_policy_mask_threshold": 0.5}),
    ("dapo-mask", {"loss": "dapo", "eps_high": 0.28, "off_policy_mask": 0.5},
     {"loss_type": "dapo", "epsilon_high": 0.28, "off_policy_mask_threshold": 0.5}),
    ("cispo-mask", {"loss": "cispo", "off_policy_mask": 0.5},
     {"loss_type": "cispo", "epsilon_high": 5.0, "off_policy_mask_threshold": 0.5}),
    ("sapo-mask", {"loss": "sapo", "off_policy_mask": 0.5},
     {**SAPO, "off_policy_mask_threshold": 0.5}),
    ("gspo-mask", {"loss": "gspo", "eps_low": 0.1, "eps_high": 0.1, "off_policy_mask": 0.5},
     {"loss_type": "grpo", "importance_sampling_level": "sequence", "epsilon": 0.1, "epsilon_high": 0.1,
      "off_policy_mask_threshold": 0.5}),
    ("luspo-mask", {"loss": "luspo", "eps_low": 0.1, "eps_high": 0.1, "off_policy_mask": 0.5},
     {"loss_type": "luspo", "importance_sampling_level": "sequence", "epsilon": 0.1, "epsilon_high": 0.1,
      "off_policy_mask_threshold": 0.5}),
    ("sapo-mask-delta-0", {"loss": "sapo", "off_policy_mask": 0.0},
     {**SAPO, "off_policy_mask_threshold": 0.0}),
]  # fmt: skip


def stand_in(trl_settings: dict, logp: torch.Tensor) -> SimpleNamespace:
    """What _compute_loss reads from a GRPOTrainer, as GRPOConfig's defaults and `trl_settings` set it, in eval mode
    (no gradient accumulation), one process, no vLLM, no entropy terms, the given log-probabilities as the model's."""
    epsilon = trl_settings.get("epsilon", 0.2)
    args = SimpleNamespace(
        delta=None,
        use_bias_correction_kl=False,
        steps_per_generation=1,
        sapo_temperature_pos=trl_settings.get("sapo_temperature_pos", 1.0),
        sapo_temperature_neg=trl_settings.get("sapo_temperature_neg", 1.05),
    )
    accelerator = SimpleNamespace(
        num_processes=1, gather=lambda x: x, reduce=lambda x, reduction="sum": x, gather_for_metrics=lambda x: x
    )
    return SimpleNamespace(
        args=args,
        accelerator=accelerator,
        loss_type=trl_settings["loss_type"],
        epsilon_low=epsilon,
        epsilon_high=trl_settings.get("epsilon_high", epsilon),
        importance_sampling_level=trl_settings.get("importance_sampling_level", "token"),
        off_policy_mask_threshold=trl_settings.get("off_policy_mask_threshold"),
        get_off_policy_mask=GRPOTrainer.get_off_policy_mask,
        beta=0.0,
        top_entropy_quantile=1.0,
        aux_loss_enabled=False,
        use_vllm=False,
        vllm_importance_sampling_correction=False,
        _entropy_bonus_enabled=False,
        current_gradient_accumulation_steps=1,
        model=SimpleNamespace(training=False),
        _metrics=defaultdict(lambda: defaultdict(list)),
        _get_per_token_logps_and_entropies=lambda *a, **k: (logp, torch.zeros_like(logp), None),
    )


def trl_loss(trl_settings: dict) -> tuple[float, list[list[float]]]:
    logp = torch.tensor(LOGP, dtype=F64, requires_grad=True)
    mask = torch.tensor(MASK, dtype=F64)
    n, t = mask.shape
    inputs = {
        "prompt_ids": torch.zeros(n, 1, dtype=torch.long),
        "prompt_mask": torch.ones(n, 1, dtype=torch.long),
        "completion_ids": torch.zeros(n, t, dtype=torch.long),
        "completion_mask": mask,
        "advantages": torch.tensor(ADV, dtype=F64),
        "old_per_token_logps": torch.tensor(OLD, dtype=F64),
        "sampling_per_token_logps": torch.tensor(BEHAVIOUR, dtype=F64),
        "num_items_in_batch": mask.sum(),
    }
    loss = GRPOTrainer._compute_loss(stand_in(trl_settings, logp), None, inputs)
    loss.backward()
    return loss.item(), logp.grad.tolist()


def main() -> None:
    cases = []
    for name, ours, theirs in CASES:
        value, grad = trl_loss(theirs)
        assert math.isfinite(value)
        cases.append({"name": name, "rlvrkit": ours, "trl": theirs, "loss": value, "grad": grad})
    out = {
        "produced_by": f"tests/data/trl_golden.py with trl {trl.__version__}, torch {torch.__version__}",
        "inputs": {
            "mask": MASK,
            "logprobs": LOGP,
            "old_logprobs": OLD,
            "behaviour_logprobs": BEHAVIOUR,
            "advantages": ADV,
        },  # fmt: skip
        "cases": cases,
    }
    lines = [f' "{key}": {json.dumps(value)}' for key, value in out.items() if key != "cases"]
    lines.append(' "cases": [\n' + ",\n".join(f"  {json.dumps(c)}" for c in out["cases"]) + "\n ]")
    sys.stdout.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
