"""The mixture-of-experts layer against slow, obvious references and hand-computed numbers."""

import math

import pytest
import torch

from scratchbook.lab.models import Block, CausalSelfAttention, Transformer
from scratchbook.lab.moe import (
    MoE,
    MoEBlock,
    MoEConfig,
    MoETransformer,
    PackedAttention,
    expert_capacity,
    load_balancing_loss,
    real_tokens,
)




def config(**kw):
    base = dict(vocab_size=11, block_size=12, n_layer=2, n_head=2, n_embd=16, n_expert=4, top_k=1)
    base.update(kw)
    return MoEConfig(**base)


def make_moe(seed=0, **kw):
    torch.manual_seed(seed)
    return MoE(config(**kw))


def reference(moe, x):
    """Token by token, the textbook way: softmax, top-k, gate-weighted sum of experts."""
    out = torch.zeros_like(x)
    for b in range(x.size(0)):
        for t in range(x.size(1)):
            probs = torch.softmax(moe.router(x[b, t]), dim=-1)
            gates, chosen = probs.topk(moe.top_k)
            if moe.top_k > 1:
                gates = gates / gates.sum()
            for g, e in zip(gates, chosen):
                out[b, t] += g * moe.experts[int(e)](x[b, t])
    return out


def steer(moe, logits):
    """Make the router produce the given logits (N, K) for the unit inputs e_0..e_{N-1}."""
    N, K = logits.shape
    C = moe.router.in_features
    assert N <= C
    with torch.no_grad():
        moe.router.weight.zero_()
        moe.router.weight[:, :N] = logits.T
    return torch.eye(C)[:N].unsqueeze(0)  # (1, N, C): token t is e_t


def test_shapes():
    moe = make_moe(top_k=2).eval()
    x = torch.randn(3, 5, 16)
    y = moe(x)
    r = moe.routing
    assert y.shape == x.shape
    assert r.experts.shape == r.gates.shape == r.accepted.shape == (3, 5, 2)
    assert r.probs.shape == (3, 5, 4)
    assert moe.aux_loss.shape == ()

    model = MoETransformer(config()).eval()
    idx = torch.randint(1, 11, (2, 7))
    logits, loss = model(idx)
    assert logits.shape == (2, 7, 11) and loss is None
    assert len(model.routing()) == 2
    assert model.routing()[0].experts.shape == (14, 1)  # one row per real token


@pytest.mark.parametrize("top_k", [1, 2])
def test_topk_matches_router_and_per_token_reference(top_k):
    moe = make_moe(top_k=top_k, capacity_factor=0).eval()  # no capacity: nothing dropped
    x = torch.randn(2, 6, 16)
    with torch.no_grad():
        y = moe(x)
        want = reference(moe, x)
        logits = moe.router(x)
    r = moe.routing
    # the chosen experts are the top-k of the router logits, best first
    assert torch.equal(r.experts, logits.topk(top_k, dim=-1).indices)
    if top_k == 1:
        assert torch.equal(r.experts[..., 0], logits.argmax(dim=-1))
        assert torch.allclose(r.gates[..., 0], logits.softmax(-1).max(-1).values)
    else:
        assert torch.allclose(r.gates.sum(-1), torch.ones(2, 6))  # renormalised over the two
    assert r.accepted.all() and r.dropped_frac == 0.0
    assert torch.allclose(y, want, atol=1e-6)


def test_aux_loss_hand_computed():
    # probabilities typed by hand; log(p) as logits gives back exactly p
    balanced = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    # first choices 0, 1, 0, 1 -> f = (1/2, 1/2); P = (0.5, 0.5); 2 * (0.25 + 0.25) = 1
    assert load_balancing_loss(balanced, balanced.argmax(-1), 2).item() == pytest.approx(1.0)
    skewed = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.8, 0.2]])
    # all go to expert 0 -> f = (1, 0); P = (0.75, 0.25); 2 * 0.75 = 1.5
    assert load_balancing_loss(skewed, skewed.argmax(-1), 2).item() == pytest.approx(1.5)

    # the layer computes the same from its router logits
    moe = make_moe(n_expert=2).eval()
    x = steer(moe, skewed.log())
    moe(x)
    assert moe.aux_loss.item() == pytest.approx(1.5, abs=1e-6)
    assert moe.routing.aux_loss == pytest.approx(1.5, abs=1e-6)
    # uniform routing on every token: f_i = P_i = 1/K -> exactly 1
    moe4 = make_moe(n_expert=4).eval()
    moe4(steer(moe4, torch.zeros(4, 4)))
    assert moe4.aux_loss.item() == pytest.approx(1.0)


