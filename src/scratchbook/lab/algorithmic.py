"""Four small algorithmic tasks whose difficulty we can measure, one example at a time.

Each task turns a string of characters into answers, and for every answer we
know how far back in the input it depends: its *reach*, in positions. A model
whose attention only sees a short window has to spend more passes to cover a
longer reach, which is what Part 5 measures.

- parity: a string of bits; at every bit, the parity of the bits so far.
- addition: two numbers, least significant digit first, one column at a time
  ("a b |"); at every column the sum digit, and at "=" the final carry.
  Least significant first, because a causal model can only write a digit
  after reading everything it depends on, and a carry comes from below; the
  "|" lets a position tell the two numbers' digits apart by looking one
  column back, instead of counting from the start.
- balance: a string of parentheses and "?"; at "?", 1 if the string is balanced.
  An unbalanced string can give itself away near the end (a suffix that opens
  more than it closes), a balanced one only by reading it all.
- sorted: a string of digits; at every digit, 1 if the digits so far never go down.

Everything is character-level and shares one vocabulary. Like makemore, an
example is encoded as X = start token + characters, and Y holds, per position,
the target character or -1 where there is nothing to predict. Parity, addition
and sorted are supervised at every prefix; balance has one answer, at the end.

Known shortcuts, designed out (each was found by a model at toy scale):

- unbalanced strings that give themselves away at the ends or in the counts:
  a negative here is a balanced string with one "()" at depth 0 turned round,
  so it starts with "(", ends with ")", has as many "(" as ")", and dips to
  depth -1 once; only the running count tells it apart;
- random addition almost never carries far (a carry ripples through a column
  only if its digits sum to 9, one chance in ten), so a model that looks one
  column back gets nearly everything right. Every example plants one run of
  9-sum columns of random length behind a column that either makes a carry or
  kills it, and a share of the other columns sum to 9 too;
- unsorted strings that are far from sorted: a negative is a sorted string with
  one adjacent pair swapped, so exactly one place gives it away.

Generators draw only from random.Random.getrandbits and random(), whose
output has not changed across Python versions, through _below(). Anything that
changes the strings a seed produces must bump GENERATOR_VERSION; a test pins
the sha256 of a reference suite.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import torch

GENERATOR_VERSION = 1

CHARS = ".0123456789()|=?"  # "." is the start token (index 0) and the padding after an example
STOI = {c: i for i, c in enumerate(CHARS)}
VOCAB_SIZE = len(CHARS)
NO_TARGET = " "  # in Example.targets: this position has nothing to predict


@dataclass(frozen=True)
class Example:
    task: str
    text: str  # what the model reads after the start token
    targets: str  # per character of text: the answer there, or NO_TARGET
    reach: tuple[int, ...]  # per character: how many positions back its answer depends (0 = no target)
    difficulty: int  # the task's own measure: length, longest carry ripple, distance to the evidence
    shown: str  # for people: "57+68=125", "(()())?=1"


@dataclass(frozen=True)
class Task:
    name: str
    lengths: tuple[int, int]  # training and test lengths (the task's size knob), inclusive
    long_lengths: tuple[int, int]  # held out: longer inputs, for extrapolation
    halting: str  # "position": an answer at every prefix; "answer": one answer at the end
    difficulty_name: str


# -----------------------------------------------------------------------------
# version-stable randomness


def _below(rng: random.Random, n: int) -> int:
    """Uniform integer in [0, n) by rejection from getrandbits (stable across Python versions)."""
    if n <= 1:
        return 0
    k = n.bit_length()
    while True:
        r = rng.getrandbits(k)
        if r < n:
            return r


def _between(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi]."""
    return lo + _below(rng, hi - lo + 1)


def _shuffle(rng: random.Random, items: list) -> list:
    """Fisher-Yates with _below, in place."""
    for i in range(len(items) - 1, 0, -1):
        j = _below(rng, i + 1)
        items[i], items[j] = items[j], items[i]
    return items


# -----------------------------------------------------------------------------
# parity


def parity(rng: random.Random, n: int) -> Example:
    bits = "".join(str(_below(rng, 2)) for _ in range(n))
    targets, p = [], 0
    for b in bits:
        p ^= int(b)
        targets.append(str(p))
    # the bit at position i (the start token is position 0) depends on every bit
    # back to the start, and only the start token says where that is
    reach = tuple(range(1, n + 1))
    return Example("parity", bits, "".join(targets), reach, n, f"{bits} -> {targets[-1]}")


# -----------------------------------------------------------------------------
# addition


def _digits_summing(rng: random.Random, s: int) -> tuple[int, int]:
    a = _between(rng, max(0, s - 9), min(9, s))
    return a, s - a


