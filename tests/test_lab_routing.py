"""Routing summaries on hand-made examples whose answers are known."""

import math

import numpy as np
import pytest
import torch

from scratchbook.lab import routing as R


def test_expert_fractions_and_balance():
    f = R.expert_fractions([0, 0, 1, 3, 0, 1], n_expert=4)
    assert f.tolist() == pytest.approx([3 / 6, 2 / 6, 0, 1 / 6])
    assert R.load_balance_ratio(f) == pytest.approx(0.5 / 0.25)
    assert R.load_balance_ratio([0.25] * 4) == pytest.approx(1.0)
    assert R.load_balance_ratio([1, 0, 0, 0]) == pytest.approx(4.0)
    assert R.coefficient_of_variation([0.25] * 4) == pytest.approx(0.0)
    # shares (1/2, 1/2, 0, 0): mean 1/4, std 1/4
    assert R.coefficient_of_variation([0.5, 0.5, 0, 0]) == pytest.approx(1.0)
    # torch tensors work as well as lists
    assert R.expert_fractions(torch.tensor([[1, 1], [1, 0]]), 2).tolist() == pytest.approx([0.25, 0.75])


def test_entropies():
    uniform = np.full((5, 4), 0.25)
    sure = np.eye(4)
    assert R.routing_entropy(uniform) == pytest.approx(math.log(4))
    assert R.routing_entropy(uniform, normalize=True) == pytest.approx(1.0)
    assert R.routing_entropy(sure) == pytest.approx(0.0)
    assert R.usage_entropy([0.5, 0.5, 0, 0]) == pytest.approx(math.log(2))
    assert R.usage_entropy([0.5, 0.5, 0, 0], normalize=True) == pytest.approx(0.5)


def test_expert_domain_counts():
    counts = R.expert_domain_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], n_expert=3, n_domain=3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_nmi_perfect_correlation_is_one():
    # every domain has its own expert (a permutation of the labels)
    experts = [2, 2, 0, 0, 0, 1]
    domains = [0, 0, 1, 1, 1, 2]
    counts = R.expert_domain_counts(experts, domains, 3, 3)
    assert R.normalized_mutual_information(counts) == pytest.approx(1.0)
    # mutual information is then the entropy of the domain
    p = np.array([2, 3, 1]) / 6
    assert R.mutual_information(counts) == pytest.approx(-(p * np.log(p)).sum())


def test_nmi_independent_is_zero():
    # every expert sees the domains in the same proportions
    counts = np.array([[10, 20, 30], [5, 10, 15], [1, 2, 3]])
    assert R.normalized_mutual_information(counts) == pytest.approx(0.0, abs=1e-12)
    assert R.mutual_information(counts) == pytest.approx(0.0, abs=1e-12)


def test_nmi_in_between_and_degenerate():
    partial = np.array([[9, 1], [1, 9]])
    assert 0.0 < R.normalized_mutual_information(partial) < 1.0
    # a single expert serving everything tells nothing about the domain
    assert R.normalized_mutual_information([[4, 6, 2]]) == pytest.approx(0.0, abs=1e-12)
    assert R.normalized_mutual_information([[7]]) == 0.0


def test_char_classes():
    assert [R.CHAR_CLASSES[R.char_class(c)] for c in "a7+=<( .:"] == [
        "letter", "digit", "operator", "operator", "operator", "other", "other", "other", "other",
    ]  # fmt: skip
    itos = {0: ".", 1: "+", 2: "1", 3: "a"}
    assert R.char_class_ids([[0, 1], [2, 3]], itos).tolist() == [[3, 2], [1, 0]]
    assert R.char_class_ids([3, 2], [".", "+", "1", "a"]).tolist() == [0, 1]


def test_expert_by_char_class():
    experts = [0, 1, 1, 0]
    classes = [0, 1, 1, 2]  # letter, digit, digit, operator
    domains = [0, 1, 1, 1]
    m = R.expert_by_char_class(experts, classes, domains, n_expert=2, n_domain=2)
    assert m.shape == (2, len(R.CHAR_CLASSES), 2)
    assert m[0, 0].tolist() == [1, 0]  # names letters -> expert 0
    assert m[1, 1].tolist() == [0, 2]  # arithmetic digits -> expert 1
    assert m[1, 2].tolist() == [1, 0]  # arithmetic operators -> expert 0
    assert m.sum() == 4
    shares = R.row_normalize(m)
    assert shares[1, 1].tolist() == [0.0, 1.0] and shares[0, 3].tolist() == [0.0, 0.0]


def test_expert_change_share():
    assert R.expert_change_share([0, 1, 2, 3], [0, 1, 2, 3]) == 0.0
    assert R.expert_change_share([0, 1, 2, 3], [1, 1, 2, 0]) == 0.5
    with pytest.raises(AssertionError):
        R.expert_change_share([0, 1], [0, 1, 2])
