"""One shared bottom-up search, cheapest programs first, checked against every task at once.

The search builds programs in increasing cost (decreasing probability under
the grammar), a cost level at a time: a program of cost c is an operation of
cost k applied to arguments whose costs add up to c - k, all of them already
built. Five things make that fast enough in pure Python:

- one search for all tasks: every task's search examples share the same input
  lists, so a program's outputs on those inputs are one tuple, and a dict from
  output tuples to tasks tells in O(1) which tasks (if any) a new program
  solves;
- observational equivalence: a program whose outputs equal an earlier
  (cheaper) program's is dropped, so each behaviour is built once;
- values from children: a program is never re-run from scratch; its output
  tuple is computed from its arguments' output tuples;
- lambda bodies are built in their own banks (outputs on fixed probe values
  of the lambda's variables), only up to the cost a higher-order operation can
  still afford at the current level, and compiled to Python once;
- commutative operations take their arguments in one order only, and `if`
  skips conditions that are the same on every input.

The budget is a number of CANDIDATES: programs whose outputs were computed,
kept or not, lambda bodies included. Never seconds: the same budget gives the
same programs on any machine.

A program that matches a task's search examples solves it only if it also
agrees with the task's reference behaviour on inputs the search never saw:
the held-out examples, then the fresh lists. Otherwise it is an OVERFIT (it
fits the examples and nothing more), recorded with the check it failed, and
the task is closed for this search: observational equivalence will not build another program
with the same outputs, so only a search under another grammar (next cycle's,
or a guided one), where a different program with those outputs comes first,
can still solve it.

A search can be remembered (`SearchMemo`, passed by the caller). The
enumeration depends only on the grammar and the inputs: the targets only
decide what is checked and when the search may stop. So a search under a
grammar already searched, for some of the same targets, with at most the same
budget, is that search's prefix, and is read from its record (when each target
was closed, and how) instead of being run again: the result is the same, to
the candidate. Every run's first wake, under the starting grammar, is one
such search.
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

from scratchbook.lab.synthesis.dsl import BASE_TYPES, INT, LIST, Arrow, EvalError
from scratchbook.lab.synthesis.grammar import TOP, Grammar
from scratchbook.lab.synthesis.program import Call, Lam, Var, canonical, compile_function, run

MAX_LEVEL = 400  # a backstop; budgets run out long before


class BudgetSpent(Exception):
    pass


@dataclass
class SearchTarget:
    """What the search needs of a task: outputs on the shared inputs and held-out examples."""

    key: object  # the caller's handle (a task name)
    output_type: str
    outputs: tuple  # one output per shared input
    heldout: tuple  # ((input, output), ...)
    fresh: tuple = ()  # ((input, output), ...) on fresh lists, checked after the held-out ones


@dataclass
class Overfit:
    """A program that fits a task's search examples but not its reference behaviour."""

    key: object
    program: object  # canonical
    failed: str  # "held-out" (one of the task's held-out examples) or "fresh" (a fresh list)


def failed_check(fn, target: SearchTarget) -> str | None:
    """None if fn agrees with the target on every held-out example and fresh list, else which check failed."""
    if not all(run(fn, xs) == out for xs, out in target.heldout):
        return "held-out"
    if not all(run(fn, xs) == out for xs, out in target.fresh):
        return "fresh"
    return None


@dataclass
class SearchResult:
    solutions: dict = field(default_factory=dict)  # key -> program (canonical)
    found_at: dict = field(default_factory=dict)  # key -> candidates spent when it was found
    overfit: list = field(default_factory=list)  # Overfit per key whose first match failed a check
    candidates: int = 0
    levels: int = 0  # highest cost level started


# -----------------------------------------------------------------------------
# probes: the values a lambda body is run on to tell bodies apart


def probe_environments(params: tuple, n: int = 24) -> list[tuple]:
    """Fixed argument tuples for a lambda with these parameter types.

    The first parameter (a list element) walks through every small int we use,
    so bodies that differ at any input value we generate stay apart; later
    int parameters are accumulators, which range wider.
    """
    rng = random.Random(zlib.crc32(repr(params).encode()))
    elements = list(range(-3, 16))
    envs = []
    for k in range(n):
        env = []
        for i, tp in enumerate(params):
            if tp == INT and i == 0:
                env.append(elements[k] if k < len(elements) else rng.randint(-3, 15))
            elif tp == INT:
                env.append(rng.randint(-5, 40))
            elif tp == LIST:
                env.append(tuple(rng.randint(-3, 15) for _ in range(rng.randint(0, 6))))
            else:
                env.append(rng.random() < 0.5)
        envs.append(tuple(env))
    return envs


