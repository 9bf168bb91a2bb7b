"""The collapse knobs: a router that learns faster or starts larger, and the loads watched in training."""

import numpy as np
import pytest
import torch

from scratchbook.lab import collapse, moe
from scratchbook.lab import train as training
from scratchbook.lab.names import Vocab, encode_words


def config(**kw):
    base = dict(vocab_size=11, block_size=12, n_layer=2, n_head=2, n_embd=16, n_expert=4, top_k=1,
                capacity_factor=0.0, aux_loss_coef=0.0)
    base.update(kw)
    return collapse.CollapseConfig(**base)


def test_scaled_router_computes_the_scaled_original_at_initialisation():
    torch.manual_seed(0)
    router = torch.nn.Linear(16, 4, bias=False)
    scaled = collapse.ScaledRouter(router, init_scale=3.0, lr_scale=10.0)
    x = torch.randn(5, 16)
    torch.testing.assert_close(scaled(x), 3.0 * router(x))


@pytest.mark.parametrize("lr_scale", [1.0, 10.0])
def test_one_adam_step_moves_the_effective_weights_lr_scale_times_further(lr_scale):
    torch.manual_seed(0)
    router = collapse.ScaledRouter(torch.nn.Linear(16, 4, bias=False), init_scale=1.0, lr_scale=lr_scale)
    before = (router.lr_scale * router.weight).detach().clone()
    opt = torch.optim.Adam(router.parameters(), lr=1e-3)
    router(torch.randn(8, 16)).square().sum().backward()
    opt.step()
    moved = (router.lr_scale * router.weight).detach() - before
    # Adam's first step is lr * sign(gradient) on every weight with a gradient
    torch.testing.assert_close(moved.abs(), torch.full_like(moved, 1e-3 * lr_scale), rtol=1e-3, atol=0)


def test_collapse_model_swaps_every_router_and_keeps_the_same_initial_routing():
    cfg = config(router_init_scale=1.0, router_lr_scale=5.0)
    torch.manual_seed(1)
    plain = moe.MoETransformer(cfg)
    torch.manual_seed(1)
    model = collapse.collapse_model(cfg)
    assert all(isinstance(layer.router, collapse.ScaledRouter) for layer in model.moe_layers())
    idx = torch.randint(1, 11, (3, 12))
    plain.eval(), model.eval()
    with torch.no_grad():
        plain(idx), model(idx)
    for a, b in zip(plain.routing(), model.routing()):
        assert torch.equal(a.experts, b.experts)


def test_first_choice_loads_count_the_last_forward():
    torch.manual_seed(0)
    model = collapse.collapse_model(config(capacity_factor=1.0)).eval()
    with torch.no_grad():
        model(torch.randint(1, 11, (4, 12)))
    loads, dropped = collapse.first_choice_loads(model, 4)
    for layer, r in enumerate(model.routing()):
        counts = np.bincount(r.experts[:, 0].numpy(), minlength=4)
        np.testing.assert_allclose(loads[layer], counts / counts.sum())
        assert dropped[layer] == pytest.approx(float((~r.accepted[:, 0]).float().mean()))


def test_busiest_share_is_the_largest_share_of_any_layer():
    assert collapse.busiest_share([[0.5, 0.5], [0.1, 0.9]]) == 0.9


def test_train_and_watch_snapshots_the_watched_lines():
    words = ["ab", "ba", "abc", "cab", "bca", "a", "b", "c"] * 4
    vocab = Vocab.from_words(words)
    X, Y = encode_words(words, vocab, 5)

    class Data:
        train = (X, Y)

    cfg = config(vocab_size=vocab.size, block_size=5, n_expert=2)
    tc = training.TrainConfig(steps=6, batch_size=8, lr=1e-2, eval_every=0, threads=1)
    run = collapse.train_and_watch(cfg, Data, (X[:6], Y[:6]), tc, snapshot_every=3)
    snaps = run["snapshots"]
    assert snaps["step"] == [1, 3, 6]
    assert snaps["experts"].shape[:2] == (3, cfg.n_layer)
    assert np.asarray(snaps["fractions"]).shape == (3, cfg.n_layer, 2)
    assert run["batch_loads"].shape == (6, cfg.n_layer, 2)
    np.testing.assert_allclose(np.asarray(snaps["fractions"]).sum(axis=2), 1.0)
    assert np.all(run["batch_dropped"] == 0)  # no capacity limit: nothing is dropped