def test_aux_loss_gradient_favours_balance():
    logits = torch.tensor([[2.0, 0.0], [1.0, 0.0], [3.0, 0.0]], requires_grad=True)
    probs = logits.softmax(-1)
    load_balancing_loss(probs, probs.argmax(-1), 2).backward()
    # every token over-uses expert 0: descending the gradient lowers its logit
    assert (logits.grad[:, 0] > 0).all() and (logits.grad[:, 1] < 0).all()


def test_capacity_overflow_top1_gets_zero_output():
    # 8 tokens, 2 experts, capacity 1 each: only the first token in each queue is served
    assert expert_capacity(8, 2, 1, 0.25) == 1
    moe = make_moe(n_expert=2, capacity_factor=0.25).eval()
    route = [0, 0, 1, 0, 1, 1, 0, 1]
    logits = torch.tensor([[2.0, 0.0] if e == 0 else [0.0, 2.0] for e in route])
    x = steer(moe, logits)
    with torch.no_grad():
        y = moe(x)[0]
        want = reference(moe, x)[0]
    served = [0, 2]  # first token routed to expert 0, first to expert 1
    for t in range(8):
        if t in served:
            assert torch.allclose(y[t], want[t], atol=1e-6) and y[t].abs().sum() > 0
        else:
            assert torch.equal(y[t], torch.zeros(16))  # skipped: residual only
    r = moe.routing
    assert r.capacity == 1
    assert r.accepted[0, :, 0].tolist() == [t in served for t in range(8)]
    assert r.dropped_frac == pytest.approx(6 / 8) and r.dropped_tokens == pytest.approx(6 / 8)


def test_capacity_top2_first_choices_queue_first():
    # 4 tokens, 2 experts, top-2: capacity ceil(0.5 * 4 * 2 / 2) = 2
    moe = make_moe(n_expert=2, top_k=2, capacity_factor=0.5).eval()
    logits = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    x = steer(moe, logits)
    with torch.no_grad():
        y = moe(x)[0]
    r = moe.routing
    assert r.capacity == 2
    # expert 0: first choices t0, t1 fit, t2 overflows; t3's second choice finds it full.
    # expert 1: first choice t3, then second choices t0 (fits), t1 and t2 (full).
    assert r.accepted[0].tolist() == [[True, True], [True, False], [False, False], [True, False]]
    assert r.dropped_frac == pytest.approx(4 / 8) and r.dropped_tokens == pytest.approx(1 / 4)
    with torch.no_grad():
        p = torch.tensor([1.0, 0.0]).softmax(0)  # t1's probabilities; top-2 gates are p itself
        e0 = moe.experts[0](x[0, 1])
    assert torch.allclose(y[1], p.max() * e0, atol=1e-6)  # only its served expert, gate kept as is
    assert torch.equal(y[2], torch.zeros(16))


def test_padding_is_not_routed():
    # the transformer packs the padding out: its routers see only the real tokens, in row order
    torch.manual_seed(0)
    model = MoETransformer(config(top_k=2, capacity_factor=1.0)).eval()
    idx = torch.tensor([[0, 3, 4, 0, 0], [0, 5, 6, 7, 8]])
    with torch.no_grad():
        model(idx)
    for r in model.routing():
        assert r.experts.shape == (8, 2)
        assert r.capacity == expert_capacity(8, 4, 2, 1.0)  # counts only the 8 real tokens
    # the same layer run on the real tokens alone routes them the same way
    with torch.no_grad():
        x = model.embed(idx)[real_tokens(idx)]
        block = model.blocks[0]
        h = x + block.attn(block.ln_1(x), real_tokens(idx))
        block.ffn(block.ln_2(h))
    assert torch.equal(block.ffn.routing.experts, model.routing()[0].experts)

    idx = torch.tensor([[0, 3, 4, 0, 0], [0, 0, 5, 6, 7]])
    assert real_tokens(idx).tolist() == [[True, True, True, False, False], [True, False, True, True, True]]


