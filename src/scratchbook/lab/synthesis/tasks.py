"""Our program-synthesis suite: 82 list tasks in DreamCoder's families.

Every task maps one list of small ints to an int, a bool or a list. All tasks
share one pool of twelve input lists for their SEARCH examples; that shared
pool is what lets a single bottom-up search check each new program against
every task at once. Each task also has six HELD-OUT examples on inputs of its
own, and the suite has a pool of FRESH lists (drawn from their own seed, never
shown to the search) on which every task's reference function gives the
answer: a program solves a task only if it gets the held-out examples and
every fresh list right too, so a program that merely fits twelve examples by
accident (max as a fold from the constant 1) does not count.

Inputs are 4 to 9 ints in -3..12 (negatives so that "keep the positive ones"
means something; at least 4 long so that index-3 and slice-1-3 are defined).
Everything comes from one seeded random.Random and uses only operations whose
results no Python version changes (randint, shuffle on a list, arithmetic,
slicing, sorted), and the suite's sha256 is pinned by a test; change the
generator and GENERATOR_VERSION together.

Train and test split by family: within each family, a seeded third (at least
one task of every family with more than one) is held out for test, so test
tasks are relatives of the training tasks, never copies (add-3 may be test
while add-2 and add-4 train).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from scratchbook.lab.synthesis.program import output_type_of

GENERATOR_VERSION = 2  # 2: fresh lists added
SEED = 20180707
N_SEARCH = 12  # shared search inputs (DreamCoder's tasks have 15 examples; ours 12 + 6 held out)
N_HELDOUT = 6
N_FRESH = 500  # fresh lists every solution must also get right (shared by all tasks)
FRESH_SEED = 7
MIN_LEN, MAX_LEN = 4, 9
LOW, HIGH = -3, 12


@dataclass(frozen=True)
class Task:
    name: str
    family: str
    split: str  # "train" or "test"
    output_type: str
    examples: tuple  # ((input, output), ...) on the shared search inputs
    heldout: tuple  # ((input, output), ...) on inputs of its own
    fresh: tuple = ()  # ((input, output), ...) on the suite's fresh lists, never shown to the search

    @property
    def outputs(self) -> tuple:
        return tuple(out for _, out in self.examples)


@dataclass(frozen=True)
class Suite:
    inputs: tuple  # the shared search inputs
    tasks: tuple[Task, ...]
    fresh_inputs: tuple  # the fresh lists, for checking solutions only
    version: int
    checksum: str

    @property
    def train(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.split == "train")

    @property
    def test(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.split == "test")

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def _is_square(n: int) -> bool:
    return n >= 0 and math.isqrt(n) ** 2 == n


def task_functions() -> list[tuple[str, str, object]]:
    """(name, family, reference function) for every task, in a fixed order."""
    fns: list[tuple[str, str, object]] = []

    def add(family, name, fn):
        fns.append((name, family, fn))

    for k in range(1, 6):
        add("add-k", f"add-{k}", lambda xs, k=k: [x + k for x in xs])
    for k in range(2, 6):
        add("mult-k", f"mult-{k}", lambda xs, k=k: [x * k for x in xs])
    for k in range(2, 6):
        add("modulo-k", f"modulo-{k}", lambda xs, k=k: [x % k for x in xs])
    for k in range(0, 5):
        add("append-k", f"append-{k}", lambda xs, k=k: xs + [k])
    for k in range(0, 5):
        add("prepend-k", f"prepend-{k}", lambda xs, k=k: [k] + xs)
    for k in range(0, 5):
        add("count-k", f"count-{k}", lambda xs, k=k: xs.count(k))
    for k in range(0, 5):
        add("has-k", f"has-{k}", lambda xs, k=k: k in xs)
    for k in range(0, 5):
        add("remove-k", f"remove-{k}", lambda xs, k=k: [x for x in xs if x != k])
    for k in range(0, 5):
        add("keep-gt-k", f"keep-gt-{k}", lambda xs, k=k: [x for x in xs if x > k])
    for k in range(1, 4):
        add("drop-k", f"drop-{k}", lambda xs, k=k: xs[k:])
    for k in range(1, 4):
        add("take-k", f"take-{k}", lambda xs, k=k: xs[:k])
    for k in range(0, 4):
        add("index-k", f"index-{k}", lambda xs, k=k: xs[k])
    for k, n in ((1, 2), (2, 2), (1, 3)):
        add("slice-k-n", f"slice-{k}-{n}", lambda xs, k=k, n=n: xs[k:k + n])
    add("rotate-k", "rotate-left-1", lambda xs: xs[1:] + xs[:1])
    add("rotate-k", "rotate-left-2", lambda xs: xs[2:] + xs[:2])
    add("rotate-k", "rotate-right-1", lambda xs: xs[-1:] + xs[:-1])
    for prop, test in (("even", lambda x: x % 2 == 0), ("odd", lambda x: x % 2 == 1),
                       ("primes", _is_prime), ("squares", _is_square)):
        add("keep-property", f"keep-{prop}", lambda xs, t=test: [x for x in xs if t(x)])
        add("count-property", f"count-{prop}", lambda xs, t=test: sum(1 for x in xs if t(x)))
    add("reduce", "sum", lambda xs: sum(xs))
    add("reduce", "max", lambda xs: max(xs))
    add("reduce", "min", lambda xs: min(xs))
    add("reduce", "len", lambda xs: len(xs))
    add("reduce", "head", lambda xs: xs[0])
    add("reduce", "last", lambda xs: xs[-1])
    add("reduce", "kth-largest-2", lambda xs: sorted(xs)[-2])
    add("map-each", "square-each", lambda xs: [x * x for x in xs])
    add("map-each", "negate-each", lambda xs: [-x for x in xs])
    add("restructure", "reverse", lambda xs: xs[::-1])
    add("restructure", "stutter", lambda xs: [y for x in xs for y in (x, x)])
    add("restructure", "dup-head", lambda xs: xs[:1] + xs)
    add("range", "range-len", lambda xs: list(range(len(xs))))
    add("range", "range-head", lambda xs: list(range(xs[0])))
    add("range", "count-up", lambda xs: [i + 1 for i in range(len(xs))])
    return fns


def _random_list(rng: random.Random) -> list[int]:
    return [rng.randint(LOW, HIGH) for _ in range(rng.randint(MIN_LEN, MAX_LEN))]


def fresh_lists(n: int = N_FRESH, seed: int = FRESH_SEED) -> tuple:
    """n random input lists from their own seed (the suite's fresh lists with the defaults)."""
    rng = random.Random(seed)
    return tuple(tuple(_random_list(rng)) for _ in range(n))


def reference(name: str):
    """The task's reference behaviour: a function from an input list (or tuple) to its answer."""
    fn = next(fn for task, _, fn in task_functions() if task == name)
    return lambda xs: _frozen(fn(list(xs)))


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def _split(rng: random.Random, names_by_family: dict[str, list[str]]) -> dict[str, str]:
    split = {}
    for family, names in names_by_family.items():
        order = list(names)
        rng.shuffle(order)
        n_test = max(1, round(len(order) / 3)) if len(order) > 1 else 0
        for i, name in enumerate(order):
            split[name] = "test" if i < n_test else "train"
    return split


@lru_cache(maxsize=1)
def build_suite() -> Suite:
    rng = random.Random(SEED)
    # lengths cycle through 4..9 so that every length is in the shared pool
    inputs = []
    for i in range(N_SEARCH):
        xs = [rng.randint(LOW, HIGH) for _ in range(MIN_LEN + i % (MAX_LEN - MIN_LEN + 1))]
        inputs.append(xs)
    fns = task_functions()
    fresh_inputs = fresh_lists()
    families: dict[str, list[str]] = {}
    for name, family, _ in fns:
        families.setdefault(family, []).append(name)
    split = _split(random.Random(SEED + 1), families)
    tasks = []
    for name, family, fn in fns:
        examples = tuple((tuple(xs), _frozen(fn(list(xs)))) for xs in inputs)
        outs = {out for _, out in examples}
        if len(outs) == 1:
            raise ValueError(f"task {name} is constant on the shared inputs")
        # held-out inputs: redraw until the outputs are not all the same, so they can fail a program
        for _ in range(100):
            held = [_random_list(rng) for _ in range(N_HELDOUT)]
            heldout = tuple((tuple(xs), _frozen(fn(list(xs)))) for xs in held)
            if len({out for _, out in heldout}) > 1:
                break
        fresh = tuple((xs, _frozen(fn(list(xs)))) for xs in fresh_inputs)
        tasks.append(Task(name, family, split[name], output_type_of(examples[0][1]), examples, heldout, fresh))
    inputs_t = tuple(tuple(xs) for xs in inputs)
    return Suite(inputs_t, tuple(tasks), fresh_inputs, GENERATOR_VERSION, _checksum(inputs_t, tasks))


def _checksum(inputs, tasks) -> str:
    data = {"version": GENERATOR_VERSION, "inputs": inputs,
            "tasks": [[t.name, t.family, t.split, t.output_type, t.examples, t.heldout, t.fresh] for t in tasks]}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
