"""Part 6's adversary: a search, during the decision stage, for queries the dream never labels.

The dream (dream.py) labels only the training queries, so a fact that training never
mentions is never among its examples, and the policy learns nothing about it. The
series plan (section 6.4, "the dream state") proposes an adversary: search the tools'
domain for queries where the model's no-tool answer diverges from the tool's, and train
the decision on them. This module is that search, at CPU scale:

- The search space (``build_search_space``) is the tools' domain *minus every query the
  suite asks*: fresh two-digit products (pairs in none of train, validation and test, in
  either order) and
  made-up names (half of them one-letter perturbations of names training mentions, half
  new names from the suite's own name generator), none of them a name of the lookup
  table. The test asks every name of the table, so the table cannot be searched; instead
  the table gains an *appendix* of entries the test never asks, and the search's tool is
  the table with its appendix. Half of the searched names (a seeded coin per name) are in
  the appendix; the others are names the tool does not know.
- Each dream round (``search_round``) tries a slice of the space. It asks the tool first:
  a name the tool does not know is a failed call, and the search drops it, unlabelled
  (there is no answer to compare with; labelling it "no call" would teach the model to
  answer unknown names from its weights). The rest are scored in one teacher-forced pass
  per branch (``dream.score``, the dream's own reading of the model). A query *diverges*
  when the model's greedy no-tool answer is not the tool's; the search keeps every
  agreement and the ``keep`` most divergent queries per domain (highest no-tool loss).
- Kept queries join the training stream (``Searcher``, dream.train_steps' hook before
  each relabelling but the last), where the dream labels them like any training query:
  with the prob labels, a divergence is a "call" below its price and an agreement a
  "no call".

Budgets are in steps and queries; the search's teacher-forced passes are counted as
sequences passed forward (``forward``), beside training's and the dream's.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from dataclasses import dataclass

import torch

from scratchbook.lab import dream
from scratchbook.lab.dream import Budget, Setup
from scratchbook.lab.models import count_params
from scratchbook.lab.tooluse import Branch, Encoded, encode_queries
from scratchbook.lab.tools import Query, Suite, SuiteConfig, UnknownName, execute, fact_name

_CONSONANTS = "bdfgklmnprstvz"  # the letters tools.fact_name draws from
_VOWELS = "aeiou"


@dataclass
class SearchConfig:
    """Sizes of the adversary's search, per dream round (queries, not seconds)."""

    products_per_round: int = 512  # fresh two-digit products tried
    names_per_round: int = 512  # made-up names tried (about half unknown to the tool)
    keep: int = 128  # divergent queries kept per domain and round (the most divergent)
    appendix_share: float = 0.5  # share of the searched names the table's appendix holds
    seed: int = 64


@dataclass
class SearchSpace:
    """What the search may try: questions in order (round r takes the r-th slice), and the appendix."""

    products: list[str]  # "a*b", both factors of two digits, asked by no split of the suite
    names: list[str]  # made-up names, none in the table or asked by the suite
    appendix: dict[str, str]  # name -> value: the table's entries the test never asks
    facts: dict[str, str]  # the suite's table

    def execute(self, expression: str) -> str:
        """The search's tool: the calculator, and the lookup over the table and its appendix."""
        return execute(expression, {**self.facts, **self.appendix})


def perturb(rng: random.Random, name: str) -> str:
    """One letter of a name replaced by another of its class (consonant or vowel): "zorvak" -> "zorvek"."""
    i = rng.randrange(len(name))
    pool = _VOWELS if name[i] in _VOWELS else _CONSONANTS
    return name[:i] + rng.choice([c for c in pool if c != name[i]]) + name[i + 1:]


def build_search_space(suite: Suite, cfg: SearchConfig, rounds: int) -> SearchSpace:
    """Enough candidates for `rounds` rounds, none of them a question the suite asks.

    Excluded: every question of train, validation and test (so the test's fresh products
    and all of its facts), a product whose factors in the other order are asked (same
    answer), and every name of the table (the test asks each one).
    """
    rng = random.Random(cfg.seed)
    asked = {q.question for q in suite.train + suite.val + suite.test}
    # b*a has the answer of a*b: a pair is held out when either order is asked
    pairs = [f"{a}*{b}" for a in range(10, 100) for b in range(10, 100)
             if f"{a}*{b}" not in asked and f"{b}*{a}" not in asked]
    rng.shuffle(pairs)
    n_products, n_names = rounds * cfg.products_per_round, rounds * cfg.names_per_round
    if len(pairs) < n_products:
        raise ValueError(f"the search needs {n_products} fresh products; only {len(pairs)} are held out")
    taken = asked | set(suite.facts)
    known = [name for name in suite.facts if suite.counts.get(name, 0) > 0]  # names training mentions
    longest = max(len(name) for name in suite.facts)  # the block size fits the table's names
    names: list[str] = []
    while len(names) < n_names:
        name = perturb(rng, rng.choice(known)) if len(names) % 2 == 0 else fact_name(rng)
        if name not in taken and len(name) <= longest:
            taken.add(name)
            names.append(name)
    appendix = {name: str(rng.randrange(100, 1000)) for name in names if rng.random() < cfg.appendix_share}
    return SearchSpace(pairs[:n_products], names, appendix, dict(suite.facts))


