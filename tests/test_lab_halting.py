"""The looped model and ACT against hand-computed numbers; a smoke test of the experiment runner."""

import json
import math

import pytest
import torch

from scratchbook.lab.adaptive import Budget, ranks, run_task, seed_study, spearman, tau_scale
from scratchbook.lab.algorithmic import VOCAB_SIZE
from scratchbook.lab.halting import LocalAttention, LoopConfig, LoopedTransformer, act_weights
from scratchbook.lab.models import Block, CausalSelfAttention, Transformer
from scratchbook.lab.train import columns_needed




def model(passes=2, seed=0, **kw):
    torch.manual_seed(seed)
    cfg = dict(vocab_size=VOCAB_SIZE, block_size=1, n_layer=1, n_head=2, n_embd=16, window=3, passes=passes)
    cfg.update(kw)
    return LoopedTransformer(LoopConfig(**cfg)).eval()


def ids(B=3, T=20, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, VOCAB_SIZE, (B, T), generator=g)
    x[:, 0] = 0
    return x


# -----------------------------------------------------------------------------
# ACT arithmetic


def test_act_by_hand():
    p = torch.tensor([0.3, 0.5, 0.4, 0.9], requires_grad=True)
    w, N, R = act_weights(p, eps=0.01)
    # 0.3 + 0.5 = 0.8 < 0.99; + 0.4 = 1.2 >= 0.99: three passes, the third gets 1 - 0.8
    assert N.item() == 3
    assert R.item() == pytest.approx(0.2)
    assert w.tolist() == pytest.approx([0.3, 0.5, 0.2, 0.0])
    assert w.sum().item() == pytest.approx(1.0)
    ponder = N + R
    assert ponder.item() == pytest.approx(3.2)
    ponder.backward()
    # R = 1 - p1 - p2: the cost pushes the earlier halting probabilities up; p3, p4 get nothing
    assert p.grad.tolist() == pytest.approx([-1.0, -1.0, 0.0, 0.0])


def test_act_eps_lets_a_sure_first_pass_halt():
    w, N, R = act_weights(torch.tensor([0.995, 0.5]), eps=0.01)
    assert N.item() == 1 and R.item() == pytest.approx(1.0) and w.tolist() == pytest.approx([1.0, 0.0])
    w, N, R = act_weights(torch.tensor([0.985, 0.5]), eps=0.01)  # just short of 1 - eps: one more pass
    assert N.item() == 2 and R.item() == pytest.approx(0.015)


def test_act_step_cap():
    p = torch.full((5,), 0.1)
    w, N, R = act_weights(p, eps=0.01, cap=3)
    assert N.item() == 3 and R.item() == pytest.approx(0.8)  # whatever is left goes to the last allowed pass
    assert w.tolist() == pytest.approx([0.1, 0.1, 0.8, 0.0, 0.0])


def test_act_is_per_row():
    p = torch.tensor([[0.3, 0.5, 0.4], [0.99, 0.1, 0.1], [0.2, 0.2, 0.2]])
    w, N, R = act_weights(p)
    assert N.tolist() == [3, 1, 3]
    assert R.tolist() == pytest.approx([0.2, 1.0, 0.6])
    assert w.sum(dim=1).tolist() == pytest.approx([1.0, 1.0, 1.0])


# -----------------------------------------------------------------------------
# the model


def test_variant_is_a_small_diff_of_the_baseline():
    m = model()
    assert isinstance(m, Transformer) and isinstance(m.block, Block)
    assert isinstance(m.block.attn, LocalAttention) and isinstance(m.block.attn, CausalSelfAttention)
    assert len(m.blocks) == 1 and not hasattr(m, "wpe")


@pytest.mark.parametrize("passes", [1, 2, 4, 8])
def test_fixed_depth_shapes_and_shared_weights(passes):
    m = model(passes)
    x = ids()
    logits, loss = m(x, torch.randint(0, VOCAB_SIZE, x.shape))
    assert logits.shape == (3, 20, VOCAB_SIZE) and loss.ndim == 0
    assert sum(p.numel() for p in m.parameters()) == sum(p.numel() for p in model(1).parameters())
    assert (m.halting.steps == passes).all()


