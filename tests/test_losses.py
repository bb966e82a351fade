"""The policy losses against values and gradients derived by hand from the equations in PAPERS.md."""

import math

import pytest
import torch

from rlvrkit.train.losses import DEFAULT_CLIP, LOSSES, k3, policy_loss


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


@pytest.mark.parametrize("name", LOSSES)
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
