import math

import pytest
import torch
from matplotlib.figure import Figure

from scratchbook.lab.diagnostics import DeepMLP, DeepMLPConfig, diagnose, plot_diagnostics

VOCAB, BLOCK = 27, 3


def random_windows(n, seed):
    """Synthetic context windows: token ids in [0, VOCAB), 0 being the pad token."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(0, VOCAB, (n, BLOCK), generator=g)
    Y = torch.randint(1, VOCAB, (n,), generator=g)
    return X, Y


@pytest.fixture(scope="module")
def data():
    return random_windows(2000, seed=0)


@pytest.fixture(scope="module")
def results(data):
    X, Y = data
    Xval, Yval = random_windows(500, seed=1)
    return {
        init: diagnose(DeepMLPConfig(vocab_size=VOCAB, block_size=BLOCK, init=init), X, Y,
                       steps=30, batch_size=32, lr=0.1, seed=7, Xval=Xval, Yval=Yval)
        for init in ("naive", "scaled", "batchnorm")
    }


def test_naive_init_saturates_far_more_than_scaled(results):
    naive = [l["saturated"] for l in results["naive"]["init"]["layers"]]
    scaled = [l["saturated"] for l in results["scaled"]["init"]["layers"]]
    assert len(naive) == len(scaled) == 5
    # N(0,1) weights over ~100 inputs: pre-activations ~10x too big, tanh pinned at +-1
    assert min(naive) > 0.5
    # deeper scaled layers settle at a few percent saturation
    assert max(scaled[1:]) < 0.2
    for n, s in zip(naive, scaled):
        assert n > 3 * s
    # and the initial loss shows it: confidently wrong vs ~uniform (log 27 = 3.30)
    assert results["naive"]["init"]["loss"] > 8
    assert abs(results["scaled"]["init"]["loss"] - math.log(VOCAB)) < 0.2


def test_batchnorm_preactivations_have_unit_std(results):
    for when in ("init", "final"):
        for layer in results["batchnorm"][when]["layers"]:
            assert abs(layer["pre_mean"]) < 0.05
            assert abs(layer["pre_std"] - 1) < 0.05
            assert layer["saturated"] < 0.1


def test_snapshot_shapes_and_training_runs(results):
    for res in results.values():
        assert len(res["train_loss"]) == 30
        assert all(math.isfinite(v) for v in res["train_loss"])
        assert math.isfinite(res["val_loss"])
        assert len(res["ud"]) == len(res["ud_steps"]) and len(res["ud"][0]) == 6
        for snap in (res["init"], res["final"]):
            assert len(snap["act_bins"]) == 51 and len(snap["grad_bins"]) == 51
            for layer in snap["layers"]:
                # every tanh output lands in [-1, 1], so the fixed bins see all of them
                assert sum(layer["act_hist"]) == res["diag_batch_size"] * 100
                assert len(layer["grad_hist"]) == 50


def test_same_seed_gives_identical_results(data):
    X, Y = data
    cfg = DeepMLPConfig(vocab_size=VOCAB, block_size=BLOCK, init="batchnorm")
    a = diagnose(cfg, X, Y, steps=20, seed=3)
    b = diagnose(cfg, X, Y, steps=20, seed=3)
    c = diagnose(cfg, X, Y, steps=20, seed=4)
    a.pop("seconds"), b.pop("seconds"), c.pop("seconds")
    assert a == b
    assert a["train_loss"] != c["train_loss"]


def test_diagnose_restores_thread_count(data):
    X, Y = data
    before = torch.get_num_threads()
    diagnose(DeepMLPConfig(vocab_size=VOCAB, block_size=BLOCK), X, Y, steps=2, threads=1)
    assert torch.get_num_threads() == before


def test_model_keeps_activations_and_gradients():
    cfg = DeepMLPConfig(vocab_size=VOCAB, block_size=BLOCK, n_layers=3, init="scaled")
    model = DeepMLP(cfg, generator=torch.Generator().manual_seed(0))
    X, Y = random_windows(16, seed=2)
    model.keep_grads = True
    logits, loss = model(X, Y)
    loss.backward()
    assert logits.shape == (16, VOCAB)
    assert len(model.pre) == len(model.post) == 3
    assert all(h.grad is not None and h.grad.shape == (16, 100) for h in model.post)
    with pytest.raises(ValueError):
        DeepMLP(DeepMLPConfig(init="xavier"))


def test_plot_returns_figure_with_grid(results):
    fig = plot_diagnostics(results)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3 * 2
    fig = plot_diagnostics({"scaled": results["scaled"]}, when="final")
    assert len(fig.axes) == 2
    # legends name every layer with its saturation
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(labels) == 5 and all("sat" in s for s in labels)
