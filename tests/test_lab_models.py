import pytest
import torch

from scratchbook.lab.models import (
    MLP,
    Bigram,
    Block,
    CausalSelfAttention,
    Dropout,
    FeedForward,
    ModelConfig,
    Transformer,
    count_params,
)

MAKEMORE = ModelConfig(vocab_size=27, block_size=16)  # makemore's defaults on its names.txt
SMALL = ModelConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16, n_embd2=24)
MODELS = [Bigram, MLP, Transformer]


@pytest.mark.parametrize("cls, expected", [(Bigram, 729), (MLP, 69_147), (Transformer, 204_544)])
def test_parameter_counts_match_makemore(cls, expected):
    assert count_params(cls(MAKEMORE)) == expected


def test_block_is_built_from_swappable_parts():
    block = Transformer(MAKEMORE).blocks[0]
    assert isinstance(block, Block)
    assert isinstance(block.attn, CausalSelfAttention)
    assert isinstance(block.ffn, FeedForward)


def test_transformer_accepts_another_block_class():
    class Doubled(Block):
        def forward(self, x):
            return super().forward(super().forward(x))

    model = Transformer(SMALL, block_cls=Doubled)
    assert all(type(b) is Doubled for b in model.blocks)
    logits, _ = model(torch.zeros(2, 5, dtype=torch.long))
    assert logits.shape == (2, 5, SMALL.vocab_size)


@pytest.mark.parametrize("cls", MODELS)
def test_shapes_and_loss(cls):
    torch.manual_seed(0)
    model = cls(SMALL)
    idx = torch.randint(SMALL.vocab_size, (3, SMALL.block_size))
    targets = torch.randint(SMALL.vocab_size, (3, SMALL.block_size))
    logits, loss = model(idx)
    assert logits.shape == (3, SMALL.block_size, SMALL.vocab_size) and loss is None
    _, loss = model(idx, targets)
    assert loss.ndim == 0 and torch.isfinite(loss)
    # shorter inputs work too (batches are trimmed to their longest name)
    logits, _ = model(idx[:, :3])
    assert logits.shape == (3, 3, SMALL.vocab_size)


@pytest.mark.parametrize("cls", MODELS)
def test_padding_targets_are_ignored(cls):
    torch.manual_seed(0)
    model = cls(SMALL)
    idx = torch.randint(SMALL.vocab_size, (2, 6))
    targets = torch.randint(SMALL.vocab_size, (2, 6))
    padded = targets.clone()
    padded[:, 4:] = -1
    logits, loss = model(idx, padded)
    manual = torch.nn.functional.cross_entropy(logits[:, :4].reshape(-1, SMALL.vocab_size), targets[:, :4].reshape(-1))
    assert torch.allclose(loss, manual)


@pytest.mark.parametrize("cls", MODELS)
def test_causal_future_tokens_do_not_change_earlier_logits(cls):
    torch.manual_seed(0)
    model = cls(SMALL)
    with torch.no_grad():  # the bigram table starts at zero: give every model distinct weights
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    idx = torch.randint(SMALL.vocab_size, (2, SMALL.block_size))
    changed = idx.clone()
    t = 5
    changed[:, t:] = (changed[:, t:] + 1) % SMALL.vocab_size
    a, _ = model(idx)
    b, _ = model(changed)
    assert torch.allclose(a[:, :t], b[:, :t], atol=1e-6)
    assert not torch.allclose(a[:, t:], b[:, t:])


def test_trimming_padding_columns_keeps_logits():
    # a causal model gives the same logits on a prefix whether or not the rest is there
    torch.manual_seed(0)
    for cls in MODELS:
        model = cls(SMALL)
        idx = torch.randint(SMALL.vocab_size, (2, SMALL.block_size))
        full, _ = model(idx)
        short, _ = model(idx[:, :4])
        assert torch.allclose(full[:, :4], short, atol=1e-6)


def test_mlp_reads_the_previous_block_size_tokens_only():
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=11, block_size=3, n_embd=4, n_embd2=8)
    model = MLP(cfg)
    idx = torch.randint(11, (1, 7))
    logits, _ = model(idx)
    changed = idx.clone()
    changed[0, 2] = (changed[0, 2] + 1) % 11  # seen by positions 2, 3 and 4
    logits2, _ = model(changed)
    differs = [(not torch.allclose(logits[0, t], logits2[0, t])) for t in range(7)]
    assert differs == [False, False, True, True, True, False, False]


def test_attention_weights_are_causal_distributions_and_match_fused_attention():
    torch.manual_seed(0)
    model = Transformer(SMALL)
    idx = torch.randint(SMALL.vocab_size, (2, 6))
    maps = model.attention_maps(idx)
    assert len(maps) == SMALL.n_layer
    for att in maps:
        assert att.shape == (2, SMALL.n_head, 6, 6)
        assert torch.allclose(att.sum(-1), torch.ones(2, SMALL.n_head, 6))
        assert (att.triu(1) == 0).all()
    # weights @ values, heads merged and projected, is what the fused kernel computes
    attn = model.blocks[0].attn
    x = torch.randn(2, 6, SMALL.n_embd)
    _, _, v = attn.qkv(x)
    y = (attn.weights(x) @ v).transpose(1, 2).reshape(2, 6, SMALL.n_embd)
    assert torch.allclose(attn.c_proj(y), attn(x), atol=1e-5)


def test_dropout_zeroes_a_fraction_and_keeps_the_mean():
    drop = Dropout(0.25)
    x = torch.ones(200, 500)
    torch.manual_seed(0)
    y = drop(x)
    assert abs((y == 0).float().mean().item() - 0.25) < 0.01
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / 0.75))
    assert abs(y.mean().item() - 1.0) < 0.02
    torch.manual_seed(0)
    assert torch.equal(drop(x), y)  # reproducible from the seed
    drop.eval()
    assert drop(x) is x


def test_dropout_only_acts_in_training_mode():
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.5))
    idx = torch.randint(11, (2, 8))
    model.eval()
    a, _ = model(idx)
    b, _ = model(idx)
    assert torch.equal(a, b)
    model.train()
    c, _ = model(idx)
    assert not torch.allclose(a, c)
