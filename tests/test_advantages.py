"""Advantage formulas against values worked out by hand."""

import math

import pytest

from rlvrkit.advantages import advantages
from rlvrkit.stats import std


def test_group_population_std():
    # rewards 1,0,0,1: mean 0.5, population std 0.5
    assert advantages([1, 0, 0, 1], "group", eps=0.0) == [1.0, -1.0, -1.0, 1.0]


def test_group_sample_std():
    # rewards 1,0,0: mean 1/3, sample std sqrt(((2/3)^2 + 2*(1/3)^2)/2) = sqrt(1/3)
    adv = advantages([1, 0, 0], "group", std_kind="sample", eps=0.0)
    s = math.sqrt(1 / 3)
    assert adv == pytest.approx([(2 / 3) / s, -(1 / 3) / s, -(1 / 3) / s])


def test_eps_is_added_to_the_std():
    assert advantages([1, 0], "group", eps=0.5) == pytest.approx([0.5, -0.5])  # (±0.5)/(0.5+0.5)


def test_none_is_reward_minus_mean():
    assert advantages([3, 1, 2], "none") == pytest.approx([1, -1, 0])


def test_rloo_leaves_one_out():
    # 1 - (0+0+1)/3 = 2/3 ; 0 - (1+0+1)/3 = -2/3
    assert advantages([1, 0, 0, 1], "rloo") == pytest.approx([2 / 3, -2 / 3, -2 / 3, 2 / 3])


def test_batch_divides_by_the_given_batch_std():
    assert advantages([1, 0], "batch", batch_std=0.25, eps=0.0) == pytest.approx([2.0, -2.0])


@pytest.mark.parametrize("method", ["group", "batch", "none", "rloo"])
def test_constant_group_has_zero_advantage(method):
    # 0.1 three times: a naive mean leaves a 1e-17 residue that would divide into a huge advantage
    assert advantages([0.1, 0.1, 0.1], method, batch_std=0.0, eps=1e-8) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("method", ["group", "batch", "none", "rloo"])
def test_group_of_one_has_zero_advantage(method):
    assert advantages([0.7], method, batch_std=1.0) == [0.0]


def test_std_kinds():
    assert std([1, 0]) == 0.5
    assert std([1, 0], "sample") == pytest.approx(math.sqrt(0.5))
    assert std([5.0], "sample") == 0.0
    assert std([0.1] * 7) == 0.0
