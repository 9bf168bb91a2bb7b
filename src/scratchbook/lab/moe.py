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
capacity and dominate the balancing loss. MoETransformer therefore tells its
MoE layers which positions are real, and padding gets zero MoE output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from scratchbook.lab.models import Block, ModelConfig, Transformer


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
        return self.drop(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


@dataclass
class Routing:
    """What the router did in the last forward pass (detached, on CPU), for analysis."""

    experts: torch.Tensor  # (B, T, k) chosen experts, best first
    gates: torch.Tensor  # (B, T, k) their weights in the output
    probs: torch.Tensor  # (B, T, K) router probabilities
    accepted: torch.Tensor  # (B, T, k) bool: the expert had room (False also for padding)
    mask: torch.Tensor  # (B, T) bool: real tokens (routed); padding is not
    capacity: int  # tokens each expert could accept
    aux_loss: float
    dropped_frac: float  # share of the real (token, choice) assignments that overflowed
    dropped_tokens: float  # share of real tokens that got no expert at all


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
        self.token_mask = None  # (B, T) bool of real tokens, set by MoETransformer; None = all real
        self.aux_loss = torch.zeros(())  # of the last forward, with its graph (for the total loss)
        self.routing: Routing | None = None  # of the last forward, detached (for analysis)

    def forward(self, x):
        B, T, C = x.shape
        K, k = self.n_expert, self.top_k
        x = x.reshape(B * T, C)
        if self.token_mask is None:
            mask = torch.ones(B * T, dtype=torch.bool, device=x.device)
        else:
            mask = self.token_mask.reshape(-1)

        logits = self.router(x)  # (N, K)
        if self.training and self.router_noise > 0:
            # exploration: a little noise lets a token now and then try its runner-up expert
            logits = logits + self.router_noise * torch.randn_like(logits)
        probs = logits.softmax(dim=-1)
        gates, experts = probs.topk(k, dim=-1)  # (N, k) each, best first
        if k > 1:
            gates = gates / gates.sum(dim=-1, keepdim=True)  # the chosen experts share the token

        # Queue every (token, choice) assignment of the real tokens: all first
        # choices in batch order, then all second choices. One-hot + cumsum gives
        # each assignment its place in its expert's queue without a Python loop.
        real = mask.nonzero().squeeze(1)  # (n,) positions of the real tokens
        n = len(real)
        slot_token = real.repeat(k)  # (k*n,) rank-major
        slot_expert = experts[real].T.reshape(-1)
        slot_gate = gates[real].T.reshape(-1)
        onehot = F.one_hot(slot_expert, K)  # (k*n, K)
        place = (onehot.cumsum(dim=0) * onehot).sum(dim=1) - 1  # 0 = first in line
        capacity = expert_capacity(n, K, k, self.capacity_factor)
        kept = place < capacity

        # dispatch: gather each expert's tokens, run it once, scatter-add the gated outputs
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            take = (slot_expert == e) & kept
            tok = slot_token[take]  # distinct tokens: a token's k choices are distinct experts
            if len(tok):
                out = out.index_add(0, tok, slot_gate[take, None] * expert(x[tok]))

        if n > 0:
            self.aux_loss = load_balancing_loss(probs[real], experts[real, 0], K)
        else:
            self.aux_loss = probs.sum() * 0.0
        self._record(B, T, experts, gates, probs, mask, real, kept, capacity)
        return out.reshape(B, T, C)

    @torch.no_grad()
    def _record(self, B, T, experts, gates, probs, mask, real, kept, capacity):
        k, n = self.top_k, len(real)
        accepted = torch.zeros(B * T, k, dtype=torch.bool, device=kept.device)
        accepted[real.repeat(k), torch.arange(k, device=kept.device).repeat_interleave(n)] = kept
        self.routing = Routing(
            experts=experts.detach().reshape(B, T, k),
            gates=gates.detach().reshape(B, T, k),
            probs=probs.detach().reshape(B, T, -1),
            accepted=accepted.reshape(B, T, k),
            mask=mask.reshape(B, T),
            capacity=capacity,
            aux_loss=float(self.aux_loss),
            dropped_frac=float((~kept).float().mean()) if n else 0.0,
            dropped_tokens=float((~accepted[real].any(dim=1)).float().mean()) if n else 0.0,
        )


class MoEBlock(Block):
    """The baseline Block with its FeedForward swapped for a mixture of experts."""

    def __init__(self, config: MoEConfig):
        super().__init__(config)
        self.ffn = MoE(config)


def real_tokens(idx: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: True except at padding. In makemore's format token 0 is the
    start token at position 0 and padding everywhere else."""
    mask = idx != 0
    mask[:, 0] = True
    return mask


class MoETransformer(Transformer):
    """Transformer(config, block_cls=MoEBlock) whose loss includes the balancing loss.

    After a forward with targets: lm_loss (the cross-entropy alone, detached) and
    aux_loss (summed over layers, with its graph); the returned loss is
    lm_loss + aux_loss_coef * aux_loss.
    """

    def __init__(self, config: MoEConfig):
        super().__init__(config, block_cls=MoEBlock)

    def moe_layers(self) -> list[MoE]:
        return [block.ffn for block in self.blocks]

    def forward(self, idx, targets=None):
        for moe in self.moe_layers():
            moe.token_mask = real_tokens(idx)
        try:
            logits, loss = super().forward(idx, targets)
        finally:
            for moe in self.moe_layers():
                moe.token_mask = None
        self.aux_loss = sum(moe.aux_loss for moe in self.moe_layers())
        if loss is not None:
            self.lm_loss = loss.detach()
            loss = loss + self.config.aux_loss_coef * self.aux_loss
        return logits, loss

    def routing(self) -> list[Routing]:
        """Each layer's routing decisions in the last forward pass."""
        return [moe.routing for moe in self.moe_layers()]
