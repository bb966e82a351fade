"""The policy losses against values and gradients derived by hand from the equations in PAPERS.md, and against TRL's
own loss code (tests/data/trl_golden.json, written by tests/data/trl_golden.py in a side environment with TRL)."""

import json
import math
from pathlib import Path

import pytest
import torch

from rlvrkit.train.losses import DEFAULT_CLIP, LOSSES, k3, off_policy_keep, policy_loss

GOLDEN = json.loads((Path(__file__).parent / "data" / "trl_golden.json").read_text())
CLIPPED = ("grpo", "dr-grpo", "dapo", "gspo", "luspo")  # min(w·Â, clip(w)·Â): the on-policy value is −mean Â


def batch(lengths=(3, 1, 2), advantages=(1.0, -1.0, 0.5), seed=0):
    g = torch.Generator().manual_seed(seed)
    n, t = len(lengths), max(lengths)
    mask = torch.zeros(n, t)
    for i, length in enumerate(lengths):
        mask[i, :length] = 1
    logp = (-torch.rand(n, t, generator=g) * 2).requires_grad_()
    return logp, mask, torch.tensor(advantages)


def grad_of(loss_name, logp, old, adv, mask, **kw):
    logp = logp.detach().clone().requires_grad_()
    loss = policy_loss(logp, old, adv, mask, loss=loss_name, **kw)
    loss.backward()
    return loss.detach(), logp.grad


@pytest.mark.parametrize("name", CLIPPED)
def test_on_policy_ratio_is_one_value_is_mean_advantage_and_gradient_is_not_zero(name):
    logp, mask, _ = batch(lengths=(3, 3, 3, 3))
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])  # group-normalised: mean 0, equal lengths
    stats = {}
    value, grad = grad_of(name, logp, logp.detach(), adv, mask, max_tokens=4, stats=stats)
    assert stats["ratio_mean"] == pytest.approx(1.0)
    assert stats["clip_frac"] == 0.0
    assert value.item() == pytest.approx(0.0, abs=1e-7)
    assert grad.abs().sum() > 0


def test_grpo_value_by_hand_off_policy():
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    old = torch.zeros(2, 2)
    logp = torch.log(torch.tensor([[1.1, 1.5], [0.5, 1.0]]))
    adv = torch.tensor([2.0, -1.0])
    # seq 1: min(1.1·2, 1.1·2)=2.2, min(1.5·2, 1.2·2)=2.4 → mean 2.3; seq 2: min(0.5·−1, 0.8·−1)=−0.8
    expected = -(2.3 + -0.8) / 2
    assert policy_loss(logp, old, adv, mask, loss="grpo").item() == pytest.approx(expected)


def test_dapo_is_the_token_level_mean():
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    old = torch.zeros(2, 3)
    logp = torch.log(torch.tensor([[1.0, 1.1, 0.9], [1.2, 1.0, 1.0]]))
    adv = torch.tensor([1.0, -2.0])
    # tokens: 1.0, 1.1, 0.9 (no clip for A>0 below 1.28) and min(1.2·−2, 1.2·−2) = −2.4; four tokens in all
    expected = -(1.0 + 1.1 + 0.9 - 2.4) / 4
    assert policy_loss(logp, old, adv, mask, loss="dapo").item() == pytest.approx(expected)


def test_dr_grpo_divides_by_the_constant():
    logp, mask, adv = batch(lengths=(3, 1, 2))
    _, grad = grad_of("dr-grpo", logp, logp.detach(), adv, mask, max_tokens=10)
    # on-policy dJ/dlogp_{i,t} = Â_i / (N·T_max) on every real token, whatever the length
    expected = -(adv[:, None] / (3 * 10)) * mask
    assert torch.allclose(grad, expected)


def test_grpo_weights_tokens_by_one_over_length():
    logp, mask, adv = batch(lengths=(3, 1, 2))
    _, grad = grad_of("grpo", logp, logp.detach(), adv, mask)
    expected = -(adv / torch.tensor([3.0, 1.0, 2.0]) / 3)[:, None] * mask
    assert torch.allclose(grad, expected)