def test_packed_attention_matches_padded_attention_on_real_tokens():
    torch.manual_seed(0)
    cfg = config()
    packed = PackedAttention(cfg)
    padded = CausalSelfAttention(cfg)
    padded.load_state_dict(packed.state_dict())
    x = torch.randn(3, 6, 16)
    lines = torch.tensor([[True] * 2 + [False] * 4, [True] * 6, [True] * 4 + [False] * 2])
    with torch.no_grad():
        want = padded(x)[lines]
        got = packed(x[lines], lines)
    assert torch.allclose(got, want, atol=1e-6)


def test_router_noise_only_in_training():
    noisy = make_moe(seed=1, top_k=2, router_noise=1.0, capacity_factor=0)
    clean = make_moe(seed=1, top_k=2, router_noise=0.0, capacity_factor=0)
    x = torch.randn(2, 8, 16)
    with torch.no_grad():
        noisy.eval(), clean.eval()
        assert torch.equal(noisy(x), clean(x))
        assert torch.equal(noisy(x), noisy(x))
        noisy.train()
        torch.manual_seed(5)
        a = noisy(x)
        b = noisy(x)
        assert not torch.equal(a, b)  # fresh noise every call
        torch.manual_seed(5)
        assert torch.equal(a, noisy(x))  # but drawn from torch's seeded generator


def test_determinism():
    torch.manual_seed(0)
    idx = torch.randint(1, 11, (4, 9))
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = MoETransformer(config(top_k=2, router_noise=0.5))
        torch.manual_seed(7)
        logits, loss = model(idx, idx)
        outs.append((logits, loss, model.routing()[1].experts))
    assert torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])
    assert torch.equal(outs[0][2], outs[1][2])


def test_moe_block_only_swaps_the_feedforward():
    cfg = config()
    block = MoEBlock(cfg)
    dense = Block(cfg)
    assert isinstance(block, Block) and isinstance(block.ffn, MoE)
    assert isinstance(block.attn, CausalSelfAttention)
    assert [n for n, _ in block.named_children()] == [n for n, _ in dense.named_children()]
    # the plain Transformer builds with it too (no balancing loss then)
    model = Transformer(cfg, block_cls=MoEBlock)
    assert all(isinstance(b.ffn, MoE) for b in model.blocks)


def test_total_loss_includes_aux_and_trains_router():
    torch.manual_seed(0)
    model = MoETransformer(config(aux_loss_coef=0.1, top_k=2))
    idx = torch.randint(1, 11, (4, 9))
    idx[:, 0] = 0
    targets = torch.roll(idx, -1, dims=1)
    targets[:, -1] = -1
    logits, loss = model(idx, targets)
    aux = sum(m.aux_loss for m in model.moe_layers())
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1), ignore_index=-1)
    assert loss.item() == pytest.approx(ce.item() + 0.1 * aux.item(), rel=1e-6)
    assert model.lm_loss.item() == pytest.approx(ce.item(), rel=1e-6)
    loss.backward()
    for moe in model.moe_layers():
        assert moe.router.weight.grad.abs().sum() > 0
        assert all(e.c_fc.weight.grad is not None for e in moe.experts)


def test_padding_does_not_change_real_positions():
    # a line's logits must not depend on how much padding follows it
    torch.manual_seed(0)
    model = MoETransformer(config(capacity_factor=1.0)).eval()
    line = torch.tensor([[0, 3, 5, 2, 7]])
    padded = torch.cat([line, torch.zeros(1, 6, dtype=torch.long)], dim=1)
    with torch.no_grad():
        short, _ = model(line)
        long, _ = model(padded)
    assert torch.allclose(short, long[:, :5], atol=1e-6)


def test_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = MoETransformer(config(top_k=1, n_expert=4, router_noise=0.1))
    idx = torch.randint(1, 11, (8, 10))
    idx[:, 0] = 0
    targets = torch.roll(idx, -1, dims=1)
    targets[:, -1] = 0
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        _, loss = model(idx, targets)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first - 0.5
    assert math.isfinite(model.aux_loss.item())