def test_local_attention_weights_stay_in_the_window():
    m = model()
    x = m.embed(ids(T=12))
    att = m.block.attn.weights(m.block.ln_1(x))
    i = torch.arange(12)
    back = i[:, None] - i[None, :]
    assert (att[..., (back < 0) | (back > 3)] == 0).all()
    assert torch.allclose(att.sum(-1), torch.ones(()))


@pytest.mark.parametrize("passes", [1, 2, 3])
def test_reach_is_window_times_passes(passes):
    m = model(passes, window=3)
    x = ids(B=1, T=24)
    t = 23
    base, _ = m(x)
    far, near = x.clone(), x.clone()
    reach = 3 * passes
    far[0, t - reach - 1] = 1 + (x[0, t - reach - 1] % (VOCAB_SIZE - 1))  # just out of reach
    near[0, t - reach] = 1 + (x[0, t - reach] % (VOCAB_SIZE - 1))  # just within
    assert torch.equal(m(far)[0][0, t], base[0, t])
    assert not torch.allclose(m(near)[0][0, t], base[0, t])


def test_runs_on_inputs_longer_than_block_size():
    m = model(2, block_size=4)
    assert m(ids(T=40))[0].shape == (3, 40, VOCAB_SIZE)


def states(m, x, n):
    """The states after passes 1..n, computed the fixed-depth way."""
    e = m.embed(x)
    h, out = torch.zeros_like(e), []
    for _ in range(n):
        h = m.step(h, e)
        out.append(h + e)
    return out


def test_act_model_matches_hand_weights():
    m = model(passes=8, act=True)
    with torch.no_grad():  # every position halts with p = 0.3 at every pass
        m.halt.weight.zero_()
        m.halt.bias.fill_(math.log(0.3 / 0.7))
    x = ids()
    logits, _ = m(x)
    s = states(m, x, 4)
    mixed = 0.3 * s[0] + 0.3 * s[1] + 0.3 * s[2] + 0.1 * s[3]  # 0.9 < 0.99, then R = 0.1
    assert torch.allclose(logits, m.lm_head(m.ln_f(mixed)), atol=1e-5)
    assert (m.halting.steps == 4).all()
    assert torch.allclose(m.halting.remainder, torch.tensor(0.1))
    assert torch.allclose(m.halting.ponder, torch.tensor(4.1))


def test_act_model_step_cap_and_raised_cap():
    m = model(passes=5, act=True)
    with torch.no_grad():  # never wants to halt
        m.halt.weight.zero_()
        m.halt.bias.fill_(-20.0)
    x = ids()
    m(x)
    assert (m.halting.steps == 5).all() and torch.allclose(m.halting.remainder, torch.tensor(1.0))
    m(x, passes=9)
    assert (m.halting.steps == 9).all()


def test_act_padding_never_runs_and_answer_halting_is_per_example():
    m = model(passes=6, act=True, halting="answer")
    x = ids(T=10)
    x[1, 6:] = 0  # a shorter example: padding after position 5
    m(x)
    steps = m.halting.steps
    assert (steps[1, 6:] == 0).all()
    for b, n in ((0, 10), (1, 6)):
        assert (steps[b, :n] == steps[b, 0]).all()  # the answer position decides for its whole example


def test_act_loss_includes_ramped_ponder_cost():
    m = model(passes=4, act=True, tau=0.5)
    x = ids()
    y = torch.randint(0, VOCAB_SIZE, x.shape)
    m.tau_scale = 0.0
    _, plain = m(x, y)
    m.tau_scale = 1.0
    _, full = m(x, y)
    cost = m.halting.ponder[m.halting.real].mean()
    assert torch.allclose(full - plain, 0.5 * cost)


def test_initial_halting_bias_is_one():
    m = model(passes=4, act=True)
    assert m.halt.bias.item() == 1.0


# -----------------------------------------------------------------------------
# the runner's pieces


def test_columns_needed_handles_gaps():
    Y = torch.tensor([[-1, 3, -1, 4, -1], [-1, -1, -1, -1, 2], [-1, 1, -1, -1, -1]])
    assert columns_needed(Y).tolist() == [4, 5, 2]


