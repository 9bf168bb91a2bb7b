"""Drawing names from a trained model.

Generation starts from the start token (0), optionally followed by a prompt,
and repeatedly samples the next character from the model's softmax until the
model emits the end token (also 0) or the block is full. All n names are
generated side by side as one batch, with their own seeded generator, so the
same model and seed always give the same names.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from scratchbook.lab.names import Vocab


@torch.no_grad()
def sample(
    model: nn.Module,
    vocab: Vocab,
    n: int,
    seed: int = 0,
    prompt: str = "",
    temperature: float = 1.0,
    max_new: int | None = None,
    top_k: int | None = None,
) -> list[str]:
    """n names, each the prompt followed by what the model continues it with.

    max_new limits the characters generated after the prompt; by default the
    name may fill the model's block (block_size - 1 characters in all), which
    is as long as the longest training name. temperature < 1 sharpens the
    distribution, > 1 flattens it; top_k keeps only the k likeliest characters.
    """
    block_size = model.config.block_size
    if max_new is None:
        max_new = block_size - 1 - len(prompt)
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()

    idx = torch.tensor([[0] + vocab.encode(prompt)] * n, dtype=torch.long)  # (n, 1 + len(prompt))
    finished = torch.zeros(n, dtype=torch.bool)
    for _ in range(max_new):
        logits, _ = model(idx[:, -block_size:])  # the model sees at most block_size positions
        logits = logits[:, -1, :] / temperature
        if top_k is not None:
            kth = torch.topk(logits, top_k).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        nxt = torch.multinomial(logits.softmax(dim=-1), 1, generator=gen)  # (n, 1)
        nxt = nxt.masked_fill(finished[:, None], 0)  # names already ended stay ended
        idx = torch.cat([idx, nxt], dim=1)
        finished |= nxt[:, 0] == 0
        if finished.all():
            break

    model.train(was_training)
    return [prompt + vocab.decode(row[1 + len(prompt) :]) for row in idx.tolist()]


def fraction_in(samples: list[str], words) -> float:
    """Share of samples that are already in words (e.g. the training set): memorised, not invented."""
    known = set(words)
    return sum(s in known for s in samples) / len(samples) if samples else 0.0


# The series' fixed prompt set for name models: every post that trains a names model
# samples from these prefixes (plus the empty prompt), so posts can be compared.
NAME_PROMPTS = ("", "a", "el", "jo", "mar", "ka", "zy", "th")
