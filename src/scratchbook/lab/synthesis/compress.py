"""Sleep-abstraction: find sub-programs the solutions share and make them library functions.

Candidates come from anti-unification. Take two sub-programs from the
solutions that start with the same operation and walk them together: where
they agree the candidate keeps the shared tree, where they differ it gets a
hole. Holes become the new function's arguments. So `keep-primes` and
`keep-squares`,

    (fold xs empty (λ (x acc) (if (is-prime x) (cons x acc) acc)))
    (fold xs empty (λ (x acc) (if (is-square x) (cons x acc) acc)))

give `(fold ?0 empty (λ (x acc) (if (?1 x) (cons x acc) acc)))`: a filter. A
hole inside a lambda whose contents mention the lambda's variables (here `x`)
becomes a FUNCTION argument of those variables, which is how a higher-order
abstraction like filter can be learned at all; a hole that mentions none is a
plain argument. Variables bound outside the candidate (xs, or the variables of
a lambda the candidate sits in) are always holes, so a learned function never
captures a variable.

A candidate joins the library when it lowers the total description length,
in bits:

    DL = sum over solutions of -log2 P(solution | grammar refit to the
         rewritten solutions) + library_bits_per_node * size of every
         learned function's body

i.e. it must save more in the solutions than it costs to write down. The
search is greedy: score the most promising candidates exactly (rewrite every
solution, refit the weights, recount the bits), keep the best, repeat.
Solutions are put in canonical argument order before and after each rewrite,
so that (+ x 1) and (+ 1 x) are one sub-program.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scratchbook.lab.synthesis.dsl import Arrow, EvalError
from scratchbook.lab.synthesis.grammar import Grammar, Invention, Library, fitted_weights
from scratchbook.lab.synthesis.program import (
    Call,
    Hole,
    Lam,
    Param,
    ParamCall,
    Var,
    canonical,
    size,
    uses_vars,
)


@dataclass
class CompressionConfig:
    max_new: int = 3  # learned functions added per sleep at most
    max_arity: int = 3  # holes per candidate
    library_bits_per_node: float = 1.5  # what a learned function costs to write down, per node (~1 nat, as DreamCoder)
    pseudocount: float = 1.0  # added to every usage count when the grammar is refit
    shortlist: int = 24  # candidates per round scored exactly, best estimates first
    max_pairs_per_group: int = 4000  # sub-program pairs anti-unified per operation, at most


@dataclass
class CompressionResult:
    library: Library
    programs: dict  # key -> solution rewritten in library terms
    added: list = field(default_factory=list)  # the new Inventions, in order
    bits_before: float = 0.0
    bits_after: float = 0.0


class _Mismatch(Exception):
    pass


# -----------------------------------------------------------------------------
# candidates by anti-unification


def subprograms(program) -> list[tuple]:
    """(sub-program, whether it sits inside a lambda) for every call with arguments."""
    out: list[tuple] = []

    def walk(node, inside):
        if isinstance(node, Call):
            if node.args:
                out.append((node, inside))
            for a in node.args:
                walk(a, inside)
        elif isinstance(node, Lam):
            walk(node.body, True)

    walk(program, False)
    return out


def anti_unify(a, b):
    """The most specific fragment both a and b are instances of, holes numbered left to right."""
    holes: dict = {}

    def hole(x, y, lam):
        if getattr(x, "tp", None) != getattr(y, "tp", None) or isinstance(x, Lam):
            raise _Mismatch
        if (x, y) not in holes:
            uses = tuple(sorted(uses_vars(x) | uses_vars(y))) if lam is not None else ()
            holes[(x, y)] = Hole(len(holes), x.tp, uses)
        return holes[(x, y)]

    def walk(x, y, lam):
        if isinstance(x, Call) and isinstance(y, Call) and x.op == y.op and x.tp == y.tp:
            args = []
            for u, v in zip(x.args, y.args):
                if isinstance(u, Lam) or isinstance(v, Lam):
                    if not (isinstance(u, Lam) and isinstance(v, Lam) and u.params == v.params):
                        raise _Mismatch
                    args.append(Lam(u.params, walk(u.body, v.body, u.params)))
                else:
                    args.append(walk(u, v, lam))
            return Call(x.op, tuple(args), x.tp)
        if isinstance(x, Var) and x == y and lam is not None:
            return x  # bound by a lambda inside the fragment: keep it
        return hole(x, y, lam)

    try:
        return walk(a, b, None)
    except _Mismatch:
        return None


def fragment_calls(fragment) -> int:
    """Calls in a fragment, holes not counted: how much it abbreviates."""
    if isinstance(fragment, Call):
        return 1 + sum(fragment_calls(a) for a in fragment.args)
    if isinstance(fragment, Lam):
        return fragment_calls(fragment.body)
    return 0


def holes_of(fragment, out: dict | None = None) -> dict:
    out = {} if out is None else out
    if isinstance(fragment, Hole):
        out.setdefault(fragment.index, fragment)
    elif isinstance(fragment, Call):
        for a in fragment.args:
            holes_of(a, out)
    elif isinstance(fragment, Lam):
        holes_of(fragment.body, out)
    return out


def propose(programs: list, config: CompressionConfig) -> list[tuple]:
    """Candidate fragments with the number of distinct sub-programs each came from, best guess first."""
    groups: dict = {}
    for pi, program in enumerate(programs):
        for si, (node, inside) in enumerate(subprograms(program)):
            groups.setdefault((node.op, node.tp, inside), []).append(((pi, si), node))
    sources: dict = {}
    for members in groups.values():
        pairs = 0
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                if pairs >= config.max_pairs_per_group:
                    break
                pairs += 1
                fragment = anti_unify(members[i][1], members[j][1])
                if fragment is None or fragment_calls(fragment) < 2 or \
                        len(holes_of(fragment)) > config.max_arity:
                    continue
                found = sources.setdefault(fragment, set())
                found.add(members[i][0])
                found.add(members[j][0])
    ranked = [(fragment, len(where)) for fragment, where in sources.items()]
    # saved nodes if every source became one call, minus the body we have to store
    ranked.sort(key=lambda fw: -(fw[1] * (fragment_calls(fw[0]) - 1) - fragment_calls(fw[0])))
    return ranked


# -----------------------------------------------------------------------------
# from a fragment to a learned function, and rewriting solutions with it


def invention_from(name: str, fragment) -> Invention:
    """The learned function a fragment defines: holes become Params, or ParamCalls inside lambdas."""
    holes = holes_of(fragment)
    arg_types: dict[int, object] = {}

    def body(node, lam):
        if isinstance(node, Hole):
            if node.uses:
                arg_types[node.index] = Arrow(tuple(lam[u] for u in node.uses), node.tp)
                return ParamCall(node.index, tuple(Var(u, lam[u]) for u in node.uses), node.tp)
            arg_types[node.index] = node.tp
            return Param(node.index, node.tp)
        if isinstance(node, Call):
            return Call(node.op, tuple(body(a, lam) for a in node.args), node.tp)
        if isinstance(node, Lam):
            return Lam(node.params, body(node.body, node.params))
        return node

    b = body(fragment, None)
    return Invention(name, tuple(arg_types[i] for i in range(len(holes))), fragment.tp, b)


def match(fragment, node):
    """Arguments that make the learned function equal node, or None."""
    bound: dict[int, object] = {}

    def go(f, n, lam):
        if isinstance(f, Hole):
            if isinstance(n, Lam) or getattr(n, "tp", None) != f.tp:
                return False
            if lam is None:
                arg = n
            else:
                used = uses_vars(n)
                if not used <= set(f.uses):
                    return False
                if f.uses:
                    rename = {u: i for i, u in enumerate(f.uses)}
                    arg = Lam(tuple(lam[u] for u in f.uses), _renamed(n, rename))
                else:
                    arg = n
            if f.index in bound:
                return bound[f.index] == arg
            bound[f.index] = arg
            return True
        if isinstance(f, Call):
            if not (isinstance(n, Call) and n.op == f.op and n.tp == f.tp and len(n.args) == len(f.args)):
                return False
            for fa, na in zip(f.args, n.args):
                if isinstance(fa, Lam):
                    if not (isinstance(na, Lam) and na.params == fa.params and go(fa.body, na.body, fa.params)):
                        return False
                elif not go(fa, na, lam):
                    return False
            return True
        return f == n  # a bound variable

    if go(fragment, node, None):
        return tuple(bound[i] for i in range(len(bound)))
    return None


def _renamed(node, rename: dict):
    if isinstance(node, Var):
        return Var(rename[node.index], node.tp)
    if isinstance(node, Call):
        return Call(node.op, tuple(_renamed(a, rename) for a in node.args), node.tp)
    return node


def rewrite(program, invention: Invention, fragment):
    """program with every match of the fragment (outermost first) replaced by a call of the invention."""
    def go(node):
        if isinstance(node, Call):
            args = match(fragment, node)
            if args is not None:
                return Call(invention.name, tuple(go(a) for a in args), invention.ret)
            return Call(node.op, tuple(go(a) for a in node.args), node.tp)
        if isinstance(node, Lam):
            return Lam(node.params, go(node.body))
        return node

    return canonical(go(program))


def fragment_of(invention: Invention):
    """The fragment an invention stands for (its body with holes back in)."""
    def go(node, lam):
        if isinstance(node, Param):
            return Hole(node.index, node.tp)
        if isinstance(node, ParamCall):
            return Hole(node.index, node.tp, tuple(v.index for v in node.args))
        if isinstance(node, Call):
            return Call(node.op, tuple(go(a, lam) for a in node.args), node.tp)
        if isinstance(node, Lam):
            return Lam(node.params, go(node.body, node.params))
        return node

    return go(invention.body, None)


def rewrite_with_library(program, library: Library):
    """Express a program with every learned function, oldest first."""
    program = canonical(program)
    for inv in library.inventions:
        program = rewrite(program, inv, fragment_of(inv))
    return program


# -----------------------------------------------------------------------------
# description length and the greedy loop


def description_length(library: Library, programs: list, config: CompressionConfig) -> tuple[float, Library]:
    """Bits of the library plus the programs under the grammar refit to them, and that refit library."""
    refit = library.with_weights(fitted_weights(library, programs, config.pseudocount))
    grammar = Grammar(refit)
    bits = sum(grammar.bits(p) for p in programs)
    bits += config.library_bits_per_node * sum(size(inv.body) for inv in library.inventions)
    return bits, refit


def compress(library: Library, programs: dict, config: CompressionConfig = CompressionConfig()) -> CompressionResult:
    """Grow the library while that shortens library + solutions; return both, rewritten and refit."""
    keys = list(programs)
    current = [rewrite_with_library(programs[k], library) for k in keys]
    bits, library = description_length(library, current, config)
    result = CompressionResult(library, {}, bits_before=bits)
    for _ in range(config.max_new):
        best = None
        name = f"f{len(library.inventions) + 1}"
        for fragment, _ in propose(current, config)[: config.shortlist]:
            invention = invention_from(name, fragment)
            try:
                trial_library = library.with_inventions([*library.inventions, invention])
            except EvalError:
                continue  # a constant that only ever sat in an untaken if-branch
            rewritten = [rewrite(p, invention, fragment) for p in current]
            trial_bits, refit = description_length(trial_library, rewritten, config)
            if trial_bits < bits and (best is None or trial_bits < best[0]):
                best = (trial_bits, refit, rewritten, invention)
        if best is None:
            break
        bits, library, current, invention = best
        result.added.append(invention)
    result.library = library
    result.programs = dict(zip(keys, current))
    result.bits_after = bits
    return result