def test_tau_ramp():
    assert [tau_scale(s, 100, (0.0, 0.5)) for s in (0, 25, 50, 99)] == [0.0, 0.5, 1.0, 1.0]
    assert [tau_scale(s, 100, (0.25, 0.75)) for s in (0, 25, 50, 75)] == [0.0, 0.0, 0.5, 1.0]
    assert tau_scale(0, 100, (0.0, 0.0)) == 1.0  # no ramp: the full cost from the first step


def test_spearman():
    assert ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert spearman([1, 2, 3, 4], [10, 20, 35, 100]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert math.isnan(spearman([1, 2, 3], [7, 7, 7]))


def test_run_task_returns_plain_data():
    b = Budget(steps=3, depths=(1, 2), seeds=(0, 1, 2), cap=3, long_cap=5, tau=0.01,
               n_train=64, n_test=32, n_long=32, n_embd=16)
    r = run_task("sorted", b, progress=lambda msg: None)
    json.dumps(r)
    assert set(r["fixed"]) == {1, 2}
    assert r["fixed"][2]["mean_passes"] == 2.0 and r["fixed"][1]["passes_run"] == 3
    assert r["best_depth"] in (1, 2) and r["best"][0] is r["fixed"][r["best_depth"]]
    assert [f["seed"] for f in r["best"]] == [0, 1, 2] and all("long" in f for f in r["best"])
    assert [a["seed"] for a in r["act"]] == [0, 1, 2]
    for act in r["act"]:
        assert act["halt_bias"] == b.halt_bias == -2.0
        assert 1.0 <= act["mean_passes"] <= 3 + 1
        assert act["long_raised_cap"]["mean_steps"] <= 5
        assert 3 <= act["passes_run"] <= 9
    # curves and profiles only for the models a post draws: the first seed's
    assert "curve" in r["fixed"][1] and "curve" in r["fixed"][2] and "curve" in r["act"][0]
    assert "curve" not in r["act"][1] and "curve" not in r["best"][1]
    assert len(r["act"][0]["profiles"]) == 3 and "profiles" not in r["act"][1]


def test_seeds_change_weights_and_batches_not_data():
    b = Budget(steps=3, depths=(1,), seeds=(0, 1), cap=3, long_cap=5, n_train=64, n_test=32, n_long=32, n_embd=16)
    r = run_task("parity", b, progress=lambda msg: None)
    a0, a1 = r["act"]
    assert a0["by_difficulty"].keys() == a1["by_difficulty"].keys()  # the same test examples
    assert [n["n"] for n in a0["by_difficulty"].values()] == [n["n"] for n in a1["by_difficulty"].values()]
    assert (a0["per_position"], a0["mean_passes"]) != (a1["per_position"], a1["mean_passes"])


def test_seed_study_rows():
    b = Budget(steps=2, cap=3, n_train=64, n_test=32, n_embd=16)
    rows = seed_study("parity", b, biases=(1.0, -2.0), seeds=(0, 1), progress=lambda msg: None)
    assert [(r["halt_bias"], r["seed"]) for r in rows] == [(1.0, 0), (1.0, 1), (-2.0, 0), (-2.0, 1)]
    json.dumps(rows)


def test_loss_curves_leave_training_unchanged_and_measure_the_test_loss():
    """Evaluating during training draws no random numbers: the trained model is the same."""
    from scratchbook.lab.adaptive import make_model, splits, task_loss, train_config, train_model

    b = Budget(steps=12, n_train=64, n_test=32, n_embd=16)
    data = splits("parity", b.n_train, b.n_test, b.n_test, seed=0)
    for act in (False, True):
        plain = make_model(b, 3, act=act, tau=0.01, seed=0)
        watched = make_model(b, 3, act=act, tau=0.01, seed=0)
        a = train_model(plain, data["train"], train_config(b))
        w = train_model(watched, data["train"], train_config(b), eval_data=data["test"],
                        eval_points=4, eval_size=16)
        assert a["loss"] == w["loss"] and a["eval"] == []
        assert [step for step, _ in w["eval"]] == [3, 6, 9, 12]
        assert w["eval"][-1][1] == pytest.approx(task_loss(watched, data["test"], 16))
        for p, q in zip(plain.parameters(), watched.parameters()):
            assert torch.equal(p, q)