def addition(rng: random.Random, n: int, nine_share: float = 0.25) -> Example:
    """n columns; digit pairs are planned by their sum, so carry ripples of every length occur."""
    kinds = []  # per column: "nine", "carry" (sum >= 10), "kill" (sum <= 8) or "any"
    for _ in range(n):
        kinds.append("nine" if rng.random() < nine_share else "any")
    run = _below(rng, n)  # planted run of 9-sum columns, 0 .. n-1 long
    start = _below(rng, n - run)  # the column that makes or kills the carry
    kinds[start] = "carry" if _below(rng, 2) else "kill"
    for k in range(start + 1, start + 1 + run):
        kinds[k] = "nine"
    a, b = [], []
    for kind in kinds:
        if kind == "any":
            x, y = _below(rng, 10), _below(rng, 10)
        else:
            s = {"nine": 9, "carry": _between(rng, 10, 18), "kill": _between(rng, 0, 8)}[kind]
            x, y = _digits_summing(rng, s)
        a.append(x)
        b.append(y)
    return addition_example(a, b)


def addition_example(a: list[int], b: list[int]) -> Example:
    """Encode a + b (digit lists, least significant first, same length) with targets and reach."""
    n = len(a)
    text, targets, reach = [], [], []
    carry, last_decided = 0, None
    for k in range(n):
        if k:
            text.append("|")
            targets.append(NO_TARGET)
            reach.append(0)
        pos_b = 3 * k + 2  # positions: start 0, then a_k at 3k+1, b_k at 3k+2, "|" at 3k+3
        s = a[k] + b[k] + carry
        text += [str(a[k]), str(b[k])]
        targets += [NO_TARGET, str(s % 10)]
        # the carry into column k is settled by the nearest column below whose
        # digits do not sum to 9; if there is none, only the start token says so
        reach += [0, pos_b - (3 * last_decided + 1) if last_decided is not None else pos_b]
        if a[k] + b[k] != 9:
            last_decided = k
        carry = int(s >= 10)
    pos_eq = 3 * n
    text.append("=")
    targets.append(str(carry))
    reach.append(pos_eq - (3 * last_decided + 1) if last_decided is not None else pos_eq)
    x = int("".join(map(str, reversed(a))))
    y = int("".join(map(str, reversed(b))))
    ripple = carry_ripple(a, b)
    return Example("addition", "".join(text), "".join(targets), tuple(reach), ripple, f"{x}+{y}={x + y}")


def carry_ripple(a: list[int], b: list[int]) -> int:
    """Longest distance, in columns, that a carry travels: 0 = no carry, 1 = into the next column."""
    longest, chain, carry = 0, 0, 0
    for x, y in zip(a, b):
        if x + y >= 10:
            chain = 1  # a new carry starts here
        elif x + y == 9 and carry:
            chain += 1  # the incoming carry ripples through
        else:
            chain = 0
        carry = int(x + y + carry >= 10)
        longest = max(longest, chain)
    return longest


# -----------------------------------------------------------------------------
# balance


def depths(parens: str) -> list[int]:
    """Running depth after each character."""
    out, d = [], 0
    for c in parens:
        d += 1 if c == "(" else -1
        out.append(d)
    return out


def is_balanced(parens: str) -> bool:
    ds = depths(parens)
    return not ds or (min(ds) >= 0 and ds[-1] == 0)


def dyck(rng: random.Random, m: int) -> str:
    """A uniformly random balanced string of m "(" and m ")", by rejection (accepted 1 time in m+1)."""
    while True:
        s = "".join(_shuffle(rng, ["("] * m + [")"] * m))
        if is_balanced(s):
            return s


def balance(rng: random.Random, n: int) -> Example:
    """n characters (n even, >= 6): A + "()" + D (balanced) or A + ")(" + D (not), A and D balanced.

    The two classes differ only in that one pair, so both start with "(", end
    with ")" and have as many "(" as ")"; a negative dips to depth -1 exactly
    once. Its evidence, read from the end, is "(" + D, so len(D) sets how far
    back the answer must look, and it is drawn uniformly.
    """
    m = n // 2
    assert n == 2 * m and m >= 3, "balance needs an even length of at least 6"
    d = _between(rng, 1, m - 2)  # pairs in D
    a = m - 1 - d  # pairs in A
    want = bool(_below(rng, 2))
    s = dyck(rng, a) + ("()" if want else ")(") + dyck(rng, d)
    text = s + "?"
    answer = "1" if want else "0"
    reach = balance_reach(s)
    return Example("balance", text, NO_TARGET * n + answer, (0,) * n + (reach,), reach, f"{s} -> {answer}")


def balance_reach(parens: str) -> int:
    """How far back from the "?" after parens its answer depends.

    Read from the end, a string with equal counts is unbalanced exactly when some
    suffix opens more than it closes; the shortest such suffix is the evidence,
    and the "?" needs to see back to its first character. Balanced strings have
    no evidence to find: every character counts, back to the start token.
    """
    opened = 0
    for k, c in enumerate(reversed(parens), start=1):
        opened += 1 if c == "(" else -1
        if opened > 0:
            return k
    return len(parens) + 1


