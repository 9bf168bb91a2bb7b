"""Experts inside the looped block: the per-pass routing record, the information counts, a real tiny run."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from scratchbook.lab import routing
from scratchbook.lab.adaptive import Budget
from scratchbook.lab.algorithmic import VOCAB_SIZE, encode, generate, TASKS
from scratchbook.lab.halting import LoopedTransformer
from scratchbook.lab.routed_depth import (
    DepthRouteConfig, DepthRoutedTransformer, MoELoopConfig, MoELoopedTransformer,
    strata_counts, routing_tables, run_depth_routed, run_routed, shuffled_within,
)


def model(**kw):
    torch.manual_seed(0)
    cfg = dict(vocab_size=VOCAB_SIZE, n_head=2, n_embd=16, window=2, passes=6, act=True, halt_bias=0.0,
               n_expert=3)
    cfg.update(kw)
    return MoELoopedTransformer(MoELoopConfig(**cfg)).eval()


def batch():
    data = encode(generate("parity", 6, (3, 9), seed=5))
    return data


def test_experts_recorded_per_pass_only_where_the_position_ran():
    data = batch()
    m = model()
    with torch.no_grad():
        m(data.X)
    steps = m.halting.steps.long()  # (B, T) passes run, 0 at padding
    assert m.experts.shape == (*data.X.shape, m.experts.size(-1))
    ran = m.experts >= 0
    assert torch.equal(ran.sum(-1), steps)  # one expert per pass run, none after halting or at padding
    assert torch.equal(ran[..., 0], steps > 0)  # every real position runs the first pass
    assert int(m.experts.max()) < 3
    # the router saw the real positions only: its last record has one row per real position
    assert len(m.block.ffn.routing.experts) == int((steps > 0).sum())


def test_loss_adds_the_balancing_loss_over_passes():
    data = batch()
    m = model(aux_loss_coef=0.5).train()
    _, loss = m(data.X, data.Y)
    task_and_ponder = m.task_loss + m.config.tau * m.tau_scale * m.halting.ponder[m.halting.real].mean()
    assert loss.item() == pytest.approx((task_and_ponder + 0.5 * m.aux_loss).item(), rel=1e-5)
    assert 1.0 <= m.aux_loss.item() <= 3.0  # Switch's loss lies between 1 (even) and K (one expert)
    loss.backward()
    assert m.block.ffn.router.weight.grad is not None and m.halt.weight.grad is not None


def test_strata_counts_and_conditional_information():
    strata, labels, experts = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]), torch.tensor([0, 1, 1, 1])
    counts = strata_counts(strata, labels, experts, 2, 2)
    assert counts.tolist() == [[[1, 0], [0, 1]], [[0, 1], [0, 1]]]
    # stratum 0: the label fixes the expert (1 bit); stratum 1: one expert only (0 bits); equal shares
    assert routing.conditional_mutual_information(counts) == pytest.approx(0.5 * np.log(2))


def test_shuffles_stay_inside_their_stratum():
    gen = torch.Generator().manual_seed(3)
    strata = torch.tensor([0, 1, 0, 1, 2, 0, 2, 1])
    labels = torch.tensor([10, 20, 11, 21, 30, 12, 31, 22])
    out = shuffled_within(labels, strata, gen)
    for s in range(3):
        assert sorted(out[strata == s].tolist()) == sorted(labels[strata == s].tolist())


def test_routing_tables_separate_pass_reach_and_position():
    g = torch.Generator().manual_seed(0)
    B, T, S = 60, 6, 3
    reach = torch.randint(1, 4, (B, T), generator=g)
    has = torch.ones(B, T, dtype=torch.bool)
    # the expert is the pass number: all information is in the pass, none in the reach given it
    t = routing_tables(torch.arange(S).expand(B, T, S).clone(), reach, has, n_expert=S)
    assert t["events"] == B * T * S
    assert t["pass"]["bits"] == pytest.approx(math.log2(S)) and t["pass"]["beyond_chance"]
    assert t["reach_given_pass"]["bits"] == pytest.approx(0.0, abs=1e-12)
    assert not t["reach_given_pass"]["beyond_chance"]
    # the expert is the reach: no information in the pass, all in the reach, at every position
    t = routing_tables((reach - 1).unsqueeze(-1).expand(B, T, S), reach, has, n_expert=S)
    assert t["pass"]["bits"] == pytest.approx(0.0, abs=1e-12)
    assert t["reach_given_pass"]["bits"] > 1.0 > t["reach_given_pass"]["chance"]
    assert t["reach_given_pass_position"]["beyond_chance"]
    # the expert is the position and the reach grows with it: the reach tells nothing beyond the position
    pos_reach = torch.arange(T).expand(B, T) // 2 + 1
    by_position = (torch.arange(T).expand(B, T) // 2).unsqueeze(-1).expand(B, T, S)
    t = routing_tables(by_position, pos_reach, has, n_expert=S)
    assert t["reach_given_pass"]["beyond_chance"]
    assert t["reach_given_pass_position"]["bits"] == pytest.approx(0.0, abs=1e-12)


def test_depth_router_runs_the_chosen_path_only():
    torch.manual_seed(0)
    m = DepthRoutedTransformer(DepthRouteConfig(vocab_size=VOCAB_SIZE, n_head=2, n_embd=16, window=2, passes=5))
    data = batch()
    with torch.no_grad():
        m.router.bias.fill_(-20.0)  # everything shallow: one pass, the first pass's readout
        shallow, _ = m.eval()(data.X)
        assert int(m.deep.sum()) == 0 and int(m.halting.steps.max()) == 1
        h = m.step(torch.zeros_like(m.embed(data.X)), m.embed(data.X))
        assert torch.allclose(shallow, m.lm_head(m.ln_f(h + m.embed(data.X))))
        m.router.bias.fill_(20.0)  # everything deep: five passes, as the 5-pass fixed-depth model
        deep, _ = m(data.X)
        real = m.halting.real
        assert bool(m.deep[real].all()) and torch.equal(m.halting.steps[real], torch.full_like(m.halting.steps[real], 5.0))
        assert torch.allclose(deep[real], LoopedTransformer.forward(m, data.X)[0][real], atol=1e-5)


def test_depth_router_learns_from_the_loss_difference():
    torch.manual_seed(0)
    m = DepthRoutedTransformer(DepthRouteConfig(vocab_size=VOCAB_SIZE, n_head=2, n_embd=16, window=2, passes=3))
    data = batch()
    m.train()
    _, loss = m(data.X, data.Y)
    assert m.router_loss.item() > 0
    loss.backward()
    assert m.router.weight.grad.abs().sum() > 0  # the router's only gradient is its own loss
    m.zero_grad()
    torch.manual_seed(1)
    m(data.X, data.Y)
    m.router_loss.backward()
    assert m.lm_head.weight.grad is None or m.lm_head.weight.grad.abs().sum() == 0  # targets carry no gradient


def test_run_routed_trains_and_counts():
    b = replace(Budget(), steps=12, seeds=(0, 1), n_train=200, n_test=40, n_long=10, cap=4)
    runs = run_routed("parity", b, n_expert=2, progress=lambda *_: None)
    assert [r["seed"] for r in runs] == [0, 1]
    first = runs[0]
    assert 0.0 <= first["per_position"] <= 1.0 and 1.0 <= first["mean_passes"] <= b.cap + 1
    assert first["routing"]["events"] == sum(map(sum, first["routing"]["by_pass"]))
    assert first["passes_run"] >= b.steps  # at least one pass per training batch
    assert "curve" in first and "curve" not in runs[1]


def test_run_depth_routed_counts_passes_from_the_choice():
    b = replace(Budget(), steps=12, seeds=(0, 1), n_train=200, n_test=40, n_long=10)
    runs = run_depth_routed("parity", b, deep=4, progress=lambda *_: None)
    for r in runs:
        assert r["mean_passes"] == pytest.approx(1 + 3 * r["deep_share"])  # 1 or 4 passes per answer
        assert set(r["deep_by_reach"]) <= set(range(1, 17))
