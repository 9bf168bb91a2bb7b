"""Character-level language models, from a lookup table to a small Transformer.

The models follow karpathy/makemore: the same architectures and, at makemore's
default settings, the same parameter counts (Bigram 729, MLP 69,147,
Transformer 204,544). Every model maps a batch of token ids idx (B, T) to
next-token logits (B, T, vocab_size); given targets it also returns the mean
cross-entropy over the positions whose target is not -1.

The Transformer is built from small parts (CausalSelfAttention, FeedForward,
Block) so that later variants can replace one part and show their change as a
short diff.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int  # distinct tokens, including the start/end token 0
    block_size: int  # longest input the model sees (start token + longest name)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 64  # width of the Transformer; the MLP's embedding size
    n_embd2: int = 64  # the MLP's hidden layer
    dropout: float = 0.0  # makemore uses none; kept for experiments


def lm_loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    """Mean cross-entropy over all positions with a target; -1 marks padding."""
    if targets is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)


class Dropout(nn.Module):
    """Inverted dropout, as nn.Dropout: zero a fraction p of activations while training
    and scale the rest by 1 / (1 - p).

    The mask comes from torch.rand rather than F.dropout's Bernoulli sampler, which
    on CPU is several times slower and, at p=0.2, added a third to a training step.
    """

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        mask = (torch.rand_like(x) >= self.p).to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return x * mask


class Bigram(nn.Module):
    """The next character depends only on the current one: a table of logits."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        n = config.vocab_size
        self.logits = nn.Parameter(torch.zeros(n, n))  # row = current char, column = next

    def forward(self, idx, targets=None):
        logits = self.logits[idx]
        return logits, lm_loss(logits, targets)


class MLP(nn.Module):
    """Bengio et al. 2003: embed the previous block_size characters, concatenate, one tanh layer.

    Before the start of the input there is nothing to read, so those slots get
    their own "blank" token, index vocab_size (hence vocab_size + 1 embeddings).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.block_size = config.block_size
        self.blank = config.vocab_size
        self.wte = nn.Embedding(config.vocab_size + 1, config.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(config.block_size * config.n_embd, config.n_embd2),
            nn.Tanh(),
            nn.Linear(config.n_embd2, config.vocab_size),
        )

    def forward(self, idx, targets=None):
        B, T = idx.shape
        # left-pad with blanks, then slide a window: position t sees idx[t-block_size+1 .. t]
        blanks = torch.full((B, self.block_size - 1), self.blank, dtype=idx.dtype, device=idx.device)
        windows = torch.cat([blanks, idx], dim=1).unfold(1, self.block_size, 1)  # (B, T, block_size)
        x = self.wte(windows).reshape(B, T, -1)  # concatenate the block_size embeddings
        logits = self.mlp(x)
        return logits, lm_loss(logits, targets)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which each position sees only itself and the past."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # queries, keys, values in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.drop = Dropout(config.dropout)

    def qkv(self, x):
        """Queries, keys and values, each (B, n_head, T, head_size)."""
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        return [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)]

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x)
        # the fused kernel computes softmax(q k^T / sqrt(d) + causal mask) v without
        # materialising the (T, T) matrix; weights() below spells the same thing out
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.drop(self.c_proj(y))

    def weights(self, x):
        """The attention weights (B, n_head, T, T): row t is how position t spreads its attention."""
        q, k, _ = self.qkv(x)
        T = x.size(1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        return att.masked_fill(future, float("-inf")).softmax(dim=-1)


class FeedForward(nn.Module):
    """The per-position MLP of a block: widen 4x, GELU, project back."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.drop = Dropout(config.dropout)

    def forward(self, x):
        # exact (erf) GELU: makemore uses the tanh approximation, which is nearly the
        # same function but several times slower on CPU
        return self.drop(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm residual block: positions communicate (attn), then each thinks (ffn)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.ffn = FeedForward(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.ffn(self.ln_2(x))
        return x


class Transformer(nn.Module):
    """A GPT: token + position embeddings, a stack of blocks, a final LayerNorm, logits."""

    def __init__(self, config: ModelConfig, block_cls=Block):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.ModuleList([block_cls(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def embed(self, idx):
        T = idx.size(1)
        assert T <= self.config.block_size, f"input of length {T} > block_size {self.config.block_size}"
        pos = torch.arange(T, device=idx.device)
        return self.wte(idx) + self.wpe(pos)

    def forward(self, idx, targets=None):
        x = self.embed(idx)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return logits, lm_loss(logits, targets)

    @torch.no_grad()
    def attention_maps(self, idx) -> list[torch.Tensor]:
        """Attention weights of every layer, each (B, n_head, T, T), for one input."""
        x = self.embed(idx)
        maps = []
        for block in self.blocks:
            maps.append(block.attn.weights(block.ln_1(x)))
            x = block(x)
        return maps


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