def test_gspo_gradient_equals_grpo_on_policy():
    logp, mask, adv = batch(lengths=(4, 1, 3))
    _, g_grpo = grad_of("grpo", logp, logp.detach(), adv, mask)
    _, g_gspo = grad_of("gspo", logp, logp.detach(), adv, mask)
    assert torch.allclose(g_grpo, g_gspo, atol=1e-7)


def test_luspo_token_gradient_does_not_depend_on_length():
    logp, mask, _ = batch(lengths=(5, 1, 3))
    adv = torch.tensor([1.0, 1.0, 1.0])
    _, grad = grad_of("luspo", logp, logp.detach(), adv, mask)
    # every real token gets Â/N = 1/3, for the 5-token and the 1-token answer alike; gspo would give 1/(3|y_i|)
    assert torch.allclose(grad[mask.bool()], torch.full((9,), -1 / 3))
    _, g_gspo = grad_of("gspo", logp, logp.detach(), adv, mask)
    assert not torch.allclose(g_gspo[0, 0], g_gspo[1, 0])


def test_luspo_value_is_length_weighted_gspo():
    f64 = torch.float64
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], dtype=f64)
    old = torch.zeros(2, 3, dtype=f64)
    logp = torch.tensor([[0.001, 0.001, 0.0], [-0.0005, -0.0005, -0.0005]], dtype=f64)
    adv = torch.tensor([1.0, -1.0], dtype=f64)
    s1, s2 = math.exp(0.001), math.exp(-0.0005)  # both inside luspo's [1−2e-3, 1+2.5e-3]
    assert policy_loss(logp, old, adv, mask, loss="luspo").item() == pytest.approx(-(2 * s1 - 3 * s2) / 2)
    # gspo's narrower range clips both: min(s1, 1+4e-4)·1 and the smaller of −s2 and −max(s2, 1−3e-4)
    expected_gspo = -(min(s1, 1 + 4e-4) - max(s2, 1 - 3e-4)) / 2
    assert policy_loss(logp, old, adv, mask, loss="gspo").item() == pytest.approx(expected_gspo)


@pytest.mark.parametrize("name", ["grpo", "dapo", "dr-grpo"])
def test_token_clipping_engages_exactly_outside_the_range(name):
    low, high = DEFAULT_CLIP[name]
    d = 1e-3
    ratios = torch.tensor([[1 + high - d, 1 + high + d, 1 - low + d, 1 - low - d]])
    for sign, cut in ((1.0, [False, True, False, False]), (-1.0, [False, False, False, True])):
        logp = torch.log(ratios)
        _, grad = grad_of(name, logp, torch.zeros(1, 4), torch.tensor([sign]), torch.ones(1, 4), max_tokens=4)
        assert (grad[0] == 0).tolist() == cut


@pytest.mark.parametrize("name", ["gspo", "luspo"])
def test_sequence_clipping_engages_exactly_outside_the_range(name):
    low, high = DEFAULT_CLIP[name]
    d = low / 10
    for ratio, adv, cut in [(1 + high - d, 1.0, False), (1 + high + d, 1.0, True), (1 - low - d, -1.0, True)]:
        logp = torch.full((1, 2), math.log(ratio))
        _, grad = grad_of(name, logp, torch.zeros(1, 2), torch.tensor([adv]), torch.ones(1, 2))
        assert bool((grad == 0).all()) == cut


def test_k3_is_never_negative_and_exact():
    x = torch.linspace(-5, 5, 101)
    assert (k3(x, torch.zeros(101)) >= 0).all()
    assert k3(torch.tensor([0.0]), torch.tensor([1.0])).item() == pytest.approx(math.e - 2)
    assert k3(torch.tensor([0.3]), torch.tensor([0.3])).item() == 0.0


def test_beta_adds_the_kl_term():
    logp, mask, adv = batch()
    ref = logp.detach() - 0.5
    base = policy_loss(logp, logp.detach(), adv, mask, loss="grpo")
    stats = {}
    with_kl = policy_loss(logp, logp.detach(), adv, mask, loss="grpo", beta=0.1, ref_logprobs=ref, stats=stats)
    per_seq_kl = (k3(logp, ref) * mask).sum(-1) / mask.sum(-1)
    assert (with_kl - base).item() == pytest.approx(0.1 * per_seq_kl.mean().item(), rel=1e-5)
    assert stats["kl"] > 0