def select(queries: list[Query], right: torch.Tensor, nll: torch.Tensor, keep: int) -> list[int]:
    """Indices to keep: every agreement (right), and per kind the `keep` divergent ones with the highest nll."""
    chosen = [i for i in range(len(queries)) if right[i]]
    for kind in dict.fromkeys(q.kind for q in queries):
        wrong = [i for i, q in enumerate(queries) if q.kind == kind and not right[i]]
        wrong.sort(key=lambda i: (-float(nll[i]), i))
        chosen += wrong[:keep]
    return sorted(chosen)


def search_round(model, setup: Setup, space: SearchSpace, cfg: SearchConfig, r: int) -> tuple[list[Query], dict]:
    """Round r of the search: queries to add to the training stream, and what the round tried and kept."""
    candidates = ([("search_product", q) for q in space.products[r * cfg.products_per_round:
                                                                  (r + 1) * cfg.products_per_round]]
                  + [("search_name", q) for q in space.names[r * cfg.names_per_round:(r + 1) * cfg.names_per_round]])
    queries, unknown = [], 0
    for kind, question in candidates:
        try:
            queries.append(Query(question, space.execute(question), kind))
        except UnknownName:
            unknown += 1  # a failed call: no answer to compare with, so no label
    s = dream.score(model, encode_queries(queries, setup.vocab, setup.block_size), setup.vocab)
    right = s["right_no_tool"]
    kept = [queries[i] for i in select(queries, right, s["nll_no_tool"], cfg.keep)]
    report = {"tried": len(candidates), "unknown_name": unknown, "scored": len(queries),
              "sequences": 2 * len(queries),  # dream.score: one teacher-forced pass per branch
              "diverged": {}, "kept": {}, "kept_agreeing": sum(bool(x) for x in right)}
    for kind in ("search_product", "search_name"):
        report["diverged"][kind] = sum(q.kind == kind and not bool(ok) for q, ok in zip(queries, right))
        report["kept"][kind] = sum(q.kind == kind for q in kept)
    return kept, report


def with_queries(setup: Setup, queries: list[Query]) -> Setup:
    """The setup with `queries` appended to its distinct training queries (each once in the stream)."""
    new = encode_queries(queries, setup.vocab, setup.block_size)
    old = setup.train

    def cat(a: Branch, b: Branch) -> Branch:
        return Branch(torch.cat([a.X, b.X]), torch.cat([a.Y, b.Y]), torch.cat([a.part, b.part]))

    n = len(setup.train_queries)
    return dataclasses.replace(
        setup, train_queries=setup.train_queries + queries,
        train_index=torch.cat([setup.train_index, torch.arange(n, n + len(queries))]),
        train=Encoded(cat(old.no_tool, new.no_tool), cat(old.call, new.call),
                      torch.cat([old.decision_pos, new.decision_pos])))


# -----------------------------------------------------------------------------
# training: dream.train_steps, with the search as its hook before each relabelling


class Searcher:
    """dream.train_steps' before_relabel hook: round r of the search, its kept queries added to the setup.

    Keeps the rounds' reports (with the step of each) and the seconds the search took.
    """

    def __init__(self, space: SearchSpace, cfg: SearchConfig):
        self.space, self.cfg = space, cfg
        self.reports: list[dict] = []
        self.seconds = 0.0

    def __call__(self, model, setup: Setup, r: int, step: int) -> Setup:
        t0 = time.perf_counter()
        kept, report = search_round(model, setup, self.space, self.cfg, r)
        self.reports.append({"step": step, **report})
        setup = with_queries(setup, kept)
        self.seconds += time.perf_counter() - t0
        return setup


def run_adversarial(warm: dict, scheme: str, budget: Budget, search: SearchConfig | None = None,
                    suite_config: SuiteConfig | None = None, progress=None, levels=None, forced=None) -> dict:
    """From the warm-up's weights: the decision stage of dream.run_policy with the search added, then evaluate.

    Same steps, batch, schedule and seed as run_policy; plain data out, with the
    search's rounds (tried, unknown names, diverged, kept) and the sequences passed
    forward by training, by the dream's relabelling and by the search. levels and
    forced choose what dream.evaluate runs (default: everything).
    """
    search = search or SearchConfig()
    setup = dream.make_setup(budget, suite_config)
    cfg = dream.policy_config(budget)
    rounds = math.ceil(cfg.steps / budget.relabel_every)
    space = build_search_space(setup.suite, search, rounds)
    model = dream.make_model(setup, budget)
    model.load_state_dict(warm["state"])
    searcher = Searcher(space, search)
    t0 = time.perf_counter()
    hist = dream.train_steps(model, setup, budget, cfg, scheme, decide=True, step0=budget.warmup_steps,
                             progress=progress, before_relabel=searcher)
    t1 = time.perf_counter()
    hist["search"], hist["search_seconds"] = searcher.reports, searcher.seconds
    ev = dream.evaluate(model, setup, budget, levels=levels, forced=forced)
    base_relabel = (rounds + 1) * 2 * (len(setup.train) + len(setup.test) + len(setup.val))
    forward = {"train": 2 * cfg.steps * cfg.batch_size, "relabel": hist["relabel_sequences"],
               "search": sum(r["sequences"] for r in hist["search"]), "relabel_without_search": base_relabel}
    return {"scheme": scheme, "history": hist, "eval": ev, "forward": forward, "params": count_params(model),
            "appendix_size": len(space.appendix), "train_seconds": hist["seconds"],
            "relabel_seconds": hist["relabel_seconds"], "search_seconds": hist["search_seconds"],
            "eval_seconds": time.perf_counter() - t1, "seconds": time.perf_counter() - t0}