# -----------------------------------------------------------------------------
# sorted


def sorted_digits(rng: random.Random, n: int) -> Example:
    """n digits (n >= 2); half non-decreasing, half with one adjacent pair swapped.

    At every digit: 1 if the digits so far never go down. Once a descent has
    been read the answer is 0 from there on, and it depends on the descent, not
    on the start: the reach is back to the descent's first digit.
    """
    while True:
        d = sorted(_below(rng, 10) for _ in range(n))
        ups = [i for i in range(n - 1) if d[i] < d[i + 1]]
        if ups:
            break
    want = bool(_below(rng, 2))
    if not want:
        i = ups[_below(rng, len(ups))]
        d[i], d[i + 1] = d[i + 1], d[i]  # exactly one descent, between digits i and i+1 (0-based)
    targets, reach, first = [], [], None  # first: position of the descent's first digit, once seen
    for pos in range(1, n + 1):  # digit pos-1 sits at position pos (the start token is at 0)
        if pos >= 2 and d[pos - 2] > d[pos - 1]:
            first = pos - 1
        targets.append("1" if first is None else "0")
        reach.append(pos if first is None else pos - first)
    text = "".join(map(str, d))
    return Example("sorted", text, "".join(targets), tuple(reach), reach[-1], f"{text} -> {targets[-1]}")


# -----------------------------------------------------------------------------
# the suite

TASKS = {
    "parity": Task("parity", (1, 16), (17, 32), "position", "length"),
    "addition": Task("addition", (1, 5), (6, 10), "position", "longest carry ripple (columns)"),
    "balance": Task("balance", (6, 16), (18, 32), "answer", "distance to the evidence"),
    "sorted": Task("sorted", (2, 16), (17, 32), "position", "distance to the evidence"),
}
GENERATORS = {"parity": parity, "addition": addition, "balance": balance, "sorted": sorted_digits}


def generate(task: str, n_examples: int, lengths: tuple[int, int], seed: int) -> list[Example]:
    """n_examples of task with their size drawn uniformly from lengths (inclusive); deterministic."""
    rng = random.Random(f"{GENERATOR_VERSION}:{task}:{seed}")  # str seeds hash with sha512: stable
    gen = GENERATORS[task]
    lo, hi = lengths
    out = []
    for _ in range(n_examples):
        if task == "balance":  # even lengths only, each as likely
            n = 2 * _between(rng, (lo + 1) // 2, hi // 2)
        else:
            n = _between(rng, lo, hi)
        out.append(gen(rng, n))
    return out


def checksum(examples: list[Example]) -> str:
    """sha256 over the examples' text, targets, reach and difficulty."""
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.task}\t{e.text}\t{e.targets}\t{','.join(map(str, e.reach))}\t{e.difficulty}\n".encode())
    return h.hexdigest()


def suite_checksum(n_examples: int = 200, seed: int = 0) -> str:
    """One hash for the whole suite at its standard lengths (pinned by a test)."""
    return checksum([e for name, t in TASKS.items() for e in generate(name, n_examples, t.lengths, seed)])


@dataclass
class TaskData:
    """A split as tensors: X, Y (N, T) like makemore; reach (N, T), -1 where no target."""

    examples: list[Example]
    X: torch.Tensor
    Y: torch.Tensor
    reach: torch.Tensor
    difficulty: torch.Tensor  # (N,)

    def __len__(self):
        return len(self.examples)


def encode(examples: list[Example], width: int | None = None) -> TaskData:
    """Start token + characters, padded with the start token; targets -1 where there are none."""
    T = width or 1 + max(len(e.text) for e in examples)
    X, Y, R = [], [], []
    for e in examples:
        assert len(e.text) < T, f"example of length {len(e.text)} does not fit width {T}"
        pad = [0] * (T - 1 - len(e.text))
        X.append([0] + [STOI[c] for c in e.text] + pad)
        Y.append([-1] + [-1 if c == NO_TARGET else STOI[c] for c in e.targets] + [-1] * len(pad))
        R.append([-1] + [-1 if c == NO_TARGET else r for c, r in zip(e.targets, e.reach)] + [-1] * len(pad))
    D = [e.difficulty for e in examples]
    return TaskData(examples, torch.tensor(X), torch.tensor(Y), torch.tensor(R), torch.tensor(D))


def splits(task: str, n_train: int = 8000, n_test: int = 1000, n_long: int = 1000, seed: int = 0) -> dict:
    """train / test at the task's lengths, long at its held-out longer lengths; distinct seeds."""
    t = TASKS[task]
    return {
        "train": encode(generate(task, n_train, t.lengths, 3 * seed)),
        "test": encode(generate(task, n_test, t.lengths, 3 * seed + 1)),
        "long": encode(generate(task, n_long, t.long_lengths, 3 * seed + 2)),
    }