@pytest.mark.parametrize("name", LOSSES)
def test_micro_batches_add_up_to_the_batch(name):
    logp, mask, adv = batch(lengths=(3, 1, 2, 3), advantages=(1.0, -0.3, 0.5, -0.7))
    old = logp.detach() + 0.05
    full = policy_loss(logp, old, adv, mask, loss=name, max_tokens=5)
    n, tokens = 4, int(mask.sum())
    parts = sum(
        policy_loss(logp[s], old[s], adv[s], mask[s], loss=name, max_tokens=5, num_seqs=n, num_tokens=tokens)
        for s in (slice(0, 1), slice(1, 4))
    )
    assert parts.item() == pytest.approx(full.item(), rel=1e-6)


def test_truncated_importance_sampling():
    mask = torch.ones(1, 2)
    logp = torch.zeros(1, 2, requires_grad=True)
    behaviour = torch.log(torch.tensor([[0.5, 0.1]]))  # ρ = π_old/μ = 2 and 10
    adv = torch.tensor([1.0])
    stats = {}
    loss = policy_loss(
        logp, logp.detach(), adv, mask, loss="dapo", tis="token", tis_cap=3.0, behaviour_logprobs=behaviour, stats=stats
    )
    assert loss.item() == pytest.approx(-(2 + 3) / 2)  # min(2, 3) and min(10, 3)
    assert stats["is_ratio_mean"] == pytest.approx(2.5)
    masked = policy_loss(
        logp,
        logp.detach(),
        adv,
        mask,
        loss="dapo",
        tis="token",
        tis_cap=3.0,
        tis_mode="mask",
        behaviour_logprobs=behaviour,
    )
    assert masked.item() == pytest.approx(-(1 + 0) / 2)
    seq = policy_loss(
        logp, logp.detach(), adv, mask, loss="dapo", tis="sequence", tis_cap=30.0, behaviour_logprobs=behaviour
    )
    assert seq.item() == pytest.approx(-20.0)  # ρ = 2·10 = 20 < 30 for both tokens


def test_errors_name_what_is_missing():
    logp, mask, adv = batch()
    with pytest.raises(ValueError, match="max_tokens"):
        policy_loss(logp, logp.detach(), adv, mask, loss="dr-grpo")
    with pytest.raises(ValueError, match="ref_logprobs"):
        policy_loss(logp, logp.detach(), adv, mask, loss="grpo", beta=0.1)
    with pytest.raises(ValueError, match="loss must be one of"):
        policy_loss(logp, logp.detach(), adv, mask, loss="ppo")


def golden_inputs():
    x = {k: torch.tensor(v, dtype=torch.float64) for k, v in GOLDEN["inputs"].items()}
    return x["logprobs"], x["old_logprobs"], x["advantages"], x["mask"], x["behaviour_logprobs"]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_loss_and_gradient_equal_trls(case):
    logp, old, adv, mask, behaviour = golden_inputs()
    logp.requires_grad_()
    loss = policy_loss(logp, old, adv, mask, behaviour_logprobs=behaviour, **case["rlvrkit"])
    loss.backward()
    assert loss.item() == pytest.approx(case["loss"], abs=1e-9)
    assert torch.allclose(logp.grad, torch.tensor(case["grad"], dtype=torch.float64), rtol=0, atol=1e-9)


def test_the_golden_cases_have_the_cap_the_gate_and_the_mask_each_active():
    logp, old, adv, mask, behaviour = golden_inputs()

    def run(**kw):
        x = logp.clone().requires_grad_()
        loss = policy_loss(x, old, adv, mask, behaviour_logprobs=behaviour, **kw)
        loss.backward()
        return loss.item(), x.grad

    stats = {}
    policy_loss(logp, old, adv, mask, loss="cispo", stats=stats)
    assert 0 < stats["clip_frac"] < 1  # ratios 6.05 and 6.69 exceed the cap 5
    assert run(loss="cispo")[0] != pytest.approx(run(loss="cispo", eps_high=1e9)[0])
    # sapo's gate: at w = 6.05 (token 0 of completion 0) the gradient is a sixth of the one at w = 1 (token 2)
    _, grad = run(loss="sapo")
    assert abs(grad[0, 0]) < 0.2 * abs(grad[0, 2])
    assert off_policy_keep(logp, behaviour, adv, mask, 0.5).tolist() == [1.0, 1.0, 0.0, 1.0]
    assert off_policy_keep(logp, behaviour, adv, mask, 0.0).tolist() == [1.0, 0.0, 0.0, 1.0]
    assert run(loss="grpo", off_policy_mask=0.5)[0] != pytest.approx(run(loss="grpo")[0])


