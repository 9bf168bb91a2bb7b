"""The domain-mixture benchmark: deterministic, pinned, split cleanly, small."""

import re

import pytest
import torch

from scratchbook.lab import mixture
from scratchbook.lab.mixture import DOMAINS, MixtureConfig, build_mixture
from scratchbook.lab.names import default_corpus_path, read_names

NAMES = [
    "emma", "liam", "olivia", "noah", "ava", "isabella", "sophia", "mason", "mia", "lucas",
    "charlotte", "ethan", "amelia", "oliver", "harper", "aiden", "evelyn", "elijah", "abigail", "james",
    "emily", "benjamin", "ella", "logan", "madison", "jacob", "avery", "jackson", "sofia", "michael",
]  # fmt: skip
SMALL = MixtureConfig(seed=7, n_names=30, n_arith=200, n_code=200)

# Pinned: if the generator's output changes, this fails. Bump GENERATOR_VERSION
# together with the new checksum (and re-run anything that reports numbers on it).
PINNED_VERSION = 1
PINNED_SHA256 = "811700da86f54ba6e98531d21860a97508be38c971d503e42c3096c4d028a5db"

ARITH = re.compile(r"^(\d+)([+-])(\d+)=(\d+)$")


@pytest.fixture(scope="module")
def small():
    return build_mixture(NAMES, SMALL)


@pytest.fixture(scope="module")
def full():
    """The default benchmark on the shipped names corpus."""
    return build_mixture(read_names(default_corpus_path()))


def lines_of(m, k):
    return [w for w, d in zip(m.train_lines, m.train_domains) if d == k]


def test_checksum_is_pinned(small):
    assert mixture.GENERATOR_VERSION == PINNED_VERSION
    assert small.sha256() == PINNED_SHA256
    assert mixture.corpus_sha256(NAMES, SMALL) == PINNED_SHA256


def test_generation_is_deterministic(small):
    again = build_mixture(list(NAMES), MixtureConfig(seed=7, n_names=30, n_arith=200, n_code=200))
    assert again.text() == small.text()
    assert torch.equal(again.train[0], small.train[0]) and torch.equal(again.train[1], small.train[1])
    other = build_mixture(NAMES, MixtureConfig(seed=8, n_names=30, n_arith=200, n_code=200))
    assert other.sha256() != small.sha256()


def test_domains_use_independent_generators():
    # a different names list must not change the generated arithmetic and code
    a = mixture.domain_lines(NAMES, SMALL)
    b = mixture.domain_lines(NAMES[:10], SMALL)
    assert a["arith"] == b["arith"] and a["code"] == b["code"]


def test_validation_sets_are_per_domain_and_disjoint_from_train(small, full):
    for m in (small, full):
        for k, d in enumerate(DOMAINS):
            train, val = lines_of(m, k), m.val_lines[d]
            assert len(val) > 0
            assert not set(train) & set(val)
            assert len(set(train)) == len(train) and len(set(val)) == len(val)
            assert len(val) == int((len(train) + len(val)) * m.config.val_fraction)


def test_domain_labels_match_content(small):
    for w, d in zip(small.train_lines, small.train_domains):
        if DOMAINS[d] == "names":
            assert w in NAMES
        elif DOMAINS[d] == "arith":
            assert ARITH.match(w), w
        else:
            assert not ARITH.match(w) and w not in NAMES
    assert small.train_domain.tolist() == small.train_domains
    X, Y, D = small.val_all()
    assert len(X) == len(Y) == len(D) == sum(map(len, small.val_lines.values()))
    assert D.tolist() == sorted(D.tolist())  # stacked in DOMAINS order


def test_arithmetic_is_correct_with_controlled_shares(full):
    lines = lines_of(full, 1) + full.val_lines["arith"]
    n_sub = n_carry = 0
    for w in lines:
        a, op, b, c = ARITH.match(w).groups()
        a, b, c = int(a), int(b), int(c)
        assert c == (a + b if op == "+" else a - b) and c >= 0
        assert all(s == "0" or not s.startswith("0") for s in (str(a), str(b)))
        n_sub += op == "-"
        n_carry += mixture.has_carry(a, b, op)
    cfg = full.config
    assert n_sub == round(cfg.n_arith * cfg.sub_share)
    assert abs(n_carry / len(lines) - cfg.carry_share) < 1e-3


def test_has_carry():
    assert mixture.has_carry(15, 7, "+") and not mixture.has_carry(12, 7, "+")
    assert mixture.has_carry(95, 5, "+")  # 9+0 alone would not carry, 5+5 does
    assert mixture.has_carry(42, 39, "-") and not mixture.has_carry(49, 39, "-")
    assert not mixture.has_carry(100, 0, "-")


def test_code_lines_are_valid_python(small):
    for w in lines_of(small, 2) + small.val_lines["code"]:
        compile(f"def _():\n    {w}\n", "<line>", "exec")  # inside a def, so `return` is legal


def test_encoding_is_makemores(small):
    X, Y = small.train
    assert X.shape == Y.shape == (len(small.train_lines), small.block_size)
    for row in (0, 1, 2, len(X) - 1):
        w = small.train_lines[row]
        n = len(w)
        assert X[row, 0] == 0 and small.vocab.decode(X[row, 1:]) == w
        assert Y[row, :n].tolist() == X[row, 1 : n + 1].tolist()
        assert Y[row, n] == 0 and (Y[row, n + 1 :] == -1).all()
    assert small.block_size == max(map(len, small.train_lines + sum(small.val_lines.values(), []))) + 1
    # one shared vocabulary: every character of every domain, plus the start/end token
    chars = set("".join(small.train_lines + sum(small.val_lines.values(), [])))
    assert set(small.vocab.chars) == chars and small.vocab.size == len(chars) + 1


def test_token_domains(small):
    X, Y = small.train
    D = mixture.token_domains(Y[:4], small.train_domain[:4])
    assert D.shape == Y[:4].shape
    assert ((D == -1) == (Y[:4] == -1)).all()
    assert (D[:, 0] == small.train_domain[:4]).all()


def test_full_benchmark_is_small(full):
    sizes = full.sizes()
    assert len(full.text().encode("utf-8")) < mixture.MAX_BYTES
    assert full.train[0].numel() * 8 * 2 < 50_000_000  # X and Y in memory stay modest
    for d in DOMAINS:
        assert sizes[d]["train_lines"] + sizes[d]["val_lines"] == 10_000


def test_reserved_characters_are_rejected():
    with pytest.raises(AssertionError):
        build_mixture(["ann.marie", "bob"], MixtureConfig(n_names=2, n_arith=10, n_code=10))
