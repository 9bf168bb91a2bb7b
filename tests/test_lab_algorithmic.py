"""The algorithmic suite: pinned output, correct answers, and the shortcuts designed out."""

import random

import pytest

from scratchbook.lab.algorithmic import (
    CHARS,
    GENERATOR_VERSION,
    NO_TARGET,
    TASKS,
    addition,
    addition_example,
    balance,
    balance_reach,
    carry_ripple,
    checksum,
    depths,
    encode,
    generate,
    is_balanced,
    parity,
    sorted_digits,
    suite_checksum,
)

# Changing what a seed generates must bump GENERATOR_VERSION and this hash together.
PINNED = {1: "397432ef4cbcbe47adb3feaa950c522a9d7d5cd6aaaec7a18ee9a1648f3d8b92"}


def test_suite_checksum_is_pinned():
    assert suite_checksum() == PINNED[GENERATOR_VERSION]


@pytest.mark.parametrize("task", list(TASKS))
def test_generation_is_deterministic(task):
    lengths = TASKS[task].lengths
    a, b = generate(task, 100, lengths, seed=7), generate(task, 100, lengths, seed=7)
    assert a == b and checksum(a) == checksum(b)
    assert checksum(generate(task, 100, lengths, seed=8)) != checksum(a)


@pytest.mark.parametrize("task", list(TASKS))
def test_lengths_and_alignment(task):
    t = TASKS[task]
    for lengths in (t.lengths, t.long_lengths):
        for e in generate(task, 200, lengths, seed=1):
            assert len(e.targets) == len(e.reach) == len(e.text)
            assert all((c == NO_TARGET) == (r == 0) for c, r in zip(e.targets, e.reach))
            assert set(e.text) <= set(CHARS[1:])
            # no answer can depend on more than what precedes it (start token at position 0)
            assert all(r <= i for i, r in enumerate(e.reach, start=1))


def test_parity_answers_every_prefix():
    e = parity(random.Random(0), 12)
    assert e.targets == "".join(str(e.text[: i + 1].count("1") % 2) for i in range(12))
    assert e.reach == tuple(range(1, 13)) and e.difficulty == 12


def test_addition_answers_and_reach_by_hand():
    # 545 + 455: column 0 makes a carry, columns 1 and 2 sum to 9 and pass it on
    e = addition_example([5, 4, 5], [5, 5, 4])
    assert e.text == "55|45|54=" and e.shown == "545+455=1000"
    assert e.targets == " 0  0  01"
    # b_0 sees the start token 2 back; the carry into columns 1, 2 and out of 2 is settled by a_0
    assert e.reach == (0, 2, 0, 0, 4, 0, 0, 7, 8)
    assert e.difficulty == carry_ripple([5, 4, 5], [5, 5, 4]) == 3


def test_carry_ripple_by_hand():
    assert carry_ripple([1, 2], [3, 4]) == 0  # no carry
    assert carry_ripple([5, 0], [5, 0]) == 1  # a carry into the next column
    assert carry_ripple([9, 9, 9, 0], [9, 0, 0, 0]) == 3  # 999 + 9: ripples into column 3
    assert carry_ripple([0, 9, 9], [0, 0, 0]) == 0  # 9-sum columns without a carry to pass on


@pytest.mark.parametrize("seed", range(3))
def test_addition_targets_are_the_sum(seed):
    for e in generate("addition", 300, (1, 8), seed):
        x, y, s = map(int, e.shown.replace("+", "=").split("="))
        assert x + y == s
        digits = [c for c in e.targets if c != NO_TARGET]  # sum digits, least significant first, then the carry
        assert int("".join(reversed(digits))) == s


def test_forced_carries_produce_long_ripples():
    rng = random.Random(0)
    forced = [addition(rng, 6).difficulty for _ in range(2000)]
    digits = lambda: [rng.randrange(10) for _ in range(6)]  # noqa: E731
    unforced = [carry_ripple(digits(), digits()) for _ in range(2000)]
    share = lambda xs, k: sum(x >= k for x in xs) / len(xs)  # noqa: E731
    # uniform digits carry 3+ columns about once in a hundred; the planted runs make it common
    assert share(forced, 3) > 0.2 and share(forced, 5) > 0.04
    assert share(unforced, 3) < 0.05
    assert max(forced) == 6


def test_balance_negatives_cannot_be_spotted_from_ends_or_counts():
    examples = generate("balance", 2000, TASKS["balance"].lengths, seed=0)
    labels = [e.targets[-1] for e in examples]
    assert 0.45 < labels.count("1") / len(labels) < 0.55
    for e in examples:
        s = e.text[:-1]
        assert e.text[-1] == "?" and s[0] == "(" and s[-1] == ")" and s.count("(") == s.count(")")
        assert is_balanced(s) == (e.targets[-1] == "1")
        if e.targets[-1] == "0":
            assert min(depths(s)) == -1  # a near miss: one dip, one level deep
    # lengths are spread the same over both classes
    for n in range(6, 17, 2):
        pos = sum(len(e.text) == n + 1 and e.targets[-1] == "1" for e in examples)
        neg = sum(len(e.text) == n + 1 and e.targets[-1] == "0" for e in examples)
        assert abs(pos - neg) < 0.35 * (pos + neg) + 10


def test_balance_reach_by_hand():
    assert balance_reach("(())") == 5  # balanced: back to the start token
    assert balance_reach("())(()") == 3  # "(()" at the end opens more than it closes
    assert balance_reach("()" + ")(" + "(())") == 5
    e = balance(random.Random(3), 10)
    assert e.reach[-1] == e.difficulty == balance_reach(e.text[:-1])


def test_sorted_negatives_have_exactly_one_descent():
    rng = random.Random(0)
    for _ in range(500):
        e = sorted_digits(rng, 2 + rng.getrandbits(4))
        d = [int(c) for c in e.text]
        descents = [i for i in range(len(d) - 1) if d[i] > d[i + 1]]
        assert len(descents) <= 1
        for pos in range(1, len(d) + 1):  # digit pos-1 at position pos
            so_far = d[:pos]
            assert e.targets[pos - 1] == ("1" if so_far == sorted(so_far) else "0")
            if descents and pos >= descents[0] + 2:  # the descent has been read: look back to its first digit
                assert e.reach[pos - 1] == pos - (descents[0] + 1)
            else:
                assert e.reach[pos - 1] == pos  # sorted so far: every pair counts, back to the start
        assert e.difficulty == e.reach[-1]


def test_encode_is_makemore_like():
    examples = generate("addition", 50, (1, 4), seed=0)
    data = encode(examples)
    assert data.X.shape == data.Y.shape == data.reach.shape
    assert (data.X[:, 0] == 0).all()
    for i, e in enumerate(examples):
        n = len(e.text)
        assert "".join(CHARS[j] for j in data.X[i, 1 : n + 1]) == e.text
        assert (data.X[i, n + 1 :] == 0).all() and (data.Y[i, n + 1 :] == -1).all()
        got = "".join(CHARS[j] if j >= 0 else NO_TARGET for j in data.Y[i, 1 : n + 1].tolist())
        assert got == e.targets and data.Y[i, 0] == -1
        assert data.difficulty[i] == e.difficulty