def test_cispo_on_policy_gradient_is_dapos_and_every_token_keeps_a_gradient():
    logp, mask, adv = batch(lengths=(3, 1, 2))
    _, g_cispo = grad_of("cispo", logp, logp.detach(), adv, mask)
    _, g_dapo = grad_of("dapo", logp, logp.detach(), adv, mask)
    assert torch.allclose(g_cispo, g_dapo, atol=1e-7)
    # far off-policy, where grpo's clip zeroes a token's gradient, cispo's capped weight still carries it
    old = logp.detach() - 3.0  # every ratio e³ ≈ 20
    _, g_grpo = grad_of("grpo", logp, old, torch.ones(3), mask)
    _, g_cispo = grad_of("cispo", logp, old, torch.ones(3), mask)
    assert (g_grpo[mask.bool()] == 0).all()
    assert torch.allclose(g_cispo[mask.bool()], torch.full((6,), -5.0 / 6))  # weight 5 (the cap), Â 1, 6 tokens


def test_sapo_on_policy_gradient_is_grpos_and_the_gate_is_soft():
    logp, mask, adv = batch(lengths=(3, 1, 2))
    _, g_sapo = grad_of("sapo", logp, logp.detach(), adv, mask)
    _, g_grpo = grad_of("grpo", logp, logp.detach(), adv, mask)
    assert torch.allclose(g_sapo, g_grpo, atol=1e-7)  # σ'(0)·4 = 1: the same slope at w = 1
    # one token, Â = 1: the gradient w·σ'(τ(w−1))·4 shrinks smoothly as w leaves 1, with no cut at 1 ± ε
    grads = []
    for ratio in (1.0, 1.1, 1.3, 2.0, 4.0):
        x = torch.zeros(1, 1, requires_grad=True)
        policy_loss(x, torch.full((1, 1), -math.log(ratio)), torch.ones(1), torch.ones(1, 1), loss="sapo").backward()
        g = -x.grad.item()
        s = 1 / (1 + math.exp(-(ratio - 1)))
        assert g == pytest.approx(ratio * 4 * s * (1 - s))
        grads.append(g / ratio)  # the gate's slope
    assert grads == sorted(grads, reverse=True) and grads[-1] > 0


def test_sapo_temperatures_follow_the_sign_of_the_advantage():
    x = torch.zeros(2, 1, requires_grad=True)
    old = torch.full((2, 1), -math.log(2.0))  # w = 2 for both
    adv = torch.tensor([1.0, -1.0])
    loss = policy_loss(x, old, adv, torch.ones(2, 1), loss="sapo", tau_pos=2.0, tau_neg=5.0)
    gate = [4 / t / (1 + math.exp(-t * (2 - 1))) for t in (2.0, 5.0)]
    assert loss.item() == pytest.approx(-(gate[0] - gate[1]) / 2)


@pytest.mark.parametrize("name", LOSSES)
def test_the_off_policy_mask_drops_only_negative_drifted_sequences(name):
    logp, mask, _ = batch(lengths=(3, 2, 2))
    adv = torch.tensor([-1.0, -1.0, 1.0])
    behaviour = logp.detach().clone()
    behaviour[0] += 1.0  # drifted by 1 nat per token, negative advantage: dropped at δ = 0.5
    behaviour[2] += 1.0  # drifted, but positive advantage: kept
    kw = dict(max_tokens=4, behaviour_logprobs=behaviour)
    stats = {}
    _, masked = grad_of(name, logp, logp.detach(), adv, mask, off_policy_mask=0.5, stats=stats, **kw)
    _, plain = grad_of(name, logp, logp.detach(), adv, mask, **kw)
    assert (masked[0] == 0).all() and torch.allclose(masked[1:], plain[1:], atol=1e-7)
    assert stats["off_policy_masked"] == pytest.approx(1 / 3)
