"""The names data set: reading, vocabulary, split and encoding, in makemore's format.

A names file holds one name per line. Every name becomes one training example:
the model reads a start token followed by the name and must predict the name
followed by an end token. Index 0 is both the start and the end token (".").

Everything here is compatible with karpathy/makemore: the same vocabulary, the
same block size, the same train/test split for the same seed and the same
(x, y) tensors, so numbers measured here can be set beside makemore's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

# makemore's default seed; the split depends on it.
SPLIT_SEED = 3407


def default_corpus_path() -> Path:
    """The names corpus shipped with the package (derived from the US SSA baby names)."""
    return Path(__file__).resolve().parent / "data" / "names_ssa_2017.txt"


def read_names(path: str | Path) -> list[str]:
    """One name per line; surrounding whitespace stripped, empty lines dropped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    words = [line.strip() for line in lines]
    return [w for w in words if w]


@dataclass(frozen=True)
class Vocab:
    """The characters of a corpus. Index 0 is reserved for the start/end token."""

    chars: str  # the sorted distinct characters; chars[i] has index i + 1

    @classmethod
    def from_words(cls, words: list[str]) -> Vocab:
        return cls("".join(sorted(set("".join(words)))))

    @property
    def size(self) -> int:
        return len(self.chars) + 1  # +1 for the start/end token

    @property
    def stoi(self) -> dict[str, int]:
        return {ch: i + 1 for i, ch in enumerate(self.chars)}

    @property
    def itos(self) -> dict[int, str]:
        return {0: ".", **{i + 1: ch for i, ch in enumerate(self.chars)}}

    def encode(self, word: str) -> list[int]:
        stoi = self.stoi
        return [stoi[ch] for ch in word]

    def decode(self, ids) -> str:
        """Characters for ids, stopping at the first end token (0)."""
        out = []
        for i in ids:
            i = int(i)
            if i == 0:
                break
            out.append(self.chars[i - 1])
        return "".join(out)


def block_size_for(words: list[str]) -> int:
    """Positions the model must see: the start token plus the longest name."""
    return max(len(w) for w in words) + 1


def split_words(words: list[str], seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """makemore's split: a seeded permutation; the last min(1000, 10%) names are the test set."""
    test_size = min(1000, int(len(words) * 0.1))
    perm = torch.randperm(len(words), generator=torch.Generator().manual_seed(seed)).tolist()
    train = [words[i] for i in perm[:-test_size]]
    test = [words[i] for i in perm[-test_size:]]
    return train, test


def encode_words(words: list[str], vocab: Vocab, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs X and targets Y, both (len(words), block_size) int64, as makemore builds them.

    For "emma" with block size 6:  x = [0, e, m, m, a, 0]   y = [e, m, m, a, 0, -1]
    x is the start token then the name, padded with 0; y is x shifted left by one:
    the name then the end token, then -1 where there is nothing to predict
    (cross-entropy is called with ignore_index=-1).
    """
    X = torch.zeros(len(words), block_size, dtype=torch.long)
    Y = torch.full((len(words), block_size), -1, dtype=torch.long)
    for row, word in enumerate(words):
        ids = torch.tensor(vocab.encode(word), dtype=torch.long)
        n = len(ids)
        X[row, 1 : 1 + n] = ids
        Y[row, :n] = ids
        Y[row, n] = 0  # the end token
    return X, Y


@dataclass
class NamesData:
    """A names corpus, split and encoded, ready for training in memory."""

    words: list[str]
    vocab: Vocab
    block_size: int
    train_words: list[str]
    test_words: list[str]
    train: tuple[torch.Tensor, torch.Tensor]  # (X, Y)
    test: tuple[torch.Tensor, torch.Tensor]  # (X, Y)


def load_names(path: str | Path | None = None, seed: int = SPLIT_SEED) -> NamesData:
    """Read a names file (the shipped corpus by default), split and encode it."""
    words = read_names(default_corpus_path() if path is None else path)
    vocab = Vocab.from_words(words)
    block_size = block_size_for(words)
    train_words, test_words = split_words(words, seed)
    return NamesData(
        words=words,
        vocab=vocab,
        block_size=block_size,
        train_words=train_words,
        test_words=test_words,
        train=encode_words(train_words, vocab, block_size),
        test=encode_words(test_words, vocab, block_size),
    )


def context_windows(words: list[str], vocab: Vocab, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One example per character (makemore lecture 2 style): the previous block_size
    token ids, padded with 0 on the left, and the next token id.

    "emma" with block_size 3 gives ... -> e, ..e -> m, .em -> m, emm -> a, mma -> . (0).
    """
    rows, targets = [], []
    for word in words:
        context = [0] * block_size
        for ix in vocab.encode(word) + [0]:
            rows.append(context)
            targets.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(rows, dtype=torch.long), torch.tensor(targets, dtype=torch.long)
