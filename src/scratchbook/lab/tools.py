"""The tool suite: a calculator, a lookup table of made-up facts, and queries for both.

Part 6 asks when a small model should answer from its own weights and when it
should pay for a tool. That needs queries of both kinds, with a known answer:

    mul1            7*8=        56      single-digit products: few, seen often, memorizable
    mul2            37*64=      2368    two-digit products: the model cannot compute them
    fact_frequent   zorvak=     417     facts mentioned often in training
    fact_rare       pelim=      803     facts mentioned a few times
    fact_unseen     quvasi=     129     facts in the table but never in training

The facts are invented names (syllables glued together) with a three-digit
value each, so nothing about them can be guessed. How often a fact appears in
training follows a Zipf law over its rank, as real-world facts do: a few are
everywhere, most are rare, some never come up.

Both tools run on a *tool expression*, the text a model writes after its call
token: ``37*64`` for the calculator, ``zorvak`` for the lookup. ``execute``
parses it and raises MalformedCall for anything else, UnknownName for a name
the table does not hold (both are ToolErrors).

Everything is generated from seeded ``random.Random`` instances using only
``randrange``, ``choice``, ``random`` and ``shuffle`` (stable across Python
versions), never iterating a set; ``Suite.sha256`` fingerprints the facts and
every split, and the tests pin it. Change the output, bump GENERATOR_VERSION.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

GENERATOR_VERSION = 1
MAX_BYTES = 5_000_000  # the series' budget per experiment
QUERY_TYPES = ("mul1", "mul2", "fact_frequent", "fact_rare", "fact_unseen")

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_PRODUCT = re.compile(r"^(\d{1,2})\*(\d{1,2})$")
_NAME = re.compile(r"^[a-z]{2,8}$")


class ToolError(ValueError):
    """A tool call that cannot run."""


class MalformedCall(ToolError):
    """No tool can read the expression."""


class UnknownName(ToolError):
    """A well-formed lookup of a name the table does not hold."""


@dataclass
class SuiteConfig:
    seed: int = 6
    n_facts: int = 400  # the lookup table's size
    fact_mentions: int = 3000  # fact queries in training, spread over the facts by Zipf
    zipf_s: float = 1.1  # mentions of the fact of rank r are proportional to 1 / r^s
    mul1_repeats: int = 12  # every single-digit product appears this often in training
    n_mul2_train: int = 2400  # distinct two-digit products in training
    n_mul2_val: int = 200
    n_mul2_test: int = 300
    n_val_facts: int = 300  # validation fact queries, drawn like the training ones
    frequent_from: int = 10  # a fact mentioned at least this often is "frequent"; 1.. below is "rare"


@dataclass(frozen=True)
class Query:
    question: str  # what the model is asked, without the "=": "37*64" or "zorvak"
    answer: str  # the exact answer, digits
    kind: str  # one of QUERY_TYPES ("fact" before the split knows how often it is seen)
    seen: int = 0  # how often this question appears in the training split

    @property
    def expression(self) -> str:
        """The tool expression that answers it: the question itself."""
        return self.question


@dataclass
class Suite:
    config: SuiteConfig
    facts: dict[str, str]  # the lookup table: name -> value (in generation order)
    fact_rank: dict[str, int]  # name -> Zipf rank (1 = most mentioned)
    train: list[Query]  # with repeats, in a seeded random order
    val: list[Query]
    test: list[Query]  # each question once
    counts: dict[str, int] = field(default_factory=dict)  # question -> times in train

    def text(self) -> str:
        """The canonical text: the table, then one "split<TAB>kind<TAB>question<TAB>answer" row per query."""
        rows = [f"fact\t{name}\t{value}\n" for name, value in self.facts.items()]
        for split in ("train", "val", "test"):
            rows += [f"{split}\t{q.kind}\t{q.question}\t{q.answer}\n" for q in getattr(self, split)]
        return "".join(rows)

    def sha256(self) -> str:
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def execute(self, expression: str) -> str:
        return execute(expression, self.facts)


def calculator(expression: str) -> str:
    """a*b for whole numbers of one or two digits."""
    m = _PRODUCT.match(expression)
    if not m:
        raise MalformedCall(f"calculator cannot read {expression!r}")
    return str(int(m.group(1)) * int(m.group(2)))


def lookup(expression: str, facts: dict[str, str]) -> str:
    if not _NAME.match(expression):
        raise MalformedCall(f"lookup cannot read {expression!r}")
    if expression not in facts:
        raise UnknownName(f"no fact named {expression!r}")
    return facts[expression]


def execute(expression: str, facts: dict[str, str]) -> str:
    """Run a tool expression: digits*digits goes to the calculator, a lowercase name to the lookup."""
    if expression[:1].isdigit():
        return calculator(expression)
    if expression[:1].isalpha():
        return lookup(expression, facts)
    raise MalformedCall(f"no tool reads {expression!r}")


# -----------------------------------------------------------------------------
# generation


def fact_name(rng: random.Random) -> str:
    """A pronounceable made-up name of two or three syllables, e.g. "zorvak"."""
    syllables = [rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.randrange(2, 4))]
    if rng.random() < 0.5:
        syllables.append(rng.choice(_CONSONANTS))
    return "".join(syllables)


def make_facts(rng: random.Random, n: int) -> dict[str, str]:
    facts: dict[str, str] = {}
    while len(facts) < n:
        name = fact_name(rng)
        if name not in facts:
            facts[name] = str(rng.randrange(100, 1000))
    return facts


def zipf_draws(rng: random.Random, n_items: int, n_draws: int, s: float) -> list[int]:
    """n_draws item indices (0 = rank 1), item i drawn with probability proportional to 1 / (i + 1)^s."""
    weights = [1.0 / (i + 1) ** s for i in range(n_items)]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    out = []
    for _ in range(n_draws):
        u = rng.random() * total
        lo, hi = 0, n_items - 1
        while lo < hi:  # the first index whose cumulative weight reaches u
            mid = (lo + hi) // 2
            if cumulative[mid] < u:
                lo = mid + 1
            else:
                hi = mid
        out.append(lo)
    return out


def two_digit_pairs(rng: random.Random, n: int, exclude: set[tuple[int, int]]) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    while len(pairs) < n:
        p = (rng.randrange(10, 100), rng.randrange(10, 100))
        if p not in exclude:
            exclude.add(p)
            pairs.append(p)
    return pairs


def product(a: int, b: int, kind: str, seen: int = 0) -> Query:
    return Query(f"{a}*{b}", str(a * b), kind, seen)


def fact_kind(seen: int, cfg: SuiteConfig) -> str:
    if seen == 0:
        return "fact_unseen"
    return "fact_frequent" if seen >= cfg.frequent_from else "fact_rare"


def build_suite(cfg: SuiteConfig | None = None) -> Suite:
    cfg = cfg or SuiteConfig()
    # one generator per part, so resizing one part leaves the others unchanged
    rng_facts, rng_zipf, rng_mul, rng_val, rng_order = (random.Random(cfg.seed * 10 + k) for k in range(1, 6))
    facts = make_facts(rng_facts, cfg.n_facts)
    names = list(facts)
    rank_order = names[:]
    rng_facts.shuffle(rank_order)  # which fact is common is independent of its name
    fact_rank = {name: r + 1 for r, name in enumerate(rank_order)}

    mentions = zipf_draws(rng_zipf, cfg.n_facts, cfg.fact_mentions, cfg.zipf_s)
    counts: dict[str, int] = {}
    for i in mentions:
        counts[rank_order[i]] = counts.get(rank_order[i], 0) + 1
    mul1 = [(a, b) for a in range(10) for b in range(10)]
    for a, b in mul1:
        counts[f"{a}*{b}"] = cfg.mul1_repeats
    taken: set[tuple[int, int]] = set()
    mul2_train = two_digit_pairs(rng_mul, cfg.n_mul2_train, taken)
    mul2_val = two_digit_pairs(rng_mul, cfg.n_mul2_val, taken)
    mul2_test = two_digit_pairs(rng_mul, cfg.n_mul2_test, taken)
    for a, b in mul2_train:
        counts[f"{a}*{b}"] = 1

    def fact_query(name: str) -> Query:
        seen = counts.get(name, 0)
        return Query(name, facts[name], fact_kind(seen, cfg), seen)

    train = [product(a, b, "mul1", cfg.mul1_repeats) for a, b in mul1 for _ in range(cfg.mul1_repeats)]
    train += [product(a, b, "mul2", 1) for a, b in mul2_train]
    train += [fact_query(rank_order[i]) for i in mentions]
    rng_order.shuffle(train)

    # validation: like training (single-digit products, facts drawn by Zipf), but unseen two-digit products
    val = [product(a, b, "mul1", cfg.mul1_repeats) for a, b in mul1]
    val += [product(a, b, "mul2") for a, b in mul2_val]
    val += [fact_query(rank_order[i]) for i in zipf_draws(rng_val, cfg.n_facts, cfg.n_val_facts, cfg.zipf_s)]

    # test: every single-digit product, fresh two-digit products, every fact once
    test = [product(a, b, "mul1", cfg.mul1_repeats) for a, b in mul1]
    test += [product(a, b, "mul2") for a, b in mul2_test]
    test += [fact_query(name) for name in names]

    suite = Suite(cfg, facts, fact_rank, train, val, test, counts)
    size = len(suite.text().encode("utf-8"))
    if size > MAX_BYTES:
        raise ValueError(f"the tool suite is {size} bytes, over the {MAX_BYTES} budget")
    return suite


# The series' fixed prompt set for Part 6: the same queries in every run, two of each kind
# (which facts are frequent, rare or unseen depends on the suite; pick_prompts finds them).
MUL_PROMPTS = ("7*8", "3*9", "37*64", "85*19")


def pick_prompts(suite: Suite, per_kind: int = 2) -> list[Query]:
    """The fixed query set: MUL_PROMPTS, then the first facts of each frequency class in table order."""
    chosen = []
    for p in MUL_PROMPTS:
        a, b = (int(x) for x in p.split("*"))
        chosen.append(product(a, b, "mul1" if max(a, b) < 10 else "mul2", suite.counts.get(p, 0)))
    for kind in ("fact_frequent", "fact_rare", "fact_unseen"):
        chosen += [q for q in suite.test if q.kind == kind][:per_kind]
    return chosen
