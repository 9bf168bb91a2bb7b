"""One Block, applied again and again: fixed depth, or as many passes as each answer needs (ACT).

The baseline Transformer stacks n_layer different blocks. Here there is one
Block, and the model applies it `passes` times with the same weights. Two small
changes make the number of passes matter, and measurable:

- LocalAttention: each position attends only to itself and the previous
  `window` positions. One pass moves information at most `window` positions,
  so T passes reach T * window positions back, and an answer that depends on
  something farther away needs more passes. No position embeddings either (the
  window and a learned bias per offset say where things are), so the same
  weights run on inputs longer than any seen in training.
- the input embedding is re-injected at every pass, so a late pass still sees
  the characters themselves and not only what earlier passes made of them.

With act=True the model decides how many passes to spend, by Adaptive
Computation Time (Graves 2016). After each pass n a halting unit reads the
state and outputs p_n = sigmoid(w . state + b). The passes run until the sum
of the p_n reaches 1 - eps; that is N passes, and the remainder
R = 1 - (p_1 + ... + p_{N-1}) goes to the last one. The output is the
weighted mean of the N states, with weights p_1, ..., p_{N-1}, R, and every
answer pays a ponder cost tau * (N + R). N is a count and has no gradient; R
does, and it pushes the earlier p_n up, which ends the pondering sooner. A cap
stops the passes at `passes` whatever the p_n say.

Halting is decided per position ("position": each prefix answer halts on its
own; a halted position keeps its last state, and later positions read that
state) or, for tasks with one answer at the end, per example from the answer
position's own state ("answer": every position runs as many passes as the
answer). A halting unit that pools all positions can see the answer before the
answer position does, and learns to signal it through the number of passes.

Two things about training ACT (Part 5's recipe is adaptive.Budget):

- LoopConfig's halting bias defaults to Graves' +1 (p = 0.73, so 2 passes at
  first). Pondering then has to grow to what the task needs, and it grows only
  where a later pass is already better than an earlier one, while a later pass
  gets better only if it is taken. Part 5 starts long instead (halt_bias=-2,
  about 9 passes at first) and lets the ponder cost pull the passes down;
- the ponder cost must arrive gradually (the training loop ramps tau in). With
  Adam, even a tiny cost moves the halting unit at full speed when the task
  gives it no signal either way, and once p_1 >= 1 - eps the remainder is
  exactly 1 and no gradient reaches the halting unit again: one pass forever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from scratchbook.lab.models import Block, CausalSelfAttention, ModelConfig, Transformer, lm_loss


@dataclass
class LoopConfig(ModelConfig):
    block_size: int = 1  # unused: no position embeddings, any length runs
    window: int = 3  # each position attends to itself and the previous `window` positions
    passes: int = 4  # fixed depth: passes of the shared block; with act: the most it may take
    act: bool = False
    halting: str = "position"  # "position": every position halts on its own; "answer": per example
    eps: float = 0.01  # ACT stops once the halting probabilities sum to 1 - eps
    tau: float = 0.003  # weight of the ponder cost N + R in the loss (per answer, next to a mean cross-entropy)
    halt_bias: float = 1.0  # initial bias of the halting unit (Graves: start with few passes)
    freeze: bool = True  # a halted position stops updating (else it keeps relaying for later positions)


class LocalAttention(CausalSelfAttention):
    """Causal self-attention that sees only the last `window` positions, with a learned bias per offset."""

    def __init__(self, config: LoopConfig):
        super().__init__(config)
        self.window = config.window
        self.offset_bias = nn.Parameter(torch.zeros(config.n_head, config.window + 1))

    def mask(self, T: int, device=None) -> torch.Tensor:
        """(n_head, T, T) added to the attention scores: the offset's bias inside the window, -inf outside."""
        i = torch.arange(T, device=device)
        back = i[:, None] - i[None, :]  # how far key j lies behind query i
        inside = (back >= 0) & (back <= self.window)
        bias = self.offset_bias[:, back.clamp(0, self.window)]
        return bias.masked_fill(~inside, float("-inf"))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask(T, x.device))  # was: is_causal=True
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.drop(self.c_proj(y))

    def weights(self, x):
        q, k, _ = self.qkv(x)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        return (att + self.mask(x.size(1), x.device)).softmax(dim=-1)


class LocalBlock(Block):
    """The baseline Block with local attention."""

    def __init__(self, config: LoopConfig):
        super().__init__(config)
        self.attn = LocalAttention(config)


# -----------------------------------------------------------------------------
# ACT arithmetic, on plain tensors


def act_step(p, spent, running, last: bool, eps: float):
    """One pass of ACT for every position at once.

    p: halting probabilities of this pass; spent: their sum over the earlier
    passes; running: bool, not yet halted. Returns the weight of this pass's
    state in the output, which positions halt now, and the new spent.
    """
    if last:
        stop = running.clone()  # the cap: whatever is still running halts here
    else:
        stop = running & (spent + p >= 1 - eps)
    weight = torch.where(stop, 1 - spent, torch.where(running, p, torch.zeros_like(p)))  # R or p_n
    spent = torch.where(running & ~stop, spent + p, spent)
    return weight, stop, spent


