"""The library and the probabilistic grammar it defines.

A Library is the primitives plus learned functions ("inventions"), each with a
weight. The Grammar reads it as DreamCoder's unigram model: where a program
needs a value of type t, operation p is chosen with probability

    w_p / (sum of w_q over the operations q that return t and may stand here)

and a lambda variable of type t with probability w_var / (number of such
variables) over the same sum. "May stand here" is the one twist: lambda bodies
are first-order, so operations that take function arguments (map, fold, a
learned filter) are only allowed outside lambdas.

A program's description length is the sum of -log2 of those choices. The
search works in integer cost units (`resolution` units per bit) so that it can
build programs level by level, cheapest (most probable) first.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from scratchbook.lab.synthesis.dsl import BASE_TYPES, LIST, PRIMITIVES, PRIMITIVES_BY_NAME, RUNTIME, Arrow
from scratchbook.lab.synthesis.program import (
    PRIMITIVE_PYNAMES,
    Call,
    Lam,
    ParamCall,
    Var,
    operations,
    python_source,
    show,
)

VAR = "$var"  # the weight name shared by all lambda (and input) variables
TOP = (LIST,)  # the context of a task program: one list argument, xs


@dataclass(frozen=True)
class Invention:
    """A learned function: a closed body over its arguments (Param / ParamCall)."""

    name: str
    arg_types: tuple  # base types, or Arrow for function-valued arguments
    ret: str
    body: object

    @property
    def higher_order(self) -> bool:
        return any(isinstance(t, Arrow) for t in self.arg_types)

    def param_names(self) -> tuple[str, ...]:
        """Readable argument names: p/q for predicates, f/g for functions, n/m ints, l/ys lists."""
        pools = {"pred": ["p", "q"], "fn": ["f", "g"], "int": ["n", "m", "k"], "list": ["l", "ys", "zs"],
                 "bool": ["b", "c"]}
        names = []
        for t in self.arg_types:
            kind = ("pred" if t.ret == "bool" else "fn") if isinstance(t, Arrow) else t
            pool = pools[kind]
            names.append(pool.pop(0) if pool else f"{kind}{len(names)}")
        return tuple(names)

    def text(self) -> str:
        names = self.param_names()
        if not names:
            return f"{self.name} = {show(self.body)}"
        return f"{self.name} = (λ ({' '.join(names)}) {show(self.body, None, names)})"

    def signature_text(self) -> str:
        return " -> ".join([*(str(t) for t in self.arg_types), self.ret])


@dataclass(frozen=True)
class Production:
    name: str
    args: tuple
    ret: str
    commutative: bool
    higher_order: bool


@dataclass
class Library:
    """Primitives (by name) plus inventions, and a weight for every name and for variables."""

    primitive_names: tuple[str, ...] = tuple(p.name for p in PRIMITIVES)
    inventions: list[Invention] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        for name in self.names():
            self.weights.setdefault(name, 1.0)
        self._compile()

    def names(self) -> list[str]:
        """Every weighted choice: primitives, inventions, then the variable."""
        return [*self.primitive_names, *(inv.name for inv in self.inventions), VAR]

    def _compile(self):
        self.pynames = dict(PRIMITIVE_PYNAMES)
        self.runtime = dict(RUNTIME)
        for inv in self.inventions:  # in order: a later invention may call an earlier one
            self.pynames[inv.name] = f"inv_{inv.name.replace('-', '_')}"
            params = ", ".join(f"a{i}" for i in range(len(inv.arg_types)))
            source = python_source(inv.body, self.pynames)
            if params:
                source = f"lambda {params}: {source}"
            # a learned constant (no arguments) is stored as its value, like 0 and 1
            self.runtime[self.pynames[inv.name]] = eval(source, self.runtime)  # noqa: S307

    def function(self, name: str):
        """The Python function behind a primitive or invention (for a constant: its value)."""
        if name in PRIMITIVES_BY_NAME:
            return PRIMITIVES_BY_NAME[name].fn
        return self.runtime[self.pynames[name]]

    def productions(self) -> list[Production]:
        out = []
        for p in PRIMITIVES:
            if p.name in self.primitive_names:
                for args, ret in p.signatures:
                    out.append(Production(p.name, args, ret, p.commutative,
                                          any(isinstance(a, Arrow) for a in args)))
        for inv in self.inventions:
            out.append(Production(inv.name, inv.arg_types, inv.ret, False, inv.higher_order))
        return out

    def signatures(self) -> dict:
        """name -> [(args, ret)] for the inventions, as program.parse wants them."""
        return {inv.name: [(inv.arg_types, inv.ret)] for inv in self.inventions}

    def with_inventions(self, inventions: list[Invention], weights: dict | None = None) -> "Library":
        return Library(self.primitive_names, list(inventions), dict(weights or self.weights))

    def with_weights(self, weights: dict) -> "Library":
        return Library(self.primitive_names, list(self.inventions), dict(weights))


class Grammar:
    """Costs (in bits and in search units) of every choice, per context."""

    def __init__(self, library: Library, weights: dict | None = None, resolution: int = 2):
        self.library = library
        self.weights = dict(library.weights if weights is None else weights)
        self.resolution = resolution
        self.productions = library.productions()
        self._tables: dict = {}
        self._bits: dict = {}

    def table(self, params: tuple, top: bool) -> dict:
        """type -> [(Production or Var, probability, cost units)] for a context, cheapest first."""
        key = (params, top)
        if key not in self._tables:
            self._tables[key] = self._build_table(params, top)
        return self._tables[key]

    def _build_table(self, params: tuple, top: bool) -> dict:
        table = {}
        for tp in BASE_TYPES:
            options = [(p, self.weights[p.name]) for p in self.productions
                       if p.ret == tp and (top or not p.higher_order)]
            var_slots = [i for i, t in enumerate(params) if t == tp]
            for i in var_slots:
                options.append((Var(i, tp), self.weights[VAR] / len(var_slots)))
            total = sum(w for _, w in options)
            rows = []
            for option, w in options:
                prob = w / total
                rows.append((option, prob, max(1, round(-math.log2(prob) * self.resolution))))
            rows.sort(key=lambda r: r[2])  # stable: ties keep library order
            table[tp] = rows
        return table

    def choice_bits(self, params: tuple, top: bool, tp: str, name: str | int) -> float:
        """-log2 probability of choosing operation `name` (or variable index) where a tp is needed."""
        key = (params, top, tp)
        if key not in self._bits:
            self._bits[key] = {(option.index if isinstance(option, Var) else option.name): -math.log2(prob)
                               for option, prob, _ in self.table(params, top)[tp]}
        try:
            return self._bits[key][name]
        except KeyError:
            raise KeyError(f"{name} cannot build a {tp} here") from None

    def bits(self, node, params: tuple = TOP, top: bool = True) -> float:
        """Description length of a program in bits: -log2 of its probability."""
        if isinstance(node, Var):
            return self.choice_bits(params, top, node.tp, node.index)
        if isinstance(node, Lam):
            return self.bits(node.body, node.params, False)
        if isinstance(node, Call):
            total = self.choice_bits(params, top, node.tp, node.op)
            return total + sum(self.bits(a, params, top) for a in node.args)
        raise TypeError(f"cannot score {node!r}")

    # -- dreaming -------------------------------------------------------------

    def sample(self, rng: random.Random, tp: str, max_depth: int = 5):
        """A random task program returning tp, drawn top-down from the grammar (None if it ran deep)."""
        try:
            return self._sample(rng, tp, TOP, True, 0, max_depth)
        except RecursionError:
            return None
        except _TooDeep:
            return None

    def _sample(self, rng, tp, params, top, depth, max_depth):
        rows = self.table(params, top)[tp]
        if depth >= max_depth:
            leaves = [r for r in rows if isinstance(r[0], Var) or not r[0].args]
            if leaves:
                rows = leaves
            elif depth >= max_depth + 2:
                raise _TooDeep
        pick = rng.random() * sum(r[1] for r in rows)
        for option, prob, _ in rows:
            pick -= prob
            if pick <= 0:
                break
        if isinstance(option, Var):
            return option
        args = []
        for a in option.args:
            if isinstance(a, Arrow):
                args.append(Lam(a.params, self._sample(rng, a.ret, a.params, False, depth + 1, max_depth)))
            else:
                args.append(self._sample(rng, a, params, top, depth + 1, max_depth))
        return Call(option.name, tuple(args), option.ret)


class _TooDeep(Exception):
    pass


def usage_counts(programs) -> dict[str, int]:
    """How often each operation name, and variables as a whole, occur in the programs."""
    counts: dict[str, int] = {}
    for program in programs:
        for op in operations(program):
            counts[op] = counts.get(op, 0) + 1
        counts[VAR] = counts.get(VAR, 0) + _count_vars(program)
    return counts


def _count_vars(node) -> int:
    if isinstance(node, Var):
        return 1
    if isinstance(node, Lam):
        return _count_vars(node.body)
    if isinstance(node, (Call, ParamCall)):
        return sum(_count_vars(a) for a in node.args)
    return 0


def fitted_weights(library: Library, programs, pseudocount: float) -> dict[str, float]:
    """Usage counts plus a pseudocount for every name: the grammar that best explains the programs."""
    counts = usage_counts(programs)
    return {name: counts.get(name, 0) + pseudocount for name in library.names()}

