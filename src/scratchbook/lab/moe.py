"""A mixture-of-experts feed-forward layer, dropped into the baseline Transformer.

The dense Block runs every token through one MLP. Here each block has K
smaller-or-equal MLPs ("experts") and a linear router that picks, per token,
the top-1 (Switch Transformer) or top-2 experts. A token only pays for the
experts it is sent to, so parameters grow with K while compute per token stays
that of k experts.

Three things make it train, and all three are here:

- gates: the chosen experts' outputs are weighted by the router's
  probabilities (top-2: renormalised over the two), which is how the router
  gets a gradient at all;
- a load-balancing loss, K * sum_i f_i * P_i (f_i: share of tokens whose first
  choice is expert i; P_i: mean router probability of expert i). It is 1 when
  the load is even and K when one expert takes everything, and it is added to
  the language-model loss with a small coefficient;
- a capacity: expert i accepts at most ceil(capacity_factor * n_tokens * k / K)
  tokens per batch. Overflow policy: first choices queue before second
  choices, and within a rank tokens queue in batch order; a token that finds
  its expert full skips it, contributing zero from that expert, so the token
  passes through the block on the residual connection alone.

Padding: in makemore's format a batch is padded with token 0 after each line's
end. Those positions have no target and, the model being causal, no real token
depends on them; but a router would happily route them, and they would eat
capacity and dominate the balancing loss. MoETransformer therefore packs them
out: its blocks see only the real tokens, (n, C) instead of (B, T, C), so no
router ever sees padding, and every per-position layer (LayerNorm, the
attention's projections, the experts, lm_head) runs on the real tokens only.
Only the attention itself goes back to the (B, T) grid, line by line
(PackedAttention), the idea of FlashAttention's unpad_input and varlen kernels
done with plain indexing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from scratchbook.lab.models import Block, CausalSelfAttention, ModelConfig, Transformer, lm_loss


@dataclass
class MoEConfig(ModelConfig):
    n_expert: int = 4  # K
    top_k: int = 1  # experts per token: 1 (Switch) or 2
    capacity_factor: float = 1.25  # slack over a perfectly even split; 0 = no capacity limit
    aux_loss_coef: float = 0.01  # weight of the load-balancing loss in the total loss
    router_noise: float = 0.0  # std of Gaussian noise on the router logits, training only
    expert_hidden: int = 0  # each expert's hidden width; 0 = 4 * n_embd, like FeedForward


def expert_capacity(n_tokens: int, n_expert: int, top_k: int, capacity_factor: float) -> int:
    """Most tokens one expert accepts in a batch of n_tokens."""
    if capacity_factor <= 0:
        return n_tokens  # unlimited: no expert can get more than every token
    return math.ceil(capacity_factor * n_tokens * top_k / n_expert)


def load_balancing_loss(probs: torch.Tensor, first_choice: torch.Tensor, n_expert: int) -> torch.Tensor:
    """Switch Transformer's auxiliary loss K * sum_i f_i * P_i over tokens (N, K).

    f_i counts (no gradient: an argmax has none); P_i is differentiable, so the
    gradient pushes probability away from the experts that are over-used.
    """
    f = F.one_hot(first_choice, n_expert).float().mean(dim=0)
    P = probs.mean(dim=0)
    return n_expert * (f * P).sum()


class Expert(nn.Module):
    """One expert: the baseline FeedForward, with a hidden width of our choosing."""

    def __init__(self, n_embd: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, hidden)
        self.c_proj = nn.Linear(hidden, n_embd)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.c_proj(F.gelu(self.c_fc(x))))  # exact GELU, as FeedForward


@dataclass
class Routing:
    """What the router did in the last forward pass (detached, on CPU), for analysis."""

    experts: torch.Tensor  # (..., k) chosen experts, best first, per token of the input
    gates: torch.Tensor  # (..., k) their weights in the output
    probs: torch.Tensor  # (..., K) router probabilities
    accepted: torch.Tensor  # (..., k) bool: the expert had room
    capacity: int  # tokens each expert could accept
    aux_loss: float
    dropped_frac: float  # share of the (token, choice) assignments that overflowed
    dropped_tokens: float  # share of tokens that got no expert at all


class MoE(nn.Module):
    """K expert MLPs and a linear router; a drop-in replacement for FeedForward."""

    def __init__(self, config: MoEConfig):
        super().__init__()
        assert 1 <= config.top_k <= config.n_expert
        self.n_expert, self.top_k = config.n_expert, config.top_k
        self.capacity_factor = config.capacity_factor
        self.router_noise = config.router_noise
        hidden = config.expert_hidden or 4 * config.n_embd
        self.router = nn.Linear(config.n_embd, config.n_expert, bias=False)
        self.experts = nn.ModuleList(
            [Expert(config.n_embd, hidden, config.dropout) for _ in range(config.n_expert)]
        )
        self.aux_loss = torch.zeros(())  # of the last forward, with its graph (for the total loss)
        self.routing: Routing | None = None  # of the last forward, detached (for analysis)

    def forward(self, x):
        shape = x.shape  # (..., C): every token is routed (MoETransformer packs out the padding)
        K, k = self.n_expert, self.top_k
        x = x.reshape(-1, shape[-1])  # (N, C)
        N = len(x)

        logits = self.router(x)  # (N, K)
        if self.training and self.router_noise > 0:
            # exploration: a little noise lets a token now and then try its runner-up expert
            logits = logits + self.router_noise * torch.randn_like(logits)
        probs = logits.softmax(dim=-1)
        gates, experts = probs.topk(k, dim=-1)  # (N, k) each, best first
        if k > 1:
            gates = gates / gates.sum(dim=-1, keepdim=True)  # the chosen experts share the token

        # Queue every (token, choice) assignment: all first choices in batch order,
        # then all second choices. One-hot + cumsum gives each assignment its place
        # in its expert's queue without a Python loop.
        slot_token = torch.arange(N, device=x.device).repeat(k)  # (k*N,) rank-major
        slot_expert = experts.T.reshape(-1)
        slot_gate = gates.T.reshape(-1)
        onehot = F.one_hot(slot_expert, K)  # (k*N, K)
        place = (onehot.cumsum(dim=0) * onehot).sum(dim=1) - 1  # 0 = first in line
        capacity = expert_capacity(N, K, k, self.capacity_factor)
        kept = place < capacity

        # dispatch: gather each expert's tokens, run it once, scatter-add the gated outputs
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            take = ((slot_expert == e) & kept).nonzero().squeeze(1)
            tok = slot_token[take]  # distinct tokens: a token's k choices are distinct experts
            if len(tok):
                out = out.index_add(0, tok, slot_gate[take, None] * expert(x[tok]))

        self.aux_loss = load_balancing_loss(probs, experts[:, 0], K) if N else probs.sum() * 0.0
        self._record(shape[:-1], experts, gates, probs, kept, capacity)
        return out.reshape(shape)

    @torch.no_grad()
    def _record(self, batch_shape, experts, gates, probs, kept, capacity):
        k, N = self.top_k, len(experts)
        accepted = kept.reshape(k, N).T  # back from rank-major to (N, k)
        self.routing = Routing(
            experts=experts.detach().reshape(*batch_shape, k),
            gates=gates.detach().reshape(*batch_shape, k),
            probs=probs.detach().reshape(*batch_shape, -1),
            accepted=accepted.reshape(*batch_shape, k),
            capacity=capacity,
            aux_loss=float(self.aux_loss),
            dropped_frac=float((~kept).float().mean()) if N else 0.0,
            dropped_tokens=float((~accepted.any(dim=1)).float().mean()) if N else 0.0,
        )


class MoEBlock(Block):
    """The baseline Block with its FeedForward swapped for a mixture of experts."""

    def __init__(self, config: MoEConfig):
        super().__init__(config)
        self.ffn = MoE(config)


def real_tokens(idx: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: True except at padding. In makemore's format token 0 is the
    start token at position 0 and padding everywhere else, so each line's real
    tokens are a prefix of its row (and exactly the positions with a target)."""
    mask = idx != 0
    mask[:, 0] = True
    return mask


