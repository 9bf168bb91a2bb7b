import dataclasses
import math

import pytest
import torch

from scratchbook.lab.models import MLP, Bigram, ModelConfig, Transformer
from scratchbook.lab.names import Vocab, block_size_for, encode_words, split_words
from scratchbook.lab.sample import fraction_in, sample
from scratchbook.lab.train import PRESETS, TrainConfig, evaluate, lr_at, train

# a tiny corpus with structure to learn: syllables glued together
SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "to", "su", "bel", "an", "ix"]
WORDS = sorted({"".join(SYLLABLES[(i * 7 + j * 3) % 10] for j in range(1 + i % 4)) + SYLLABLES[i % 10] for i in range(300)})
VOCAB = Vocab.from_words(WORDS)
BLOCK = block_size_for(WORDS)
TRAIN_WORDS, TEST_WORDS = split_words(WORDS)
TRAIN = encode_words(TRAIN_WORDS, VOCAB, BLOCK)
TEST = encode_words(TEST_WORDS, VOCAB, BLOCK)
CFG = ModelConfig(vocab_size=VOCAB.size, block_size=BLOCK, n_layer=2, n_head=2, n_embd=32, n_embd2=32)
QUICK = TrainConfig(steps=60, batch_size=32, lr=3e-3, warmup=5, schedule="cosine", min_lr=1e-4, eval_every=20, seed=1, threads=1)


def fresh(cls=Transformer, seed=0):
    torch.manual_seed(seed)
    return cls(CFG)


@pytest.mark.parametrize("cls", [Bigram, MLP, Transformer])
def test_training_lowers_the_test_loss(cls):
    model = fresh(cls)
    before = evaluate(model, *TEST)
    # a table of logits needs big steps to move in 60 steps
    history = train(model, TRAIN, TEST, dataclasses.replace(QUICK, lr=0.1) if cls is Bigram else QUICK)
    assert history["final_test_loss"] < before - 0.3
    assert history["checkpoints"]["step"] == [20, 40, 60]
    assert len(history["train_loss"]) == len(history["lr"]) == 60
    assert history["train_time"] > 0 and history["ms_per_step"] > 0
    assert history["best_test_loss"] == min(history["checkpoints"]["test_loss"])


def test_same_config_gives_identical_losses():
    a = train(fresh(), TRAIN, TEST, QUICK)
    b = train(fresh(), TRAIN, TEST, QUICK)
    assert a["train_loss"] == b["train_loss"]
    assert a["checkpoints"]["test_loss"] == b["checkpoints"]["test_loss"]
    c = train(fresh(), TRAIN, TEST, dataclasses.replace(QUICK, seed=2))
    assert c["train_loss"] != a["train_loss"]


def test_trimming_batches_does_not_change_the_losses():
    cfg = dataclasses.replace(QUICK, steps=10, eval_every=0)
    trimmed = train(fresh(), TRAIN, TEST, cfg)
    full = train(fresh(), TRAIN, TEST, dataclasses.replace(cfg, trim=False))
    assert trimmed["train_loss"] == pytest.approx(full["train_loss"], abs=1e-4)


def test_progress_is_called_every_step():
    calls = []
    train(fresh(Bigram), TRAIN, TEST, dataclasses.replace(QUICK, steps=7), progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(i, 7) for i in range(1, 8)]
    assert all(isinstance(c[2], float) for c in calls)


def test_evaluate_is_the_token_weighted_mean_nll():
    model = fresh()
    X, Y = TEST
    logits, _ = model(X)
    logp = logits.log_softmax(-1)
    mask = Y != -1
    expected = -logp.gather(-1, Y.clamp(min=0)[..., None])[..., 0][mask].mean().item()
    assert evaluate(model, X, Y, batch_size=7) == pytest.approx(expected, rel=1e-5)
    assert model.training  # evaluate leaves the mode as it found it


def test_learning_rate_schedule():
    cfg = TrainConfig(steps=110, lr=1.0, min_lr=0.1, warmup=10, schedule="cosine")
    lrs = [lr_at(s, cfg) for s in range(cfg.steps)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.55)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[-1] == pytest.approx(0.1, abs=1e-3)
    linear = dataclasses.replace(cfg, schedule="linear")
    assert lr_at(60, linear) == pytest.approx(0.55)
    assert lr_at(50, dataclasses.replace(cfg, schedule="constant")) == 1.0