# -----------------------------------------------------------------------------
# operations on output tuples


def _lift(fn, arity: int):
    """fn applied position-wise to output tuples; None (no output) in, or an error, gives None."""
    if arity == 1:
        def vec(a_values):
            out = []
            for a in a_values:
                if a is None:
                    out.append(None)
                    continue
                try:
                    out.append(fn(a))
                except EvalError:
                    out.append(None)
            return tuple(out)
    elif arity == 2:
        def vec(a_values, b_values):
            out = []
            for a, b in zip(a_values, b_values):
                if a is None or b is None:
                    out.append(None)
                    continue
                try:
                    out.append(fn(a, b))
                except EvalError:
                    out.append(None)
            return tuple(out)
    else:
        def vec(*columns):
            out = []
            for row in zip(*columns):
                if None in row:
                    out.append(None)
                    continue
                try:
                    out.append(fn(*row))
                except EvalError:
                    out.append(None)
            return tuple(out)
    return vec


def _lift_if(c_values, a_values, b_values):
    return tuple(None if c is None else (a if c else b) for c, a, b in zip(c_values, a_values, b_values))


def _lift_higher_order(fn, args: tuple):
    """Like _lift, for operations with function arguments: those are one Python function for all rows."""
    arrows = [i for i, a in enumerate(args) if isinstance(a, Arrow)]

    def vec(*columns):
        fixed = {i: columns[i] for i in arrows}
        values = [columns[i] for i in range(len(args)) if i not in fixed]
        out = []
        for row in zip(*values):
            if None in row:
                out.append(None)
                continue
            it = iter(row)
            call = [fixed[i] if i in fixed else next(it) for i in range(len(args))]
            try:
                out.append(fn(*call))
            except EvalError:
                out.append(None)
        return tuple(out)
    return vec


def vector_function(production, library):
    """The output-tuple version of an operation."""
    if production.name == "if":
        return _lift_if
    fn = library.function(production.name)
    if production.higher_order:
        return _lift_higher_order(fn, production.args)
    return _lift(fn, len(production.args))


# -----------------------------------------------------------------------------
# banks: the programs built so far in one context, by type and cost


class Bank:
    """Every distinct behaviour found in one context (the task level, or one lambda signature)."""

    def __init__(self, search: "Search", params: tuple, top: bool, envs: list[tuple]):
        self.search = search
        self.params, self.top = params, top
        self.envs = envs
        self.n = len(envs)
        self.rules = sorted(((option, tp, cost) for tp, rows in search.grammar.table(params, top).items()
                             for option, _, cost in rows), key=lambda r: r[2])
        self.levels = {tp: {} for tp in BASE_TYPES}  # tp -> cost -> [[program, outputs, compiled]]
        self.seen = {tp: set() for tp in BASE_TYPES}
        self.built = 0

    def ensure(self, level: int):
        while self.built < level:
            self.built += 1
            self._build(self.built)

    def entries(self, tp: str, cost: int) -> list:
        return self.levels[tp].get(cost, ())

    def _build(self, c: int):
        for option, tp, cost in self.rules:
            if cost > c:
                break
            if isinstance(option, Var):
                if cost == c:
                    self._offer(tp, c, option, tuple(env[option.index] for env in self.envs))
            elif not option.args:
                if cost == c:
                    value = self.search.library.function(option.name)
                    self._offer(tp, c, Call(option.name, (), tp), (value,) * self.n)
            else:
                self._combine(option, tp, c, c - cost)

    def _sources(self, production):
        """Per argument: (bank, type) it is drawn from; lambda bodies come from their own bank."""
        out = []
        for a in production.args:
            if isinstance(a, Arrow):
                out.append((self.search.body_bank(a.params), a.ret, a))
            else:
                out.append((self, a, None))
        return out

    def _combine(self, production, tp: str, c: int, remaining: int):
        sources = self._sources(production)
        k = len(sources)
        if remaining < k:
            return
        for bank, _, arrow in sources:
            if arrow is not None:  # lambda bodies: only as costly as this level can still pay for
                bank.ensure(remaining - (k - 1))
        vec = self.search.vector(production)
        symmetric = production.commutative and k == 2 and sources[0][1] == sources[1][1]
        for costs in _splits(remaining, [self._levels_of(b, t, remaining) for b, t, _ in sources]):
            if symmetric and costs[0] > costs[1]:
                continue
            lists = [b.entries(t, ci) for (b, t, _), ci in zip(sources, costs)]
            if production.name == "if":
                # a condition with one answer everywhere only copies a branch
                lists[0] = [e for e in lists[0] if len(set(e[1])) > 1]
            for (b, _, arrow), entries in zip(sources, lists):
                if arrow is not None:
                    b.compile_all(entries)
            arrow_at = [arrow is not None for _, _, arrow in sources]
            if symmetric and costs[0] == costs[1]:
                combos = itertools.combinations_with_replacement(lists[0], 2)
            else:
                combos = itertools.product(*lists)
            for combo in combos:
                args = [e[2] if is_fn else e[1] for e, is_fn in zip(combo, arrow_at)]
                value = vec(*args)
                self.search.spend()
                if value in self.seen[tp] or value.count(None) == self.n:
                    continue
                terms = tuple(Lam(arrow.params, e[0]) if arrow is not None else e[0]
                              for e, (_, _, arrow) in zip(combo, sources))
                self._offer(tp, c, Call(production.name, terms, tp), value)

    @staticmethod
    def _levels_of(bank, tp, remaining):
        return [lv for lv in sorted(bank.levels[tp]) if lv <= remaining and bank.levels[tp][lv]]

    def _offer(self, tp: str, c: int, term, value: tuple):
        if value in self.seen[tp] or value.count(None) == self.n:
            return
        self.seen[tp].add(value)
        self.levels[tp].setdefault(c, []).append([term, value, None])
        if self.top:
            self.search.check(tp, value, term)

    def compile_all(self, entries):
        library = self.search.library
        for e in entries:
            if e[2] is None:
                e[2] = compile_function(e[0], len(self.params), library.runtime, library.pynames)