class PackedAttention(CausalSelfAttention):
    """CausalSelfAttention on packed tokens: x is (n, C), the real tokens of a
    (B, T) batch in row order, lines the (B, T) mask of where they sit.

    The projections run on the n real tokens only; the attention itself runs on
    the (B, T) grid with zeros at the padding, which no real token looks at: a
    line's padding comes after it, and attention is causal.
    """

    def forward(self, x, lines):
        B, T = lines.shape
        C = x.size(1)
        where = lines.reshape(-1).nonzero().squeeze(1)  # (n,) flat positions of the real tokens
        grid = x.new_zeros(B * T, 3 * C).index_copy(0, where, self.c_attn(x))
        q, k, v = [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in grid.split(C, dim=1)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).reshape(B * T, C)[where]  # (n, C): the real tokens again
        return self.drop(self.c_proj(y))


class PackedMoEBlock(MoEBlock):
    """MoEBlock on packed tokens (n, C): only the attention needs to know the lines."""

    def __init__(self, config: MoEConfig):
        super().__init__(config)
        self.attn = PackedAttention(config)

    def forward(self, x, lines):
        x = x + self.attn(self.ln_1(x), lines)
        x = x + self.ffn(self.ln_2(x))
        return x


class MoETransformer(Transformer):
    """The Transformer with PackedMoEBlocks, on packed tokens, whose loss includes the
    balancing loss.

    The forward embeds the batch, packs out the padding, runs the blocks and the
    head on the real tokens, and returns the logits on the (B, T) grid again
    (zeros at the padding, which has no target). After a forward with targets:
    lm_loss (the cross-entropy alone, detached) and aux_loss (summed over layers,
    with its graph); the returned loss is lm_loss + aux_loss_coef * aux_loss.
    Each layer's routing() covers the real tokens, (n, ...), in row order: the
    order of X[lines] or of Y[Y != -1].
    """

    def __init__(self, config: MoEConfig):
        super().__init__(config, block_cls=PackedMoEBlock)

    def moe_layers(self) -> list[MoE]:
        return [block.ffn for block in self.blocks]

    def forward(self, idx, targets=None):
        lines = real_tokens(idx)
        x = self.embed(idx)[lines]  # (n, C)
        for block in self.blocks:
            x = block(x, lines)
        logits = self.lm_head(self.ln_f(x))  # (n, vocab_size)
        loss = None if targets is None else lm_loss(logits, targets[lines])
        self.aux_loss = sum(moe.aux_loss for moe in self.moe_layers())
        if loss is not None:
            self.lm_loss = loss.detach()
            loss = loss + self.config.aux_loss_coef * self.aux_loss
        grid = logits.new_zeros(idx.numel(), logits.size(-1))
        grid = grid.index_copy(0, lines.reshape(-1).nonzero().squeeze(1), logits)
        return grid.view(*idx.shape, -1), loss

    def routing(self) -> list[Routing]:
        """Each layer's routing decisions in the last forward pass, per real token."""
        return [moe.routing for moe in self.moe_layers()]