def test_presets_are_step_budgets_for_the_baseline_architecture():
    for cfg, model_changes in PRESETS.values():
        assert isinstance(cfg, TrainConfig)
        assert cfg.steps > 0 and cfg.batch_size > 0 and math.isfinite(cfg.lr)
        assert set(model_changes) <= {"dropout"}  # the architecture stays makemore's
        ModelConfig(vocab_size=27, block_size=16, **model_changes)


def test_sampling_is_deterministic_and_respects_the_prompt():
    model = fresh()
    train(model, TRAIN, TEST, QUICK)
    a = sample(model, VOCAB, 20, seed=5)
    assert a == sample(model, VOCAB, 20, seed=5)
    assert a != sample(model, VOCAB, 20, seed=6)
    assert all(set(s) <= set(VOCAB.chars) and len(s) <= BLOCK - 1 for s in a)
    prompted = sample(model, VOCAB, 10, seed=5, prompt="ka")
    assert all(s.startswith("ka") and len(s) <= BLOCK - 1 for s in prompted)
    assert len(set(prompted)) > 1
    short = sample(model, VOCAB, 10, seed=5, prompt="ka", max_new=1)
    assert all(len(s) <= 3 for s in short)


def test_cold_sampling_picks_the_likeliest_names():
    model = fresh()
    train(model, TRAIN, TEST, QUICK)
    greedy = sample(model, VOCAB, 5, seed=0, temperature=1e-4)
    assert len(set(greedy)) == 1
    assert sample(model, VOCAB, 5, seed=0, top_k=1) == greedy


@pytest.mark.parametrize("cls", [Bigram, MLP])
def test_sampling_works_for_every_model(cls):
    names = sample(fresh(cls), VOCAB, 8, seed=0)
    assert len(names) == 8 and all(len(s) <= BLOCK - 1 for s in names)


def test_fraction_in_training_set():
    assert fraction_in(["ka", "lo", "zz", "ka"], ["ka", "lo", "mi"]) == 0.75
    assert fraction_in([], ["ka"]) == 0.0


def test_length_groups_give_the_padded_batch_gradient():
    from scratchbook.lab.train import columns_needed, grouped_backward

    X, Y = TRAIN[0][:64], TRAIN[1][:64]
    model = fresh()
    _, loss = model(X, Y)
    loss.backward()
    padded = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    grouped = grouped_backward(model, X, Y, columns_needed(Y), groups=4)
    assert grouped == pytest.approx(loss.item(), abs=1e-6)
    for p, g in zip(model.parameters(), padded):
        assert torch.allclose(p.grad, g, atol=1e-6, rtol=0)


def test_length_groups_train_like_the_trimmed_batch():
    cfg = dataclasses.replace(QUICK, steps=10, eval_every=0)
    whole = train(fresh(), TRAIN, TEST, cfg)
    grouped = train(fresh(), TRAIN, TEST, dataclasses.replace(cfg, length_groups=3))
    assert grouped["train_loss"] == pytest.approx(whole["train_loss"], abs=1e-4)


def test_muon_takes_the_hidden_matrices_and_adamw_everything_else_once():
    from scratchbook.lab.train import muon_split

    model = fresh()
    muon, rest = muon_split(model)
    names = {id(p): n for n, p in model.named_parameters()}
    assert sorted(id(p) for p in muon + rest) == sorted(id(p) for p in model.parameters())
    assert all(p.ndim == 2 for p in muon) and len(muon) == 4 * CFG.n_layer  # c_attn, c_proj, c_fc, c_proj per block
    assert {names[id(p)] for p in rest} >= {"wte.weight", "wpe.weight", "lm_head.weight"}


def test_muon_training_lowers_the_test_loss():
    model = fresh()
    before = evaluate(model, *TEST)
    history = train(model, TRAIN, TEST, dataclasses.replace(QUICK, optimizer="muon"))
    assert history["final_test_loss"] < before - 0.3


def test_muon_orthogonalises_in_float32_like_torch_does_in_bfloat16():
    from torch.optim._muon import _zeropower_via_newtonschulz

    from scratchbook.lab.train import newton_schulz_fp32

    g = torch.randn(64, 192, generator=torch.Generator().manual_seed(0))
    args = ((3.4445, -4.775, 2.0315), 5, 1e-7)
    ours, torchs = newton_schulz_fp32(g, *args), _zeropower_via_newtonschulz(g, *args).float()
    assert ours.dtype == torch.float32 and ours.shape == g.shape
    assert (ours - torchs).norm() / torchs.norm() < 0.02  # bfloat16 keeps about 3 significant digits
    tall = newton_schulz_fp32(g.T, *args)
    assert torch.allclose(tall, ours.T)