def _splits(total: int, options: list[list[int]]):
    """Every way to pick one cost per argument from its available costs, summing to total."""
    if len(options) == 1:
        if total in options[0]:
            yield (total,)
        return
    rest_min = sum(o[0] for o in options[1:]) if all(options[1:]) else None
    if rest_min is None:
        return
    for first in options[0]:
        if first + rest_min > total:
            break
        for tail in _splits(total - first, options[1:]):
            yield (first, *tail)


# -----------------------------------------------------------------------------
# the search


class Search:
    def __init__(self, grammar: Grammar, inputs: list, targets: list[SearchTarget], budget: int,
                 prune_equivalent: bool = True):
        self.grammar = grammar
        self.library = grammar.library
        self.budget = budget
        self.spent = 0
        self.result = SearchResult()
        self.open: dict = {}  # (type, outputs) -> unsolved targets with those outputs
        for t in targets:
            self.open.setdefault((t.output_type, t.outputs), []).append(t)
        self._vectors: dict = {}
        self._bodies: dict = {}
        self.events: list = []  # (candidates spent, target key, program, failed check or None)
        self.level_starts: list = []  # candidates spent when each cost level started
        self.top = Bank(self, TOP, True, [(xs,) for xs in inputs])
        if not prune_equivalent:
            self.top.seen = {tp: _NeverSeen() for tp in BASE_TYPES}

    def spend(self):
        self.spent += 1
        if self.spent >= self.budget:
            raise BudgetSpent

    def vector(self, production):
        key = (production.name, production.ret)
        if key not in self._vectors:
            self._vectors[key] = vector_function(production, self.library)
        return self._vectors[key]

    def body_bank(self, params: tuple) -> Bank:
        if params not in self._bodies:
            self._bodies[params] = Bank(self, params, False, probe_environments(params))
        return self._bodies[params]

    def check(self, tp: str, value: tuple, term):
        waiting = self.open.get((tp, value))
        if not waiting:
            return
        fn = compile_function(term, 1, self.library.runtime, self.library.pynames)
        for target in waiting:
            failed = failed_check(fn, target)
            program = canonical(term)
            if failed is None:
                self.result.solutions[target.key] = program
                self.result.found_at[target.key] = self.spent
            else:
                self.result.overfit.append(Overfit(target.key, program, failed))
            self.events.append((self.spent, target.key, program, failed))
        del self.open[(tp, value)]
        if not self.open:
            raise BudgetSpent  # nothing left to find

    def run(self) -> SearchResult:
        try:
            for level in range(1, MAX_LEVEL + 1):
                self.result.levels = level
                self.level_starts.append(self.spent)
                self.top.ensure(level)
        except BudgetSpent:
            pass
        self.result.candidates = self.spent
        return self.result


