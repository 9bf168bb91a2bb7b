"""Programs as trees: build, print, parse, measure, canonicalise and compile them.

A task program is a function of one list, ``xs``. Inside it, lambdas appear
only as the function arguments of higher-order operations (``map``, ``fold``,
learned functions such as a learned ``filter``), and a lambda body never
contains another lambda. Variables are positional: ``Var(0)`` outside any
lambda is ``xs``; inside a lambda, ``Var(i)`` is that lambda's i-th parameter
(printed ``x`` and ``acc``). Lambda bodies cannot see ``xs``: none of our tasks
needs a closure, and without one a body's meaning depends on its own
parameters only, which is what lets the search share bodies across programs.

Learned functions (inventions) have bodies too; there ``Param(i)`` is the
function's i-th argument and ``ParamCall(i, vars)`` applies a function-valued
argument (say the predicate of a learned filter) to lambda variables.
``Hole`` marks the gaps of a fragment while compression looks for one.

Programs compile to Python source (lambdas stay lambdas, ``if`` stays lazy),
which is how both the search and held-out checks run them.
"""

from __future__ import annotations

from dataclasses import dataclass

from scratchbook.lab.synthesis.dsl import (
    BOOL,
    INT,
    LIST,
    PRIMITIVES,
    RUNTIME,
    Arrow,
    EvalError,
)


@dataclass(frozen=True, slots=True)
class Call:
    op: str  # a primitive or learned-function name
    args: tuple
    tp: str  # the base type it returns


@dataclass(frozen=True, slots=True)
class Var:
    index: int
    tp: str


@dataclass(frozen=True, slots=True)
class Lam:
    params: tuple[str, ...]  # parameter types
    body: object


@dataclass(frozen=True, slots=True)
class Param:
    """Argument `index` of a learned function, used as a value."""

    index: int
    tp: str


@dataclass(frozen=True, slots=True)
class ParamCall:
    """Function-valued argument `index` of a learned function, applied to lambda variables."""

    index: int
    args: tuple  # Vars of the enclosing lambda
    tp: str


@dataclass(frozen=True, slots=True)
class Hole:
    """A gap in a fragment; `uses` are the enclosing lambda's variables it may mention."""

    index: int
    tp: str
    uses: tuple[int, ...] = ()


XS = Var(0, LIST)
LAMBDA_NAMES = {1: ("x",), 2: ("x", "acc")}


def lambda_names(arity: int) -> tuple[str, ...]:
    return LAMBDA_NAMES.get(arity) or tuple(f"x{i}" for i in range(arity))


# -----------------------------------------------------------------------------
# reading and writing


def show(node, lam: tuple[str, ...] | None = None, params: tuple[str, ...] = ()) -> str:
    """S-expression text. `lam`: names of the enclosing lambda's variables (None: top level)."""
    if isinstance(node, Call):
        if not node.args:
            return node.op
        return "(" + " ".join([node.op, *(show(a, lam, params) for a in node.args)]) + ")"
    if isinstance(node, Var):
        return "xs" if lam is None else lam[node.index]
    if isinstance(node, Lam):
        body = node.body
        if isinstance(body, Call) and body.args == tuple(Var(i, t) for i, t in enumerate(node.params)):
            return body.op  # eta-reduced: (λ (x) (is-prime x)) reads better as is-prime
        names = lambda_names(len(node.params))
        return f"(λ ({' '.join(names)}) {show(body, names, params)})"
    if isinstance(node, Param):
        return params[node.index]
    if isinstance(node, ParamCall):
        return "(" + " ".join([params[node.index], *(show(a, lam, params) for a in node.args)]) + ")"
    if isinstance(node, Hole):
        return f"?{node.index}"
    raise TypeError(f"not a program node: {node!r}")


def _tokens(text: str) -> list[str]:
    return text.replace("(", " ( ").replace(")", " ) ").split()


def _read(tokens: list[str], pos: int):
    if tokens[pos] == "(":
        items, pos = [], pos + 1
        while tokens[pos] != ")":
            item, pos = _read(tokens, pos)
            items.append(item)
        return items, pos + 1
    return tokens[pos], pos + 1


def parse(text: str, signatures: dict | None = None):
    """Parse a task program (a function of `xs`). `signatures`: name -> [(args, ret)] of learned functions."""
    sigs = {p.name: list(p.signatures) for p in PRIMITIVES}
    sigs.update(signatures or {})
    tokens = _tokens(text)
    tree, end = _read(tokens, 0)
    if end != len(tokens):
        raise ValueError(f"trailing text in {text!r}")
    return _build(tree, {"xs": XS}, sigs, expected=None)