def act_weights(probs: torch.Tensor, eps: float = 0.01, cap: int | None = None):
    """ACT on a given table of halting probabilities (..., S), pass by pass with act_step.

    Returns weights (..., S) (zero after halting), N (...) the passes taken and
    R (...) the remainder; the ponder cost is N + R.
    """
    S = probs.size(-1) if cap is None else min(cap, probs.size(-1))
    spent = torch.zeros_like(probs[..., 0])
    running = torch.ones_like(spent, dtype=torch.bool)
    N, R = torch.zeros_like(spent), torch.zeros_like(spent)
    weights = torch.zeros_like(probs)
    for n in range(S):
        w, stop, spent = act_step(probs[..., n], spent, running, n == S - 1, eps)
        weights[..., n] = w
        N = N + running.float()
        R = torch.where(stop, w, R)
        running = running & ~stop
    return weights, N, R


# -----------------------------------------------------------------------------
# the model


@dataclass
class Halting:
    """How many passes the last forward took, per position (detached, CPU)."""

    steps: torch.Tensor  # (B, T) N: passes computed (0 at padding)
    remainder: torch.Tensor  # (B, T) R
    ponder: torch.Tensor  # (B, T) N + R
    real: torch.Tensor  # (B, T) bool: not padding


def real_positions(idx: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: the start token and the characters; padding (token 0 after the start) is not."""
    real = idx != 0
    real[:, 0] = True
    return real


class LoopedTransformer(Transformer):
    """Transformer(config, block_cls=LocalBlock) with one block applied `passes` times, or ACT."""

    def __init__(self, config: LoopConfig):
        config = replace(config, n_layer=1)  # one block, shared by every pass
        super().__init__(config, block_cls=LocalBlock)
        del self.wpe  # positions come from the window and its offset biases
        self.block = self.blocks[0]
        self.tau_scale = 1.0  # the training loop ramps the ponder cost in through this
        self.halting: Halting | None = None
        if config.act:
            self.ln_h = nn.LayerNorm(config.n_embd)
            self.halt = nn.Linear(config.n_embd, 1)
            nn.init.constant_(self.halt.bias, config.halt_bias)

    def embed(self, idx):
        return self.wte(idx)

    def step(self, h, e):
        """One pass. The block reads state + input and adds its updates; taking the input off
        again keeps it from piling up in the state, so every pass sees it exactly once."""
        return self.block(h + e) - e

    def forward(self, idx, targets=None, passes: int | None = None):
        passes = passes or self.config.passes  # a raised cap for longer inputs, say
        e = self.embed(idx)
        if self.config.act:
            x, cost = self.ponder(idx, e, passes)
        else:
            h = torch.zeros_like(e)
            for _ in range(passes):
                h = self.step(h, e)
            x = h + e
            real = real_positions(idx)
            full = real.float() * passes
            self.halting = Halting(full, torch.zeros_like(full), full, real)
        logits = self.lm_head(self.ln_f(x))
        loss = lm_loss(logits, targets)
        if loss is not None and self.config.act:
            self.task_loss = loss.detach()
            loss = loss + self.config.tau * self.tau_scale * cost
        return logits, loss

    def ponder(self, idx, e, cap: int):
        """ACT over passes; returns the weighted mean state and the mean ponder cost N + R."""
        B, T, _ = e.shape
        real = real_positions(idx)
        answer = real.sum(dim=1) - 1  # last character: where a one-answer task asks its question
        rows = torch.arange(B, device=idx.device)
        h = torch.zeros_like(e)
        out = torch.zeros_like(e)
        spent = e.new_zeros(B, T)
        N, R = e.new_zeros(B, T), e.new_zeros(B, T)
        running = real.clone()  # padding never runs
        for n in range(1, cap + 1):
            h_new = self.step(h, e)
            s = h_new + e  # what the readout sees, exactly as in the fixed-depth model
            p = torch.sigmoid(self.halt(self.ln_h(s))).squeeze(-1)  # (B, T)
            if self.config.halting == "answer":
                p = p[rows, answer, None].expand(B, T)  # the answer position decides for all
            w, stop, spent = act_step(p, spent, running, n == cap, self.config.eps)
            out = out + w.unsqueeze(-1) * s
            N = N + running.float()
            R = torch.where(stop, w, R)
            h = torch.where(running.unsqueeze(-1), h_new, h) if self.config.freeze else h_new
            running = running & ~stop
            if not running.any():
                break
        ponder = N + R
        if self.config.halting == "answer":
            cost = ponder[rows, answer].mean()
        else:
            cost = ponder[real].mean()  # every position pays for its passes
        self.halting = Halting(N.detach(), R.detach(), ponder.detach(), real)
        return out, cost


def fixed_depth(vocab_size: int, passes: int, **kw) -> LoopedTransformer:
    """The shared block applied exactly `passes` times."""
    return LoopedTransformer(LoopConfig(vocab_size=vocab_size, passes=passes, **kw))


def adaptive(vocab_size: int, cap: int, tau: float = 0.003, halting: str = "position", **kw) -> LoopedTransformer:
    """ACT over the shared block, at most `cap` passes."""
    return LoopedTransformer(LoopConfig(vocab_size=vocab_size, passes=cap, act=True, tau=tau, halting=halting, **kw))
