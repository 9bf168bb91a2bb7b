"""The domain-mixture benchmark: names, arithmetic and tiny Python, one line at a time.

Three small character-level corpora are mixed into one stream of short lines:

    names   emma            liam            olivia
    arith   23+45=68        7-5=2           108+96=204
    code    x = y + 3       print(a)        for i in range(5): s += i

A model trained on the mixture has to be three small language models at once,
which makes it a good place to ask whether a mixture-of-experts router learns
to send each domain to its own experts. The domains share characters (names and
code share letters, arithmetic and code share digits and + - =), so a router can
split the work by domain, by character, or by something else entirely.

Names come from the caller (Part 3's corpus); arithmetic and code are generated
here from seeded ``random.Random`` instances with integer seeds, using only
``randrange``, ``choice``, ``random`` and ``shuffle``, whose outputs Python keeps
stable across versions, and never iterating a set or dict of strings (whose
order depends on hash randomisation). So the corpus is the same, byte for byte,
on every machine; ``corpus_sha256`` fingerprints it and the tests pin it.
Change anything that changes the output and bump GENERATOR_VERSION.

Encoding is makemore's (see names.py): one shared vocabulary over the three
domains with index 0 as the start/end token, one example per line, X/Y padded
to a common block size with 0 / -1.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import torch

from scratchbook.lab.names import Vocab, encode_words

GENERATOR_VERSION = 1
DOMAINS = ("names", "arith", "code")  # domain label d means DOMAINS[d]
MAX_BYTES = 5_000_000  # the series' budget per experiment


@dataclass
class MixtureConfig:
    seed: int = 1234
    n_names: int = 10_000  # at most this many distinct names are drawn from the list given
    n_arith: int = 10_000  # distinct arithmetic lines
    n_code: int = 10_000  # distinct code lines
    val_fraction: float = 0.1  # of each domain, held out as its validation set
    max_digits: int = 3  # arithmetic operands have 1..max_digits digits
    sub_share: float = 0.3  # share of arithmetic lines that subtract (the rest add)
    carry_share: float = 0.5  # share of arithmetic lines with a carry (add) or borrow (sub)


# -----------------------------------------------------------------------------
# arithmetic: a+b=c and a-b=c with a >= b, with a controlled share of carries


def has_carry(a: int, b: int, op: str) -> bool:
    """Does column-wise a+b carry (or a-b borrow) anywhere?

    Addition carries iff some column's digits sum to 10 or more. Subtraction
    (a >= b) borrows iff some column of a has a smaller digit than b's: the
    first such column from the right must borrow, and without one none does.
    """
    while a or b:
        da, db = a % 10, b % 10
        if (op == "+" and da + db >= 10) or (op == "-" and da < db):
            return True
        a, b = a // 10, b // 10
    return False


def _number(rng: random.Random, max_digits: int) -> int:
    digits = rng.randrange(1, max_digits + 1)
    lo = 0 if digits == 1 else 10 ** (digits - 1)  # no leading zeros
    return rng.randrange(lo, 10**digits)


def arith_line(rng: random.Random, op: str, carry: bool, max_digits: int) -> str:
    """One line a+b=c or a-b=c (a >= b) that has a carry/borrow iff carry."""
    # rejection sampling: draw operands until the line has (or lacks) a carry as asked
    while True:
        a, b = _number(rng, max_digits), _number(rng, max_digits)
        if op == "-" and a < b:
            a, b = b, a  # keep results non-negative: no '-' sign in front of numbers
        if has_carry(a, b, op) == carry:
            break
    c = a + b if op == "+" else a - b
    return f"{a}{op}{b}={c}"


def arith_lines(rng: random.Random, cfg: MixtureConfig) -> list[str]:
    """cfg.n_arith distinct lines with exactly the configured shares of '-' and of carries."""
    n_sub = round(cfg.n_arith * cfg.sub_share)
    lines = []
    for op, n_op in (("+", cfg.n_arith - n_sub), ("-", n_sub)):
        n_carry = round(n_op * cfg.carry_share)
        for carry, n in ((True, n_carry), (False, n_op - n_carry)):
            lines += _distinct(lambda op=op, carry=carry: arith_line(rng, op, carry, cfg.max_digits), n)
    rng.shuffle(lines)
    return lines


# -----------------------------------------------------------------------------
# code: one-liners from a small grammar (letters, digits, operators, punctuation)

_VARS = ("a", "b", "c", "i", "j", "n", "s", "x", "y", "total", "count", "val")
_LOOP_VARS = ("i", "j", "k")
_FUNCS = ("f", "g", "add", "step")
_OPS = ("+", "-", "*", "//", "%")
_CMPS = ("<", ">", "<=", ">=", "==", "!=")


def _atom(rng: random.Random) -> str:
    return rng.choice(_VARS) if rng.random() < 0.6 else str(rng.randrange(100))


def _expr(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return _atom(rng)
    return f"{rng.choice(_VARS)} {rng.choice(_OPS)} {_atom(rng)}"


def code_line(rng: random.Random) -> str:
    v, w = rng.choice(_VARS), rng.choice(_VARS)
    kind = rng.randrange(10)
    if kind == 0:
        return f"{v} = {_expr(rng)}"
    if kind == 1:
        return f"{v} {rng.choice(('+', '-', '*'))}= {_atom(rng)}"
    if kind == 2:
        return f"print({_expr(rng)})"
    if kind == 3:
        return f"return {_expr(rng)}"
    if kind == 4:
        return f"if {v} {rng.choice(_CMPS)} {_atom(rng)}: {w} = {_atom(rng)}"
    if kind == 5:
        i = rng.choice(_LOOP_VARS)
        return f"for {i} in range({rng.randrange(1, 20)}): {v} += {i}"
    if kind == 6:
        return f"while {v} < {rng.randrange(1, 100)}: {v} += {rng.randrange(1, 10)}"
    if kind == 7:
        p = rng.choice(("a", "n", "x"))
        return f"def {rng.choice(_FUNCS)}({p}): return {p} {rng.choice(_OPS)} {rng.randrange(1, 10)}"
    if kind == 8:
        return f"{v} = [{_atom(rng)}, {_atom(rng)}]"
    return f"{v} = {rng.choice(('max', 'min'))}({_atom(rng)}, {_atom(rng)})"


# -----------------------------------------------------------------------------
# the corpus: distinct lines per domain, split, mixed


def _distinct(make, n: int) -> list[str]:
    """n distinct lines from make(), in order of first appearance."""
    lines, seen = [], set()  # the set only answers "seen before?"; order comes from the list
    tries = 0
    while len(lines) < n:
        tries += 1
        if tries > 20 * n + 1000:
            raise ValueError(f"could not generate {n} distinct lines; the grammar is too small")
        line = make()
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def domain_lines(names: list[str], cfg: MixtureConfig) -> dict[str, list[str]]:
    """The distinct lines of each domain, in a seeded random order (not yet split)."""
    # one generator per domain, so resizing one domain leaves the others unchanged
    rng_names, rng_arith, rng_code = (random.Random(cfg.seed * 10 + k) for k in (1, 2, 3))
    picked = list(dict.fromkeys(n.strip() for n in names if n.strip()))  # dedupe, keep order
    rng_names.shuffle(picked)
    return {
        "names": picked[: cfg.n_names],
        "arith": arith_lines(rng_arith, cfg),
        "code": _distinct(lambda: code_line(rng_code), cfg.n_code),
    }


@dataclass
class MixtureData:
    """The mixture, split and encoded, ready for training in memory.

    train is one shuffled stream of all three domains; val is held out per
    domain (no line of a domain's validation set appears in training).
    """

    config: MixtureConfig
    vocab: Vocab
    block_size: int
    train_lines: list[str]
    train_domains: list[int]  # index into DOMAINS, per training line
    val_lines: dict[str, list[str]]  # domain name -> its validation lines
    train: tuple[torch.Tensor, torch.Tensor]  # (X, Y), each (n_train, block_size)
    train_domain: torch.Tensor  # (n_train,) int64 domain label per example
    val: dict[str, tuple[torch.Tensor, torch.Tensor]]  # domain name -> (X, Y)

    def val_all(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """All validation sets stacked, in DOMAINS order: X, Y and the domain label per row."""
        X = torch.cat([self.val[d][0] for d in DOMAINS])
        Y = torch.cat([self.val[d][1] for d in DOMAINS])
        sizes = [len(self.val_lines[d]) for d in DOMAINS]
        D = torch.repeat_interleave(torch.arange(len(DOMAINS)), torch.tensor(sizes))
        return X, Y, D

    def text(self) -> str:
        return corpus_text(self.train_lines, self.train_domains, self.val_lines)

    def sha256(self) -> str:
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def sizes(self) -> dict[str, dict[str, int]]:
        """Lines and characters per domain and split (characters exclude newlines)."""
        out = {}
        for k, d in enumerate(DOMAINS):
            tr = [w for w, dd in zip(self.train_lines, self.train_domains) if dd == k]
            out[d] = {
                "train_lines": len(tr),
                "val_lines": len(self.val_lines[d]),
                "train_chars": sum(map(len, tr)),
                "val_chars": sum(map(len, self.val_lines[d])),
            }
        return out


def corpus_text(train_lines, train_domains, val_lines) -> str:
    """The canonical text of a mixture: one "split<TAB>domain<TAB>line" row per example.

    Split and domain are part of the text, so the checksum also pins which lines
    were held out and how the training stream is ordered.
    """
    rows = [f"train\t{DOMAINS[d]}\t{w}\n" for w, d in zip(train_lines, train_domains)]
    rows += [f"val\t{d}\t{w}\n" for d in DOMAINS for w in val_lines[d]]
    return "".join(rows)


def build_mixture(names: list[str], cfg: MixtureConfig | None = None) -> MixtureData:
    """Generate, split, mix and encode the benchmark. names: e.g. Part 3's corpus words."""
    cfg = cfg or MixtureConfig()
    per_domain = domain_lines(names, cfg)
    for d, lines in per_domain.items():
        bad = [w for w in lines if any(ch in w for ch in ".\t\n")]
        assert not bad, f"{d}: '.', tab and newline are reserved, got {bad[:3]}"

    train_lines, train_domains, val_lines = [], [], {}
    for k, d in enumerate(DOMAINS):
        lines = per_domain[d]  # already in random order, so the tail is a random sample
        n_val = max(1, int(len(lines) * cfg.val_fraction)) if len(lines) > 1 else 0
        val_lines[d] = lines[len(lines) - n_val :]
        train_lines += lines[: len(lines) - n_val]
        train_domains += [k] * (len(lines) - n_val)
    # interleave the domains: shuffle (line, domain) pairs together
    order = list(range(len(train_lines)))
    random.Random(cfg.seed * 10 + 4).shuffle(order)
    train_lines = [train_lines[i] for i in order]
    train_domains = [train_domains[i] for i in order]

    everything = train_lines + [w for d in DOMAINS for w in val_lines[d]]
    text = corpus_text(train_lines, train_domains, val_lines)
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"mixture is {len(text.encode('utf-8'))} bytes, over the {MAX_BYTES} budget")
    vocab = Vocab.from_words(everything)
    block_size = max(map(len, everything)) + 1  # start token + the longest line
    return MixtureData(
        config=cfg,
        vocab=vocab,
        block_size=block_size,
        train_lines=train_lines,
        train_domains=train_domains,
        val_lines=val_lines,
        train=encode_words(train_lines, vocab, block_size),
        train_domain=torch.tensor(train_domains, dtype=torch.long),
        val={d: encode_words(val_lines[d], vocab, block_size) for d in DOMAINS},
    )


def corpus_sha256(names: list[str], cfg: MixtureConfig | None = None) -> str:
    """sha256 of the generated corpus text for these names and config."""
    return build_mixture(names, cfg).sha256()


def token_domains(Y: torch.Tensor, domain: torch.Tensor) -> torch.Tensor:
    """Per-position domain labels (B, T) for a batch: the row's label, -1 where Y is padding."""
    D = domain[:, None].expand_as(Y).clone()
    D[Y == -1] = -1
    return D