def _build(tree, env: dict, sigs: dict, expected):
    if isinstance(tree, str):
        if tree in env:
            return env[tree]
        if isinstance(expected, Arrow):  # an operation where a function goes: eta-expand it
            variables = tuple(Var(i, t) for i, t in enumerate(expected.params))
            if (expected.params, expected.ret) not in [tuple(s) for s in sigs.get(tree, ())]:
                raise ValueError(f"{tree} is not a {expected}")
            return Lam(expected.params, Call(tree, variables, expected.ret))
        return _build([tree], env, sigs, expected)
    head, *rest = tree
    if head in ("λ", "lambda"):
        if not isinstance(expected, Arrow):
            raise ValueError(f"a lambda where a {expected} is expected")
        names, body = rest
        names = [names] if isinstance(names, str) else names
        if len(names) != len(expected.params):
            raise ValueError(f"lambda with {len(names)} parameters for {expected}")
        inner = {n: Var(i, t) for i, (n, t) in enumerate(zip(names, expected.params))}
        return Lam(expected.params, _build(body, inner, sigs, expected.ret))
    if head not in sigs:
        raise ValueError(f"unknown operation {head!r}")
    # parse the value arguments first: their types pick the instance of map/fold/if
    def is_function(t):
        if isinstance(t, list):
            return bool(t) and t[0] in ("λ", "lambda")
        return t not in env and all(args for args, _ in sigs.get(t, [((),)]))

    values = {i: _build(t, env, sigs, None) for i, t in enumerate(rest) if not is_function(t)}
    for args, ret in sigs[head]:
        if len(args) == len(rest) and all(
                isinstance(args[i], Arrow) if i not in values else values[i].tp == args[i]
                for i in range(len(rest))):
            built = tuple(values[i] if i in values else _build(t, env, sigs, args[i])
                          for i, t in enumerate(rest))
            return Call(head, built, ret)
    raise ValueError(f"no instance of {head} fits {tree}")


# -----------------------------------------------------------------------------
# measuring and tidying


def size(node) -> int:
    """Nodes in library terms; a lambda costs nothing by itself, its body does."""
    if isinstance(node, (Call, ParamCall)):
        return 1 + sum(size(a) for a in node.args)
    if isinstance(node, Lam):
        return size(node.body)
    return 1


def canonical(node, commutative: frozenset = frozenset(p.name for p in PRIMITIVES if p.commutative)):
    """The same tree with commutative arguments in a fixed (text) order, all the way down.

    Two solutions that differ only by `(+ x 1)` against `(+ 1 x)` then look the
    same to compression, which matches trees exactly.
    """
    if isinstance(node, Call):
        args = tuple(canonical(a, commutative) for a in node.args)
        if node.op in commutative:
            args = tuple(sorted(args, key=repr))  # repr tells x from acc; show alone would not
        return Call(node.op, args, node.tp)
    if isinstance(node, Lam):
        return Lam(node.params, canonical(node.body, commutative))
    return node


def uses_vars(node) -> set[int]:
    """Indices of the lambda variables (Vars) that occur in node."""
    if isinstance(node, Var):
        return {node.index}
    if isinstance(node, (Call, ParamCall)):
        out: set[int] = set()
        for a in node.args:
            out |= uses_vars(a)
        return out
    if isinstance(node, Lam):
        return set()  # its variables are its own
    return set()


def operations(node, out: list | None = None) -> list[str]:
    """Every operation name in node, in order, with repeats."""
    out = [] if out is None else out
    if isinstance(node, Call):
        out.append(node.op)
    if isinstance(node, (Call, ParamCall)):
        for a in node.args:
            operations(a, out)
    elif isinstance(node, Lam):
        operations(node.body, out)
    return out


# -----------------------------------------------------------------------------
# compiling to Python

PRIMITIVE_PYNAMES = {p.name: p.pyname for p in PRIMITIVES}


def python_source(node, pynames: dict = PRIMITIVE_PYNAMES) -> str:
    """Python expression for node; variables are v0, v1..., learned-function arguments a0, a1..."""
    if isinstance(node, Call):
        if node.op == "if":
            c, a, b = (python_source(x, pynames) for x in node.args)
            return f"({a} if {c} else {b})"
        name = pynames[node.op]
        if not node.args:
            return name
        return f"{name}({', '.join(python_source(a, pynames) for a in node.args)})"
    if isinstance(node, Var):
        return f"v{node.index}"
    if isinstance(node, Lam):
        params = ", ".join(f"v{i}" for i in range(len(node.params)))
        return f"(lambda {params}: {python_source(node.body, pynames)})"
    if isinstance(node, Param):
        return f"a{node.index}"
    if isinstance(node, ParamCall):
        return f"a{node.index}({', '.join(python_source(a, pynames) for a in node.args)})"
    raise TypeError(f"cannot compile {node!r}")


def compile_function(node, n_params: int = 1, runtime: dict = RUNTIME,
                     pynames: dict = PRIMITIVE_PYNAMES):
    """A Python function of v0..v{n-1} computing node (raises EvalError outside the safe region)."""
    params = ", ".join(f"v{i}" for i in range(n_params))
    return eval(f"lambda {params}: {python_source(node, pynames)}", dict(runtime))  # noqa: S307


def run(fn, *args):
    """fn(*args), or None when the program errs."""
    try:
        return fn(*args)
    except EvalError:
        return None


def output_type_of(value) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    return LIST