class _NeverSeen(set):
    """A `seen` set that forgets: switches observational equivalence off (for tests and demos)."""

    def __contains__(self, item):
        return False


# -----------------------------------------------------------------------------
# searches remembered: a search already run answers every search that is its prefix


@dataclass
class SearchRecord:
    """What one search did, enough to replay any prefix of it for a subset of its targets."""

    targets: dict  # key -> SearchTarget
    budget: int
    candidates: int  # where it stopped
    finished: bool  # stopped because every target was closed, before the budget ran out
    events: list  # (candidates spent, key, program, failed check or None), in order
    level_starts: list  # candidates spent when each cost level started

    def replay(self, targets: list[SearchTarget], budget: int) -> SearchResult | None:
        """The result of searching for `targets` with `budget`, or None if this record does not cover it."""
        if not targets or budget < 1 or not (budget <= self.budget or self.finished):
            return None
        if any(self.targets.get(t.key) != t for t in targets):
            return None
        wanted = {t.key for t in targets}
        result = SearchResult()
        closed, stop = 0, 0
        for spent, key, program, failed in self.events:
            if spent >= budget:
                break
            if key not in wanted:
                continue
            if failed is None:
                result.solutions[key] = program
                result.found_at[key] = spent
            else:
                result.overfit.append(Overfit(key, program, failed))
            closed += 1
            stop = spent
        # as Search.run: it stops when every target is closed, else when the budget is spent
        result.candidates = stop if closed == len(wanted) else budget
        result.levels = max(level for level, start in enumerate(self.level_starts, 1)
                            if start < result.candidates)
        return result


class SearchMemo:
    """The last `size` searches, by grammar and inputs (least recently used forgotten first).

    Made by whoever runs a set of searches (an experiment), and dropped with it."""

    def __init__(self, size: int = 64):
        self.size = size
        self.records: OrderedDict = OrderedDict()
        self.replayed = 0  # searches answered from a record
        self.run = 0  # searches run

    @staticmethod
    def key(grammar: Grammar, inputs: list) -> tuple:
        library = grammar.library
        return (library.primitive_names, tuple(library.inventions), grammar.resolution,
                tuple(sorted(grammar.weights.items())), tuple(inputs))

    def search(self, grammar: Grammar, inputs: list, targets: list[SearchTarget], budget: int) -> SearchResult:
        key = self.key(grammar, inputs)
        record = self.records.get(key)
        if record is not None:
            result = record.replay(targets, budget)
            if result is not None:
                self.records.move_to_end(key)
                self.replayed += 1
                return result
        s = Search(grammar, inputs, targets, budget)
        result = s.run()
        self.run += 1
        if s.spent >= budget or not s.open:  # (not when it ran out of levels: MAX_LEVEL is a backstop)
            self.records[key] = SearchRecord({t.key: t for t in targets}, budget, s.spent, not s.open,
                                             s.events, s.level_starts)
            self.records.move_to_end(key)
        while len(self.records) > self.size:
            self.records.popitem(last=False)
        return result


def search(grammar: Grammar, inputs: list, targets: list[SearchTarget], budget: int,
           memo: SearchMemo | None = None) -> SearchResult:
    """Enumerate programs cheapest first until `budget` candidates; the first match per task wins.

    With a memo, a search that is the prefix of one it remembers is read from it."""
    if memo is not None:
        return memo.search(grammar, inputs, targets, budget)
    return Search(grammar, inputs, targets, budget).run()


def enumerate_programs(grammar: Grammar, inputs: list, tp: str, limit: int,
                       prune_equivalent: bool = True, budget: int = 100_000) -> list[tuple]:
    """The first `limit` task programs returning tp, in search order, with their cost in units."""
    s = Search(grammar, inputs, [], budget, prune_equivalent)
    found: list[tuple] = []
    try:
        for level in range(1, MAX_LEVEL + 1):
            s.top.ensure(level)
            found = [(e[0], c) for c in sorted(s.top.levels[tp]) for e in s.top.levels[tp][c]]
            if len(found) >= limit:
                break
    except BudgetSpent:
        found = [(e[0], c) for c in sorted(s.top.levels[tp]) for e in s.top.levels[tp][c]]
    return found[:limit]
