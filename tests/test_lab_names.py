from pathlib import Path

import pytest
import torch

from scratchbook.lab.names import (
    Vocab,
    block_size_for,
    default_corpus_path,
    encode_words,
    load_names,
    read_names,
    split_words,
)

MAKEMORE_NAMES = Path(__file__).resolve().parents[2] / "shared/data/names.txt"


def test_read_names_strips_and_drops_empty_lines(tmp_path):
    f = tmp_path / "n.txt"
    f.write_text("emma\n  olivia \n\n\nava\n   \nisabella")  # no final newline
    assert read_names(f) == ["emma", "olivia", "ava", "isabella"]


def test_vocab_reserves_zero_and_round_trips():
    v = Vocab.from_words(["emma", "bob"])
    assert v.chars == "abemo"
    assert v.size == 6
    assert v.encode("mob") == [4, 5, 2]
    assert v.decode([4, 5, 2, 0, 1, 1]) == "mob"  # stops at the end token
    assert v.itos[0] == "." and v.stoi["a"] == 1


def test_encoding_matches_makemore_layout():
    v = Vocab.from_words(["emma", "al"])
    X, Y = encode_words(["emma", "al"], v, block_size=6)
    e, m, a, l = (v.stoi[c] for c in "emal")
    assert X.tolist() == [[0, e, m, m, a, 0], [0, a, l, 0, 0, 0]]
    assert Y.tolist() == [[e, m, m, a, 0, -1], [a, l, 0, -1, -1, -1]]
    assert X.dtype == Y.dtype == torch.long


def test_block_size_and_split_sizes():
    words = [f"n{'a' * (i % 7)}" for i in range(50)]
    assert block_size_for(words) == 8
    train, test = split_words(words)
    assert len(test) == 5 and len(train) == 45  # 10% while under 10,000 names
    assert sorted(train + test) == sorted(words)
    assert split_words(words, seed=1) != (train, test)
    assert split_words(words) == (train, test)


def test_split_matches_global_seed_permutation():
    # makemore seeds the global generator and calls randperm; a fresh seeded generator is the same stream
    words = [f"w{i}" for i in range(20000)]
    train, test = split_words(words, seed=3407)
    torch.manual_seed(3407)
    perm = torch.randperm(len(words)).tolist()
    assert len(test) == 1000
    assert test == [words[i] for i in perm[-1000:]]
    assert train == [words[i] for i in perm[:-1000]]


def test_default_corpus_path_points_into_package():
    p = default_corpus_path()
    assert p.name == "names_ssa_2017.txt"
    assert p.parent.name == "data" and p.parent.parent.name == "lab"


@pytest.mark.skipif(not MAKEMORE_NAMES.exists(), reason="makemore's names.txt not beside the repo")
def test_makemore_names_file_compatibility():
    d = load_names(MAKEMORE_NAMES)
    assert len(d.words) == 32033
    assert d.vocab.size == 27 and d.vocab.chars == "abcdefghijklmnopqrstuvwxyz"
    assert d.block_size == 16
    assert len(d.train_words) == 31033 and len(d.test_words) == 1000
    assert d.train[0].shape == d.train[1].shape == (31033, 16)
    assert d.test[0].shape == (1000, 16)
    # every row: start token, then the name; targets are the name shifted by one
    X, Y = d.train
    assert (X[:, 0] == 0).all()
    assert torch.equal(X[:, 1:][Y[:, :-1] != -1], Y[:, :-1][Y[:, :-1] != -1])
    assert d.vocab.decode(X[0, 1:]) == d.train_words[0]
